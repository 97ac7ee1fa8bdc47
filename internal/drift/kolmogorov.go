package drift

import "math"

// This file holds the null distributions of the Kolmogorov-Smirnov
// statistics, computed as SciPy 1.10 computes them so that p-values agree to
// many digits: scipy.special.smirnov (one-sided, exact sum in double-double)
// and scipy.stats.kstwo (two-sided, Simard & L'Ecuyer's choice among
// Durbin's matrix method, Pomeranz's recursion, the Pelz-Good expansion and
// the one-sided tail).

const (
	// minLog is log(2^-1075): exp of anything below is 0.
	minLog = -7.451332191019412076235e2
	// smirnovMaxComputeN: above it the one-sided tail uses an approximation.
	smirnovMaxComputeN = 1000000
	smUpperMaxTerms    = 3
	smUpperSumMinN     = 10
)

// modNX returns the fractional part of n*x and floor(n*x), exactly.
func modNX(n int, x float64) (alpha float64, nxFloor int, nx float64) {
	p, e := twoProd(float64(n), x)
	nxD := dd{p, e}
	fl := ddFloor(nxD)
	a := ddSub(nxD, fl)
	alpha = a.hi
	nxFloor = int(fl.hi + fl.lo)
	if alpha == 1 {
		nxFloor++
		alpha = 0
	}
	return alpha, nxFloor, nxD.hi
}

func pow4(a, b, c, d float64, m int) dd {
	if m <= 0 {
		if m == 0 {
			return dd{1, 0}
		}
		return pow4(c, d, a, b, -m)
	}
	A := ddAddF(dd{a, 0}, b)
	C := ddAddF(dd{c, 0}, d)
	if A.hi == 0 {
		if C.hi == 0 {
			return dd{math.NaN(), 0}
		}
		return dd{}
	}
	if C.hi == 0 {
		if A.hi < 0 {
			return dd{math.Inf(-1), 0}
		}
		return dd{math.Inf(1), 0}
	}
	return ddPow(ddDiv(A, C), m)
}

// binomialStep multiplies the scaled binomial coefficient C(n, j) held as
// mantissa and exponent by (n-j)/(j+1), giving C(n, j+1).
func binomialStep(man dd, expt int, n, j int) (dd, int) {
	rat := ddDivF(dd{float64(n - j), 0}, float64(j)+1.0)
	m, e := ddFrexp(ddMul(man, rat))
	return m, expt + e
}

// smirnovTerm computes C(n,v) * (1-x-v/n)^(n-v) * (x+v/n)^(v-1).
func smirnovTerm(n int, x float64, v int, cman dd, cexpt int) dd {
	t2x := ddAddF(ddDivF(dd{float64(n - v), 0}, float64(n)), -x)
	t2, t2E := ddPowScaled(t2x, n-v)
	t1x := ddAddF(ddDivF(dd{float64(v), 0}, float64(n)), x)
	t1, t1E := ddPowScaled(t1x, v-1)
	ans := ddMul(ddMul(t1, t2), cman)
	return ddLdexp(ans, cexpt+t1E+t2E)
}

