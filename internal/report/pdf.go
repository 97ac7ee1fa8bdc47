package report

import (
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/go-pdf/fpdf"

	"github.com/stewardml/steward/internal/ml/eval"
	"github.com/stewardml/steward/internal/report/chart"
)

// A4 portrait, in millimetres.
const (
	pageW    = 210.0
	pageH    = 297.0
	margin   = 15.0
	contentW = pageW - 2*margin
)

// doc is a PDF being written: a cursor and a few block helpers over fpdf.
type doc struct {
	pdf *fpdf.Fpdf
	tr  func(string) string
}

func newDoc(title string, opts Options) *doc {
	p := fpdf.New("P", "mm", "A4", "")
	p.SetMargins(margin, margin, margin)
	p.SetAutoPageBreak(true, margin+5)
	p.SetTitle(title, true)
	p.SetCreator("Steward", true)
	when := time.Now()
	if opts.Now != nil {
		when = opts.Now()
	}
	p.SetCreationDate(when.UTC())
	p.SetModificationDate(when.UTC())
	p.AliasNbPages("{nb}")
	d := &doc{pdf: p, tr: p.UnicodeTranslatorFromDescriptor("")}
	gen := opts.generated()
	p.SetFooterFunc(func() {
		p.SetY(-12)
		p.SetFont("Helvetica", "", 8)
		p.SetTextColor(87, 96, 106)
		p.CellFormat(contentW/2, 5, d.tr("Steward · "+title), "", 0, "L", false, 0, "")
		p.CellFormat(contentW/2, 5, d.tr(fmt.Sprintf("generated %s · page %d of {nb}", gen, p.PageNo())), "", 0, "R", false, 0, "")
	})
	p.AddPage()
	return d
}

// pdfSafe replaces the characters the core fonts' code page lacks.
var pdfSafe = strings.NewReplacer("→", "->", "★", "*", "“", "\"", "”", "\"", "∞", "inf", "≥", ">=", "≤", "<=")

func (d *doc) text(s string) string { return d.tr(pdfSafe.Replace(s)) }

// split breaks translated text into the lines MultiCell will draw at the
// current font: at newlines, then at spaces, then inside words too long
// for a line.
func (d *doc) split(s string, width float64) []string {
	var out []string
	for _, para := range strings.Split(s, "\n") {
		line := ""
		for _, word := range strings.Fields(para) {
			try := word
			if line != "" {
				try = line + " " + word
			}
			if d.pdf.GetStringWidth(try) <= width {
				line = try
				continue
			}
			if line != "" {
				out = append(out, line)
			}
			for len(word) > 1 && d.pdf.GetStringWidth(word) > width {
				n := len(word) - 1
				for n > 1 && d.pdf.GetStringWidth(word[:n]) > width {
					n--
				}
				out = append(out, word[:n])
				word = word[n:]
			}
			line = word
		}
		out = append(out, line)
	}
	return out
}

func (d *doc) ensure(h float64) {
	if d.pdf.GetY()+h > pageH-margin-5 {
		d.pdf.AddPage()
	}
}

func (d *doc) h1(s, sub string) {
	d.pdf.SetFont("Helvetica", "B", 18)
	d.pdf.SetTextColor(27, 31, 36)
	d.pdf.MultiCell(contentW, 8, d.text(s), "", "L", false)
	if sub != "" {
		d.pdf.SetFont("Helvetica", "", 10)
		d.pdf.SetTextColor(87, 96, 106)
		d.pdf.MultiCell(contentW, 5, d.text(sub), "", "L", false)
	}
	d.pdf.Ln(3)
}

func (d *doc) h2(s string) {
	d.ensure(20)
	d.pdf.Ln(3)
	d.pdf.SetFont("Helvetica", "B", 13)
	d.pdf.SetTextColor(27, 31, 36)
	d.pdf.CellFormat(contentW, 7, d.text(s), "B", 1, "L", false, 0, "")
	d.pdf.Ln(2)
}

func (d *doc) para(s string) {
	d.pdf.SetFont("Helvetica", "", 9.5)
	d.pdf.SetTextColor(27, 31, 36)
	d.pdf.MultiCell(contentW, 4.8, d.text(s), "", "L", false)
	d.pdf.Ln(1)
}

