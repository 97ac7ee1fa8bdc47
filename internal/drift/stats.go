package drift

import (
	"fmt"
	"math"

	"gonum.org/v1/gonum/mathext"
)

// Wasserstein is the 1-D first Wasserstein (earth mover's) distance between
// the empirical distributions of u and v, ∫|F_u - F_v|, reproducing
// scipy.stats.wasserstein_distance(u, v) without weights.
func Wasserstein(u, v []float64) (float64, error) {
	su, err := NewSorted(u)
	if err != nil {
		return 0, err
	}
	sv, err := NewSorted(v)
	if err != nil {
		return 0, err
	}
	return WassersteinSorted(su, sv)
}

// WassersteinSorted is Wasserstein over sorted samples: one merge walk over
// the distinct values, O(distinct values).
func WassersteinSorted(u, v Sorted) (float64, error) {
	nu, nv := u.N(), v.N()
	if nu == 0 || nv == 0 {
		return 0, ErrEmpty
	}
	fu, fv := float64(nu), float64(nv)
	var sum float64
	i, j := 0, 0
	cu, cv := 0, 0
	prev := math.NaN()
	prevDiff := 0.0
	for i < len(u.Values) || j < len(v.Values) {
		var x float64
		var iu, iv bool
		switch {
		case j >= len(v.Values) || (i < len(u.Values) && u.Values[i] < v.Values[j]):
			x, iu = u.Values[i], true
		case i >= len(u.Values) || v.Values[j] < u.Values[i]:
			x, iv = v.Values[j], true
		default:
			x, iu, iv = u.Values[i], true, true
		}
		if iu {
			cu = u.Cum[i]
			i++
		}
		if iv {
			cv = v.Cum[j]
			j++
		}
		if !math.IsNaN(prev) {
			// The conversion keeps arm64 from fusing the multiply-add, so
			// the sum rounds as on amd64 and in NumPy.
			sum += float64(prevDiff * (x - prev))
		}
		prev = x
		prevDiff = math.Abs(float64(cu)/fu - float64(cv)/fv)
	}
	return sum, nil
}

// WassersteinNormedFloor is the smallest reference standard deviation
// WassersteinNormed divides by (Evidently's 0.001).
const WassersteinNormedFloor = 0.001

// WassersteinNormed is Evidently's "Wasserstein distance (normed)": the
// Wasserstein distance divided by the population standard deviation of the
// reference, floored at WassersteinNormedFloor.
func WassersteinNormed(ref, cur []float64) (float64, error) {
	sr, err := NewSorted(ref)
	if err != nil {
		return 0, err
	}
	sc, err := NewSorted(cur)
	if err != nil {
		return 0, err
	}
	w, err := WassersteinSorted(sr, sc)
	if err != nil {
		return 0, err
	}
	return w / math.Max(PopulationStd(sr), WassersteinNormedFloor), nil
}

// PopulationStd is the standard deviation with ddof=0 (numpy.std's default)
// of a sorted sample; NaN when empty.
func PopulationStd(s Sorted) float64 {
	n := s.N()
	if n == 0 {
		return math.NaN()
	}
	var sum float64
	for i, v := range s.Values {
		sum += float64(v * float64(s.Count(i)))
	}
	mean := sum / float64(n)
	var ss float64
	for i, v := range s.Values {
		d := v - mean
		ss += float64(float64(d*d) * float64(s.Count(i)))
	}
	return math.Sqrt(ss / float64(n))
}

// ChiSquareSF is the survival function of the chi-square distribution with
// dof degrees of freedom (scipy.stats.chi2.sf); NaN for dof < 1 or NaN x.
func ChiSquareSF(x float64, dof int) float64 {
	switch {
	case dof < 1 || math.IsNaN(x):
		return math.NaN()
	case x <= 0:
		return 1
	case math.IsInf(x, 1):
		return 0
	}
	return mathext.GammaIncRegComp(float64(dof)/2, x/2)
}

// ChiSquare is Pearson's goodness-of-fit test of observed against expected
// frequencies, reproducing scipy.stats.chisquare(obs, exp): the statistic,
// its p-value with len(obs)-1 degrees of freedom. Like SciPy it requires the
// two to sum alike (relative tolerance 1e-8). A zero expected frequency with
// a positive observation gives an infinite statistic and p = 0. It panics if
// the lengths differ.
func ChiSquare(obs, exp []float64) (stat, p float64, err error) {
	if len(obs) != len(exp) {
		panic("drift: ChiSquare: observed and expected differ in length")
	}
	if len(obs) == 0 {
		return 0, 0, ErrEmpty
	}
	so, se := pairwiseSum(obs), pairwiseSum(exp)
	if math.Abs(so-se)/math.Min(so, se) > 1e-8 {
		return 0, 0, fmt.Errorf("%w: observed frequencies sum to %v, expected to %v", ErrInvalid, so, se)
	}
	terms := make([]float64, len(obs))
	for i := range obs {
		d := obs[i] - exp[i]
		terms[i] = d * d / exp[i]
	}
	stat = pairwiseSum(terms)
	return stat, ChiSquareSF(stat, len(obs)-1), nil
}