// SmirnovSF is the survival function of the one-sided Kolmogorov-Smirnov
// statistic D+ for a sample of size n: P(D+_n > d). It reproduces
// scipy.special.smirnov(n, d). It returns NaN for n < 1 or d outside [0, 1].
func SmirnovSF(n int, d float64) float64 {
	x := d
	if !(n > 0 && x >= 0 && x <= 1) {
		return math.NaN()
	}
	if n == 1 {
		return 1 - x
	}
	if x == 0 {
		return 1
	}
	if x == 1 {
		return 0
	}
	alpha, nxfl, _ := modNX(n, x)
	n1mxfl := n - nxfl
	if alpha != 0 {
		n1mxfl--
	}
	n1mxceil := n - nxfl
	if alpha == 0 {
		n1mxfl--
		n1mxceil++
	}
	// x <= 1/n
	if nxfl == 0 || (nxfl == 1 && alpha == 0) {
		t := ddPow(ddAddF(dd{1, 0}, x), n-1).hi
		return clamp01(1 - x*t)
	}
	// The tail underflows.
	if -2*float64(n)*x*x < minLog {
		return 0
	}
	// x >= 1 - 1/n
	if nxfl >= n-1 {
		return clamp01(ddPow(ddAddF(dd{1, 0}, -x), n).hi)
	}
	if n > smirnovMaxComputeN {
		logp := -math.Pow(6.0*float64(n)*x+1, 2) / 18.0 / float64(n)
		if logp < -math.Ln2 {
			return clamp01(math.Exp(logp))
		}
		return clamp01(1 - (-math.Expm1(logp)))
	}
	nUpperTerms := n - n1mxceil + 1
	useUpper := nUpperTerms <= 1 && x < 0.5
	useUpper = useUpper || (n >= smUpperSumMinN && nUpperTerms <= smUpperMaxTerms && x <= 0.5/math.Sqrt(float64(n)))

	start, step, nTerms := 0, 1, n1mxfl+1
	vmid := n / 2
	cman, cexpt := dd{1, 0}, 0
	var aj, sum dd
	if useUpper {
		start, step, nTerms = n, -1, n-n1mxceil+1
		aj = pow4(1, x, 1, 0, n-1)
	} else {
		aj = ddDivF(pow4(1, -x, 1, 0, n), x)
	}
	sum = ddAdd(sum, aj)
	cman, cexpt = binomialStep(cman, cexpt, n, 0)
	for j := 1; j < nTerms; j++ {
		v := start + j*step
		aj = smirnovTerm(n, x, v, cman, cexpt)
		if !math.IsInf(aj.hi, 0) && !math.IsNaN(aj.hi) && aj.hi != 0 {
			sum = ddAdd(sum, aj)
		}
		if aj.hi != 0 {
			if 4*float64(nTerms-j)*math.Abs(aj.hi) < epsilon*sum.hi && j != nTerms-1 {
				break
			}
		} else if j > vmid {
			break
		}
		cman, cexpt = binomialStep(cman, cexpt, n, j)
	}
	prob := ddMulF(sum, x).hi
	if step < 0 {
		return clamp01(1 - prob)
	}
	return clamp01(prob)
}

const epsilon = 2.220446049250313e-16

func clamp01(p float64) float64 {
	switch {
	case p < 0:
		return 0
	case p > 1:
		return 1
	}
	return p
}

// KSTwoSidedSF is the survival function of the two-sided one-sample
// Kolmogorov-Smirnov statistic D_n: P(D_n >= d), as scipy.stats.kstwo.sf(d, n).
// ks_2samp's asymptotic p-value is KSTwoSidedSF(round(n1*n2/(n1+n2)), D).
// It returns NaN for n < 1 or a NaN d.
func KSTwoSidedSF(n int, d float64) float64 {
	if n < 1 || math.IsNaN(d) {
		return math.NaN()
	}
	// kstwo's support is [0.5/n, 1].
	if d >= 1 {
		return 0
	}
	if d <= 0.5/float64(n) {
		return 1
	}
	return kolmogn(n, d, false)
}