// kv writes label/value rows; values wrap.
func (d *doc) kv(rows [][2]string) {
	const lw = 45.0
	for _, r := range rows {
		d.pdf.SetFont("Helvetica", "", 9.5)
		lines := d.split(d.text(r[1]), contentW-lw-2)
		h := 5.0 * float64(max(1, len(lines)))
		d.ensure(h)
		y := d.pdf.GetY()
		d.pdf.SetFont("Helvetica", "B", 9.5)
		d.pdf.SetTextColor(27, 31, 36)
		d.pdf.CellFormat(lw, 5, d.text(r[0]), "", 0, "L", false, 0, "")
		d.pdf.SetFont("Helvetica", "", 9.5)
		d.pdf.SetXY(margin+lw, y)
		d.pdf.MultiCell(contentW-lw, 5, d.text(r[1]), "", "L", false)
		d.pdf.SetY(y + h)
	}
	d.pdf.Ln(1)
}

// table writes a table; widths are shares of the content width, and
// columns whose header starts with '#' are right-aligned numbers.
func (d *doc) table(headers []string, widths []float64, rows [][]string) {
	d.colouredTable(headers, widths, rows, nil)
}

// colouredTable is table with the text colour of each cell from colour
// (row, column) as "#rrggbb"; "" or a nil colour is the ink colour.
func (d *doc) colouredTable(headers []string, widths []float64, rows [][]string, colour func(i, j int) string) {
	total := 0.0
	for _, w := range widths {
		total += w
	}
	ws := make([]float64, len(widths))
	for i, w := range widths {
		ws[i] = w / total * contentW
	}
	align := make([]string, len(headers))
	head := func() {
		d.pdf.SetFont("Helvetica", "B", 8)
		d.pdf.SetFillColor(246, 248, 250)
		d.pdf.SetDrawColor(208, 215, 222)
		d.pdf.SetTextColor(27, 31, 36)
		for i, h := range headers {
			align[i] = "L"
			if strings.HasPrefix(h, "#") {
				h, align[i] = h[1:], "R"
			}
			d.pdf.CellFormat(ws[i], 5.5, d.text(h), "1", 0, align[i], true, 0, "")
		}
		d.pdf.Ln(-1)
	}
	d.ensure(12)
	head()
	d.pdf.SetFont("Helvetica", "", 8)
	for ri, r := range rows {
		// Row height: the tallest wrapped cell.
		n := 1
		for i, c := range r {
			if i < len(ws) {
				n = max(n, len(d.split(d.text(c), ws[i]-2)))
			}
		}
		h := 4.5 * float64(n)
		if d.pdf.GetY()+h > pageH-margin-5 {
			d.pdf.AddPage()
			head()
			d.pdf.SetFont("Helvetica", "", 8)
		}
		x, y := d.pdf.GetX(), d.pdf.GetY()
		for i := range ws {
			c := ""
			if i < len(r) {
				c = r[i]
			}
			d.pdf.Rect(x, y, ws[i], h, "D")
			d.pdf.SetXY(x, y)
			d.pdf.SetTextColor(27, 31, 36)
			if colour != nil {
				if hex := colour(ri, i); hex != "" {
					d.pdf.SetTextColor(hexRGB(hex))
				}
			}
			d.pdf.MultiCell(ws[i], 4.5, d.text(c), "", align[i], false)
			x += ws[i]
		}
		d.pdf.SetXY(margin, y+h)
	}
	d.pdf.Ln(2)
}

// charts places charts in rows of perRow, breaking pages before a row
// that does not fit.
func (d *doc) charts(perRow int, cs ...chart.Drawer) {
	gap := 4.0
	w := (contentW - gap*float64(perRow-1)) / float64(perRow)
	for i := 0; i < len(cs); i += perRow {
		row := cs[i:min(i+perRow, len(cs))]
		h := 0.0
		for _, c := range row {
			cw, ch := chartSize(c)
			h = max(h, ch*w/cw)
		}
		d.ensure(h + 2)
		y := d.pdf.GetY()
		for j, c := range row {
			chart.Place(d.pdf, d.text, c, margin+float64(j)*(w+gap), y, w)
		}
		d.pdf.SetY(y + h + 3)
	}
}

// hexRGB reads "#rrggbb".
func hexRGB(hex string) (int, int, int) {
	v, err := strconv.ParseUint(strings.TrimPrefix(hex, "#"), 16, 32)
	if err != nil || len(hex) != 7 {
		return 27, 31, 36
	}
	return int(v >> 16 & 0xff), int(v >> 8 & 0xff), int(v & 0xff)
}

// The colours of better and worse values, as the HTML reports have them.
const (
	okColour  = "#1a7f37"
	badColour = "#cf222e"
)

