package jsonappend

import (
	"math"
	"strconv"
	"testing"
)

// TestFloatMatchesStrconv holds the whole-number shortcut to the
// digits of strconv's shortest 'g' format, around every boundary.
func TestFloatMatchesStrconv(t *testing.T) {
	vals := []float64{0, 1, -1, 2.5, 0.1, 1e-7, 63, 145, 999999, -999999, 1e6, -1e6, 1e6 + 1, 123456.5,
		1e21, 1e300, 5e-324, math.MaxFloat64, math.Nextafter(1e6, 0), math.Nextafter(1e6, 2e6)}
	for i := -2000; i <= 2000; i++ {
		vals = append(vals, float64(i), float64(i)*499.99, float64(i)*500)
	}
	for _, v := range vals {
		if got, want := string(Float(nil, v)), strconv.FormatFloat(v, 'g', -1, 64); got != want {
			t.Errorf("Float(%v) = %s, want %s", v, got, want)
		}
	}
	special := []struct {
		v    float64
		want string
	}{{math.Copysign(0, -1), "-0"}, {math.NaN(), "null"}, {math.Inf(1), "null"}, {math.Inf(-1), "null"}}
	for _, s := range special {
		if got := string(Float(nil, s.v)); got != s.want {
			t.Errorf("Float(%v) = %s, want %s", s.v, got, s.want)
		}
	}
}
