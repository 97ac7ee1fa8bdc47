package drift

import "math"

// dd is a double-double number hi+lo with |lo| <= ulp(hi)/2, about 106 bits
// of precision. The one-sided Smirnov distribution needs it: its terms are
// products of binomial coefficients near 2^±1000 and powers of numbers close
// to 1, where float64 alone loses the last digits that a p-value of 1e-10
// still needs.
type dd struct{ hi, lo float64 }

func twoSum(a, b float64) (s, e float64) {
	s = a + b
	bb := s - a
	e = (a - (s - bb)) + (b - bb)
	return s, e
}

func quickTwoSum(a, b float64) (s, e float64) {
	s = a + b
	e = b - (s - a)
	return s, e
}

func twoProd(a, b float64) (p, e float64) {
	p = a * b
	e = math.FMA(a, b, -p)
	return p, e
}

func ddAdd(a, b dd) dd {
	s1, s2 := twoSum(a.hi, b.hi)
	t1, t2 := twoSum(a.lo, b.lo)
	s2 += t1
	s1, s2 = quickTwoSum(s1, s2)
	s2 += t2
	s1, s2 = quickTwoSum(s1, s2)
	return dd{s1, s2}
}

func ddAddF(a dd, b float64) dd {
	s1, s2 := twoSum(a.hi, b)
	s2 += a.lo
	s1, s2 = quickTwoSum(s1, s2)
	return dd{s1, s2}
}

func ddNeg(a dd) dd { return dd{-a.hi, -a.lo} }

func ddSub(a, b dd) dd { return ddAdd(a, ddNeg(b)) }

func ddMul(a, b dd) dd {
	p1, p2 := twoProd(a.hi, b.hi)
	p2 += a.hi*b.lo + a.lo*b.hi
	p1, p2 = quickTwoSum(p1, p2)
	return dd{p1, p2}
}

func ddMulF(a dd, b float64) dd {
	p1, p2 := twoProd(a.hi, b)
	p2 += a.lo * b
	p1, p2 = quickTwoSum(p1, p2)
	return dd{p1, p2}
}

func ddDiv(a, b dd) dd {
	q1 := a.hi / b.hi
	r := ddSub(a, ddMulF(b, q1))
	q2 := r.hi / b.hi
	r = ddSub(r, ddMulF(b, q2))
	q3 := r.hi / b.hi
	q1, q2 = quickTwoSum(q1, q2)
	return ddAddF(dd{q1, q2}, q3)
}

func ddDivF(a dd, b float64) dd { return ddDiv(a, dd{b, 0}) }

func ddFloor(a dd) dd {
	hi := math.Floor(a.hi)
	lo := 0.0
	if hi == a.hi {
		lo = math.Floor(a.lo)
		hi, lo = quickTwoSum(hi, lo)
	}
	return dd{hi, lo}
}

// ddFrexp splits a into a mantissa with |hi| in [0.5, 1) and a power of two.
func ddFrexp(a dd) (dd, int) {
	man, e := math.Frexp(a.hi)
	b := math.Ldexp(a.lo, -e)
	if math.Abs(man) == 0.5 && man*b < 0 {
		man *= 2
		b *= 2
		e--
	}
	return dd{man, b}, e
}

func ddLdexp(a dd, e int) dd { return dd{math.Ldexp(a.hi, e), math.Ldexp(a.lo, e)} }

// ddPow raises a to the integer power m: math.Pow on the high part and a
// first-order (or exact log1p/expm1) correction for the low part.
func ddPow(a dd, m int) dd {
	if m <= 0 {
		if m == 0 {
			return dd{1, 0}
		}
		return ddDiv(dd{1, 0}, ddPow(a, -m))
	}
	if a.hi == 0 && a.lo == 0 {
		return dd{}
	}
	ans := math.Pow(a.hi, float64(m))
	r := a.lo / a.hi
	adj := float64(m) * r
	if math.Abs(adj) > 1e-8 {
		if math.Abs(adj) < 1e-4 {
			adj += (float64(m) * r) * (float64(m-1) / 2.0 * r)
		} else {
			adj = math.Expm1(float64(m) * math.Log1p(r))
		}
	}
	return ddAddF(dd{ans, 0}, ans*adj)
}

// smMaxExponent bounds the binary exponent of an intermediate power so both
// halves of a dd stay normal.
const smMaxExponent = 960

func nextPowerOf2(x float64) float64 {
	q := math.Ldexp(x, 1-53)
	l := math.Abs(q + x)
	if l == 0 {
		return math.Abs(x)
	}
	if li := float64(int64(l)); li == l {
		return li
	}
	return l
}

// ddPowScaled returns a^m as a mantissa and a binary exponent, splitting the
// power when the result would leave the float64 range.
func ddPowScaled(a dd, m int) (dd, int) {
	if m <= 0 {
		if m == 0 {
			return dd{1, 0}, 0
		}
		ans, e1 := ddPowScaled(a, -m)
		inv, e2 := ddFrexp(ddDiv(dd{1, 0}, ans))
		return inv, -e1 + e2
	}
	y, yE := ddFrexp(a)
	if m == 1 {
		return y, yE
	}
	maxExpt := smMaxExponent
	if float64(m)*(y.hi-1)/y.hi < -smMaxExponent*math.Ln2 {
		lg2y := math.Log(y.hi) / math.Ln2
		if float64(m)*lg2y <= -smMaxExponent {
			maxExpt = int(nextPowerOf2(-smMaxExponent/lg2y+1) / 2)
		}
	}
	if m <= maxExpt {
		ans, ansE := ddFrexp(ddPow(y, m))
		return ans, ansE + m*yE
	}
	q, r := m/maxExpt, m%maxExpt
	y2r, y2rE := ddPowScaled(y, r)
	y2m, y2mE := ddPowScaled(y, maxExpt)
	y2mq, y2mqE := ddPowScaled(y2m, q)
	ans, ansE := ddFrexp(ddMul(y2r, y2mq))
	y2mqE += y2mE * q
	ansE += y2mqE + y2rE + m*yE
	return ans, ansE
}