// sized is c drawn at a logical size for the PDF: the smaller the
// logical width for the same place on the page, the larger the text.
// h <= 0 keeps the chart's height in proportion.
func sized(c chart.Drawer, w, h float64) chart.Drawer {
	switch v := c.(type) {
	case chart.LineChart:
		if h <= 0 {
			h = or(v.Height, 300) * w / or(v.Width, 480)
		}
		v.Width, v.Height = w, h
		return v
	case chart.BarChart:
		if h <= 0 {
			h = or(v.Height, 300) * w / or(v.Width, 480)
		}
		v.Width, v.Height = w, h
		return v
	}
	return c
}

func chartSize(c chart.Drawer) (float64, float64) {
	switch v := c.(type) {
	case chart.LineChart:
		return or(v.Width, 480), or(v.Height, 300)
	case chart.BarChart:
		return or(v.Width, 480), or(v.Height, 300)
	}
	return 480, 300
}

func or(v, d float64) float64 {
	if v <= 0 {
		return d
	}
	return v
}

func (d *doc) write(w io.Writer) error {
	if err := d.pdf.Output(w); err != nil {
		return fmt.Errorf("report: write pdf: %w", err)
	}
	return nil
}

func metricsRow(name string, m eval.Metrics) []string {
	return []string{name, strconv.Itoa(m.N), strconv.Itoa(m.Positives), fnum(m.Accuracy, 4), fnum(m.Precision, 4), fnum(m.Recall, 4),
		fnum(m.F1, 4), fnum(m.ROCAUC, 4), fnum(m.PRAUC, 4), fnum(m.LogLoss, 4), fnum(m.Brier, 4)}
}

func renderPDF(w io.Writer, v any, opts Options) error {
	switch r := v.(type) {
	case *Training:
		return trainingPDF(w, r, opts)
	case *Drift:
		if r.Report == nil {
			return fmt.Errorf("%w: drift check %s has no report", ErrInvalid, r.ID)
		}
		return driftPDF(w, r, opts)
	case *Deployment:
		if r.New == nil {
			return fmt.Errorf("%w: deployment %s:%d has no version", ErrInvalid, r.Model, r.Seq)
		}
		return deploymentPDF(w, r, opts)
	}
	return fmt.Errorf("%w: cannot render %T", ErrInvalid, v)
}

func trainingPDF(w io.Writer, t *Training, opts Options) error {
	d := newDoc("Training report: "+t.Model, opts)
	d.h1("Training report: "+t.Model, fmt.Sprintf("Run %s · %s · %s", t.RunID, ftime(t.StartedAt), t.Status))
	d.h2("Summary")
	winner := fmt.Sprintf("%s (%s)", t.Winner, t.Family)
	if t.Version > 0 {
		winner += fmt.Sprintf(", registered as version %d", t.Version)
		if t.Alias != "" {
			winner += " (" + t.Alias + ")"
		}
	}
	d.kv([][2]string{
		{"Winner", winner},
		{"Selected by", fmt.Sprintf("%s, %d-fold cross-validation × %d repeats, threshold %g", t.Metric, t.Folds, t.Repeats, t.Threshold)},
		{"Candidates", strconv.Itoa(len(t.Candidates))},
		{"Duration", fmt.Sprintf("%.1f s, by %s, build %s", t.Seconds, t.Actor, t.CodeVersion)},
		{"Bundle", t.BundleDigest},
	})
	d.h2("Data")
	val := "no validation result stored for this dataset"
	if v := t.Validation; v != nil {
		verdict := "passed"
		if !v.Success {
			verdict = "FAILED"
		}
		val = fmt.Sprintf("%s: suite %s, %d of %d expectations met", verdict, v.Suite, v.Successful, v.Evaluated)
		for _, f := range v.Failed {
			val += "; failed: " + f
		}
	}
	d.kv([][2]string{
		{"Dataset digest", t.Dataset.Digest},
		{"Rows", fmt.Sprintf("%d (%d positive); %d for the search, %d held out", t.Dataset.Rows, t.Dataset.Positives, t.Dataset.TrainRows, t.Dataset.HoldoutRows)},
		{"Validation", val},
	})
	d.h2("Candidates")
	var rows [][]string
	for _, c := range t.Candidates {
		mark := ""
		if c.Selected {
			mark = "*"
		}
		if c.Error != "" {
			rows = append(rows, []string{mark, c.ID, c.Family, c.Params, "failed: " + c.Error})
			continue
		}
		stat := func(n string) string {
			if s, ok := c.CV[n]; ok {
				return fnum(s.Mean, 4)
			}
			return "-"
		}
		rows = append(rows, []string{mark, c.ID, c.Family, c.Params, fnum(c.Mean, 4) + " ± " + fnum(c.Std, 4),
			stat("roc_auc"), stat("f1"), stat("accuracy"), fmt.Sprintf("%.2f s", c.Seconds)})
	}
	d.table([]string{"", "candidate", "family", "parameters", "#" + t.Metric + " (cv)", "#roc_auc", "#f1", "#accuracy", "#fit time"},
		[]float64{2, 9, 7, 36, 15, 8, 8, 8, 7}, rows)
	charts := trainingCharts(t)
	if cv, ok := charts["cv"]; ok {
		// Full width at 640 logical units: text about 8 pt.
		d.charts(1, sized(cv, 640, 45+13*float64(len(t.Candidates))))
	}
	d.h2("Evaluation")
	if t.Holdout == nil && t.OutOfFold == nil {
		d.para("This run stored no evaluation.")
		return d.write(w)
	}
	rows = nil
	if t.Holdout != nil {
		rows = append(rows, metricsRow("hold-out (final model)", t.Holdout.Metrics))
	}
	if t.OutOfFold != nil {
		rows = append(rows, metricsRow("out-of-fold (winner)", t.OutOfFold.Metrics))
	}
	d.table([]string{"rows", "#n", "#positives", "#accuracy", "#precision", "#recall", "#f1", "#roc_auc", "#pr_auc", "#log_loss", "#brier"},
		[]float64{20, 6, 9, 9, 9, 8, 8, 8, 8, 8, 8}, rows)
	if h := t.Holdout; h != nil {
		m := h.Metrics
		d.para(fmt.Sprintf("Confusion matrix (hold-out, threshold %g):", m.Threshold))
		d.table([]string{"", "#predicted positive", "#predicted negative"}, []float64{2, 2, 2}, [][]string{
			{"actual positive", strconv.Itoa(m.Confusion.TP), strconv.Itoa(m.Confusion.FN)},
			{"actual negative", strconv.Itoa(m.Confusion.FP), strconv.Itoa(m.Confusion.TN)},
		})
	}
	// Two to a row at 300 logical units: text about 8 pt.
	d.charts(2, sized(charts["roc"], 300, 230), sized(charts["pr"], 300, 230), sized(charts["calibration"], 300, 230),
		sized(charts["importance"], 300, 60+12*float64(len(t.Importances))))
	return d.write(w)
}

