package drift

import "math"

// sturgesMinUnique: Evidently bins a numeric column with equal-width Sturges
// bins only when the reference holds more than this many distinct values;
// otherwise there is one bin per value.
const sturgesMinUnique = 20

// bins are the buckets Evidently's get_binned_data fills for JS and PSI.
type bins struct {
	// Edges are the Sturges edges (numeric columns with many values);
	// Values the per-value buckets otherwise. Exactly one is set.
	Edges  []float64
	Values []float64
	Ref    []int
	Cur    []int
}

// evidentlyBins reproduces get_binned_data's buckets: Sturges edges over the
// combined range when numerical and the reference has more than 20 distinct
// values, else one bucket per distinct value of ref ∪ cur.
func evidentlyBins(ref, cur Sorted, numerical bool) (bins, error) {
	if numerical && len(ref.Values) > sturgesMinUnique {
		edges, err := SturgesEdges(ref.N()+cur.N(), math.Min(ref.Min(), cur.Min()), math.Max(ref.Max(), cur.Max()))
		if err != nil {
			return bins{}, err
		}
		return bins{Edges: edges, Ref: HistogramSorted(ref, edges), Cur: HistogramSorted(cur, edges)}, nil
	}
	vals, rc, cc := CategoryCounts(ref, cur)
	return bins{Values: vals, Ref: rc, Cur: cc}, nil
}

// evidentlyChiSquare is Evidently's chi-square test: the current counts per
// value of ref ∪ cur against the reference counts scaled to the current size.
func evidentlyChiSquare(ref, cur Sorted) (stat, p float64, err error) {
	_, rc, cc := CategoryCounts(ref, cur)
	obs, exp := chiFrequencies(rc, cc, ref.N(), cur.N())
	return ChiSquare(obs, exp)
}

func chiFrequencies(rc, cc []int, nRef, nCur int) (obs, exp []float64) {
	kNorm := float64(nCur) / float64(nRef)
	obs = make([]float64, len(rc))
	exp = make([]float64, len(rc))
	for i := range rc {
		exp[i] = float64(rc[i]) * kNorm
		obs[i] = float64(cc[i])
	}
	return obs, exp
}
