package chart

import (
	"math"
	"strconv"
	"time"
)

// Point is a position on the canvas, in chart units (pixels, y down).
type Point struct{ X, Y float64 }

// Stroke says how a line is drawn. An empty Color draws nothing.
type Stroke struct {
	Color string // "#rrggbb"
	Width float64
	Dash  bool
}

// Anchor is a text's horizontal alignment at its position.
type Anchor int

// Text anchors.
const (
	Start Anchor = iota
	Middle
	End
)

// TextStyle says how a text is drawn; its position is the baseline.
type TextStyle struct {
	Size     float64 // in chart units
	Color    string
	Anchor   Anchor
	Bold     bool
	Vertical bool // rotated 90° counter-clockwise (an axis title)
}

// Canvas receives the drawing operations of a chart. Implementations need
// not be safe for concurrent use.
type Canvas interface {
	Line(x1, y1, x2, y2 float64, s Stroke)
	Polyline(pts []Point, s Stroke)
	// Rect fills (fill != "") and strokes (s.Color != "") a rectangle.
	Rect(x, y, w, h float64, fill string, s Stroke)
	// Polygon fills a closed shape with fill at the given opacity (0..1).
	Polygon(pts []Point, fill string, opacity float64)
	Text(x, y float64, s string, t TextStyle)
}

// Palette is the default series colours, colour-blind friendly (Okabe-Ito).
var Palette = []string{"#0072b2", "#e69f00", "#009e73", "#d55e00", "#cc79a7", "#56b4e9", "#f0e442", "#000000"}

// Colors used for text, grid and frame.
const (
	ink   = "#1b1f24"
	muted = "#57606a"
	grid  = "#d8dee4"
)

// Axis describes one axis. With Min == Max the range comes from the data.
type Axis struct {
	Label    string
	Min, Max float64
	// Time says the values are Unix seconds; ticks are dates and hours (UTC).
	Time bool
	// Percent writes ticks as percentages of 1.
	Percent bool
}

// Series is one line of a LineChart: points (X[i], Y[i]); a non-finite
// value breaks the line.
type Series struct {
	Name    string
	X, Y    []float64
	Color   string // default: the palette, in order
	Dash    bool
	Width   float64 // default 2
	Markers bool    // a dot at each point
}

// Band is a shaded range (a confidence interval) between Lo and Hi at X.
type Band struct {
	Name      string
	X, Lo, Hi []float64
	Color     string
}

// RefLine is a horizontal reference line (a threshold).
type RefLine struct {
	Y     float64
	Label string
	Color string
}

// LineChart is an x-y chart of lines.
type LineChart struct {
	Title         string
	Width, Height float64 // default 480 × 300
	X, Y          Axis
	Series        []Series
	Bands         []Band
	Refs          []RefLine
	// Diagonal draws the y = x line (ROC curves, calibration plots).
	Diagonal bool
}

// Bars is one series of a BarChart: a value per category, with an optional
// error (drawn as a whisker of ± Errors[i]).
type Bars struct {
	Name   string
	Values []float64
	Errors []float64
	Color  string
}

// BarChart draws bars per category, grouped when there are several series.
type BarChart struct {
	Title         string
	Width, Height float64 // default 480 × 300
	Categories    []string
	Series        []Bars
	// Horizontal lays categories out top to bottom with bars to the right
	// (long category names, such as features, stay readable).
	Horizontal bool
	// Value is the value axis; its range defaults to [0, max] (or [min, max]
	// when a value is negative).
	Value Axis
	// Category names the category axis.
	Category string
}

const (
	titleSize = 13.0
	tickSize  = 10.5
	labelSize = 11.0
)

// textWidth estimates a text's width: enough for layout of short labels.
func textWidth(s string, size float64) float64 {
	n := 0
	for range s {
		n++
	}
	return float64(n) * size * 0.56
}

func finite(v float64) bool { return !math.IsNaN(v) && !math.IsInf(v, 0) }

