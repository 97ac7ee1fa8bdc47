package cli

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/spf13/cobra"
	"github.com/stewardml/steward/internal/bundle"
	"github.com/stewardml/steward/internal/dataset"
	"github.com/stewardml/steward/internal/ml"
	"github.com/stewardml/steward/internal/ml/eval"
	"github.com/stewardml/steward/internal/registry"
)

func newPredictCmd(e *Env) *cobra.Command {
	c := &cobra.Command{Use: "predict --model MODEL --data FILE", Short: "score a CSV file with a registered model", GroupID: "model", Args: noArgs,
		Example: "  steward predict --model heart --data testdata/heart/processed.cleveland.data --out out/scores.csv\n  steward predict --model heart:2 --data new.csv --format jsonl --skip-invalid"}
	fs := c.Flags()
	model := fs.String("model", "", "model to score with: NAME (its champion), NAME@ALIAS or NAME:VERSION")
	data := fs.String("data", "", "CSV file to score: a header naming the features (the target column may be present), or the training file's layout")
	format := fs.String("format", "csv", "output format: csv or jsonl")
	out := fs.String("out", "", "output file (default: standard output)")
	skip := fs.Bool("skip-invalid", false, "score the rows that fit the model's schema and list the others on standard error, instead of refusing the file")
	c.RunE = func(cmd *cobra.Command, _ []string) error {
		ctx := cmd.Context()
		if *model == "" || *data == "" {
			return Usagef("--model and --data are required (steward predict --model heart[@alias|:version] --data FILE)")
		}
		if *format != "csv" && *format != "jsonl" {
			return Usagef("--format %q, want csv or jsonl", *format)
		}
		ref, err := registry.ParseRef(*model)
		if err != nil {
			return Usagef("--model: %v", err)
		}
		raw, err := os.ReadFile(*data)
		if err != nil {
			return Usagef("--data: %v", err)
		}
		a, err := e.App(ctx)
		if err != nil {
			return err
		}
		defer a.Close()
		v, p, err := openVersion(ctx, a, ref)
		if err != nil {
			return err
		}
		res, err := scoreFile(p, raw, *skip)
		if err != nil {
			return Usagef("%s: %v", *data, err)
		}
		if len(res.Rejected) > 0 {
			fmt.Fprintf(e.Stderr, "skipped rows outside the schema of %s:%d: %d of %d\n%s",
				ref.Model, v.Number, len(res.Rejected), len(res.Rejected)+len(res.Rows), "  "+listProblems(res.Rejected, "\n  ")+"\n")
		}

		w := e.Stdout
		if *out != "" {
			if err := os.MkdirAll(filepath.Dir(*out), 0o755); err != nil {
				return usagef("--out: %v", err)
			}
			f, err := os.Create(*out)
			if err != nil {
				return Usagef("--out: %v", err)
			}
			defer f.Close()
			w = f
		}
		bw := bufio.NewWriter(w)
		if err := res.Write(bw, *format); err != nil {
			return err
		}
		if err := bw.Flush(); err != nil {
			return fmt.Errorf("write predictions: %w", err)
		}
		if *out != "" {
			if err := w.(*os.File).Close(); err != nil {
				return fmt.Errorf("write predictions: %w", err)
			}
		}
		fmt.Fprintf(e.Stderr, "scored %d rows with %s:%d (%s)\n", len(res.Prob), ref.Model, v.Number, p.Family())
		if res.Metrics != nil {
			m := res.Metrics
			fmt.Fprintf(e.Stderr, "the file carries the target %q; on its %d rows: accuracy %.4f  precision %.4f  recall %.4f  f1 %.4f  roc_auc %.4f  pr_auc %.4f  log_loss %.4f  brier %.4f  (threshold %g: tp %d fp %d tn %d fn %d)\n",
				p.Manifest().Schema.Target.String(), m.N, m.Accuracy, m.Precision, m.Recall, m.F1, m.ROCAUC, m.PRAUC, m.LogLoss, m.Brier,
				m.Threshold, m.Confusion.TP, m.Confusion.FP, m.Confusion.TN, m.Confusion.FN)
		} else if res.MetricsNote != "" {
			fmt.Fprintln(e.Stderr, res.MetricsNote)
		}
		return nil
	}
	return c
}

// scored is the outcome of scoring a file.
type scored struct {
	// Rows are the 1-based data rows scored, in input order; Prob their
	// probabilities.
	Rows      []int
	Prob      []float64
	Threshold float64
	// Rejected lists the rows left out for not fitting the schema (with
	// skip-invalid), each as a row-numbered problem.
	Rejected []error
	// Metrics are set when the file carried the target column.
	Metrics     *eval.Metrics
	MetricsNote string
}

