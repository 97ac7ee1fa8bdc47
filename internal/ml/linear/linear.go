package linear

import (
	"encoding/json"
	"fmt"
	"math"
	"math/rand"

	"gonum.org/v1/gonum/optimize"

	"github.com/stewardml/steward/internal/ml/core"
)

// Class weighting schemes.
const (
	ClassWeightNone     = "none"
	ClassWeightBalanced = "balanced"
)

// Params are the hyperparameters of logistic regression. Zero values select
// the defaults.
type Params struct {
	// C is the inverse regularisation strength (scikit-learn semantics);
	// default 1.
	C float64 `json:"C"`
	// ClassWeight is "none" (default) or "balanced" (n / (2 · n_class), as
	// scikit-learn computes it).
	ClassWeight string `json:"class_weight"`
	// MaxIter bounds the L-BFGS iterations; default 1000.
	MaxIter int `json:"max_iter"`
	// Tol stops L-BFGS when the largest gradient component of the summed
	// objective falls below it (scikit-learn's pgtol); default 1e-4.
	Tol float64 `json:"tol"`
}

// WithDefaults returns p with zero fields set to their defaults.
func (p Params) WithDefaults() Params {
	if p.C == 0 {
		p.C = 1
	}
	if p.ClassWeight == "" {
		p.ClassWeight = ClassWeightNone
	}
	if p.MaxIter == 0 {
		p.MaxIter = 1000
	}
	if p.Tol == 0 {
		p.Tol = 1e-4
	}
	return p
}

// Validate reports invalid parameters (after defaults).
func (p Params) Validate() error {
	p = p.WithDefaults()
	switch {
	case !(p.C > 0) || math.IsInf(p.C, 0):
		return fmt.Errorf("linear: C = %v, want a finite value > 0: %w", p.C, core.ErrBadParam)
	case p.ClassWeight != ClassWeightNone && p.ClassWeight != ClassWeightBalanced:
		return fmt.Errorf("linear: class_weight %q, want none or balanced: %w", p.ClassWeight, core.ErrBadParam)
	case p.MaxIter < 0:
		return fmt.Errorf("linear: max_iter = %d, want > 0: %w", p.MaxIter, core.ErrBadParam)
	case !(p.Tol > 0):
		return fmt.Errorf("linear: tol = %v, want > 0: %w", p.Tol, core.ErrBadParam)
	}
	return nil
}

// Trainer fits logistic regression; it implements ml.Trainer.
type Trainer struct {
	Params Params
}

// Model is a fitted logistic regression. It implements ml.Model.
type Model struct {
	Coef      []float64 `json:"coef"`
	Intercept float64   `json:"intercept"`
	// Mean is the weighted training mean of each feature (the reference
	// point of the contributions).
	Mean []float64 `json:"mean"`
	// Iterations is the number of L-BFGS iterations the fit took.
	Iterations int `json:"iterations"`
}

var _ core.Model = (*Model)(nil)
var _ core.Trainer = Trainer{}

// Fit fits the model. X must have no missing values; rng is unused (the fit
// is deterministic) and may be nil.
func (t Trainer) Fit(X core.Matrix, y, w []float64, _ *rand.Rand) (core.Model, error) {
	return t.FitModel(X, y, w)
}