func colorAt(c string, i int) string {
	if c != "" {
		return c
	}
	return Palette[i%len(Palette)]
}

// frame is a plot area and its scales.
type frame struct {
	left, top, right, bottom float64
	x0, x1, y0, y1           float64 // data ranges
}

func (f frame) px(x float64) float64 {
	return f.left + (x-f.x0)/(f.x1-f.x0)*(f.right-f.left)
}

func (f frame) py(y float64) float64 {
	return f.bottom - (y-f.y0)/(f.y1-f.y0)*(f.bottom-f.top)
}

func (f frame) clampY(y float64) float64 { return math.Max(f.top, math.Min(f.bottom, y)) }

// legendItem is one entry of a legend.
type legendItem struct {
	name  string
	color string
	dash  bool
	box   bool
}

// header draws the title and legend and returns the y where the plot may
// start.
func header(cv Canvas, title string, w float64, items []legendItem) float64 {
	y := 6.0
	if title != "" {
		cv.Text(w/2, y+titleSize, title, TextStyle{Size: titleSize, Color: ink, Anchor: Middle, Bold: true})
		y += titleSize + 8
	}
	if len(items) == 0 {
		return y + 4
	}
	// Lay the legend out in rows, centred.
	type placed struct {
		legendItem
		w float64
	}
	var rows [][]placed
	var cur []placed
	curW := 0.0
	for _, it := range items {
		iw := 22 + textWidth(it.name, tickSize) + 14
		if curW+iw > w-16 && len(cur) > 0 {
			rows = append(rows, cur)
			cur, curW = nil, 0
		}
		cur = append(cur, placed{it, iw})
		curW += iw
	}
	rows = append(rows, cur)
	for _, row := range rows {
		total := 0.0
		for _, p := range row {
			total += p.w
		}
		x := (w - total) / 2
		cy := y + tickSize/2 + 2
		for _, p := range row {
			if p.box {
				cv.Rect(x, cy-5, 16, 10, p.color, Stroke{})
			} else {
				cv.Line(x, cy, x+16, cy, Stroke{Color: p.color, Width: 2.5, Dash: p.dash})
			}
			cv.Text(x+22, cy+tickSize*0.35, p.name, TextStyle{Size: tickSize, Color: ink})
			x += p.w
		}
		y += tickSize + 6
	}
	return y + 4
}

// ticks returns about n "nice" tick values covering [lo, hi] and the step.
func ticks(lo, hi float64, n int) ([]float64, float64) {
	if !(hi > lo) {
		lo, hi = lo-0.5, hi+0.5
	}
	step := niceNum((hi-lo)/float64(max(n-1, 1)), true)
	start := math.Ceil(lo/step-1e-9) * step
	var out []float64
	for v := start; v <= hi+step*1e-9; v += step {
		if math.Abs(v) < step*1e-9 {
			v = 0
		}
		out = append(out, v)
		if len(out) > 50 {
			break
		}
	}
	return out, step
}

// niceNum rounds x to 1, 2, 5 or 10 times a power of ten.
func niceNum(x float64, round bool) float64 {
	if x <= 0 || !finite(x) {
		return 1
	}
	exp := math.Floor(math.Log10(x))
	f := x / math.Pow(10, exp)
	var nf float64
	switch {
	case round && f < 1.5, !round && f <= 1:
		nf = 1
	case round && f < 3, !round && f <= 2:
		nf = 2
	case round && f < 7, !round && f <= 5:
		nf = 5
	default:
		nf = 10
	}
	return nf * math.Pow(10, exp)
}

// niceRange widens [lo, hi] to tick boundaries.
func niceRange(lo, hi float64, n int) (float64, float64) {
	if !(hi > lo) {
		if lo == 0 {
			return 0, 1
		}
		d := math.Abs(lo) * 0.1
		lo, hi = lo-d, hi+d
	}
	_, step := ticks(lo, hi, n)
	return math.Floor(lo/step+1e-9) * step, math.Ceil(hi/step-1e-9) * step
}

