package tree

import (
	"math"
	"math/rand"
	"slices"

	"github.com/stewardml/steward/internal/ml/core"
)

// MaxBins is the largest number of value bins per feature; bin index
// MissingBin is reserved for NaN.
const (
	MaxBins    = 255
	MissingBin = 255
)

// Bins maps feature values to bin indices. Feature f has len(Upper[f])+1
// value bins: bin b holds the values x with Upper[f][b-1] < x <= Upper[f][b]
// (the last bin is unbounded above). A split "bin <= b goes left" is thus the
// same as the split "x <= Upper[f][b] goes left" on raw values.
type Bins struct {
	Upper [][]float64
	// Min and Max are the smallest and largest finite value seen per feature
	// (NaN when the feature had no finite value).
	Min, Max []float64
	// padded holds Upper[f] padded with +Inf to MaxBins entries for a
	// branch-light binary search.
	padded [][MaxBins]float64
}

// NumBins returns the number of value bins of feature f.
func (b *Bins) NumBins(f int) int { return len(b.Upper[f]) + 1 }

// FitBins chooses at most maxBins value bins per feature of X from the
// distinct values of up to sampleRows rows (all rows when sampleRows <= 0 or
// >= X.Rows; otherwise a sample drawn with rng). With no more distinct
// values than maxBins each value gets its own bin and the boundaries are
// midpoints; otherwise boundaries fall at equal-count quantiles of the
// sample, never splitting a distinct value.
func FitBins(X core.Matrix, maxBins, sampleRows int, rng *rand.Rand) *Bins {
	if maxBins < 2 || maxBins > MaxBins {
		maxBins = MaxBins
	}
	rows := X.Rows
	var sample []int
	if sampleRows > 0 && sampleRows < X.Rows {
		sample = make([]int, sampleRows)
		for i := range sample {
			sample[i] = rng.Intn(X.Rows)
		}
		slices.Sort(sample)
		rows = sampleRows
	}
	nf := X.Cols
	b := &Bins{Upper: make([][]float64, nf), Min: make([]float64, nf), Max: make([]float64, nf)}
	done := make(chan struct{}, nf)
	sem := make(chan struct{}, max(1, numWorkers()))
	for f := 0; f < nf; f++ {
		sem <- struct{}{}
		go func() {
			defer func() { <-sem; done <- struct{}{} }()
			vals := make([]float64, 0, rows)
			if sample == nil {
				for i := 0; i < X.Rows; i++ {
					if v := X.Data[i*nf+f]; !math.IsNaN(v) {
						vals = append(vals, v)
					}
				}
			} else {
				for _, i := range sample {
					if v := X.Data[i*nf+f]; !math.IsNaN(v) {
						vals = append(vals, v)
					}
				}
			}
			b.Upper[f], b.Min[f], b.Max[f] = binUpper(vals, maxBins)
		}()
	}
	for f := 0; f < nf; f++ {
		<-done
	}
	b.pad()
	return b
}

// NewBins builds Bins from explicit upper bounds (as stored in a model).
func NewBins(upper [][]float64) *Bins {
	b := &Bins{Upper: upper}
	b.pad()
	return b
}

func (b *Bins) pad() {
	b.padded = make([][MaxBins]float64, len(b.Upper))
	for f, up := range b.Upper {
		p := &b.padded[f]
		for i := range p {
			if i < len(up) {
				p[i] = up[i]
			} else {
				p[i] = math.Inf(1)
			}
		}
	}
}

// binUpper sorts vals and returns the bin upper bounds, min and max.
func binUpper(vals []float64, maxBins int) ([]float64, float64, float64) {
	if len(vals) == 0 {
		return nil, math.NaN(), math.NaN()
	}
	slices.Sort(vals)
	// distinct values and their counts
	distinct := vals[:0:0]
	counts := []int{}
	for i, v := range vals {
		if i == 0 || v != vals[i-1] {
			distinct = append(distinct, v)
			counts = append(counts, 1)
		} else {
			counts[len(counts)-1]++
		}
	}
	lo, hi := distinct[0], distinct[len(distinct)-1]
	var upper []float64
	if len(distinct) <= maxBins {
		upper = make([]float64, 0, len(distinct)-1)
		for i := 0; i+1 < len(distinct); i++ {
			upper = append(upper, midpoint(distinct[i], distinct[i+1]))
		}
		return upper, lo, hi
	}
	total := len(vals)
	cum := 0
	for i := 0; i+1 < len(distinct) && len(upper) < maxBins-1; i++ {
		cum += counts[i]
		// cut once this bin holds its share of what remains
		if float64(cum) >= float64(total)*float64(len(upper)+1)/float64(maxBins) {
			upper = append(upper, midpoint(distinct[i], distinct[i+1]))
		}
	}
	return upper, lo, hi
}

// midpoint returns a value m with a <= m < b, halfway when representable.
func midpoint(a, b float64) float64 {
	m := a + (b-a)/2
	if m >= b || m < a {
		return a
	}
	return m
}

// Bin returns the bin of value x for feature f (MissingBin for NaN).
func (b *Bins) Bin(f int, x float64) uint8 {
	if x != x {
		return MissingBin
	}
	p := &b.padded[f]
	// smallest i with x <= p[i]; p is sorted and padded with +Inf
	i := 0
	for step := 128; step > 0; step >>= 1 {
		if j := i + step - 1; j < MaxBins && p[j] < x {
			i += step
		}
	}
	return uint8(i)
}

// BinMatrix returns the row-major bin indices of X (X.Rows*X.Cols bytes).
func (b *Bins) BinMatrix(X core.Matrix) []uint8 {
	out := make([]uint8, len(X.Data))
	nf := X.Cols
	core.ParallelRows(X.Rows, 0, func(lo, hi int) {
		for i := lo; i < hi; i++ {
			for f := 0; f < nf; f++ {
				out[i*nf+f] = b.Bin(f, X.Data[i*nf+f])
			}
		}
	})
	return out
}

// BinColumns returns the bin indices of X column by column: out[f][i] is
// the bin of X.At(i, f).
func (b *Bins) BinColumns(X core.Matrix) [][]uint8 {
	nf := X.Cols
	out := make([][]uint8, nf)
	for f := range out {
		out[f] = make([]uint8, X.Rows)
	}
	core.ParallelRows(X.Rows, 0, func(lo, hi int) {
		for i := lo; i < hi; i++ {
			for f := 0; f < nf; f++ {
				out[f][i] = b.Bin(f, X.Data[i*nf+f])
			}
		}
	})
	return out
}
