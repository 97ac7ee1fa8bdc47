package bundle

import (
	"encoding/json"
	"fmt"
	"math"
	"sort"
	"strconv"
	"strings"
	"sync"

	"github.com/stewardml/steward/internal/dataset"
	"github.com/stewardml/steward/internal/ml"
	"github.com/stewardml/steward/internal/ml/preprocess"
)

// FieldError reports one value that does not fit the schema. It wraps
// ErrInvalidInput.
type FieldError struct {
	// Index is the 0-based row of a batch (0 for a single row).
	Index int `json:"index"`
	// Field is the feature name.
	Field string `json:"field"`
	// Expected says in words what the feature accepts.
	Expected string `json:"expected"`
	// Got describes the value received.
	Got string `json:"got"`
}

// Error renders `bundle: row 3, field "age": expected number in [0, 120], got 250`.
func (e *FieldError) Error() string {
	return fmt.Sprintf("bundle: row %d, field %q: expected %s, got %s", e.Index, e.Field, e.Expected, e.Got)
}

// Unwrap makes errors.Is(err, ErrInvalidInput) true.
func (e *FieldError) Unwrap() error { return ErrInvalidInput }

// Prediction is the score of one row.
type Prediction struct {
	Probability float64 `json:"probability"`
	Label       int     `json:"label"`
	Margin      float64 `json:"margin"`
}

// Contribution is one input feature's share of a row's margin.
type Contribution struct {
	Feature      string  `json:"feature"`
	Value        float64 `json:"value"` // the input value, NaN when missing
	Contribution float64 `json:"contribution"`
}

// MarshalJSON writes a missing value as null.
func (c Contribution) MarshalJSON() ([]byte, error) {
	type plain struct {
		Feature      string   `json:"feature"`
		Value        *float64 `json:"value"`
		Contribution float64  `json:"contribution"`
	}
	out := plain{Feature: c.Feature, Contribution: c.Contribution}
	if !math.IsNaN(c.Value) {
		out.Value = &c.Value
	}
	return json.Marshal(out)
}

// Explanation breaks a row's margin down by input feature: Base + the sum
// of the contributions = Margin.
type Explanation struct {
	Prediction
	Base          float64        `json:"base"`
	Contributions []Contribution `json:"contributions"`
}

// Predictor scores rows with a bundle's model. It is immutable and safe for
// concurrent use. Rows are given in schema order (Features), one float64
// per feature, NaN for a missing value (imputed as in training).
type Predictor struct {
	manifest Manifest
	model    ml.Model
	pipe     *preprocess.Pipeline
	features []dataset.Column
	expected []string
	allowed  [][]float64
	index    map[string]int
	scratch  sync.Pool // *buffers
}

type buffers struct {
	in, out []float64 // model columns
}

// Open decodes an archive and loads its predictor.
func Open(data []byte) (*Predictor, error) {
	b, err := Decode(data)
	if err != nil {
		return nil, err
	}
	return Load(b)
}

// Load returns the predictor of a decoded bundle. Errors wrap ErrCorrupt.
func Load(b *Bundle) (*Predictor, error) {
	m := b.Manifest
	if err := m.check(); err != nil {
		return nil, err
	}
	model, err := ml.Unmarshal(m.Family, b.Model)
	if err != nil {
		return nil, corrupt("%s: %v", ModelFile, err)
	}
	p := &Predictor{
		manifest: m,
		model:    model,
		pipe:     m.Preprocess,
		features: m.Schema.Features,
		index:    make(map[string]int, len(m.Schema.Features)),
	}
	if n := len(model.FeatureImportances()); n != p.pipe.Columns {
		return nil, corrupt("the model has %d inputs, the preprocessing %d columns", n, p.pipe.Columns)
	}
	for j, c := range p.features {
		p.index[c.Name] = j
		p.expected = append(p.expected, expected(c))
		p.allowed = append(p.allowed, c.Allowed())
	}
	cols := p.pipe.Columns
	p.scratch.New = func() any { return &buffers{in: make([]float64, cols), out: make([]float64, cols)} }
	return p, nil
}