// formatTick writes v with as many decimals as step needs.
func formatTick(v, step float64, percent bool) string {
	if percent {
		v *= 100
		step *= 100
	}
	dec := 0
	if step > 0 && step < 1 {
		dec = int(math.Ceil(-math.Log10(step) - 1e-9))
	}
	var s string
	switch av := math.Abs(v); {
	case av >= 1e6 && step >= 1e5:
		s = strconv.FormatFloat(v/1e6, 'f', max(0, dec-6), 64) + "M"
	case av >= 1e4 && step >= 1e3:
		s = strconv.FormatFloat(v/1e3, 'f', max(0, dec-3), 64) + "k"
	default:
		s = strconv.FormatFloat(v, 'f', dec, 64)
	}
	if percent {
		s += "%"
	}
	return s
}

// timeSteps are the candidate tick intervals of a time axis, in seconds.
var timeSteps = []float64{
	60, 5 * 60, 15 * 60, 3600, 3 * 3600, 6 * 3600, 12 * 3600,
	86400, 2 * 86400, 7 * 86400, 14 * 86400, 30 * 86400, 91 * 86400, 182 * 86400, 365 * 86400,
}

// timeTicks returns tick positions (Unix seconds) and labels for [lo, hi].
func timeTicks(lo, hi float64, n int) ([]float64, []string) {
	span := hi - lo
	step := timeSteps[len(timeSteps)-1]
	for _, s := range timeSteps {
		if span/s <= float64(n) {
			step = s
			break
		}
	}
	var vals []float64
	var labels []string
	if step >= 30*86400 {
		months := int(math.Round(step / (30 * 86400)))
		if step >= 365*86400 {
			months = 12
		}
		t := time.Unix(int64(lo), 0).UTC()
		t = time.Date(t.Year(), t.Month(), 1, 0, 0, 0, 0, time.UTC)
		for ; float64(t.Unix()) <= hi; t = t.AddDate(0, months, 0) {
			if float64(t.Unix()) < lo {
				continue
			}
			vals = append(vals, float64(t.Unix()))
			labels = append(labels, t.Format("Jan 2006"))
		}
		return vals, labels
	}
	start := math.Ceil(lo/step) * step
	for v := start; v <= hi; v += step {
		t := time.Unix(int64(v), 0).UTC()
		vals = append(vals, v)
		switch {
		case step < 86400 && (t.Hour() != 0 || t.Minute() != 0):
			labels = append(labels, t.Format("15:04"))
		default:
			labels = append(labels, t.Format("Jan 2"))
		}
	}
	return vals, labels
}

// axisTicks returns the ticks and labels of an axis over [lo, hi].
func axisTicks(a Axis, lo, hi float64, n int) ([]float64, []string) {
	if a.Time {
		return timeTicks(lo, hi, n)
	}
	vals, step := ticks(lo, hi, n)
	labels := make([]string, len(vals))
	for i, v := range vals {
		labels[i] = formatTick(v, step, a.Percent)
	}
	return vals, labels
}

// dataRange returns the finite min and max of the slices, ok false when
// there is no finite value.
func dataRange(xs ...[]float64) (lo, hi float64, ok bool) {
	lo, hi = math.Inf(1), math.Inf(-1)
	for _, s := range xs {
		for _, v := range s {
			if finite(v) {
				lo, hi = math.Min(lo, v), math.Max(hi, v)
				ok = true
			}
		}
	}
	return lo, hi, ok
}

func size(w, h float64) (float64, float64) {
	if w <= 0 {
		w = 480
	}
	if h <= 0 {
		h = 300
	}
	return w, h
}