// kolmogn follows scipy.stats._ksstats._kolmogn.
func kolmogn(n int, x float64, cdf bool) float64 {
	pick := func(c, s float64) float64 {
		if cdf {
			return clamp01(c)
		}
		return clamp01(s)
	}
	if x >= 1 {
		return pick(1, 0)
	}
	if x <= 0 {
		return pick(0, 1)
	}
	fn := float64(n)
	t := fn * x
	if t <= 1.0 { // Ruben-Gambino
		if t <= 0.5 {
			return pick(0, 1)
		}
		var prob float64
		if n <= 140 {
			prob = 1.0
			for i := 1; i <= n; i++ {
				prob *= float64(i) * (1.0 / fn) * (2*t - 1)
			}
		} else {
			prob = math.Exp(logNFactorialDivNPowN(fn) + fn*math.Log(2*t-1))
		}
		return pick(prob, 1.0-prob)
	}
	if t >= fn-1 { // Ruben-Gambino
		prob := 2 * math.Pow(1.0-x, fn)
		return pick(1-prob, prob)
	}
	if x >= 0.5 {
		prob := 2 * SmirnovSF(n, x)
		return pick(1.0-prob, prob)
	}
	nxsquared := t * x
	if n <= 140 {
		if nxsquared <= 0.754693 {
			prob := kolmogDurbin(n, x)
			return pick(prob, 1.0-prob)
		}
		if nxsquared <= 4 {
			prob := kolmogPomeranz(n, x)
			return pick(prob, 1.0-prob)
		}
		prob := 2 * SmirnovSF(n, x)
		return pick(1.0-prob, prob)
	}
	if !cdf {
		if nxsquared >= 370.0 {
			return 0
		}
		if nxsquared >= 2.2 {
			return clamp01(2 * SmirnovSF(n, x))
		}
	}
	var cdfprob float64
	switch {
	case nxsquared >= 18.0:
		cdfprob = 1.0
	case n <= 100000 && fn*math.Pow(x, 1.5) <= 1.4:
		cdfprob = kolmogDurbin(n, x)
	default:
		cdfprob = kolmogPelzGood(n, x)
	}
	return pick(cdfprob, 1.0-cdfprob)
}

var stirlingCoeffs = [...]float64{
	-2.955065359477124183e-2, 6.4102564102564102564e-3,
	-1.9175269175269175269e-3, 8.4175084175084175084e-4,
	-5.952380952380952381e-4, 7.9365079365079365079e-4,
	-2.7777777777777777778e-3, 8.3333333333333333333e-2,
}

// logNFactorialDivNPowN is log(n!/n^n) by Stirling's series.
func logNFactorialDivNPowN(n float64) float64 {
	rn := 1.0 / n
	x := rn / n
	var poly float64
	for _, c := range stirlingCoeffs {
		poly = float64(poly*x) + c
	}
	return math.Log(n)/2 - n + math.Log(2*math.Pi)/2 + rn*poly
}

const (
	e128  = 128
	ep128 = 0x1p128
	em128 = 0x1p-128
)

// kolmogDurbin is P(D_n <= d) by Durbin's matrix method as Marsaglia, Tsang
// and Wang compute it: the k-th diagonal element of H^n, scaled by n!/n^n.
func kolmogDurbin(n int, d float64) float64 {
	if d >= 1.0 {
		return 1
	}
	nd := float64(n) * d
	if nd <= 0.5 {
		return 0
	}
	k := int(math.Ceil(nd))
	h := float64(k) - nd
	m := 2*k - 1

	v := make([]float64, m)
	w := make([]float64, m)
	fac := 1.0
	for j := 1; j <= m; j++ {
		v[j-1] = 1.0 - math.Pow(h, float64(j))
		w[j-1] = fac
		fac /= float64(j)
		v[j-1] *= fac
	}
	tt := math.Pow(math.Max(2*h-1.0, 0), float64(m)) - 2*math.Pow(h, float64(m))
	v[m-1] = (1.0 + tt) * fac

	H := newSquare(m)
	for i := 1; i < m; i++ {
		for r := i - 1; r < m; r++ {
			H[r*m+i] = w[r-(i-1)]
		}
	}
	for r := 0; r < m; r++ {
		H[r*m] = v[r]
	}
	for c := 0; c < m; c++ {
		H[(m-1)*m+c] = v[m-1-c]
	}

	pw := newSquare(m)
	for i := 0; i < m; i++ {
		pw[i*m+i] = 1
	}
	tmp := newSquare(m)
	expnt, hExpnt := 0, 0
	for nn := n; nn > 0; nn /= 2 {
		if nn%2 == 1 {
			matMul(tmp, pw, H, m)
			pw, tmp = tmp, pw
			expnt += hExpnt
		}
		matMul(tmp, H, H, m)
		H, tmp = tmp, H
		hExpnt *= 2
		if math.Abs(H[(k-1)*m+k-1]) > ep128 {
			for i := range H {
				H[i] /= ep128
			}
			hExpnt += e128
		}
	}
	p := pw[(k-1)*m+k-1]
	for i := 1; i <= n; i++ {
		p = float64(i) * p / float64(n)
		if math.Abs(p) < em128 {
			p *= ep128
			expnt -= e128
		}
	}
	if expnt != 0 {
		p = math.Ldexp(p, expnt)
	}
	return clamp01(p)
}

