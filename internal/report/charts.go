package report

import (
	"fmt"
	"math"
	"sort"

	"github.com/stewardml/steward/internal/bundle"
	"github.com/stewardml/steward/internal/dataset"
	"github.com/stewardml/steward/internal/drift"
	"github.com/stewardml/steward/internal/ml/eval"
	"github.com/stewardml/steward/internal/report/chart"
)

// The charts of the reports, built once and drawn in HTML (SVG) and PDF.

// ROCChart plots ROC curves of named evaluation reports (nil ones skipped).
func ROCChart(title string, names []string, reps []*eval.Report) chart.LineChart {
	c := chart.LineChart{Title: title, Width: 420, Height: 340, Diagonal: true,
		X: chart.Axis{Label: "false positive rate", Min: 0, Max: 1}, Y: chart.Axis{Label: "true positive rate", Min: 0, Max: 1}}
	for i, r := range reps {
		if r == nil {
			continue
		}
		s := chart.Series{Name: fmt.Sprintf("%s (AUC %.3f)", names[i], r.Metrics.ROCAUC), Color: chart.Palette[i%len(chart.Palette)]}
		for _, p := range r.ROC {
			s.X, s.Y = append(s.X, p.FPR), append(s.Y, p.TPR)
		}
		c.Series = append(c.Series, s)
	}
	return c
}

// PRChart plots precision-recall curves.
func PRChart(title string, names []string, reps []*eval.Report) chart.LineChart {
	c := chart.LineChart{Title: title, Width: 420, Height: 340,
		X: chart.Axis{Label: "recall", Min: 0, Max: 1}, Y: chart.Axis{Label: "precision", Min: 0, Max: 1}}
	for i, r := range reps {
		if r == nil {
			continue
		}
		s := chart.Series{Name: fmt.Sprintf("%s (AP %.3f)", names[i], r.Metrics.PRAUC), Color: chart.Palette[i%len(chart.Palette)]}
		for _, p := range r.PR {
			s.X, s.Y = append(s.X, p.Recall), append(s.Y, p.Precision)
		}
		c.Series = append(c.Series, s)
	}
	return c
}

// CalibrationChart plots the mean predicted probability against the
// observed frequency of positives, per non-empty bin.
func CalibrationChart(title string, names []string, reps []*eval.Report) chart.LineChart {
	c := chart.LineChart{Title: title, Width: 420, Height: 340, Diagonal: true,
		X: chart.Axis{Label: "mean predicted probability", Min: 0, Max: 1}, Y: chart.Axis{Label: "fraction of positives", Min: 0, Max: 1}}
	for i, r := range reps {
		if r == nil {
			continue
		}
		s := chart.Series{Name: names[i], Color: chart.Palette[i%len(chart.Palette)], Markers: true}
		for _, b := range r.Calibration {
			if b.Count > 0 {
				s.X, s.Y = append(s.X, b.MeanPredicted), append(s.Y, b.FracPositive)
			}
		}
		c.Series = append(c.Series, s)
	}
	return c
}

// CandidatesChart draws each candidate's CV mean with ± one std.
func CandidatesChart(t *Training) chart.BarChart {
	c := chart.BarChart{Title: "Cross-validated " + t.Metric + " per candidate (mean ± std)", Width: 860, Horizontal: true,
		Value: chart.Axis{Label: t.Metric}}
	mean, std := chart.Bars{Name: t.Metric, Color: chart.Palette[0]}, []float64{}
	for _, cd := range t.Candidates {
		c.Categories = append(c.Categories, cd.ID)
		if cd.Error != "" {
			mean.Values, std = append(mean.Values, math.NaN()), append(std, math.NaN())
			continue
		}
		mean.Values, std = append(mean.Values, cd.Mean), append(std, cd.Std)
	}
	mean.Errors = std
	c.Series = []chart.Bars{mean}
	c.Height = math.Max(160, 70+22*float64(len(c.Categories)))
	return c
}