// Draw draws the chart on cv.
func (c LineChart) Draw(cv Canvas) {
	w, h := size(c.Width, c.Height)
	var items []legendItem
	for i, s := range c.Series {
		if s.Name != "" {
			items = append(items, legendItem{name: s.Name, color: colorAt(s.Color, i), dash: s.Dash})
		}
	}
	for i, b := range c.Bands {
		if b.Name != "" {
			items = append(items, legendItem{name: b.Name, color: colorAt(b.Color, i), box: true})
		}
	}
	top := header(cv, c.Title, w, items)

	var xs, ys [][]float64
	for _, s := range c.Series {
		xs, ys = append(xs, s.X), append(ys, s.Y)
	}
	for _, b := range c.Bands {
		xs, ys = append(xs, b.X), append(ys, b.Lo, b.Hi)
	}
	for _, r := range c.Refs {
		ys = append(ys, []float64{r.Y})
	}
	x0, x1, okx := dataRange(xs...)
	y0, y1, oky := dataRange(ys...)
	empty := !okx || !oky
	if c.X.Min != c.X.Max {
		x0, x1 = c.X.Min, c.X.Max
	} else if empty {
		x0, x1 = 0, 1
	} else if !c.X.Time {
		x0, x1 = niceRange(x0, x1, 6)
	} else if x1 <= x0 {
		x0, x1 = x0-3600, x1+3600
	}
	if c.Y.Min != c.Y.Max {
		y0, y1 = c.Y.Min, c.Y.Max
	} else if empty {
		y0, y1 = 0, 1
	} else {
		y0, y1 = niceRange(y0, y1, 5)
	}
	yt, yl := axisTicks(c.Y, y0, y1, 5)
	lw := 0.0
	for _, l := range yl {
		lw = math.Max(lw, textWidth(l, tickSize))
	}
	f := frame{left: lw + 12, top: top, right: w - 14, bottom: h - 22, x0: x0, x1: x1, y0: y0, y1: y1}
	if c.Y.Label != "" {
		f.left += labelSize + 6
	}
	if c.X.Label != "" {
		f.bottom -= labelSize + 6
	}
	if f.bottom-f.top < 20 {
		f.top = f.bottom - 20
	}
	// Grid, ticks and labels.
	for i, v := range yt {
		y := f.py(v)
		if y < f.top-0.5 || y > f.bottom+0.5 {
			continue
		}
		cv.Line(f.left, y, f.right, y, Stroke{Color: grid, Width: 1})
		cv.Text(f.left-5, y+tickSize*0.35, yl[i], TextStyle{Size: tickSize, Color: muted, Anchor: End})
	}
	xt, xl := axisTicks(c.X, x0, x1, max(3, int((f.right-f.left)/80)))
	for i, v := range xt {
		x := f.px(v)
		if x < f.left-0.5 || x > f.right+0.5 {
			continue
		}
		cv.Line(x, f.bottom, x, f.bottom+4, Stroke{Color: muted, Width: 1})
		cv.Text(x, f.bottom+4+tickSize, xl[i], TextStyle{Size: tickSize, Color: muted, Anchor: Middle})
	}
	cv.Rect(f.left, f.top, f.right-f.left, f.bottom-f.top, "", Stroke{Color: muted, Width: 1})
	if c.X.Label != "" {
		cv.Text((f.left+f.right)/2, h-6, c.X.Label, TextStyle{Size: labelSize, Color: ink, Anchor: Middle})
	}
	if c.Y.Label != "" {
		cv.Text(6+labelSize, (f.top+f.bottom)/2, c.Y.Label, TextStyle{Size: labelSize, Color: ink, Anchor: Middle, Vertical: true})
	}
	if empty {
		cv.Text((f.left+f.right)/2, (f.top+f.bottom)/2, "no data", TextStyle{Size: labelSize, Color: muted, Anchor: Middle})
		return
	}
	if c.Diagonal {
		lo, hi := math.Max(x0, y0), math.Min(x1, y1)
		if hi > lo {
			cv.Line(f.px(lo), f.py(lo), f.px(hi), f.py(hi), Stroke{Color: "#8c959f", Width: 1, Dash: true})
		}
	}
	c.drawBands(cv, f)
	c.drawRefs(cv, f)
	c.drawSeries(cv, f)
}

