package preprocess

import (
	"errors"
	"fmt"
	"math"
	"slices"
	"sort"
	"strconv"

	"github.com/stewardml/steward/internal/dataset"
	"github.com/stewardml/steward/internal/ml"
)

// ErrAllMissing reports a feature without a single value in the training
// rows: nothing can be learned from it, not even an imputation value.
var ErrAllMissing = errors.New("preprocess: feature has no values")

// ErrNotFinite reports an infinite value in the training rows.
var ErrNotFinite = errors.New("preprocess: value is not finite")

// ErrBadPipeline reports a decoded pipeline that is not consistent.
var ErrBadPipeline = errors.New("preprocess: invalid pipeline")

// Options choose the steps a model family needs.
type Options struct {
	// Scale standardises numeric and binary features.
	Scale bool `json:"scale"`
	// OneHot expands each categorical feature into one 0/1 column per
	// level seen in training.
	OneHot bool `json:"one_hot"`
	// KeepMissing passes a missing value (NaN) through instead of imputing
	// it, for a model that handles missing values itself (an imported
	// XGBoost model sends them its trees' default ways).
	KeepMissing bool `json:"keep_missing,omitempty"`
}

// Feature is what a Pipeline learned about one input feature.
type Feature struct {
	Name string       `json:"name"`
	Kind dataset.Kind `json:"kind"`
	// Impute replaces a missing value: the training median of a numeric
	// feature, the most frequent code (the smallest on a tie) otherwise.
	Impute float64 `json:"impute"`
	// Center and Scale standardise the value: (x - Center) / Scale. They
	// are 0 and 1 when the feature is not scaled.
	Center float64 `json:"center"`
	Scale  float64 `json:"scale"`
	// Levels are the one-hot codes, ascending; empty when the feature maps
	// to a single column.
	Levels []float64 `json:"levels,omitempty"`
	// Offset is the first model column of the feature.
	Offset int `json:"offset"`
}

// Width is the number of model columns of the feature.
func (f *Feature) Width() int {
	if len(f.Levels) > 0 {
		return len(f.Levels)
	}
	return 1
}

// Pipeline is a learned preprocessing. It is immutable once built and safe
// for concurrent use.
type Pipeline struct {
	Options  Options   `json:"options"`
	Features []Feature `json:"features"`
	// Columns is the number of model columns.
	Columns int `json:"columns"`
}

// Fit learns a pipeline from the rows of X, whose columns are the input
// features cols in order (NaN marks a missing value). It returns an error
// wrapping ErrAllMissing naming the feature when a column has no value, and
// a *ml.DataError wrapping ErrNotFinite for an infinite value. It panics if
// X.Cols != len(cols).
func Fit(cols []dataset.Column, X ml.Matrix, opt Options) (*Pipeline, error) {
	if X.Cols != len(cols) || len(X.Data) != X.Rows*X.Cols {
		panic(fmt.Sprintf("preprocess: %d features for a %dx%d matrix", len(cols), X.Rows, X.Cols))
	}
	p := &Pipeline{Options: opt, Features: make([]Feature, len(cols))}
	vals := make([]float64, 0, X.Rows)
	for j, c := range cols {
		vals = vals[:0]
		for i := 0; i < X.Rows; i++ {
			v := X.Data[i*X.Cols+j]
			if math.IsInf(v, 0) {
				return nil, fmt.Errorf("preprocess: feature %q: %w", c.Name, &notFinite{row: i, col: j, v: v})
			}
			if !math.IsNaN(v) {
				vals = append(vals, v)
			}
		}
		if len(vals) == 0 {
			return nil, fmt.Errorf("%w: %q is missing in all %d training rows", ErrAllMissing, c.Name, X.Rows)
		}
		f := Feature{Name: c.Name, Kind: c.Kind, Scale: 1, Offset: p.Columns}
		if c.Kind == dataset.Numeric {
			f.Impute = median(vals)
		} else {
			f.Impute = mode(vals)
		}
		switch {
		case c.Kind == dataset.Categorical && opt.OneHot:
			f.Levels = levels(vals)
		case opt.Scale:
			// Statistics of the imputed column, as a scaler placed after
			// the imputer in a scikit-learn pipeline sees it.
			n := float64(X.Rows)
			missing := n - float64(len(vals))
			var sum float64
			for _, v := range vals {
				sum += v
			}
			mean := (sum + missing*f.Impute) / n
			var ss float64
			for _, v := range vals {
				ss += (v - mean) * (v - mean)
			}
			ss += missing * (f.Impute - mean) * (f.Impute - mean)
			sd := math.Sqrt(ss / n)
			f.Center = mean
			if sd > 0 {
				f.Scale = sd
			}
		}
		p.Features[j] = f
		p.Columns += f.Width()
	}
	return p, nil
}

type notFinite struct {
	row, col int
	v        float64
}