func driftPDF(w io.Writer, dr *Drift, opts Options) error {
	r := dr.Report
	d := newDoc("Drift report: "+dr.Model, opts)
	sub := fmt.Sprintf("Check %s · %s", dr.ID, ftime(dr.CheckedAt))
	if dr.Version > 0 {
		sub += fmt.Sprintf(" · model version %d", dr.Version)
	}
	d.h1("Drift report: "+dr.Model, sub)
	d.h2("Verdict")
	verdict := string(r.Verdict)
	if r.Reason != "" {
		verdict += " - " + r.Reason
	}
	score := fmt.Sprintf("%s: %d of %d tested features drifted (dataset drift at a share of %s or more)", fnum(r.DriftScore, 3), r.Drifted, r.Tested, fnum(r.DriftShare, 3))
	if len(r.DriftedFeatures) > 0 {
		score += ": " + strings.Join(r.DriftedFeatures, ", ")
	}
	d.kv([][2]string{
		{"Verdict", verdict},
		{"Drift score", score},
		{"Features", fmt.Sprintf("%d in the profile, %d tested, %d with too little data", r.Features, r.Tested, r.Insufficient)},
		{"Rows", fmt.Sprintf("%d current against %d reference", r.CurrentRows, r.ReferenceRows)},
		{"Correction", string(r.Correction)},
	})
	d.h2("Per feature")
	var rows [][]string
	feats := r.FeatureResults
	if r.Prediction != nil {
		feats = append(feats[:len(feats):len(feats)], *r.Prediction)
	}
	for _, f := range feats {
		eff := "-"
		if f.Effect != nil {
			eff = string(f.Effect.Measure) + " " + fnum(float64(f.Effect.Value), 4)
		}
		v := string(f.Verdict)
		if f.Reason != "" {
			v += " (" + f.Reason + ")"
		}
		rows = append(rows, []string{f.Name, string(f.Kind), f.TestDisplay, fdrift(f.Statistic), fdrift(f.PValue), fdrift(f.AdjustedPValue),
			f.Operator + " " + strconv.FormatFloat(f.Threshold, 'g', -1, 64), eff, v})
	}
	d.table([]string{"feature", "kind", "test", "#statistic", "#p-value", "#adjusted p", "#threshold", "effect size", "verdict"},
		[]float64{11, 9, 16, 9, 9, 9, 8, 14, 15}, rows)
	if p := r.Performance; p != nil {
		d.h2("Realised performance")
		line := fmt.Sprintf("%s on %d labelled rows (%d positive), %s bootstrap intervals over %d resamples", p.Verdict, p.Rows, p.Positives, fnum(p.Confidence*100, 0)+"%", p.Bootstrap)
		if p.Reason != "" {
			line += " - " + p.Reason
		}
		d.para(line)
		rows = nil
		for _, m := range p.Metrics {
			tr := "-"
			if m.Training != nil {
				tr = fnum(*m.Training, 4)
			}
			deg := "no"
			if m.Degraded {
				deg = "yes"
			}
			rows = append(rows, []string{m.Name, fnum(m.Value, 4), fnum(m.Lower, 4) + " - " + fnum(m.Upper, 4), tr, deg})
		}
		d.table([]string{"metric", "#value", "#interval", "#training", "degraded"}, []float64{3, 2, 3, 2, 2}, rows)
	}
	d.h2("Reference against current")
	d.charts(3, driftHists(dr, 300, 210)...)
	return d.write(w)
}