// drawBands fills each band between its low and high lines, in runs of
// finite points.
func (c LineChart) drawBands(cv Canvas, f frame) {
	for i, b := range c.Bands {
		n := min(len(b.X), len(b.Lo), len(b.Hi))
		var seg []int
		flush := func() {
			if len(seg) > 1 {
				pts := make([]Point, 0, 2*len(seg))
				for _, j := range seg {
					pts = append(pts, Point{f.px(b.X[j]), f.clampY(f.py(b.Hi[j]))})
				}
				for k := len(seg) - 1; k >= 0; k-- {
					j := seg[k]
					pts = append(pts, Point{f.px(b.X[j]), f.clampY(f.py(b.Lo[j]))})
				}
				cv.Polygon(pts, colorAt(b.Color, i), 0.2)
			}
			seg = seg[:0]
		}
		for j := 0; j < n; j++ {
			if finite(b.X[j]) && finite(b.Lo[j]) && finite(b.Hi[j]) {
				seg = append(seg, j)
			} else {
				flush()
			}
		}
		flush()
	}
}

// drawRefs draws the horizontal reference lines inside the y range.
func (c LineChart) drawRefs(cv Canvas, f frame) {
	y0, y1 := f.y0, f.y1
	for _, r := range c.Refs {
		if r.Y < y0 || r.Y > y1 {
			continue
		}
		col := r.Color
		if col == "" {
			col = "#cf222e"
		}
		y := f.py(r.Y)
		cv.Line(f.left, y, f.right, y, Stroke{Color: col, Width: 1.2, Dash: true})
		if r.Label != "" {
			cv.Text(f.right-4, y-4, r.Label, TextStyle{Size: tickSize, Color: col, Anchor: End})
		}
	}
}

// drawSeries draws each series as lines through its finite points.
func (c LineChart) drawSeries(cv Canvas, f frame) {
	for i, s := range c.Series {
		col := colorAt(s.Color, i)
		width := s.Width
		if width <= 0 {
			width = 2
		}
		n := min(len(s.X), len(s.Y))
		var pts []Point
		flush := func() {
			if len(pts) > 1 {
				cv.Polyline(pts, Stroke{Color: col, Width: width, Dash: s.Dash})
			}
			pts = nil
		}
		for j := 0; j < n; j++ {
			if !finite(s.X[j]) || !finite(s.Y[j]) {
				flush()
				continue
			}
			p := Point{f.px(s.X[j]), f.clampY(f.py(s.Y[j]))}
			pts = append(pts, p)
			if s.Markers || n == 1 {
				cv.Rect(p.X-2.5, p.Y-2.5, 5, 5, col, Stroke{})
			}
		}
		flush()
	}
}