// ContingencyResult is the outcome of ChiSquareContingency.
type ContingencyResult struct {
	Statistic float64     `json:"statistic"`
	PValue    float64     `json:"p_value"`
	DOF       int         `json:"dof"`
	Expected  [][]float64 `json:"expected"`
}

// ChiSquareContingency is the chi-square test of independence on an r×c
// table of counts, reproducing scipy.stats.chi2_contingency(table,
// correction): with yates true and one degree of freedom, each count moves
// by up to 0.5 toward its expected value. It returns ErrInvalid for negative
// counts, a ragged table or a zero expected frequency (an all-zero row or
// column).
func ChiSquareContingency(table [][]float64, yates bool) (ContingencyResult, error) {
	r := len(table)
	if r == 0 || len(table[0]) == 0 {
		return ContingencyResult{}, ErrEmpty
	}
	c := len(table[0])
	rows := make([]float64, r)
	cols := make([]float64, c)
	for i, row := range table {
		if len(row) != c {
			return ContingencyResult{}, fmt.Errorf("%w: contingency row %d has %d cells, row 0 has %d", ErrInvalid, i, len(row), c)
		}
		for j, v := range row {
			if v < 0 || math.IsNaN(v) {
				return ContingencyResult{}, fmt.Errorf("%w: contingency cell [%d][%d] = %v, expected a count >= 0", ErrInvalid, i, j, v)
			}
			rows[i] += v
			cols[j] += v
		}
	}
	var total float64
	for _, v := range rows {
		total += v
	}
	res := ContingencyResult{DOF: (r - 1) * (c - 1), Expected: make([][]float64, r)}
	for i := range table {
		res.Expected[i] = make([]float64, c)
		for j := range table[i] {
			e := rows[i] * cols[j] / total
			if e == 0 {
				return ContingencyResult{}, fmt.Errorf("%w: expected frequency of cell [%d][%d] is zero", ErrInvalid, i, j)
			}
			res.Expected[i][j] = e
		}
	}
	if res.DOF == 0 {
		res.Statistic, res.PValue = 0, 1
		return res, nil
	}
	terms := make([]float64, 0, r*c)
	for i, row := range table {
		for j, o := range row {
			e := res.Expected[i][j]
			if res.DOF == 1 && yates {
				diff := e - o
				o += math.Min(0.5, math.Abs(diff)) * sign(diff)
			}
			d := o - e
			terms = append(terms, d*d/e)
		}
	}
	res.Statistic = pairwiseSum(terms)
	res.PValue = ChiSquareSF(res.Statistic, res.DOF)
	return res, nil
}

func sign(x float64) float64 {
	switch {
	case x > 0:
		return 1
	case x < 0:
		return -1
	}
	return 0
}

// NormalCDF is the standard normal CDF computed as scipy.special.ndtr does.
func NormalCDF(a float64) float64 {
	const sqrt1_2 = 0.707106781186547524400844362104849039
	x := a * sqrt1_2
	z := math.Abs(x)
	if z < sqrt1_2 {
		return 0.5 + 0.5*math.Erf(x)
	}
	y := 0.5 * math.Erfc(z)
	if x > 0 {
		y = 1.0 - y
	}
	return y
}

// ZResult is the outcome of the two-proportion Z-test.
type ZResult struct {
	Z      float64 `json:"z"`
	PValue float64 `json:"p_value"`
}

// ZTest is Evidently's two-sided Z-test for the difference of proportions:
// every value equal to the smallest value seen in either sample counts as 0,
// every other value as 1. When both samples hold one and the same value the
// p-value is 1. NaN values are an error.
func ZTest(ref, cur []float64) (ZResult, error) {
	sr, err := NewSorted(ref)
	if err != nil {
		return ZResult{}, err
	}
	sc, err := NewSorted(cur)
	if err != nil {
		return ZResult{}, err
	}
	return ZTestSorted(sr, sc)
}

