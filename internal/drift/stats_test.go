package drift

import (
	"errors"
	"math"
	"slices"
	"testing"
)

func TestAdjustments(t *testing.T) {
	p := []float64{0.01, 0.04, 0.03, 0.005, math.NaN(), 0.5}
	// m = 5 non-NaN; sorted 0.005 0.01 0.03 0.04 0.5 → p·m/rank
	// 0.025 0.025 0.05 0.05 0.5, already monotone.
	wantBH := []float64{0.025, 0.05, 0.05, 0.025, math.NaN(), 0.5}
	wantBonf := []float64{0.05, 0.2, 0.15, 0.025, math.NaN(), 1}
	for name, c := range map[string]struct{ got, want []float64 }{
		"bh":         {AdjustBH(p), wantBH},
		"bonferroni": {AdjustBonferroni(p), wantBonf},
		"none":       {Adjust(p, CorrectionNone), p},
	} {
		for i := range c.want {
			if !agree(c.got[i], c.want[i]) {
				t.Errorf("%s[%d] = %v, want %v", name, i, c.got[i], c.want[i])
			}
		}
	}
	// Step-up: a large p-value lifts the smaller ones' adjustment down to it.
	got := AdjustBH([]float64{0.04, 0.041, 0.042})
	if !slices.Equal(got, []float64{0.042, 0.042, 0.042}) {
		t.Errorf("AdjustBH(0.04, 0.041, 0.042) = %v, want all 0.042", got)
	}
}

func TestFillZerosFollowsEvidently(t *testing.T) {
	for _, c := range []struct{ in, want []float64 }{
		{[]float64{0.5, 0, 0.5}, []float64{0.5, 0.0001, 0.5}},
		{[]float64{0.99995, 0, 0.00005}, []float64{0.99995, 0.00005 / 1e6, 0.00005}},
		{[]float64{0.9999, 0, 0.0001}, []float64{0.9999, 0.0001 / 1e6, 0.0001}}, // <= 1e-4: divided
		{[]float64{0, 0}, []float64{0, 0}},
	} {
		if got := FillZeros(c.in); !slices.Equal(got, c.want) {
			t.Errorf("FillZeros(%v) = %v, want %v", c.in, got, c.want)
		}
	}
}

func TestStatisticErrors(t *testing.T) {
	if _, _, err := ChiSquare([]float64{10, 10}, []float64{10, 11}); !errors.Is(err, ErrInvalid) {
		t.Errorf("chisquare with sums 20 and 21: %v, want ErrInvalid", err)
	}
	if _, err := ChiSquareContingency([][]float64{{1, 0}, {2, 0}}, true); !errors.Is(err, ErrInvalid) {
		t.Errorf("contingency with an empty column: %v, want ErrInvalid", err)
	}
	if _, err := ChiSquareContingency([][]float64{{1, 2}, {3}}, true); !errors.Is(err, ErrInvalid) {
		t.Errorf("ragged contingency table: %v, want ErrInvalid", err)
	}
	if _, err := KolmogorovSmirnov(nil, []float64{1}); !errors.Is(err, ErrEmpty) {
		t.Errorf("KS of an empty sample: %v, want ErrEmpty", err)
	}
	if _, err := Wasserstein([]float64{1, math.NaN()}, []float64{1}); !errors.Is(err, ErrNonFinite) {
		t.Errorf("Wasserstein with NaN: %v, want ErrNonFinite", err)
	}
	if _, err := SturgesEdges(3, 0, math.Inf(1)); !errors.Is(err, ErrNonFinite) {
		t.Errorf("Sturges over an infinite range: %v, want ErrNonFinite", err)
	}
	if _, err := Histogram([]float64{1}, []float64{2, 1}); !errors.Is(err, ErrInvalid) {
		t.Errorf("histogram with descending edges: %v, want ErrInvalid", err)
	}
	if _, err := KolmogorovSmirnovSorted(mustSorted(t, []float64{1}), mustSorted(t, []float64{2}), "bogus"); !errors.Is(err, ErrInvalid) {
		t.Errorf("unknown KS method: %v, want ErrInvalid", err)
	}
}

func TestKSExplicitMethods(t *testing.T) {
	x, y := continuous(1, 300, 0), continuous(2, 200, 0.2)
	sx, sy := mustSorted(t, x), mustSorted(t, y)
	exact, _ := KolmogorovSmirnovSorted(sx, sy, KSExact)
	asymp, _ := KolmogorovSmirnovSorted(sx, sy, KSAsymp)
	auto, _ := KolmogorovSmirnovSorted(sx, sy, KSAuto)
	if exact.Method != KSExact || asymp.Method != KSAsymp || auto != exact {
		t.Fatalf("methods %s %s, auto %+v vs exact %+v", exact.Method, asymp.Method, auto, exact)
	}
	if math.Abs(exact.PValue-asymp.PValue) > 0.05 || exact.PValue == asymp.PValue {
		t.Errorf("exact p %v and asymptotic p %v should be close but not equal", exact.PValue, asymp.PValue)
	}
	// Identical samples: D = 0, p = 1.
	same, _ := KolmogorovSmirnov(x, x)
	if same.Statistic != 0 || same.PValue != 1 || same.Location != mustSorted(t, x).Min() {
		t.Errorf("x against itself: %+v", same)
	}
}

func TestJensenShannonBounds(t *testing.T) {
	if got := JensenShannon([]float64{1, 0}, []float64{0, 1}, 2); got != 1 {
		t.Errorf("disjoint distributions, base 2: %v, want 1", got)
	}
	if got := JensenShannon([]float64{1, 0}, []float64{0, 1}, 0); !agree(got, math.Sqrt(math.Ln2)) {
		t.Errorf("disjoint distributions, base e: %v, want sqrt(ln 2)", got)
	}
	if got := JensenShannon([]float64{2, 6}, []float64{1, 3}, 0); got != 0 {
		t.Errorf("proportional counts: %v, want 0", got)
	}
}