// Draw draws the chart on cv.
func (c BarChart) Draw(cv Canvas) {
	w, h := size(c.Width, c.Height)
	var items []legendItem
	if len(c.Series) > 1 {
		for i, s := range c.Series {
			items = append(items, legendItem{name: s.Name, color: colorAt(s.Color, i), box: true})
		}
	}
	top := header(cv, c.Title, w, items)
	var vals [][]float64
	for _, s := range c.Series {
		vals = append(vals, s.Values)
		if len(s.Errors) > 0 {
			hi := make([]float64, len(s.Values))
			lo := make([]float64, len(s.Values))
			for i, v := range s.Values {
				if i < len(s.Errors) {
					hi[i], lo[i] = v+s.Errors[i], v-s.Errors[i]
				}
			}
			vals = append(vals, hi, lo)
		}
	}
	v0, v1, ok := dataRange(vals...)
	if !ok {
		v0, v1 = 0, 1
	}
	v0 = math.Min(v0, 0)
	if c.Value.Min != c.Value.Max {
		v0, v1 = c.Value.Min, c.Value.Max
	} else {
		v0, v1 = niceRange(v0, math.Max(v1, v0+1e-12), 5)
	}
	vt, vl := axisTicks(c.Value, v0, v1, 5)
	n := len(c.Categories)
	labels := make([]string, n)
	maxLabel := 0.0
	for i, s := range c.Categories {
		labels[i] = s
		if len([]rune(s)) > 24 {
			labels[i] = string([]rune(s)[:23]) + "…"
		}
		maxLabel = math.Max(maxLabel, textWidth(labels[i], tickSize))
	}
	ns := max(len(c.Series), 1)
	if c.Horizontal {
		f := frame{left: math.Min(maxLabel+10, w*0.45), top: top, right: w - 14, bottom: h - 22, x0: v0, x1: v1}
		if c.Value.Label != "" {
			f.bottom -= labelSize + 6
		}
		for i, v := range vt {
			x := f.px(v)
			cv.Line(x, f.top, x, f.bottom, Stroke{Color: grid, Width: 1})
			cv.Text(x, f.bottom+4+tickSize, vl[i], TextStyle{Size: tickSize, Color: muted, Anchor: Middle})
		}
		if c.Value.Label != "" {
			cv.Text((f.left+f.right)/2, h-6, c.Value.Label, TextStyle{Size: labelSize, Color: ink, Anchor: Middle})
		}
		if n == 0 {
			cv.Text((f.left+f.right)/2, (f.top+f.bottom)/2, "no data", TextStyle{Size: labelSize, Color: muted, Anchor: Middle})
			return
		}
		band := (f.bottom - f.top) / float64(n)
		bw := band * 0.8 / float64(ns)
		for i := range c.Categories {
			y := f.top + band*float64(i)
			cv.Text(f.left-5, y+band/2+tickSize*0.35, labels[i], TextStyle{Size: tickSize, Color: ink, Anchor: End})
			for k, s := range c.Series {
				if i >= len(s.Values) || !finite(s.Values[i]) {
					continue
				}
				col := colorAt(s.Color, k)
				by := y + band*0.1 + bw*float64(k)
				xa, xb := f.px(math.Max(0, v0)), f.px(s.Values[i])
				cv.Rect(math.Min(xa, xb), by, math.Abs(xb-xa), bw, col, Stroke{})
				if i < len(s.Errors) && finite(s.Errors[i]) && s.Errors[i] > 0 {
					lo, hi := f.px(s.Values[i]-s.Errors[i]), f.px(s.Values[i]+s.Errors[i])
					cy := by + bw/2
					cv.Line(lo, cy, hi, cy, Stroke{Color: ink, Width: 1.2})
					cv.Line(lo, cy-bw/4, lo, cy+bw/4, Stroke{Color: ink, Width: 1.2})
					cv.Line(hi, cy-bw/4, hi, cy+bw/4, Stroke{Color: ink, Width: 1.2})
				}
			}
		}
		cv.Line(f.px(math.Max(0, v0)), f.top, f.px(math.Max(0, v0)), f.bottom, Stroke{Color: muted, Width: 1})
		return
	}
	lw := 0.0
	for _, l := range vl {
		lw = math.Max(lw, textWidth(l, tickSize))
	}
	f := frame{left: lw + 12, top: top, right: w - 10, bottom: h - 22, y0: v0, y1: v1}
	if c.Value.Label != "" {
		f.left += labelSize + 6
	}
	if c.Category != "" {
		f.bottom -= labelSize + 6
	}
	for i, v := range vt {
		y := f.py(v)
		cv.Line(f.left, y, f.right, y, Stroke{Color: grid, Width: 1})
		cv.Text(f.left-5, y+tickSize*0.35, vl[i], TextStyle{Size: tickSize, Color: muted, Anchor: End})
	}
	if c.Value.Label != "" {
		cv.Text(6+labelSize, (f.top+f.bottom)/2, c.Value.Label, TextStyle{Size: labelSize, Color: ink, Anchor: Middle, Vertical: true})
	}
	if c.Category != "" {
		cv.Text((f.left+f.right)/2, h-6, c.Category, TextStyle{Size: labelSize, Color: ink, Anchor: Middle})
	}
	if n == 0 {
		cv.Text((f.left+f.right)/2, (f.top+f.bottom)/2, "no data", TextStyle{Size: labelSize, Color: muted, Anchor: Middle})
		return
	}
	band := (f.right - f.left) / float64(n)
	bw := band * 0.8 / float64(ns)
	// Label every k-th category so that labels do not overlap.
	every := 1
	if maxLabel > 0 {
		every = max(1, int(math.Ceil((maxLabel+6)/band)))
	}
	for i := range c.Categories {
		x := f.left + band*float64(i)
		if i%every == 0 {
			cv.Text(x+band/2, f.bottom+4+tickSize, labels[i], TextStyle{Size: tickSize, Color: muted, Anchor: Middle})
		}
		for k, s := range c.Series {
			if i >= len(s.Values) || !finite(s.Values[i]) {
				continue
			}
			col := colorAt(s.Color, k)
			bx := x + band*0.1 + bw*float64(k)
			ya, yb := f.py(math.Max(0, v0)), f.py(s.Values[i])
			cv.Rect(bx, math.Min(ya, yb), bw, math.Abs(yb-ya), col, Stroke{})
			if i < len(s.Errors) && finite(s.Errors[i]) && s.Errors[i] > 0 {
				lo, hi := f.py(s.Values[i]-s.Errors[i]), f.py(s.Values[i]+s.Errors[i])
				cx := bx + bw/2
				cv.Line(cx, lo, cx, hi, Stroke{Color: ink, Width: 1.2})
			}
		}
	}
	cv.Line(f.left, f.py(math.Max(0, v0)), f.right, f.py(math.Max(0, v0)), Stroke{Color: muted, Width: 1})
}

