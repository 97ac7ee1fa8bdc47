package web

import (
	"math"
	"strconv"
	"time"

	"github.com/stewardml/steward/internal/report/chart"
)

// fitTime narrows a time chart's x-range from the page's whole range to
// the data, padded by one step on each side (within the page's range), so
// that an hour of data in a 30-day range is not a dot at the right edge.
// A chart whose points all fall in one bucket becomes bars from zero,
// one per series: a line needs two points.
func fitTime(c chart.LineChart, step time.Duration) chart.Drawer {
	lo, hi := math.Inf(1), math.Inf(-1)
	for _, s := range c.Series {
		for i, x := range s.X {
			if i < len(s.Y) && !math.IsNaN(s.Y[i]) && !math.IsInf(s.Y[i], 0) {
				lo, hi = math.Min(lo, x), math.Max(hi, x)
			}
		}
	}
	if math.IsInf(lo, 1) {
		return c
	}
	if lo == hi {
		return singleBucket(c, lo)
	}
	pad := step.Seconds()
	c.X.Min = math.Max(c.X.Min, lo-pad)
	c.X.Max = math.Min(c.X.Max, hi+pad)
	return c
}

// singleBucket draws the one bucket at x of every series as a bar.
func singleBucket(c chart.LineChart, x float64) chart.BarChart {
	b := chart.BarChart{Title: c.Title, Width: c.Width, Height: c.Height,
		Categories: []string{time.Unix(int64(x), 0).UTC().Format("2006-01-02 15:04")},
		Value:      chart.Axis{Label: c.Y.Label, Percent: c.Y.Percent, Min: 0, Max: c.Y.Max}}
	for i, s := range c.Series {
		v := math.NaN()
		for j, sx := range s.X {
			if sx == x && j < len(s.Y) {
				v = s.Y[j]
			}
		}
		name := s.Name
		if name == "" {
			name = c.Y.Label
		}
		color := s.Color
		if color == "" {
			color = chart.Palette[i%len(chart.Palette)]
		}
		b.Series = append(b.Series, chart.Bars{Name: name, Values: []float64{v}, Color: color})
	}
	return b
}

// latencyUnit picks the unit latencies read best in: µs when the largest
// is under a millisecond, else ms; scale turns milliseconds into it.
func latencyUnit(maxMs float64) (unit string, scale float64) {
	if maxMs < 1 {
		return "µs", 1000
	}
	return "ms", 1
}

// fmtLatency writes a latency in milliseconds in the unit that reads best:
// "35 µs", "2.4 ms", "1.2 s".
func fmtLatency(ms float64) string {
	switch {
	case math.IsNaN(ms):
		return "–"
	case ms < 1:
		return strconv.FormatFloat(ms*1000, 'f', 0, 64) + " µs"
	case ms < 1000:
		return strconv.FormatFloat(ms, 'f', 1, 64) + " ms"
	}
	return strconv.FormatFloat(ms/1000, 'f', 2, 64) + " s"
}
