package drift

import (
	"math"
)

// KSMethod selects how KolmogorovSmirnov computes its p-value, as the
// method argument of scipy.stats.ks_2samp.
type KSMethod string

// The p-value methods of the two-sample KS test.
const (
	// KSAuto is exact when both samples have at most 10000 values, else
	// asymptotic (SciPy's default).
	KSAuto KSMethod = "auto"
	// KSExact counts lattice paths; it falls back to KSAsymp when the
	// computation fails or lcm(n1, n2) is too large.
	KSExact KSMethod = "exact"
	// KSAsymp uses the one-sample distribution kstwo at n = round(n1·n2/(n1+n2)).
	KSAsymp KSMethod = "asymp"
)

// ksMaxAutoN is SciPy's MAX_AUTO_N: KSAuto is exact up to this sample size.
const ksMaxAutoN = 10000

// KSResult is the outcome of a two-sided two-sample Kolmogorov-Smirnov test.
type KSResult struct {
	// Statistic is D = sup |F1 - F2|. In exact mode it is rounded to the
	// lattice h/lcm(n1, n2), as SciPy does.
	Statistic float64 `json:"statistic"`
	PValue    float64 `json:"p_value"`
	// Location is the value at which the supremum is attained (the first
	// such value in SciPy's concatenation of sorted x, then sorted y).
	Location float64 `json:"location"`
	// Sign is +1 if F1 - F2 is largest there (x lies left of y), else -1.
	Sign int `json:"sign"`
	// Method is the method actually used: KSExact or KSAsymp.
	Method KSMethod `json:"method"`
}

// KolmogorovSmirnov is the two-sided two-sample KS test of x against y,
// reproducing scipy.stats.ks_2samp(x, y) (SciPy 1.10, method='auto'). It
// sorts copies of x and y; NaN values are an error (drop them first).
func KolmogorovSmirnov(x, y []float64) (KSResult, error) {
	sx, err := NewSorted(x)
	if err != nil {
		return KSResult{}, err
	}
	sy, err := NewSorted(y)
	if err != nil {
		return KSResult{}, err
	}
	return KolmogorovSmirnovSorted(sx, sy, KSAuto)
}

// KolmogorovSmirnovSorted is KolmogorovSmirnov on samples already in sorted
// form, with an explicit method ("" means KSAuto). It is O(distinct values).
func KolmogorovSmirnovSorted(x, y Sorted, method KSMethod) (KSResult, error) {
	n1, n2 := x.N(), y.N()
	if n1 == 0 || n2 == 0 {
		return KSResult{}, ErrEmpty
	}
	d, loc, sign := ksStatistic(x, y)
	mode := method
	switch mode {
	case "", KSAuto:
		mode = KSAsymp
		if max(n1, n2) <= ksMaxAutoN {
			mode = KSExact
		}
	case KSExact:
		g := gcd(n1, n2)
		if float64(n1/g) >= float64(math.MaxInt32)/float64(n2/g) {
			mode = KSAsymp
		}
	case KSAsymp:
	default:
		return KSResult{}, ErrInvalid
	}
	var p float64
	if mode == KSExact {
		var ok bool
		ok, d, p = ksExact(n1, n2, d)
		if !ok {
			mode = KSAsymp
		}
	}
	if mode == KSAsymp {
		m, n := float64(max(n1, n2)), float64(min(n1, n2))
		en := m * n / (m + n)
		p = KSTwoSidedSF(int(math.RoundToEven(en)), d)
	}
	return KSResult{Statistic: d, PValue: clamp01(p), Location: loc, Sign: sign, Method: mode}, nil
}

