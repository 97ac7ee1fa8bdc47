package drift

import (
	"math"
	"slices"
)

// Sorted is a sample in its sorted, run-length form: the distinct values in
// ascending order and the cumulative count of values <= each of them. Every
// rank statistic (KS, Wasserstein, quantiles, histograms, category counts)
// reads from it, so a sample is sorted once however many statistics it feeds.
// Weighted forms come for free: a profile's exact value counts are a Sorted
// too.
type Sorted struct {
	// Values are the distinct values, ascending. No NaN.
	Values []float64
	// Cum[i] is the number of observations <= Values[i]; Cum[len-1] == N.
	Cum []int
}

// N is the number of observations.
func (s Sorted) N() int {
	if len(s.Cum) == 0 {
		return 0
	}
	return s.Cum[len(s.Cum)-1]
}

// Count is the number of observations equal to Values[i].
func (s Sorted) Count(i int) int {
	if i == 0 {
		return s.Cum[0]
	}
	return s.Cum[i] - s.Cum[i-1]
}

// CountLE is the number of observations <= x.
func (s Sorted) CountLE(x float64) int {
	i, found := slices.BinarySearch(s.Values, x)
	if found {
		return s.Cum[i]
	}
	if i == 0 {
		return 0
	}
	return s.Cum[i-1]
}

// CountLT is the number of observations < x.
func (s Sorted) CountLT(x float64) int {
	i, _ := slices.BinarySearch(s.Values, x)
	if i == 0 {
		return 0
	}
	return s.Cum[i-1]
}

// At returns the k-th smallest observation (0-based) of the expanded sample.
func (s Sorted) At(k int) float64 {
	i, _ := slices.BinarySearch(s.Cum, k+1)
	return s.Values[i]
}

// Min and Max are the extreme observations; NaN for an empty sample.
func (s Sorted) Min() float64 {
	if len(s.Values) == 0 {
		return math.NaN()
	}
	return s.Values[0]
}

// Max is the largest observation; NaN for an empty sample.
func (s Sorted) Max() float64 {
	if len(s.Values) == 0 {
		return math.NaN()
	}
	return s.Values[len(s.Values)-1]
}

// NewSorted sorts a copy of x into run-length form. It returns
// ErrNonFinite if x holds a NaN (infinities sort like numbers, as in NumPy).
func NewSorted(x []float64) (Sorted, error) {
	s, missing, _ := sortedOf(x, false)
	if missing > 0 {
		for i, v := range x {
			if math.IsNaN(v) {
				return Sorted{}, &DataError{Row: i, Value: v, Expected: "a number, not NaN", Err: ErrNonFinite}
			}
		}
	}
	return s, nil
}

// sortedOf builds the run-length form of x without its NaN values (and
// without ±Inf when dropInf), returning how many of each it dropped.
//
// Tabular columns hold few distinct values, so it first counts them in a
// small hash table, one pass and no sort; a column with more distinct values
// than the table holds is sorted instead (radix sort for long columns).
func sortedOf(x []float64, dropInf bool) (s Sorted, missing, nonFinite int) {
	if len(x) >= hashMinLen {
		if s, missing, nonFinite, ok := countDistinct(x, dropInf); ok {
			return s, missing, nonFinite
		}
	}
	vals := make([]float64, 0, len(x))
	for _, v := range x {
		switch {
		case math.IsNaN(v):
			missing++
		case math.IsInf(v, 0) && dropInf:
			nonFinite++
		default:
			vals = append(vals, v)
		}
	}
	sortFloats(vals)
	return compress(vals), missing, nonFinite
}

const (
	// hashMinLen: shorter columns are simply sorted.
	hashMinLen = 4096
	// hashMaxDistinct bounds the hash table; beyond it a column is sorted.
	hashMaxDistinct = 4096
	hashBits        = 13 // table of 2^13 slots, at most half full
)

// countDistinct counts x's distinct values in an open-addressing table and
// sorts only those; ok is false when there are more than hashMaxDistinct.
func countDistinct(x []float64, dropInf bool) (s Sorted, missing, nonFinite int, ok bool) {
	const size = 1 << hashBits
	var keys [size]uint64
	var counts [size]int
	distinct := 0
	for _, v := range x {
		if v != v {
			missing++
			continue
		}
		if dropInf && math.IsInf(v, 0) {
			nonFinite++
			continue
		}
		if v == 0 {
			v = 0 // one key for -0 and +0
		}
		k := math.Float64bits(v)
		h := (k * 0x9E3779B97F4A7C15) >> (64 - hashBits)
		for {
			if counts[h] == 0 {
				if distinct == hashMaxDistinct {
					return Sorted{}, 0, 0, false
				}
				distinct++
				keys[h] = k
				counts[h] = 1
				break
			}
			if keys[h] == k {
				counts[h]++
				break
			}
			h = (h + 1) & (size - 1)
		}
	}
	type vc struct {
		v float64
		c int
	}
	pairs := make([]vc, 0, distinct)
	for h, c := range counts {
		if c > 0 {
			pairs = append(pairs, vc{math.Float64frombits(keys[h]), c})
		}
	}
	slices.SortFunc(pairs, func(a, b vc) int { return cmpFloat(a.v, b.v) })
	s = Sorted{Values: make([]float64, len(pairs)), Cum: make([]int, len(pairs))}
	total := 0
	for i, p := range pairs {
		total += p.c
		s.Values[i], s.Cum[i] = p.v, total
	}
	return s, missing, nonFinite, true
}