// expected describes what a feature accepts: "number in [0, 120]",
// "one of 1, 2, 3, 4", "0 or 1"; every feature also accepts a missing
// value.
func expected(c dataset.Column) string {
	num := func(v float64) string { return strconv.FormatFloat(v, 'g', -1, 64) }
	var s string
	switch c.Kind {
	case dataset.Numeric:
		s = "a finite number"
		switch {
		case c.Min != nil && c.Max != nil:
			s = "a number in [" + num(*c.Min) + ", " + num(*c.Max) + "]"
		case c.Min != nil:
			s = "a number >= " + num(*c.Min)
		case c.Max != nil:
			s = "a number <= " + num(*c.Max)
		}
	default:
		vals := c.Allowed()
		parts := make([]string, len(vals))
		for i, v := range vals {
			parts[i] = num(v)
		}
		if len(parts) == 2 {
			s = parts[0] + " or " + parts[1]
		} else {
			s = "one of " + strings.Join(parts, ", ")
		}
	}
	return s + ", or missing"
}

// Manifest returns the bundle's manifest.
func (p *Predictor) Manifest() *Manifest { return &p.manifest }

// Features returns the input features in row order. The slice must not be
// modified.
func (p *Predictor) Features() []dataset.Column { return p.features }

// Threshold returns the probability at or above which the label is 1.
func (p *Predictor) Threshold() float64 { return p.manifest.Threshold }

// Family returns the model family.
func (p *Predictor) Family() string { return p.manifest.Family }

// Model returns the fitted model, which takes the preprocessed columns.
func (p *Predictor) Model() ml.Model { return p.model }

// Check verifies one row against the schema: the right number of values,
// each missing (NaN) or finite and within the feature's bounds or levels.
// index is the row index reported in the error.
func (p *Predictor) Check(index int, row []float64) error {
	if len(row) != len(p.features) {
		return &FieldError{Index: index, Field: "", Expected: fmt.Sprintf("%d values (%s)", len(p.features), strings.Join(p.manifest.Schema.Names(), ", ")), Got: strconv.Itoa(len(row)) + " values"}
	}
	for j, v := range row {
		if !p.valid(j, v) {
			return &FieldError{Index: index, Field: p.features[j].Name, Expected: p.expected[j], Got: strconv.FormatFloat(v, 'g', -1, 64)}
		}
	}
	return nil
}

func (p *Predictor) valid(j int, v float64) bool {
	if math.IsNaN(v) {
		return true
	}
	if math.IsInf(v, 0) {
		return false
	}
	c := &p.features[j]
	if c.Kind == dataset.Numeric {
		return (c.Min == nil || v >= *c.Min) && (c.Max == nil || v <= *c.Max)
	}
	for _, a := range p.allowed[j] {
		if a == v {
			return true
		}
	}
	return false
}

// Prob returns P(y=1) of one unchecked row in schema order. It does not
// allocate in the steady state. It panics if len(row) is wrong.
func (p *Predictor) Prob(row []float64) float64 {
	b := p.scratch.Get().(*buffers)
	p.pipe.TransformRow(b.in, row)
	pr := p.model.Prob(b.in)
	p.scratch.Put(b)
	return pr
}

// Predict checks and scores one row in schema order.
func (p *Predictor) Predict(row []float64) (Prediction, error) {
	if err := p.Check(0, row); err != nil {
		return Prediction{}, err
	}
	b := p.scratch.Get().(*buffers)
	p.pipe.TransformRow(b.in, row)
	margin := p.model.Margin(b.in)
	pr := p.model.Prob(b.in)
	p.scratch.Put(b)
	return p.prediction(pr, margin), nil
}

func (p *Predictor) prediction(prob, margin float64) Prediction {
	pr := Prediction{Probability: prob, Margin: margin}
	if prob >= p.manifest.Threshold {
		pr.Label = 1
	}
	return pr
}