// FitModel is Fit returning the concrete type.
func (t Trainer) FitModel(X core.Matrix, y, w []float64) (*Model, error) {
	if err := t.Params.Validate(); err != nil {
		return nil, err
	}
	p := t.Params.WithDefaults()
	if err := core.CheckTarget(X, y, w, false); err != nil {
		return nil, fmt.Errorf("linear: %w", err)
	}
	s := sampleWeights(y, w, p.ClassWeight)
	var total float64
	for _, v := range s {
		total += v
	}
	d := X.Cols
	obj := &objective{X: X, y: y, s: s, invTotal: 1 / total, alpha: 1 / (p.C * total)}
	obj.lastX = make([]float64, d+1)
	obj.lastGrad = make([]float64, d+1)
	obj.evaluate(obj.lastX) // prime the cache at the start point
	prob := optimize.Problem{
		Func: func(x []float64) float64 { obj.ensure(x); return obj.lastF },
		Grad: func(grad, x []float64) { obj.ensure(x); copy(grad, obj.lastGrad) },
	}
	settings := &optimize.Settings{
		// The objective is divided by the total weight, so sklearn's
		// threshold on the summed gradient becomes tol/total here.
		GradientThreshold: p.Tol / total,
		MajorIterations:   p.MaxIter,
		// scipy's L-BFGS-B stopping rule as scikit-learn sets it: stop when
		// an iteration lowers the objective by no more than 64 ulp (relative)
		Converger: &optimize.FunctionConverge{Relative: 64 * 0x1p-52, Iterations: 1},
	}
	res, err := optimize.Minimize(prob, make([]float64, d+1), settings, &optimize.LBFGS{Store: 10, Linesearcher: &optimize.MoreThuente{}})
	if err != nil && res == nil {
		return nil, fmt.Errorf("linear: optimise: %w", err)
	}
	for _, v := range res.X {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return nil, fmt.Errorf("linear: optimisation diverged: %w", core.ErrBadData)
		}
	}
	m := &Model{Coef: append([]float64(nil), res.X[:d]...), Intercept: res.X[d], Iterations: res.Stats.MajorIterations}
	m.Mean = make([]float64, d)
	for i := 0; i < X.Rows; i++ {
		row := X.Data[i*d : (i+1)*d]
		for j, v := range row {
			m.Mean[j] += s[i] * v
		}
	}
	for j := range m.Mean {
		m.Mean[j] /= total
	}
	return m, nil
}

// sampleWeights combines sample weights and class weights.
func sampleWeights(y, w []float64, classWeight string) []float64 {
	s := make([]float64, len(y))
	var c [2]float64
	for i, v := range y {
		wi := 1.0
		if w != nil {
			wi = w[i]
		}
		s[i] = wi
		c[int(v)]++
	}
	cw := [2]float64{1, 1}
	if classWeight == ClassWeightBalanced {
		n := float64(len(y))
		cw = [2]float64{n / (2 * c[0]), n / (2 * c[1])}
	}
	for i, v := range y {
		s[i] *= cw[int(v)]
	}
	return s
}

// objective evaluates the scaled loss and gradient and caches the last point,
// since gonum asks for the value and the gradient separately.
type objective struct {
	X        core.Matrix
	y, s     []float64
	invTotal float64
	alpha    float64

	lastX    []float64
	lastF    float64
	lastGrad []float64
}

func (o *objective) ensure(x []float64) {
	for i, v := range x {
		if v != o.lastX[i] {
			o.evaluate(x)
			return
		}
	}
}

// chunkRows is the fixed block size of the parallel evaluation: partial sums
// are added in block order, so the result does not depend on GOMAXPROCS.
const chunkRows = 4096

// evalBlock is the rows of one block of evaluate's passes.
const evalBlock = 64