// ZTestSorted is ZTest over sorted samples.
func ZTestSorted(ref, cur Sorted) (ZResult, error) {
	n1, n2 := ref.N(), cur.N()
	if n1 == 0 || n2 == 0 {
		return ZResult{}, ErrEmpty
	}
	if len(ref.Values) == 1 && len(cur.Values) == 1 && ref.Values[0] == cur.Values[0] {
		return ZResult{Z: 0, PValue: 1}, nil
	}
	first := math.Min(ref.Values[0], cur.Values[0])
	k1 := n1 - ref.CountLE(first)
	k2 := n2 - cur.CountLE(first)
	return zFromCounts(k1, n1, k2, n2), nil
}

// zFromCounts is the Z statistic and two-sided p-value for k1 of n1 against
// k2 of n2, with Evidently's arithmetic (p = 2·(1 - Φ(|z|))).
func zFromCounts(k1, n1, k2, n2 int) ZResult {
	f1, f2 := float64(n1), float64(n2)
	p1 := float64(k1) / f1
	p2 := float64(k2) / f2
	P := (float64(p1*f1) + float64(p2*f2)) / float64(n1+n2)
	z := (p1 - p2) / math.Sqrt(P*(1-P)*(1.0/f1+1.0/f2))
	return ZResult{Z: z, PValue: 2 * (1 - NormalCDF(math.Abs(z)))}
}

// JensenShannon is the Jensen-Shannon distance (the square root of the
// divergence) between two frequency vectors, reproducing
// scipy.spatial.distance.jensenshannon(p, q, base): both are normalised to
// sum to 1 first; base <= 0 means the natural logarithm. It panics if the
// lengths differ.
func JensenShannon(p, q []float64, base float64) float64 {
	if len(p) != len(q) {
		panic("drift: JensenShannon: p and q differ in length")
	}
	sp, sq := pairwiseSum(p), pairwiseSum(q)
	left := make([]float64, len(p))
	right := make([]float64, len(p))
	for i := range p {
		pi, qi := p[i]/sp, q[i]/sq
		m := (pi + qi) / 2.0
		left[i] = relEntr(pi, m)
		right[i] = relEntr(qi, m)
	}
	js := pairwiseSum(left) + pairwiseSum(right)
	if base > 0 {
		js /= math.Log(base)
	}
	return math.Sqrt(js / 2.0)
}

// relEntr is scipy.special.rel_entr: x·log(x/y), 0 at x = 0.
func relEntr(x, y float64) float64 {
	switch {
	case math.IsNaN(x) || math.IsNaN(y):
		return math.NaN()
	case x > 0 && y > 0:
		return x * math.Log(x/y)
	case x == 0 && y >= 0:
		return 0
	}
	return math.Inf(1)
}

// FillZeros returns a copy of the proportions pct with every zero replaced
// as Evidently does before PSI: by min_nonzero/1e6 when the smallest
// non-zero proportion is <= 1e-4, else by 1e-4. The proportions are not
// renormalised. An all-zero vector is returned unchanged.
func FillZeros(pct []float64) []float64 {
	out := make([]float64, len(pct))
	copy(out, pct)
	minNZ := math.Inf(1)
	for _, v := range pct {
		if v != 0 && v < minNZ {
			minNZ = v
		}
	}
	if math.IsInf(minNZ, 1) {
		return out
	}
	fill := 0.0001
	if minNZ <= 0.0001 {
		fill = minNZ / 1e6
	}
	for i, v := range out {
		if v == 0 {
			out[i] = fill
		}
	}
	return out
}

// PSI is the population stability index Σ (r - c)·ln(r/c) between reference
// and current proportions, after FillZeros on each (Evidently's psi). It
// panics if the lengths differ.
func PSI(ref, cur []float64) float64 {
	if len(ref) != len(cur) {
		panic("drift: PSI: ref and cur differ in length")
	}
	r, c := FillZeros(ref), FillZeros(cur)
	terms := make([]float64, len(r))
	for i := range r {
		terms[i] = (r[i] - c[i]) * math.Log(r[i]/c[i])
	}
	return pairwiseSum(terms)
}

// pairwiseSum adds like NumPy's float reduction (8 accumulators, pairwise
// above 128 elements), so short sums round exactly as np.sum does.
func pairwiseSum(a []float64) float64 {
	n := len(a)
	switch {
	case n < 8:
		res := 0.0
		for _, v := range a {
			res += v
		}
		return res
	case n <= 128:
		var r [8]float64
		copy(r[:], a[:8])
		i := 8
		for ; i < n-n%8; i += 8 {
			for k := 0; k < 8; k++ {
				r[k] += a[i+k]
			}
		}
		res := ((r[0] + r[1]) + (r[2] + r[3])) + ((r[4] + r[5]) + (r[6] + r[7]))
		for ; i < n; i++ {
			res += a[i]
		}
		return res
	}
	n2 := n / 2
	n2 -= n2 % 8
	return pairwiseSum(a[:n2]) + pairwiseSum(a[n2:])
}