func newSquare(m int) []float64 { return make([]float64, m*m) }

// matMul sets dst = a·b for m×m row-major matrices.
func matMul(dst, a, b []float64, m int) {
	clear(dst)
	for i := 0; i < m; i++ {
		row := dst[i*m : (i+1)*m]
		for k := 0; k < m; k++ {
			aik := a[i*m+k]
			if aik == 0 {
				continue
			}
			bk := b[k*m : (k+1)*m]
			for j := range row {
				row[j] += float64(aik * bk[j])
			}
		}
	}
}

func pomeranzJ1J2(i, n, ll, ceilf, roundf int) (int, int) {
	var j1, j2 int
	if i == 0 {
		j1, j2 = -ll-ceilf-1, ll+ceilf-1
	} else {
		ip1div2, ip1mod2 := (i+1)/2, (i+1)%2
		if ip1mod2 == 0 { // i is odd
			if ip1div2 == n+1 {
				j1, j2 = n-ll-ceilf-1, n+ll+ceilf-1
			} else {
				j1, j2 = ip1div2-1-ll-roundf-1, ip1div2+ll-1+ceilf-1
			}
		} else {
			j1, j2 = ip1div2-1-ll-1, ip1div2+ll+roundf-1
		}
	}
	return max(j1+2, 0), min(j2, n)
}

// kolmogPomeranz is P(D_n <= d) by Pomeranz's recursion.
func kolmogPomeranz(n int, x float64) float64 {
	fn := float64(n)
	t := fn * x
	ll := int(math.Floor(t))
	f := t - float64(ll)
	g := math.Min(f, 1.0-f)
	ceilf, roundf := 0, 0
	if f > 0 {
		ceilf = 1
	}
	if f > 0.5 {
		roundf = 1
	}
	npwrs := 2 * (ll + 1)
	gpower := make([]float64, npwrs)
	twogpower := make([]float64, npwrs)
	onem2gpower := make([]float64, npwrs)
	gpower[0], twogpower[0], onem2gpower[0] = 1, 1, 1
	gOverN, twoGOverN, oneMinusTwoGOverN := g/fn, 2*g/fn, (1-2*g)/fn
	for m := 1; m < npwrs; m++ {
		gpower[m] = gpower[m-1] * gOverN / float64(m)
		twogpower[m] = twogpower[m-1] * twoGOverN / float64(m)
		onem2gpower[m] = onem2gpower[m-1] * oneMinusTwoGOverN / float64(m)
	}
	V0 := make([]float64, npwrs)
	V1 := make([]float64, npwrs)
	V1[0] = 1
	v0s, v1s := 0, 0
	expnt := 0
	conv := make([]float64, 2*npwrs)
	j1, j2 := pomeranzJ1J2(0, n, ll, ceilf, roundf)
	for i := 1; i < 2*n+2; i++ {
		k1 := j1
		V0, V1 = V1, V0
		v0s, v1s = v1s, v0s
		clear(V1)
		j1, j2 = pomeranzJ1J2(i, n, ll, ceilf, roundf)
		var pwrs []float64
		switch {
		case i == 1 || i == 2*n+1:
			pwrs = gpower
		case i%2 == 1:
			pwrs = twogpower
		default:
			pwrs = onem2gpower
		}
		ln2 := j2 - k1 + 1
		if ln2 <= 0 {
			continue
		}
		a := pySlice(V0, k1-v0s, k1-v0s+ln2)
		b := pySlice(pwrs, 0, ln2)
		nc := len(a) + len(b) - 1
		c := conv[:max(nc, 0)]
		clear(c)
		for p := range a {
			for q := range b {
				c[p+q] += float64(a[p] * b[q])
			}
		}
		convStart := j1 - k1
		convLen := j2 - j1 + 1
		src := pySlice(c, convStart, convStart+convLen)
		copy(V1[:min(convLen, len(V1))], src)
		mx := math.Inf(-1)
		for _, u := range V1 {
			mx = math.Max(mx, u)
		}
		if 0 < mx && mx < em128 {
			for idx := range V1 {
				V1[idx] *= ep128
			}
			expnt -= e128
		}
		v1s = v0s + j1 - k1
	}
	ans := V1[n-v1s]
	for m := 1; m <= n; m++ {
		if math.Abs(ans) > ep128 {
			ans *= em128
			expnt += e128
		}
		ans *= float64(m)
	}
	if expnt != 0 {
		ans = math.Ldexp(ans, expnt)
	}
	return clamp01(ans)
}