func (o *objective) evaluate(x []float64) {
	d := o.X.Cols
	n := o.X.Rows
	nChunks := (n + chunkRows - 1) / chunkRows
	partial := make([]float64, nChunks*(d+2))
	core.ParallelDo(nChunks, 0, func(c int) {
		acc := partial[c*(d+2) : (c+1)*(d+2)]
		lo, hi := c*chunkRows, min((c+1)*chunkRows, n)
		w, b := x[:d], x[d]
		ga := acc[:d]
		// Rows go in blocks, one pass per step, so that the steps of
		// different rows overlap in the processor instead of each row
		// waiting on its own chain of dot product, exponential and
		// logarithm.
		var zb, gb [evalBlock]float64
		var loss float64
		for blo := lo; blo < hi; blo += evalBlock {
			n := min(evalBlock, hi-blo)
			z, g := zb[:n], gb[:n]
			for k := range z {
				row := o.X.Data[(blo+k)*d : (blo+k+1)*d]
				w := w[:len(row)]
				z0, z1 := b, 0.0
				j := 0
				for ; j+1 < len(row); j += 2 {
					z0 += w[j] * row[j]
					z1 += w[j+1] * row[j+1]
				}
				if j < len(row) {
					z0 += w[j] * row[j]
				}
				z[k] = z0 + z1
			}
			s, y := o.s[blo:blo+n], o.y[blo:blo+n]
			var l0, l1 float64
			for k, zk := range z {
				// One exp serves both the loss and the gradient, and no
				// branch depends on the sign of z or the label, which the
				// processor cannot predict. With e = exp(-|z|) and
				// q = sigmoid(|z|): sigmoid(z) = 1/2 + sign(z)(q - 1/2),
				// and the log loss is log1p(e) + max(t, 0) with t = z for
				// y = 0 and -z for y = 1, where max(t, 0) = (t + |z|)/2.
				az := math.Abs(zk)
				e := expNeg(-az)
				q := 1 / (1 + e)
				p := 0.5 + math.Copysign(q-0.5, zk)
				t := zk * (1 - 2*y[k])
				lk := s[k] * (math.Log1p(e) + 0.5*(t+az))
				if k&1 == 0 {
					l0 += lk
				} else {
					l1 += lk
				}
				g[k] = s[k] * (p - y[k])
			}
			loss += l0 + l1
			for k, gk := range g {
				row := o.X.Data[(blo+k)*d : (blo+k+1)*d]
				ga := ga[:len(row)]
				for j, v := range row {
					ga[j] += gk * v
				}
				acc[d] += gk
			}
		}
		acc[d+1] += loss
	})
	grad := o.lastGrad
	for j := range grad {
		grad[j] = 0
	}
	var f float64
	for c := 0; c < nChunks; c++ {
		acc := partial[c*(d+2) : (c+1)*(d+2)]
		for j := 0; j <= d; j++ {
			grad[j] += acc[j]
		}
		f += acc[d+1]
	}
	var reg float64
	for j := 0; j < d; j++ {
		reg += x[j] * x[j]
		grad[j] = grad[j]*o.invTotal + o.alpha*x[j]
	}
	grad[d] *= o.invTotal
	o.lastF = f*o.invTotal + 0.5*o.alpha*reg
	copy(o.lastX, x)
}

// Family returns "logreg".
func (m *Model) Family() string { return Name }

// Margin returns the log-odds b + x·β. A NaN feature gives NaN.
func (m *Model) Margin(row []float64) float64 {
	z := m.Intercept
	for j, c := range m.Coef {
		z += c * row[j]
	}
	return z
}

// Prob returns P(y=1).
func (m *Model) Prob(row []float64) float64 { return core.Sigmoid(m.Margin(row)) }

// PredictProba writes P(y=1) of every row of X to out.
func (m *Model) PredictProba(X core.Matrix, out []float64) {
	if X.Cols != len(m.Coef) {
		panic(fmt.Sprintf("linear: matrix has %d columns, model %d", X.Cols, len(m.Coef)))
	}
	core.ParallelRows(X.Rows, 0, func(lo, hi int) {
		for i := lo; i < hi; i++ {
			out[i] = m.Prob(X.Data[i*X.Cols : (i+1)*X.Cols])
		}
	})
}

// Contributions writes β_j (x_j − m_j) to out and returns b + Σ β_j m_j.
func (m *Model) Contributions(row []float64, out []float64) float64 {
	base := m.Intercept
	for j, c := range m.Coef {
		base += c * m.Mean[j]
		out[j] = c * (row[j] - m.Mean[j])
	}
	return base
}

// FeatureImportances returns |β_j| normalised to sum 1 (meaningful when the
// features share a scale, as after standardisation).
func (m *Model) FeatureImportances() []float64 {
	imp := make([]float64, len(m.Coef))
	for j, c := range m.Coef {
		imp[j] = math.Abs(c)
	}
	return core.NormalizeSum(imp)
}

// MarshalBinary returns the model as JSON.
func (m *Model) MarshalBinary() ([]byte, error) { return json.Marshal(m) }

// Unmarshal decodes a payload written by MarshalBinary.
func Unmarshal(payload []byte) (*Model, error) {
	var m Model
	if err := json.Unmarshal(payload, &m); err != nil {
		return nil, fmt.Errorf("linear: decode model: %v: %w", err, core.ErrBadPayload)
	}
	if len(m.Coef) == 0 || len(m.Mean) != len(m.Coef) {
		return nil, fmt.Errorf("linear: decode model: %d coefficients and %d means: %w", len(m.Coef), len(m.Mean), core.ErrBadPayload)
	}
	for _, v := range append(append([]float64{m.Intercept}, m.Coef...), m.Mean...) {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return nil, fmt.Errorf("linear: decode model: non-finite parameter: %w", core.ErrBadPayload)
		}
	}
	return &m, nil
}
