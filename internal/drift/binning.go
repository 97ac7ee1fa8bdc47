package drift

import (
	"fmt"
	"math"
	"slices"
)

// SturgesEdges are the bin edges numpy.histogram_bin_edges(a, bins="sturges")
// returns for a sample of n values spanning [lo, hi]: ceil(log2(n)+1)
// equal-width bins (one bin when the range is empty, widened by 0.5 either
// side). lo and hi must be finite; n = 0 gives the single bin [0, 1].
func SturgesEdges(n int, lo, hi float64) ([]float64, error) {
	first, last := lo, hi
	if n == 0 {
		first, last = 0, 1
	} else if math.IsNaN(first) || math.IsNaN(last) || math.IsInf(first, 0) || math.IsInf(last, 0) {
		return nil, fmt.Errorf("%w: histogram range [%v, %v] is not finite", ErrNonFinite, lo, hi)
	}
	ptp := last - first
	if math.IsInf(ptp, 0) {
		return nil, fmt.Errorf("%w: histogram range [%v, %v] overflows", ErrNonFinite, lo, hi)
	}
	if first == last {
		first -= 0.5
		last += 0.5
	}
	bins := 1
	if n > 0 {
		width := ptp / (math.Log2(float64(n)) + 1.0)
		if width != 0 {
			bins = int(math.Ceil((last - first) / width))
		}
	}
	return linspace(first, last, bins+1), nil
}

// linspace is numpy.linspace(start, stop, num) with endpoint=True.
func linspace(start, stop float64, num int) []float64 {
	y := make([]float64, num)
	div := num - 1
	delta := stop - start
	if div > 0 {
		step := delta / float64(div)
		for i := range y {
			if step == 0 {
				y[i] = float64(i) / float64(div) * delta
			} else {
				y[i] = float64(float64(i) * step)
			}
			y[i] += start
		}
	} else if num == 1 {
		y[0] = start
	}
	if num > 1 {
		y[num-1] = stop
	}
	return y
}

// HistogramSorted counts a sorted sample into the bins given by ascending
// edges as numpy.histogram(a, bins=edges) does: bin i is [edges[i],
// edges[i+1]), the last bin is closed, values outside are not counted.
func HistogramSorted(s Sorted, edges []float64) []int {
	if len(edges) < 2 {
		return nil
	}
	counts := make([]int, len(edges)-1)
	last := len(edges) - 1
	prev := s.CountLT(edges[0])
	for i := 1; i <= last; i++ {
		var c int
		if i == last {
			c = s.CountLE(edges[i])
		} else {
			c = s.CountLT(edges[i])
		}
		counts[i-1] = c - prev
		prev = c
	}
	return counts
}

// Histogram is HistogramSorted for an unsorted sample; NaN values are an
// error, as are edges that are not ascending.
func Histogram(x, edges []float64) ([]int, error) {
	for i := 1; i < len(edges); i++ {
		if !(edges[i] >= edges[i-1]) {
			return nil, fmt.Errorf("%w: bin edges must increase monotonically (edge %d = %v after %v)", ErrInvalid, i, edges[i], edges[i-1])
		}
	}
	s, err := NewSorted(x)
	if err != nil {
		return nil, err
	}
	return HistogramSorted(s, edges), nil
}

// Quantile is numpy.quantile(a, q) with the default "linear" method, on a
// sorted sample; NaN when empty.
func Quantile(s Sorted, q float64) float64 {
	n := s.N()
	if n == 0 {
		return math.NaN()
	}
	virtual := float64(n-1) * q
	if virtual >= float64(n-1) {
		return s.At(n - 1)
	}
	if virtual < 0 {
		return s.At(0)
	}
	prev := math.Floor(virtual)
	gamma := virtual - prev
	a := s.At(int(prev))
	b := s.At(int(prev) + 1)
	diff := b - a
	if gamma >= 0.5 {
		return b - float64(diff*(1-gamma))
	}
	return a + float64(diff*gamma)
}

// DecileEdges are the distinct interior deciles of a sorted sample,
// numpy.unique(numpy.quantile(ref, [0.1, ..., 0.9])).
func DecileEdges(s Sorted) []float64 {
	edges := make([]float64, 0, 9)
	for i := 1; i <= 9; i++ {
		edges = append(edges, Quantile(s, float64(float64(i)*0.1)))
	}
	slices.Sort(edges)
	return slices.Compact(edges)
}

// CountsRight counts a sorted sample into len(edges)+1 bins by
// numpy.searchsorted(edges, x, side="right"): bin 0 is (-inf, edges[0]),
// bin i is [edges[i-1], edges[i]), the last is [edges[-1], +inf).
func CountsRight(s Sorted, edges []float64) []int {
	counts := make([]int, len(edges)+1)
	prev := 0
	for i, e := range edges {
		c := s.CountLT(e)
		counts[i] = c - prev
		prev = c
	}
	counts[len(edges)] = s.N() - prev
	return counts
}

// CategoryCounts returns the union of the distinct values of x and y in
// ascending order with each sample's count of every value.
func CategoryCounts(x, y Sorted) (values []float64, cx, cy []int) {
	m := mergeSorted(x, y)
	cx = make([]int, len(m.values))
	cy = make([]int, len(m.values))
	px, py := 0, 0
	for i := range m.values {
		cx[i] = m.cx[i] - px
		cy[i] = m.cy[i] - py
		px, py = m.cx[i], m.cy[i]
	}
	return m.values, cx, cy
}

// Proportions divides counts by n (numpy's counts / len(sample)).
func Proportions(counts []int, n int) []float64 {
	out := make([]float64, len(counts))
	for i, c := range counts {
		out[i] = float64(c) / float64(n)
	}
	return out
}
