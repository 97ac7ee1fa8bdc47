package drift

import (
	"math"
	"slices"
)

// Correction names a multiple-testing correction of p-values.
type Correction string

// The corrections Check applies across the features' p-value tests.
const (
	// CorrectionBH controls the false discovery rate (Benjamini-Hochberg).
	CorrectionBH Correction = "bh"
	// CorrectionBonferroni controls the family-wise error rate.
	CorrectionBonferroni Correction = "bonferroni"
	// CorrectionNone leaves p-values as they are (Evidently's behaviour).
	CorrectionNone Correction = "none"
)

// Adjust returns the p-values adjusted by the correction c. NaN entries are
// kept as NaN and do not count toward the number of tests.
func Adjust(p []float64, c Correction) []float64 {
	switch c {
	case CorrectionBH:
		return AdjustBH(p)
	case CorrectionBonferroni:
		return AdjustBonferroni(p)
	}
	out := make([]float64, len(p))
	copy(out, p)
	return out
}

// AdjustBH returns Benjamini-Hochberg adjusted p-values (the step-up "fdr_bh"
// of statsmodels): p_(i)·m/i made monotone from the largest down, capped at 1.
func AdjustBH(p []float64) []float64 {
	out := make([]float64, len(p))
	idx := make([]int, 0, len(p))
	for i, v := range p {
		out[i] = math.NaN()
		if !math.IsNaN(v) {
			idx = append(idx, i)
		}
	}
	m := len(idx)
	slices.SortStableFunc(idx, func(a, b int) int { return cmpFloat(p[a], p[b]) })
	running := math.Inf(1)
	for k := m - 1; k >= 0; k-- {
		i := idx[k]
		v := p[i] / (float64(k+1) / float64(m))
		running = math.Min(running, v)
		out[i] = math.Min(running, 1)
	}
	return out
}

// AdjustBonferroni returns min(p·m, 1) for the m non-NaN p-values.
func AdjustBonferroni(p []float64) []float64 {
	m := 0
	for _, v := range p {
		if !math.IsNaN(v) {
			m++
		}
	}
	out := make([]float64, len(p))
	for i, v := range p {
		out[i] = math.Min(v*float64(m), 1)
	}
	return out
}
