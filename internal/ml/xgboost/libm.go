package xgboost

import "math"

// expf and logf compute exp and log of a float32 exactly as glibc (2.28 and
// later) does, whose results XGBoost's float32 formulas are built on: the
// algorithms of Arm's optimized-routines (MIT licence), which evaluate a
// short polynomial in float64 around a table point and round once to
// float32. float32(math.Exp(x)) is the correctly rounded value, which
// differs from glibc's in about one input in two thousand. The products are
// rounded explicitly so that no multiply is fused with an add; glibc's
// fused and unfused builds agree on every input the tests try.

// exp2Tab[i] holds the bits of 2^(i/32) less i<<47, so that adding k<<47
// for an integer k gives the bits of 2^(k/32).
var exp2Tab = [32]uint64{
	0x3ff0000000000000, 0x3fefd9b0d3158574, 0x3fefb5586cf9890f, 0x3fef9301d0125b51,
	0x3fef72b83c7d517b, 0x3fef54873168b9aa, 0x3fef387a6e756238, 0x3fef1e9df51fdee1,
	0x3fef06fe0a31b715, 0x3feef1a7373aa9cb, 0x3feedea64c123422, 0x3feece086061892d,
	0x3feebfdad5362a27, 0x3feeb42b569d4f82, 0x3feeab07dd485429, 0x3feea47eb03a5585,
	0x3feea09e667f3bcd, 0x3fee9f75e8ec5f74, 0x3feea11473eb0187, 0x3feea589994cce13,
	0x3feeace5422aa0db, 0x3feeb737b0cdc5e5, 0x3feec49182a3f090, 0x3feed503b23e255d,
	0x3feee89f995ad3ad, 0x3feeff76f2fb5e47, 0x3fef199bdd85529c, 0x3fef3720dcef9069,
	0x3fef5818dcfba487, 0x3fef7c97337b9b5f, 0x3fefa4afa2a490da, 0x3fefd0765b6e4540,
}

const (
	expN       = 32
	expInvLn2N = 0x1.71547652b82fep+0 * expN
	expShift   = 0x1.8p+52 // adding it rounds to an integer held in the low bits
	expC0      = 0x1.c6af84b912394p-5 / expN / expN / expN
	expC1      = 0x1.ebfce50fac4f3p-3 / expN / expN
	expC2      = 0x1.62e42ff0c52d6p-1 / expN
)

// expf is glibc's expf.
func expf(x float32) float32 {
	top := func(f float32) uint32 { return math.Float32bits(f) >> 20 & 0x7ff }
	if abstop := top(x); abstop >= top(88) {
		switch {
		case math.IsInf(float64(x), -1):
			return 0
		case abstop >= top(float32(math.Inf(1))):
			return x + x // NaN or +Inf
		case x > 0x1.62e42ep6:
			return float32(math.Inf(1))
		case x < -0x1.9fe368p6:
			return 0
		}
	}
	// x*N/ln2 = k + r with r in [-1/2, 1/2] and k an integer
	z := float64(expInvLn2N * float64(x))
	kd := z + expShift
	ki := math.Float64bits(kd)
	kd -= expShift
	r := z - kd
	// exp(x) = 2^(k/N) * 2^(r/N) ≈ s * (C0 r³ + C1 r² + C2 r + 1)
	s := math.Float64frombits(exp2Tab[ki%expN] + ki<<(52-5))
	p := float64(expC0*r) + expC1
	r2 := float64(r * r)
	y := float64(expC2*r) + 1
	y = float64(p*r2) + y
	return float32(y * s)
}

// logTab holds, for 16 subintervals of [0x3f330000, 2*0x3f330000) as
// float32 bits, 1/c and log(c) for a c near the middle of each.
var logTab = [16][2]float64{
	{0x1.661ec79f8f3bep+0, -0x1.57bf7808caadep-2},
	{0x1.571ed4aaf883dp+0, -0x1.2bef0a7c06ddbp-2},
	{0x1.49539f0f010bp+0, -0x1.01eae7f513a67p-2},
	{0x1.3c995b0b80385p+0, -0x1.b31d8a68224e9p-3},
	{0x1.30d190c8864a5p+0, -0x1.6574f0ac07758p-3},
	{0x1.25e227b0b8eap+0, -0x1.1aa2bc79c81p-3},
	{0x1.1bb4a4a1a343fp+0, -0x1.a4e76ce8c0e5ep-4},
	{0x1.12358f08ae5bap+0, -0x1.1973c5a611cccp-4},
	{0x1.0953f419900a7p+0, -0x1.252f438e10c1ep-5},
	{0x1p+0, 0x0p+0},
	{0x1.e608cfd9a47acp-1, 0x1.aa5aa5df25984p-5},
	{0x1.ca4b31f026aap-1, 0x1.c5e53aa362eb4p-4},
	{0x1.b2036576afce6p-1, 0x1.526e57720db08p-3},
	{0x1.9c2d163a1aa2dp-1, 0x1.bc2860d22477p-3},
	{0x1.886e6037841edp-1, 0x1.1058bc8a07ee1p-2},
	{0x1.767dcf5534862p-1, 0x1.4043057b6ee09p-2},
}

const (
	logLn2 = 0x1.62e42fefa39efp-1
	logA0  = -0x1.00ea348b88334p-2
	logA1  = 0x1.5575b0be00b6ap-2
	logA2  = -0x1.ffffef20a4123p-2
	logOff = 0x3f330000
)

// logf is glibc's logf.
func logf(x float32) float32 {
	ix := math.Float32bits(x)
	if ix == 0x3f800000 {
		return 0
	}
	if ix-0x00800000 >= 0x7f800000-0x00800000 {
		switch {
		case ix*2 == 0:
			return float32(math.Inf(-1))
		case ix == 0x7f800000:
			return x
		case ix&0x80000000 != 0 || ix*2 >= 0xff000000:
			return float32(math.NaN())
		}
		// subnormal: scale into the normal range
		ix = math.Float32bits(x*0x1p23) - 23<<23
	}
	// x = 2^k z with z in [logOff, 2 logOff) and exact
	tmp := ix - logOff
	i := tmp >> (23 - 4) % 16
	k := int32(tmp) >> 23
	z := float64(math.Float32frombits(ix - tmp&0xff800000))
	invc, logc := logTab[i][0], logTab[i][1]
	// log(x) = log1p(z/c - 1) + log(c) + k ln2
	r := float64(z*invc) - 1
	y0 := logc + float64(float64(k)*logLn2)
	r2 := float64(r * r)
	y := float64(logA1*r) + logA2
	y = float64(logA0*r2) + y
	y = float64(y*r2) + (y0 + r)
	return float32(y)
}
