package linear

import (
	"math"
	"math/rand"
	"testing"
)

func TestExpNeg(t *testing.T) {
	rng := rand.New(rand.NewSource(1))
	check := func(x float64) {
		t.Helper()
		got, want := expNeg(x), math.Exp(x)
		if x < -708 {
			if got != 0 {
				t.Fatalf("expNeg(%v) = %v, want 0", x, got)
			}
			return
		}
		if d := math.Abs(got-want) / want; d > 1e-15 {
			t.Fatalf("expNeg(%v) = %v, math.Exp %v (relative error %.2g)", x, got, want, d)
		}
	}
	for _, x := range []float64{0, math.Copysign(0, -1), -1e-300, -1e-17, -0.5 * math.Ln2, -math.Ln2, -1, -20, -700, -708, -709, -1e9, math.Inf(-1)} {
		check(x)
	}
	for i := 0; i < 1_000_000; i++ {
		check(-rng.ExpFloat64() * 8)
		check(-rng.Float64() * 708)
	}
	if v := expNeg(math.NaN()); v != 0 {
		t.Fatalf("expNeg(NaN) = %v, want 0", v)
	}
}
