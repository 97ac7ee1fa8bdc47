package core

import (
	"errors"
	"fmt"
	"math"
	"math/rand"
	"runtime"
	"sync"
	"sync/atomic"
)

// Sentinel errors. Every error returned for bad data wraps ErrBadData;
// errors for invalid hyperparameters wrap ErrBadParam; a payload that cannot
// be decoded wraps ErrBadPayload.
var (
	ErrBadData    = errors.New("bad training data")
	ErrBadParam   = errors.New("bad parameter")
	ErrBadPayload = errors.New("bad model payload")
)

// DataError describes a problem found in training data: the row and column
// (-1 when the problem is not tied to one), and what was expected.
// It wraps ErrBadData.
type DataError struct {
	Row, Col int
	Msg      string
}

// Error implements error.
func (e *DataError) Error() string {
	switch {
	case e.Row >= 0 && e.Col >= 0:
		return fmt.Sprintf("row %d, column %d: %s", e.Row, e.Col, e.Msg)
	case e.Row >= 0:
		return fmt.Sprintf("row %d: %s", e.Row, e.Msg)
	case e.Col >= 0:
		return fmt.Sprintf("column %d: %s", e.Col, e.Msg)
	}
	return e.Msg
}

// Unwrap makes errors.Is(err, ErrBadData) true.
func (e *DataError) Unwrap() error { return ErrBadData }

// Matrix is a dense row-major matrix of float64 features; NaN marks a missing value.
type Matrix struct {
	Rows, Cols int
	Data       []float64
}

// NewMatrix returns a zeroed rows×cols matrix.
func NewMatrix(rows, cols int) Matrix {
	return Matrix{Rows: rows, Cols: cols, Data: make([]float64, rows*cols)}
}

// Row returns row i as a slice that aliases the matrix data.
// It panics if i is out of range.
func (m Matrix) Row(i int) []float64 {
	if i < 0 || i >= m.Rows {
		panic(fmt.Sprintf("ml: row %d out of range [0,%d)", i, m.Rows))
	}
	return m.Data[i*m.Cols : (i+1)*m.Cols : (i+1)*m.Cols]
}

// At returns the element at row i, column j.
func (m Matrix) At(i, j int) float64 { return m.Data[i*m.Cols+j] }

// Model is a fitted binary classifier.
//
// Implementations are immutable after fitting and safe for concurrent use.
type Model interface {
	// Family returns the name of the model's Family.
	Family() string
	// Margin returns the raw score: log-odds for logreg and gbdt; for the
	// forest, the logit of the mean tree probability, clamped.
	Margin(row []float64) float64
	// Prob returns P(y=1).
	Prob(row []float64) float64
	// PredictProba writes P(y=1) of every row of X to out (len(out) >= X.Rows).
	// It may use several goroutines.
	PredictProba(X Matrix, out []float64)
	// Contributions writes one contribution per feature to out and returns
	// the base value, so that base + sum(out) == Margin(row): exact for
	// logreg, TreeSHAP for the tree models.
	Contributions(row []float64, out []float64) (base float64)
	// FeatureImportances returns one non-negative importance per feature,
	// normalised to sum 1 (all zero if the model uses no feature).
	FeatureImportances() []float64
	// MarshalBinary returns the payload that ml.Unmarshal decodes.
	MarshalBinary() ([]byte, error)
}

// Trainer fits a Model. y is 0/1; w may be nil (uniform).
type Trainer interface {
	Fit(X Matrix, y, w []float64, rng *rand.Rand) (Model, error)
}

// CheckShape panics if X, y and w disagree in shape: that is a programmer
// error, like a dimension mismatch in gonum.
func CheckShape(X Matrix, y, w []float64) {
	if X.Rows < 0 || X.Cols < 0 || len(X.Data) != X.Rows*X.Cols {
		panic(fmt.Sprintf("ml: matrix %dx%d has %d elements", X.Rows, X.Cols, len(X.Data)))
	}
	if len(y) != X.Rows {
		panic(fmt.Sprintf("ml: %d labels for %d rows", len(y), X.Rows))
	}
	if w != nil && len(w) != X.Rows {
		panic(fmt.Sprintf("ml: %d weights for %d rows", len(w), X.Rows))
	}
}