// SortedFromCounts builds the run-length form from distinct values and their
// counts (any order, counts > 0).
func SortedFromCounts(values []float64, counts []int) Sorted {
	if len(values) != len(counts) {
		panic("drift: SortedFromCounts: values and counts differ in length")
	}
	idx := make([]int, len(values))
	for i := range idx {
		idx[i] = i
	}
	slices.SortFunc(idx, func(a, b int) int { return cmpFloat(values[a], values[b]) })
	s := Sorted{Values: make([]float64, 0, len(values)), Cum: make([]int, 0, len(values))}
	total := 0
	for _, i := range idx {
		if counts[i] <= 0 {
			continue
		}
		total += counts[i]
		if n := len(s.Values); n > 0 && s.Values[n-1] == values[i] {
			s.Cum[n-1] = total
			continue
		}
		s.Values = append(s.Values, values[i])
		s.Cum = append(s.Cum, total)
	}
	return s
}

func cmpFloat(a, b float64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// compress turns a sorted slice into run-length form (reusing its memory for
// the distinct values).
func compress(sorted []float64) Sorted {
	if len(sorted) == 0 {
		return Sorted{}
	}
	vals := sorted[:0:len(sorted)]
	var cum []int
	n := len(sorted)
	for i := 0; i < n; {
		v := sorted[i]
		j := i + 1
		for j < n && sorted[j] == v {
			j++
		}
		vals = append(vals, v)
		cum = append(cum, j)
		i = j
	}
	out := make([]float64, len(vals))
	copy(out, vals)
	return Sorted{Values: out, Cum: cum}
}

// Merge is the union of two samples' distinct values with each sample's
// cumulative counts at every union value: the walk KS and Wasserstein take.
type merged struct {
	values   []float64
	cx, cy   []int  // cumulative counts of x and y at values[i]
	inx, iny []bool // whether values[i] occurs in x (y)
}

func mergeSorted(x, y Sorted) merged {
	n := len(x.Values) + len(y.Values)
	m := merged{
		values: make([]float64, 0, n), cx: make([]int, 0, n), cy: make([]int, 0, n),
		inx: make([]bool, 0, n), iny: make([]bool, 0, n),
	}
	i, j := 0, 0
	cx, cy := 0, 0
	for i < len(x.Values) || j < len(y.Values) {
		var v float64
		var ix, iy bool
		switch {
		case j >= len(y.Values) || (i < len(x.Values) && x.Values[i] < y.Values[j]):
			v, ix = x.Values[i], true
		case i >= len(x.Values) || y.Values[j] < x.Values[i]:
			v, iy = y.Values[j], true
		default:
			v, ix, iy = x.Values[i], true, true
		}
		if ix {
			cx = x.Cum[i]
			i++
		}
		if iy {
			cy = y.Cum[j]
			j++
		}
		m.values = append(m.values, v)
		m.cx = append(m.cx, cx)
		m.cy = append(m.cy, cy)
		m.inx = append(m.inx, ix)
		m.iny = append(m.iny, iy)
	}
	return m
}

// radixThreshold is the length above which sortFloats uses an LSD radix
// sort; below it pdqsort is faster.
const radixThreshold = 2048

// sortFloats sorts x ascending (no NaN). Long slices go through an LSD radix
// sort on the order-preserving bit pattern, skipping the digit passes in
// which every key agrees (the low mantissa bits of integer-valued data).
func sortFloats(x []float64) {
	if len(x) < radixThreshold {
		slices.Sort(x)
		return
	}
	keys := make([]uint64, len(x))
	var and, or uint64 = math.MaxUint64, 0
	for i, v := range x {
		if v == 0 {
			v = 0 // -0 and +0 are equal; give them one key
		}
		b := math.Float64bits(v)
		if b>>63 == 1 {
			b = ^b
		} else {
			b |= 1 << 63
		}
		keys[i] = b
		and &= b
		or |= b
	}
	varying := and ^ or
	tmp := make([]uint64, len(x))
	const bits = 11
	const mask = 1<<bits - 1
	var count [1 << bits]int
	for shift := uint(0); shift < 64; shift += bits {
		if (varying>>shift)&mask == 0 {
			continue
		}
		clear(count[:])
		for _, k := range keys {
			count[(k>>shift)&mask]++
		}
		pos := 0
		for d, c := range count {
			count[d] = pos
			pos += c
		}
		for _, k := range keys {
			d := (k >> shift) & mask
			tmp[count[d]] = k
			count[d]++
		}
		keys, tmp = tmp, keys
	}
	for i, b := range keys {
		if b>>63 == 1 {
			b &^= 1 << 63
		} else {
			b = ^b
		}
		x[i] = math.Float64frombits(b)
	}
}