// pySlice is s[lo:hi] with Python's clamping of out-of-range bounds.
func pySlice(s []float64, lo, hi int) []float64 {
	lo = max(lo, 0)
	hi = min(hi, len(s))
	if lo >= hi {
		return nil
	}
	return s[lo:hi]
}

// kolmogPelzGood is the Pelz-Good approximation to P(D_n <= x).
func kolmogPelzGood(n int, x float64) float64 {
	if x <= 0.0 {
		return 0
	}
	if x >= 1.0 {
		return 1
	}
	fn := float64(n)
	z := math.Sqrt(fn) * x
	zsquared, zthree, zfour, zsix := z*z, z*z*z, math.Pow(z, 4), math.Pow(z, 6)
	pi2 := math.Pi * math.Pi
	pi4 := math.Pow(math.Pi, 4)
	pi6 := math.Pow(math.Pi, 6)
	sqrt2pi := math.Sqrt(2 * math.Pi)

	qlog := -pi2 / 8 / zsquared
	if qlog < -708 {
		return 0
	}
	q := math.Exp(qlog)

	k1a := -zsquared
	k1b := pi2 / 4
	k2a := 6*zsix + 2*zfour
	k2b := (2*zfour - 5*zsquared) * pi2 / 4
	k2c := pi4 * (1 - 2*zsquared) / 16
	k3d := pi6 * (5 - 30*zsquared) / 64
	k3c := pi4 * (-60*zsquared + 212*zfour) / 16
	k3b := pi2 * (135*zfour - 96*zsix) / 4
	k3a := -30*zsix - 90*math.Pow(z, 8)

	var K [4]float64
	maxk := int(math.Ceil(16 * z / math.Pi))
	for k := maxk; k > 0; k-- {
		m := float64(2*k - 1)
		msquared, mfour, msix := m*m, math.Pow(m, 4), math.Pow(m, 6)
		qpower := math.Pow(q, float64(8*k))
		coeffs := [4]float64{
			1.0,
			k1a + k1b*msquared,
			k2a + k2b*msquared + k2c*mfour,
			k3a + k3b*msquared + k3c*mfour + k3d*msix,
		}
		for i := range K {
			K[i] = float64(K[i]*qpower) + coeffs[i]
		}
	}
	div := [4]float64{z, 6 * zfour, 72 * math.Pow(z, 7), 6480 * math.Pow(z, 10)}
	for i := range K {
		K[i] = K[i] * q * sqrt2pi / div[i]
	}

	q = math.Exp(-pi2 / 2 / zsquared)
	sqrt3z := math.Sqrt(3) * z
	var k2extra, k3extra float64
	for k := maxk; k > 0; k-- {
		kf := float64(k)
		ksq := kf * kf
		qp := math.Pow(q, ksq)
		kspi := math.Pi * kf
		k2extra += float64(ksq * qp)
		k3extra += float64((sqrt3z + kspi) * (sqrt3z - kspi) * ksq * qp)
	}
	K[2] += k2extra * (pi2 * sqrt2pi / (-36 * zthree))
	K[3] += k3extra * (pi2 * sqrt2pi / (216 * zsix))
	for i := range K {
		K[i] /= math.Pow(fn, float64(i)/2.0)
	}
	return K[0] + K[1] + K[2] + K[3]
}