// CheckTarget validates labels and weights: X must have rows and columns,
// labels must be exactly 0 or 1 with both classes present (among rows of
// positive weight), weights finite and non-negative with a positive sum.
// When allowNaN is false, features must be finite; otherwise NaN is allowed
// (missing) but ±Inf is not.
func CheckTarget(X Matrix, y, w []float64, allowNaN bool) error {
	CheckShape(X, y, w)
	if X.Rows == 0 {
		return &DataError{Row: -1, Col: -1, Msg: "no rows"}
	}
	if X.Cols == 0 {
		return &DataError{Row: -1, Col: -1, Msg: "no feature columns"}
	}
	var n0, n1 int
	for i, v := range y {
		if v != 0 && v != 1 {
			return &DataError{Row: i, Col: -1, Msg: fmt.Sprintf("label %v, want 0 or 1", v)}
		}
		if w != nil {
			wi := w[i]
			if math.IsNaN(wi) || math.IsInf(wi, 0) || wi < 0 {
				return &DataError{Row: i, Col: -1, Msg: fmt.Sprintf("weight %v, want a finite value >= 0", wi)}
			}
			if wi == 0 {
				continue
			}
		}
		if v == 1 {
			n1++
		} else {
			n0++
		}
	}
	if n0 == 0 || n1 == 0 {
		return &DataError{Row: -1, Col: -1, Msg: fmt.Sprintf("need both classes, got %d of class 0 and %d of class 1", n0, n1)}
	}
	for i := 0; i < X.Rows; i++ {
		row := X.Data[i*X.Cols : (i+1)*X.Cols]
		for j, v := range row {
			if math.IsInf(v, 0) {
				return &DataError{Row: i, Col: j, Msg: fmt.Sprintf("value %v, want a finite number", v)}
			}
			if !allowNaN && math.IsNaN(v) {
				return &DataError{Row: i, Col: j, Msg: "missing value (NaN); impute it before fitting this family"}
			}
		}
	}
	return nil
}

// Sigmoid returns 1/(1+exp(-x)) without overflow.
func Sigmoid(x float64) float64 {
	if x >= 0 {
		return 1 / (1 + math.Exp(-x))
	}
	e := math.Exp(x)
	return e / (1 + e)
}

// Logit returns log(p/(1-p)).
func Logit(p float64) float64 { return math.Log(p / (1 - p)) }

// NormalizeSum scales v in place so that it sums to 1; an all-zero v is left as is.
func NormalizeSum(v []float64) []float64 {
	var s float64
	for _, x := range v {
		s += x
	}
	if s > 0 {
		for i := range v {
			v[i] /= s
		}
	}
	return v
}

// ParallelRows calls fn on consecutive row ranges [lo,hi) covering [0,n),
// spread over up to workers goroutines (GOMAXPROCS when workers <= 0), and
// waits for all of them. Small n runs on the calling goroutine.
func ParallelRows(n, workers int, fn func(lo, hi int)) {
	if workers <= 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	const minChunk = 2048
	if workers == 1 || n < 2*minChunk {
		fn(0, n)
		return
	}
	if workers > n/minChunk {
		workers = n / minChunk
	}
	var wg sync.WaitGroup
	step := (n + workers - 1) / workers
	for lo := 0; lo < n; lo += step {
		hi := min(lo+step, n)
		wg.Add(1)
		go func() {
			defer wg.Done()
			fn(lo, hi)
		}()
	}
	wg.Wait()
}

// ParallelDo calls fn(i) for every i in [0,n) on up to workers goroutines
// (GOMAXPROCS when workers <= 0), handing out indices in increasing order
// as goroutines become free, and waits for all of them. It suits a few
// tasks of uneven size, where ParallelRows suits many equal rows.
func ParallelDo(n, workers int, fn func(i int)) {
	if workers <= 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	if n == 1 || workers <= 1 {
		for i := 0; i < n; i++ {
			fn(i)
		}
		return
	}
	var next atomic.Int64
	var wg sync.WaitGroup
	for w := 0; w < min(workers, n); w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := int(next.Add(1)) - 1
				if i >= n {
					return
				}
				fn(i)
			}
		}()
	}
	wg.Wait()
}
