package tree

import (
	"cmp"
	"math"
	"math/bits"
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
	// seen maps the values FitBins saw to their bins, for a feature with
	// few distinct values (else nil), so that binning the rows the bins
	// were fit on mostly skips the binary search.
	seen []*valueBins
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
	distinct := make([][]float64, nf)
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
			b.Upper[f], b.Min[f], b.Max[f], distinct[f] = binUpper(vals, maxBins)
		}()
	}
	for f := 0; f < nf; f++ {
		<-done
	}
	b.pad()
	b.seen = make([]*valueBins, nf)
	for f, vals := range distinct {
		if vals != nil {
			b.seen[f] = newValueBins(vals, func(v float64) uint8 { return b.Bin(f, v) })
		}
	}
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

// binUpper returns the bin upper bounds, min and max of vals (which it may
// reorder), and their distinct values when there are at most
// maxSeenValues of them (else nil).
func binUpper(vals []float64, maxBins int) (upper []float64, lo, hi float64, seen []float64) {
	if len(vals) == 0 {
		return nil, math.NaN(), math.NaN(), nil
	}
	distinct, counts, ok := countDistinct(vals, maxSeenValues)
	if ok {
		seen = distinct
	} else {
		// distinct values and their counts, from the sorted values
		slices.Sort(vals)
		distinct, counts = vals[:0:0], []int{}
		for i, v := range vals {
			if i == 0 || v != vals[i-1] {
				distinct = append(distinct, v)
				counts = append(counts, 1)
			} else {
				counts[len(counts)-1]++
			}
		}
	}
	lo, hi = distinct[0], distinct[len(distinct)-1]
	if len(distinct) <= maxBins {
		upper = make([]float64, 0, len(distinct)-1)
		for i := 0; i+1 < len(distinct); i++ {
			upper = append(upper, midpoint(distinct[i], distinct[i+1]))
		}
		return upper, lo, hi, seen
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
	return upper, lo, hi, seen
}

// maxSeenValues bounds the distinct values of a feature that FitBins
// counts in a hash table (instead of sorting all values) and keeps for
// binning.
const maxSeenValues = 1024

// seenEmpty marks a free slot of a valueBins table: the bits of a NaN,
// which is never a key.
const seenEmpty = 0x7ff8_0000_0000_0001

// countDistinct returns the distinct values of vals, ascending, and their
// counts, as sorting vals would give them, and false when there are more
// than limit or a -0 (whose place beside +0 the sort leaves open).
func countDistinct(vals []float64, limit int) ([]float64, []int, bool) {
	size := 1
	for size < 2*limit {
		size <<= 1
	}
	keys := make([]uint64, size)
	for i := range keys {
		keys[i] = seenEmpty
	}
	cnt := make([]int, size)
	shift := 64 - bits.Len(uint(size-1))
	n := 0
	for _, v := range vals {
		k := math.Float64bits(v)
		if k == 1<<63 { // -0
			return nil, nil, false
		}
		i := (k * 0x9e3779b97f4a7c15) >> shift
		for keys[i] != k && keys[i] != seenEmpty {
			i = (i + 1) & uint64(size-1)
		}
		if keys[i] == seenEmpty {
			if n == limit {
				return nil, nil, false
			}
			keys[i] = k
			n++
		}
		cnt[i]++
	}
	type entry struct {
		v float64
		n int
	}
	entries := make([]entry, 0, n)
	for i, k := range keys {
		if k != seenEmpty {
			entries = append(entries, entry{math.Float64frombits(k), cnt[i]})
		}
	}
	slices.SortFunc(entries, func(a, b entry) int { return cmp.Compare(a.v, b.v) })
	distinct, counts := make([]float64, n), make([]int, n)
	for i, e := range entries {
		distinct[i], counts[i] = e.v, e.n
	}
	return distinct, counts, true
}

// valueBins is an open-addressing table from values (their bits) to bins.
type valueBins struct {
	keys  []uint64
	bins  []uint8
	shift int
}

func newValueBins(vals []float64, bin func(float64) uint8) *valueBins {
	size := 1
	for size < 2*len(vals) {
		size <<= 1
	}
	t := &valueBins{keys: make([]uint64, size), bins: make([]uint8, size), shift: 64 - bits.Len(uint(size-1))}
	for i := range t.keys {
		t.keys[i] = seenEmpty
	}
	for _, v := range vals {
		k := math.Float64bits(v)
		i := (k * 0x9e3779b97f4a7c15) >> t.shift
		for t.keys[i] != seenEmpty {
			i = (i + 1) & uint64(size-1)
		}
		t.keys[i], t.bins[i] = k, bin(v)
	}
	return t
}

// lookup returns the bin of x and whether x is in the table.
func (t *valueBins) lookup(x float64) (uint8, bool) {
	k := math.Float64bits(x)
	mask := uint64(len(t.keys) - 1)
	for i := (k * 0x9e3779b97f4a7c15) >> t.shift; ; i = (i + 1) & mask {
		switch t.keys[i] {
		case k:
			return t.bins[i], true
		case seenEmpty:
			return 0, false
		}
	}
}

// binRow is Bin for the rows the bins were fit on: a value FitBins saw is
// looked up, any other searched.
func (b *Bins) binRow(f int, x float64) uint8 {
	if x == x && b.seen != nil && b.seen[f] != nil {
		if bin, ok := b.seen[f].lookup(x); ok {
			return bin
		}
	}
	return b.Bin(f, x)
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
				out[i*nf+f] = b.binRow(f, X.Data[i*nf+f])
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
				out[f][i] = b.binRow(f, X.Data[i*nf+f])
			}
		}
	})
	return out
}
