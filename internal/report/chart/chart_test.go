package chart_test

import (
	"bytes"
	"math"
	"strings"
	"testing"

	"github.com/go-pdf/fpdf"

	"github.com/stewardml/steward/internal/report/chart"
)

func TestSVGEscapesTextAndSkipsNonFiniteValues(t *testing.T) {
	c := chart.LineChart{Title: `<script>alert("x")</script>`, Y: chart.Axis{Label: "a & b"},
		Series: []chart.Series{{Name: "s<1>", X: []float64{0, 1, 2, 3}, Y: []float64{0.1, math.NaN(), math.Inf(1), 0.4}}}}
	svg := chart.SVG(c)
	for _, bad := range []string{"<script", "NaN", "Inf", `a & b`} {
		if strings.Contains(svg, bad) {
			t.Errorf("svg contains %q", bad)
		}
	}
	for _, want := range []string{"&lt;script&gt;", "a &amp; b", "s&lt;1&gt;", `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 480 300"`} {
		if !strings.Contains(svg, want) {
			t.Errorf("svg lacks %q", want)
		}
	}
	// Two finite points separated by non-finite ones: no line between them.
	if strings.Contains(svg, "<polyline") {
		t.Error("a line was drawn across non-finite values")
	}
}

func TestTicksAreNiceNumbers(t *testing.T) {
	c := chart.LineChart{Series: []chart.Series{{X: []float64{0, 10}, Y: []float64{0.013, 0.87}}}}
	svg := chart.SVG(c)
	for _, want := range []string{">0.0<", ">0.2<", ">0.8<", ">1.0<", ">10<"} {
		if !strings.Contains(svg, want) {
			t.Errorf("svg lacks tick %s", want)
		}
	}
}

func TestTimeAxisLabelsDates(t *testing.T) {
	day := 86400.0
	start := 1767225600.0 // 2026-01-01T00:00:00Z
	c := chart.LineChart{X: chart.Axis{Time: true}, Series: []chart.Series{{X: []float64{start, start + 6*day}, Y: []float64{1, 2}}}}
	svg := chart.SVG(c)
	if !strings.Contains(svg, ">Jan 1<") || !strings.Contains(svg, ">Jan 7<") {
		t.Errorf("time axis lacks day labels:\n%.600s", svg)
	}
}

func TestEmptyChartsSayNoData(t *testing.T) {
	for _, c := range []chart.Drawer{chart.LineChart{Title: "empty"}, chart.BarChart{Title: "empty"}} {
		if svg := chart.SVG(c); !strings.Contains(svg, "no data") {
			t.Errorf("%T: empty chart does not say no data", c)
		}
	}
}

func TestPDFCanvasDraws(t *testing.T) {
	doc := fpdf.New("P", "mm", "A4", "")
	doc.AddPage()
	tr := doc.UnicodeTranslatorFromDescriptor("")
	h := chart.Place(doc, tr, chart.BarChart{Title: "bars ±", Categories: []string{"a", "b"},
		Series: []chart.Bars{{Name: "x", Values: []float64{1, 2}, Errors: []float64{0.1, 0.2}}, {Name: "y", Values: []float64{2, math.NaN()}}}}, 10, 10, 100)
	if math.Abs(h-100*300.0/480) > 1e-9 {
		t.Errorf("placed height %v, want %v", h, 100*300.0/480)
	}
	var buf bytes.Buffer
	if err := doc.Output(&buf); err != nil {
		t.Fatal(err)
	}
	if !bytes.HasPrefix(buf.Bytes(), []byte("%PDF-")) {
		t.Error("not a PDF")
	}
}