// ImportanceChart draws feature importances, largest first.
func ImportanceChart(imps []bundle.Importance) chart.BarChart {
	sorted := append(imps[:0:0], imps...)
	sort.SliceStable(sorted, func(i, j int) bool { return sorted[i].Importance > sorted[j].Importance })
	c := chart.BarChart{Title: "Feature importance", Width: 420, Horizontal: true, Value: chart.Axis{Label: "share of importance", Percent: true}}
	b := chart.Bars{Name: "importance", Color: chart.Palette[2]}
	for _, im := range sorted {
		c.Categories = append(c.Categories, im.Feature)
		b.Values = append(b.Values, im.Importance)
	}
	c.Series = []chart.Bars{b}
	c.Height = math.Max(160, 70+20*float64(len(c.Categories)))
	return c
}

// DriftHistogram draws a feature's reference and current distributions as
// shares of their rows, so windows of different sizes compare. col, when
// known, is the feature's schema column: categories read as its level
// labels and the title carries its unit.
func DriftHistogram(f drift.FeatureResult, col *dataset.Column, width, height float64) chart.BarChart {
	title := f.Name
	if col != nil && col.Unit != "" {
		title += " (" + col.Unit + ")"
	}
	c := chart.BarChart{Title: title, Width: width, Height: height, Value: chart.Axis{Label: "share of rows", Percent: true}}
	h := f.Histogram
	if h == nil {
		return c
	}
	ref := chart.Bars{Name: "reference", Color: chart.Palette[5]}
	cur := chart.Bars{Name: "current", Color: chart.Palette[3]}
	share := func(counts []int, extra int) []float64 {
		total := extra
		for _, n := range counts {
			total += n
		}
		out := make([]float64, len(counts))
		for i, n := range counts {
			if total > 0 {
				out[i] = float64(n) / float64(total)
			}
		}
		return out
	}
	switch {
	case len(h.Edges) > 1:
		c.Categories = chart.EdgeLabels(h.Edges)
	default:
		for _, v := range h.Values {
			c.Categories = append(c.Categories, levelLabel(col, v))
		}
	}
	ref.Values = share(h.Reference, 0)
	cur.Values = share(h.Current, h.CurrentBelow+h.CurrentAbove)
	c.Series = []chart.Bars{ref, cur}
	return c
}

// levelLabel is the schema's label of code v, else the code.
func levelLabel(col *dataset.Column, v float64) string {
	if col != nil {
		for _, l := range col.Levels {
			if l.Value == v && l.Label != "" {
				return l.Label
			}
		}
	}
	return fmt.Sprintf("%g", v)
}

// ComparisonChart draws the metrics both versions have side by side.
func ComparisonChart(d *Deployment) chart.BarChart {
	c := chart.BarChart{Title: "Champion metrics: new against previous", Width: 860, Height: 300, Value: chart.Axis{Min: 0, Max: 1}}
	newB := chart.Bars{Name: fmt.Sprintf("version %d (new)", d.To), Color: chart.Palette[2]}
	oldB := chart.Bars{Name: fmt.Sprintf("version %d (previous)", d.From), Color: "#8c959f"}
	for _, r := range d.Comparison() {
		if !r.HasNew || lowerIsBetter(r.Name) || r.New < 0 || r.New > 1 {
			continue
		}
		c.Categories = append(c.Categories, r.Name)
		newB.Values = append(newB.Values, r.New)
		if r.HasOld {
			oldB.Values = append(oldB.Values, r.Old)
		} else {
			oldB.Values = append(oldB.Values, math.NaN())
		}
	}
	c.Series = []chart.Bars{newB}
	if d.Old != nil {
		c.Series = append(c.Series, oldB)
	}
	c.Horizontal = true
	c.Height = math.Max(180, 80+26*float64(len(c.Categories))*float64(len(c.Series)))
	return c
}
