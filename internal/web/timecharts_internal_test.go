package web

import (
	"math"
	"testing"
	"time"

	"github.com/stewardml/steward/internal/report/chart"
)

func TestFitTimeNarrowsTheRangeToTheData(t *testing.T) {
	to := time.Date(2026, 12, 8, 12, 0, 0, 0, time.UTC)
	from := to.Add(-30 * 24 * time.Hour)
	x0, x1 := float64(to.Add(-5*time.Hour).Unix()), float64(to.Add(-2*time.Hour).Unix())
	c := chart.LineChart{X: chart.Axis{Time: true, Min: float64(from.Unix()), Max: float64(to.Unix())},
		Series: []chart.Series{{X: []float64{x0, x1}, Y: []float64{3, 4}}}}
	got, ok := fitTime(c, time.Hour).(chart.LineChart)
	if !ok {
		t.Fatalf("two buckets drew %T, want a line chart", got)
	}
	if got.X.Min != x0-3600 || got.X.Max != x1+3600 {
		t.Errorf("x from %v to %v, want the data ± an hour (%v to %v)", got.X.Min, got.X.Max, x0-3600, x1+3600)
	}
}

func TestFitTimeDrawsOneBucketAsBarsFromZero(t *testing.T) {
	x := float64(time.Date(2026, 12, 8, 10, 0, 0, 0, time.UTC).Unix())
	c := chart.LineChart{Title: "Latency", Y: chart.Axis{Label: "latency (µs)"},
		Series: []chart.Series{{Name: "p50", X: []float64{x}, Y: []float64{35}}, {Name: "p99", X: []float64{x}, Y: []float64{80}}}}
	got, ok := fitTime(c, time.Hour).(chart.BarChart)
	if !ok {
		t.Fatalf("one bucket drew %T, want bars", got)
	}
	if got.Value.Min != 0 || len(got.Series) != 2 || got.Series[1].Values[0] != 80 || got.Categories[0] != "2026-12-08 10:00" {
		t.Errorf("bars %+v", got)
	}
}

func TestLatenciesReadInTheirUnit(t *testing.T) {
	for _, c := range []struct {
		ms   float64
		want string
	}{{0.035, "35 µs"}, {2.44, "2.4 ms"}, {1234, "1.23 s"}, {math.NaN(), "–"}} {
		if got := fmtLatency(c.ms); got != c.want {
			t.Errorf("fmtLatency(%v) = %q, want %q", c.ms, got, c.want)
		}
	}
	if unit, scale := latencyUnit(0.2); unit != "µs" || scale != 1000 {
		t.Errorf("latencyUnit(0.2 ms) = %s × %v", unit, scale)
	}
}