// Row builds a row in schema order from a map of feature name to value.
// Every feature must be present (NaN for a missing value) and no other key;
// otherwise a *FieldError names the first offending field in schema order
// (unknown keys in sorted order).
func (p *Predictor) Row(values map[string]float64) ([]float64, error) {
	row := make([]float64, len(p.features))
	for j, c := range p.features {
		v, ok := values[c.Name]
		if !ok {
			return nil, &FieldError{Field: c.Name, Expected: p.expected[j], Got: "nothing (the field is required; NaN marks a missing value)"}
		}
		row[j] = v
	}
	if len(values) != len(p.features) {
		var unknown []string
		for k := range values {
			if _, ok := p.index[k]; !ok {
				unknown = append(unknown, k)
			}
		}
		sort.Strings(unknown)
		return nil, &FieldError{Field: unknown[0], Expected: "no such field (features: " + strings.Join(p.manifest.Schema.Names(), ", ") + ")", Got: "a value"}
	}
	return row, nil
}

// PredictMap checks and scores one row given as a map (see Row).
func (p *Predictor) PredictMap(values map[string]float64) (Prediction, error) {
	row, err := p.Row(values)
	if err != nil {
		return Prediction{}, err
	}
	return p.Predict(row)
}

// PredictBatch checks every row of X (columns in schema order) and writes
// each row's P(y=1) to out (len(out) >= X.Rows). The first bad value is
// returned as a *FieldError with its row index, and nothing is scored.
func (p *Predictor) PredictBatch(X ml.Matrix, out []float64) error {
	if X.Cols != len(p.features) {
		return &FieldError{Index: 0, Expected: fmt.Sprintf("%d columns (%s)", len(p.features), strings.Join(p.manifest.Schema.Names(), ", ")), Got: strconv.Itoa(X.Cols) + " columns"}
	}
	if len(out) < X.Rows {
		panic(fmt.Sprintf("bundle: %d outputs for %d rows", len(out), X.Rows))
	}
	for i := 0; i < X.Rows; i++ {
		if err := p.Check(i, X.Data[i*X.Cols:(i+1)*X.Cols]); err != nil {
			return err
		}
	}
	p.model.PredictProba(p.pipe.Transform(X), out)
	return nil
}

// PredictProba writes P(y=1) of each unchecked row of rows (row-major,
// len(Features()) values per row) to out, one per row.
func (p *Predictor) PredictProba(rows []float64, out []float64) {
	n := len(p.features)
	if len(rows) != n*len(out) {
		panic(fmt.Sprintf("bundle: %d values for %d rows of %d features", len(rows), len(out), n))
	}
	if len(out) <= 4 {
		for i := range out {
			out[i] = p.Prob(rows[i*n : (i+1)*n])
		}
		return
	}
	p.model.PredictProba(p.pipe.Transform(ml.Matrix{Rows: len(out), Cols: n, Data: rows}), out)
}

// Contributions writes one contribution per input feature of an unchecked
// row to out (len(Features()) values) and returns the base value: base +
// sum(out) is the model's margin for the row. One-hot columns are summed
// into their feature. It does not allocate in the steady state.
func (p *Predictor) Contributions(row []float64, out []float64) (base float64) {
	b := p.scratch.Get().(*buffers)
	p.pipe.TransformRow(b.in, row)
	base = p.model.Contributions(b.in, b.out)
	p.pipe.Fold(out, b.out)
	p.scratch.Put(b)
	return base
}

// Explain checks one row and breaks its margin down by input feature.
func (p *Predictor) Explain(row []float64) (Explanation, error) {
	if err := p.Check(0, row); err != nil {
		return Explanation{}, err
	}
	contrib := make([]float64, len(p.features))
	base := p.Contributions(row, contrib)
	b := p.scratch.Get().(*buffers)
	p.pipe.TransformRow(b.in, row)
	margin := p.model.Margin(b.in)
	prob := p.model.Prob(b.in)
	p.scratch.Put(b)
	e := Explanation{Prediction: p.prediction(prob, margin), Base: base, Contributions: make([]Contribution, len(p.features))}
	for j, c := range p.features {
		e.Contributions[j] = Contribution{Feature: c.Name, Value: row[j], Contribution: contrib[j]}
	}
	return e, nil
}