// ksStatistic walks the union of the distinct values once. SciPy evaluates
// F1 - F2 at every observation of concat(sorted x, sorted y) and takes the
// first argmax/argmin; the location rule below picks the same point.
func ksStatistic(x, y Sorted) (d, loc float64, sign int) {
	n1, n2 := float64(x.N()), float64(y.N())
	type best struct {
		v, loc float64
		set    bool
	}
	var maxX, maxY, minX, minY best
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
		diff := float64(cx)/n1 - float64(cy)/n2
		if ix {
			if !maxX.set || diff > maxX.v {
				maxX = best{diff, v, true}
			}
			if !minX.set || diff < minX.v {
				minX = best{diff, v, true}
			}
		}
		if iy {
			if !maxY.set || diff > maxY.v {
				maxY = best{diff, v, true}
			}
			if !minY.set || diff < minY.v {
				minY = best{diff, v, true}
			}
		}
	}
	// x's observations precede y's in SciPy's concatenation, so a tie
	// between the two goes to x.
	maxS, locMax := maxX.v, maxX.loc
	if maxY.v > maxS {
		maxS, locMax = maxY.v, maxY.loc
	}
	minD, locMin := minX.v, minX.loc
	if minY.v < minD {
		minD, locMin = minY.v, minY.loc
	}
	minS := math.Min(math.Max(-minD, 0), 1)
	if minS > maxS {
		return minS, locMin, -1
	}
	return maxS, locMax, 1
}

func gcd(a, b int) int {
	for b != 0 {
		a, b = b, a%b
	}
	return a
}

// ksExact is SciPy's _attempt_exact_2kssamp for the two-sided alternative.
// It rounds d to the lattice h/lcm and reports failure (ok false) when the
// probability is not a number in [0, 1].
func ksExact(n1, n2 int, d float64) (ok bool, dr, p float64) {
	g := gcd(n1, n2)
	lcm := (n1 / g) * n2
	h := int(math.RoundToEven(d * float64(lcm)))
	dr = float64(h) * 1.0 / float64(lcm)
	if h == 0 {
		return true, dr, 1.0
	}
	if n1 == n2 {
		p = probOutsideSquare(n1, h)
	} else {
		p = outerProbInside(n1, n2, g, h)
	}
	if !(p >= 0 && p <= 1) {
		return false, dr, p
	}
	return true, dr, p
}

// probOutsideSquare is P(D_{n,n} >= h/n), the proportion of lattice paths
// that leave the band |x - y| < h, by a Horner-like alternating sum.
func probOutsideSquare(n, h int) float64 {
	P := 0.0
	k := int(math.Floor(float64(n) / float64(h)))
	for ; k >= 0; k-- {
		p1 := 1.0
		for j := 0; j < h; j++ {
			p1 = float64(n-k*h-j) * p1 / float64(n+k*h+j+1)
		}
		P = p1 * (1.0 - P)
	}
	return 2 * P
}

// outerProbInside is the proportion of lattice paths from (0,0) to (m,n)
// that do not stay strictly inside |x/m - y/n| < h/lcm(m,n), computed
// directly as 1-p column by column (Hodges' inside method with Viehmann's
// recursion), over a sliding window of one column.
func outerProbInside(m, n, g, h int) float64 {
	if m < n {
		m, n = n, m
	}
	mg, ng := m/g, n/g
	minj, maxj := 0, min(int(math.Ceil(float64(h)/float64(mg))), n+1)
	curlen := maxj - minj
	lenA := min(2*maxj+2, n+1)
	A := make([]float64, lenA)
	for i := range A {
		A[i] = 1
	}
	for i := minj; i < maxj; i++ {
		A[i] = 0
	}
	for i := 1; i <= m; i++ {
		lastminj, lastlen := minj, curlen
		minj = max(int(math.Floor(float64(ng*i-h)/float64(mg)))+1, 0)
		minj = min(minj, n)
		maxj = min(int(math.Ceil(float64(ng*i+h)/float64(mg))), n+1)
		if maxj <= minj {
			return 1.0
		}
		val := 1.0
		if minj == 0 {
			val = 0.0
		}
		fi := float64(i)
		for jj := 0; jj < maxj-minj; jj++ {
			j := jj + minj
			src := jj + minj - lastminj
			if src >= lenA {
				return math.NaN() // outside the window: let the caller fall back
			}
			val = (float64(A[src]*fi) + float64(val*float64(j))) / (fi + float64(j))
			A[jj] = val
		}
		curlen = maxj - minj
		if lastlen > curlen {
			for idx := maxj - minj; idx < min(maxj-minj+(lastlen-curlen), lenA); idx++ {
				A[idx] = 1
			}
		}
	}
	return A[maxj-minj-1]
}