// Drawer is a chart: LineChart and BarChart.
type Drawer interface {
	Draw(cv Canvas)
	size() (float64, float64)
	title() string
}

func (c LineChart) size() (float64, float64) { return size(c.Width, c.Height) }
func (c LineChart) title() string            { return c.Title }
func (c BarChart) size() (float64, float64)  { return size(c.Width, c.Height) }
func (c BarChart) title() string             { return c.Title }

// Histogram returns the bin edges and counts of values in bins equal bins
// over [lo, hi]; values outside are counted in the first or last bin, and
// non-finite values are skipped.
func Histogram(values []float64, lo, hi float64, bins int) (edges []float64, counts []float64) {
	if bins < 1 {
		bins = 1
	}
	if !(hi > lo) {
		hi = lo + 1
	}
	edges = make([]float64, bins+1)
	for i := range edges {
		edges[i] = lo + (hi-lo)*float64(i)/float64(bins)
	}
	counts = make([]float64, bins)
	for _, v := range values {
		if !finite(v) {
			continue
		}
		i := int((v - lo) / (hi - lo) * float64(bins))
		i = max(0, min(bins-1, i))
		counts[i]++
	}
	return edges, counts
}

// EdgeLabels names histogram bins by their lower edge, with as many
// decimals as the bin width needs.
func EdgeLabels(edges []float64) []string {
	if len(edges) < 2 {
		return nil
	}
	step := math.Inf(1)
	for i := 1; i < len(edges); i++ {
		if d := edges[i] - edges[i-1]; d > 0 && d < step {
			step = d
		}
	}
	if !finite(step) {
		step = 1
	}
	out := make([]string, len(edges)-1)
	for i := range out {
		out[i] = formatTick(edges[i], step, false)
	}
	return out
}