func deploymentPDF(w io.Writer, dep *Deployment, opts Options) error {
	d := newDoc("Deployment report: "+dep.Model, opts)
	d.h1("Deployment report: "+dep.Model, fmt.Sprintf("Champion move %d · %s", dep.Seq, ftime(dep.At)))
	d.h2("What happened")
	change := fmt.Sprintf("%s: champion to version %d", dep.Kind, dep.To)
	if dep.From > 0 {
		change = fmt.Sprintf("%s: champion from version %d to version %d", dep.Kind, dep.From, dep.To)
	}
	rows := [][2]string{{"Change", change}, {"By", dep.Actor}, {"Why", dep.Reason}}
	if a := dep.Approval; a != nil {
		s := string(a.Status)
		if dec := a.Decision; dec != nil {
			verb := "rejected"
			if dec.Approved {
				verb = "approved"
			}
			s = fmt.Sprintf("%s by %s at %s", verb, dec.By, ftime(dec.At))
			if dec.Comment != "" {
				s += ": \"" + dec.Comment + "\""
			}
		}
		s += fmt.Sprintf("; requested %s by %s (%s); approvers %s", ftime(a.CreatedAt), a.RequestedBy, a.Trigger, strings.Join(a.Approvers, ", "))
		rows = append(rows, [2]string{"Approval", s})
	}
	if dep.CorrelationID != "" {
		rows = append(rows, [2]string{"Correlation id", dep.CorrelationID})
	}
	if dep.Execution != "" {
		rows = append(rows, [2]string{"Execution", dep.Execution})
	}
	if len(dep.Evidence) > 0 {
		rows = append(rows, [2]string{"Evidence", strings.Join(dep.Evidence, "\n")})
	}
	d.kv(rows)
	d.h2("Champion and candidate")
	vrow := func(v *VersionSummary) []string {
		return []string{fmt.Sprintf("version %d", v.Number), v.Family, ftime(v.CreatedAt) + " by " + v.CreatedBy, v.SourceRun, v.Dataset}
	}
	vrows := [][]string{vrow(dep.New)}
	if dep.Old != nil {
		vrows = append(vrows, vrow(dep.Old))
	}
	d.table([]string{"version", "family", "registered", "training run", "dataset"}, []float64{10, 8, 20, 20, 30}, vrows)
	var mrows [][]string
	cmp := dep.Comparison()
	for _, m := range cmp {
		row := []string{m.Name, "-", "-", ""}
		if m.HasNew {
			row[1] = fnum(m.New, 4)
		}
		if m.HasOld {
			row[2] = fnum(m.Old, 4)
		}
		if m.HasNew && m.HasOld {
			row[3] = signed(m.New - m.Old)
		}
		mrows = append(mrows, row)
	}
	d.colouredTable([]string{"metric", fmt.Sprintf("#version %d", dep.To), fmt.Sprintf("#version %d", dep.From), "#change"}, []float64{3, 2, 2, 2}, mrows,
		func(i, j int) string {
			m := cmp[i]
			switch {
			case j != 3 || !m.HasNew || !m.HasOld || m.New == m.Old:
				return ""
			case m.Better:
				return okColour
			}
			return badColour
		})
	charts := deploymentCharts(dep)
	d.charts(2, charts["roc"], charts["pr"])
	d.charts(1, charts["comparison"])
	if len(dep.Chain) > 0 {
		d.h2("Audit trail")
		var crows [][]string
		for _, e := range dep.Chain {
			crows = append(crows, []string{ftime(e.Time), e.Actor, e.Action, e.Reason})
		}
		d.table([]string{"time", "actor", "action", "reason"}, []float64{16, 14, 14, 40}, crows)
	}
	return d.write(w)
}