// scoreFile reads a CSV laid out as the model's training file (features and
// target) or as its features alone, with or without a header, checks every
// row against the model's schema, and scores it. A row that does not fit
// is reported with its 1-based data row, field and what was expected;
// every such row is listed. With skipInvalid those rows are left out and
// returned in Rejected instead, and the others are scored. A file that
// cannot be parsed is refused either way.
func scoreFile(p *bundle.Predictor, raw []byte, skipInvalid bool) (*scored, error) {
	s := p.Manifest().Schema
	withTarget, err := layout(raw, &s)
	if err != nil {
		return nil, err
	}
	ds := s.Dataset(withTarget)
	f, err := dataset.Parse(raw, ds, dataset.Options{})
	if err != nil {
		return nil, err
	}
	m, err := f.Matrix(s.Names())
	if err != nil {
		return nil, err
	}
	X := ml.Matrix(m)
	res := &scored{Threshold: p.Threshold(), Rows: make([]int, 0, X.Rows)}
	for i := 0; i < X.Rows; i++ {
		if err := p.Check(i, X.Row(i)); err != nil {
			var fe *bundle.FieldError
			if errors.As(err, &fe) {
				err = fmt.Errorf("row %d, field %q: expected %s, got %s", fe.Index+1, fe.Field, fe.Expected, fe.Got)
			}
			res.Rejected = append(res.Rejected, err)
			continue
		}
		res.Rows = append(res.Rows, i+1)
	}
	if len(res.Rejected) > 0 && !skipInvalid {
		return nil, fmt.Errorf("rows outside the model's schema: %d of %d (--skip-invalid scores the others): %s",
			len(res.Rejected), X.Rows, listProblems(res.Rejected, "; "))
	}
	if len(res.Rows) < X.Rows { // keep the valid rows only, in order
		for k, r := range res.Rows {
			copy(X.Data[k*X.Cols:(k+1)*X.Cols], X.Row(r-1))
		}
		X.Rows = len(res.Rows)
		X.Data = X.Data[:X.Rows*X.Cols]
	}
	res.Prob = make([]float64, X.Rows)
	if X.Rows > 0 {
		if err := p.PredictBatch(X, res.Prob); err != nil {
			return nil, err
		}
	}
	if withTarget && X.Rows > 0 {
		all, err := ds.Target.Labels(f)
		if err != nil {
			res.MetricsNote = fmt.Sprintf("no metrics: %v", err)
			return res, nil
		}
		y := make([]float64, len(res.Rows))
		for k, r := range res.Rows {
			y[k] = all[r-1]
		}
		met, err := eval.Score(y, res.Prob, res.Threshold)
		if errors.Is(err, eval.ErrOneClass) {
			res.MetricsNote = "no metrics: the target column holds a single class"
			return res, nil
		}
		res.Metrics = &met
	}
	return res, nil
}

// maxListed bounds the problems listed in one message.
const maxListed = 20

// listProblems joins the first maxListed problems with sep, and counts the
// rest.
func listProblems(problems []error, sep string) string {
	var b strings.Builder
	for i, p := range problems {
		if i > 0 {
			b.WriteString(sep)
		}
		if i == maxListed {
			fmt.Fprintf(&b, "... and %d more", len(problems)-maxListed)
			break
		}
		b.WriteString(p.Error())
	}
	return b.String()
}

// layout decides from the first line whether the file carries the target
// column: its field count is that of the training file or of the features.
func layout(raw []byte, s *bundle.Schema) (withTarget bool, err error) {
	b := bytes.TrimPrefix(raw, []byte{0xEF, 0xBB, 0xBF})
	for len(b) > 0 {
		line := b
		if i := bytes.IndexByte(b, '\n'); i >= 0 {
			line, b = b[:i], b[i+1:]
		} else {
			b = nil
		}
		line = bytes.TrimRight(line, "\r")
		if len(bytes.TrimSpace(line)) == 0 {
			continue
		}
		n := bytes.Count(line, []byte{','}) + 1
		switch n {
		case len(s.Columns):
			return len(s.Columns) != len(s.Features), nil
		case len(s.Features):
			return false, nil
		}
		return false, fmt.Errorf("line 1 has %d fields, expected %d (%s) or %d with the target (%s)",
			n, len(s.Features), strings.Join(s.Names(), ","), len(s.Columns), strings.Join(s.Columns, ","))
	}
	return false, dataset.ErrEmpty
}

// Write writes one line per scored row, in input order: CSV with a header
// (row,probability,label) or JSON lines. row is the 1-based data row of
// the input file.
func (r *scored) Write(w io.Writer, format string) error {
	var buf []byte
	if format == "csv" {
		if _, err := io.WriteString(w, "row,probability,label\n"); err != nil {
			return fmt.Errorf("write predictions: %w", err)
		}
	}
	for i, p := range r.Prob {
		row := r.Rows[i]
		label := 0
		if p >= r.Threshold {
			label = 1
		}
		buf = buf[:0]
		if format == "csv" {
			buf = strconv.AppendInt(buf, int64(row), 10)
			buf = append(buf, ',')
			buf = strconv.AppendFloat(buf, p, 'g', -1, 64)
			buf = append(buf, ',')
			buf = strconv.AppendInt(buf, int64(label), 10)
			buf = append(buf, '\n')
		} else {
			line, _ := json.Marshal(struct {
				Row         int     `json:"row"`
				Probability float64 `json:"probability"`
				Label       int     `json:"label"`
			}{row, p, label})
			buf = append(append(buf, line...), '\n')
		}
		if _, err := w.Write(buf); err != nil {
			return fmt.Errorf("write predictions: %w", err)
		}
	}
	return nil
}