func (e *notFinite) Error() string {
	return (&ml.DataError{Row: e.row, Col: e.col, Msg: fmt.Sprintf("value %v, want a finite number or a missing cell", e.v)}).Error()
}

func (e *notFinite) Unwrap() []error { return []error{ErrNotFinite, ml.ErrBadData} }

func median(v []float64) float64 {
	s := slices.Clone(v)
	sort.Float64s(s)
	n := len(s)
	if n%2 == 1 {
		return s[n/2]
	}
	return (s[n/2-1] + s[n/2]) / 2
}

func mode(v []float64) float64 {
	counts := make(map[float64]int)
	for _, x := range v {
		counts[x]++
	}
	best, bestN := math.Inf(1), 0
	for x, n := range counts {
		if n > bestN || n == bestN && x < best {
			best, bestN = x, n
		}
	}
	return best
}

func levels(v []float64) []float64 {
	s := slices.Clone(v)
	sort.Float64s(s)
	return slices.Compact(s)
}

// Inputs is the number of input features.
func (p *Pipeline) Inputs() int { return len(p.Features) }

// TransformRow writes the model columns of one input row to dst. src has
// one value per input feature (NaN = missing); dst has p.Columns elements.
// It does not allocate. It panics on a length mismatch.
func (p *Pipeline) TransformRow(dst, src []float64) {
	if len(src) != len(p.Features) || len(dst) != p.Columns {
		panic(fmt.Sprintf("preprocess: row of %d values into %d columns, want %d into %d", len(src), len(dst), len(p.Features), p.Columns))
	}
	for j := range p.Features {
		f := &p.Features[j]
		v := src[j]
		if math.IsNaN(v) && !p.Options.KeepMissing {
			v = f.Impute
		}
		if len(f.Levels) == 0 {
			dst[f.Offset] = (v - f.Center) / f.Scale
			continue
		}
		out := dst[f.Offset : f.Offset+len(f.Levels)]
		for k, l := range f.Levels {
			if l == v {
				out[k] = 1
			} else {
				out[k] = 0
			}
		}
	}
}

// Transform applies the pipeline to every row of X.
func (p *Pipeline) Transform(X ml.Matrix) ml.Matrix {
	out := ml.NewMatrix(X.Rows, p.Columns)
	for i := 0; i < X.Rows; i++ {
		p.TransformRow(out.Data[i*p.Columns:(i+1)*p.Columns], X.Data[i*X.Cols:(i+1)*X.Cols])
	}
	return out
}

// Names returns the name of every model column: the feature name, or
// "name=level" for a one-hot column.
func (p *Pipeline) Names() []string {
	out := make([]string, 0, p.Columns)
	for _, f := range p.Features {
		if len(f.Levels) == 0 {
			out = append(out, f.Name)
			continue
		}
		for _, l := range f.Levels {
			out = append(out, f.Name+"="+strconv.FormatFloat(l, 'g', -1, 64))
		}
	}
	return out
}

// Fold sums per-model-column values (contributions, importances) into one
// value per input feature: dst has p.Inputs() elements, src p.Columns. It
// does not allocate.
func (p *Pipeline) Fold(dst, src []float64) {
	if len(dst) != len(p.Features) || len(src) != p.Columns {
		panic(fmt.Sprintf("preprocess: fold %d columns into %d features, want %d into %d", len(src), len(dst), p.Columns, len(p.Features)))
	}
	for j := range p.Features {
		f := &p.Features[j]
		var s float64
		for _, v := range src[f.Offset : f.Offset+f.Width()] {
			s += v
		}
		dst[j] = s
	}
}

// Check verifies a decoded pipeline: offsets contiguous, scales positive
// and finite, levels ascending. Errors wrap ErrBadPipeline.
func (p *Pipeline) Check() error {
	off := 0
	for j, f := range p.Features {
		switch {
		case f.Name == "":
			return fmt.Errorf("%w: feature %d has no name", ErrBadPipeline, j)
		case f.Offset != off:
			return fmt.Errorf("%w: feature %q starts at column %d, want %d", ErrBadPipeline, f.Name, f.Offset, off)
		case !(f.Scale > 0) || math.IsInf(f.Scale, 0) || math.IsNaN(f.Center) || math.IsInf(f.Center, 0) || math.IsNaN(f.Impute) || math.IsInf(f.Impute, 0):
			return fmt.Errorf("%w: feature %q has impute %v, center %v, scale %v", ErrBadPipeline, f.Name, f.Impute, f.Center, f.Scale)
		case !slices.IsSorted(f.Levels) || len(slices.Compact(slices.Clone(f.Levels))) != len(f.Levels):
			return fmt.Errorf("%w: feature %q levels %v are not strictly ascending", ErrBadPipeline, f.Name, f.Levels)
		}
		off += f.Width()
	}
	if off != p.Columns {
		return fmt.Errorf("%w: features cover %d columns, pipeline says %d", ErrBadPipeline, off, p.Columns)
	}
	return nil
}
