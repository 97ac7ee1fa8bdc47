package report

import (
	"bytes"
	"fmt"
	"html/template"
	"io"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/stewardml/steward/internal/drift"
	"github.com/stewardml/steward/internal/ml/eval"
	"github.com/stewardml/steward/internal/report/chart"
	"github.com/stewardml/steward/templates"
)

// Funcs are the template functions of the reports; the dashboard uses them
// too, so that numbers read the same everywhere.
var Funcs = template.FuncMap{
	"f3":  func(v float64) string { return fnum(v, 3) },
	"f4":  func(v float64) string { return fnum(v, 4) },
	"f4v": func(v drift.Float) string { return fnum(float64(v), 4) },
	"pct": func(v float64) string { return fnum(v*100, 1) + "%" },
	"df":  fdrift,
	"ts":  ftime,
	"svg": func(c chart.Drawer) template.HTML {
		if c == nil {
			return ""
		}
		return template.HTML(chart.SVG(c)) // chart.SVG escapes every text it writes
	},
	"join":   strings.Join,
	"sub":    func(a, b float64) float64 { return a - b },
	"signed": func(v float64) string { return signed(v) },
	"cv": func(m map[string]eval.Stat, name string) string {
		st, ok := m[name]
		if !ok {
			return "–"
		}
		return fnum(st.Mean, 4)
	},
}

func fnum(v float64, dec int) string {
	switch {
	case math.IsNaN(v):
		return "–"
	case math.IsInf(v, 1):
		return "∞"
	case math.IsInf(v, -1):
		return "-∞"
	}
	return strconv.FormatFloat(v, 'f', dec, 64)
}

func signed(v float64) string {
	s := fnum(v, 4)
	if v >= 0 && !math.IsNaN(v) {
		s = "+" + s
	}
	return s
}

// fdrift writes a statistic or p-value: four significant digits, and
// scientific notation for the tiny p-values of a large drift.
func fdrift(f *drift.Float) string {
	if f == nil {
		return "–"
	}
	v := float64(*f)
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return fnum(v, 0)
	}
	if v != 0 && math.Abs(v) < 1e-4 {
		return strconv.FormatFloat(v, 'e', 2, 64)
	}
	return strconv.FormatFloat(v, 'g', 4, 64)
}

func ftime(t time.Time) string {
	if t.IsZero() {
		return "–"
	}
	return t.UTC().Format("2006-01-02 15:04:05 UTC")
}

var htmlTmpl = map[Kind]*template.Template{
	KindTraining:   parse("report_training.html.tmpl"),
	KindDrift:      parse("report_drift.html.tmpl"),
	KindDeployment: parse("report_deployment.html.tmpl"),
}

func parse(name string) *template.Template {
	return template.Must(template.New(name).Funcs(Funcs).ParseFS(templates.FS, "report_base.html.tmpl", name))
}

// Options change how a report is rendered.
type Options struct {
	// Now stamps the "generated" line; nil means time.Now.
	Now func() time.Time
}

func (o Options) generated() string {
	now := time.Now
	if o.Now != nil {
		now = o.Now
	}
	return now().UTC().Format("2006-01-02 15:04 UTC")
}

type htmlData struct {
	Title     string
	Generated string
	T         *Training
	D         *Drift
	Dep       *Deployment
	Charts    map[string]chart.Drawer
	Hists     []chart.Drawer
}

// Render writes v (a *Training, *Drift or *Deployment) in format f.
func Render(w io.Writer, v any, f Format, opts Options) error {
	switch f {
	case HTML:
		return renderHTML(w, v, opts)
	case PDF:
		return renderPDF(w, v, opts)
	}
	return fmt.Errorf("%w: format %q", ErrInvalid, f)
}

// Bytes renders v in format f into memory.
func Bytes(v any, f Format, opts Options) ([]byte, error) {
	var b bytes.Buffer
	if err := Render(&b, v, f, opts); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}

func trainingCharts(t *Training) map[string]chart.Drawer {
	names := []string{"hold-out", "out-of-fold"}
	reps := []*eval.Report{t.Holdout, t.OutOfFold}
	charts := map[string]chart.Drawer{
		"roc":         ROCChart("ROC curve", names, reps),
		"pr":          PRChart("Precision-recall curve", names, reps),
		"calibration": CalibrationChart("Calibration", names, reps),
		"importance":  ImportanceChart(t.Importances),
	}
	// One candidate has nothing to be compared with: no one-bar chart.
	if len(t.Candidates) > 1 {
		charts["cv"] = CandidatesChart(t)
	}
	return charts
}

func driftHists(d *Drift, w, h float64) []chart.Drawer {
	var out []chart.Drawer
	for _, f := range d.Report.FeatureResults {
		if f.Histogram != nil {
			out = append(out, DriftHistogram(f, nil, w, h))
		}
	}
	if p := d.Report.Prediction; p != nil && p.Histogram != nil {
		out = append(out, DriftHistogram(*p, nil, w, h))
	}
	return out
}

func deploymentCharts(d *Deployment) map[string]chart.Drawer {
	names := []string{fmt.Sprintf("version %d", d.To)}
	reps := []*eval.Report{d.New.Holdout}
	if d.Old != nil {
		names = append(names, fmt.Sprintf("version %d", d.From))
		reps = append(reps, d.Old.Holdout)
	}
	return map[string]chart.Drawer{
		"roc":        ROCChart("ROC curve on each version's hold-out", names, reps),
		"pr":         PRChart("Precision-recall on each version's hold-out", names, reps),
		"comparison": ComparisonChart(d),
	}
}

func renderHTML(w io.Writer, v any, opts Options) error {
	data := htmlData{Generated: opts.generated()}
	var kind Kind
	switch r := v.(type) {
	case *Training:
		kind, data.T, data.Title = KindTraining, r, fmt.Sprintf("Training report: %s run %s", r.Model, r.RunID)
		data.Charts = trainingCharts(r)
	case *Drift:
		if r.Report == nil {
			return fmt.Errorf("%w: drift check %s has no report", ErrInvalid, r.ID)
		}
		kind, data.D, data.Title = KindDrift, r, fmt.Sprintf("Drift report: %s check %s", r.Model, r.ID)
		data.Hists = driftHists(r, 300, 210)
	case *Deployment:
		if r.New == nil {
			return fmt.Errorf("%w: deployment %s:%d has no version", ErrInvalid, r.Model, r.Seq)
		}
		kind, data.Dep, data.Title = KindDeployment, r, fmt.Sprintf("Deployment report: %s champion move %d", r.Model, r.Seq)
		data.Charts = deploymentCharts(r)
	default:
		return fmt.Errorf("%w: cannot render %T", ErrInvalid, v)
	}
	if err := htmlTmpl[kind].Execute(w, data); err != nil {
		return fmt.Errorf("report: render %s html: %w", kind, err)
	}
	return nil
}
