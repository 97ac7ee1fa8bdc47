package drift

import (
	"math"
	"math/rand/v2"
	"slices"
	"testing"
)

// naiveSorted is the run-length form by the obvious route.
func naiveSorted(x []float64, dropInf bool) (Sorted, int, int) {
	var vals []float64
	missing, nonFinite := 0, 0
	for _, v := range x {
		switch {
		case math.IsNaN(v):
			missing++
		case dropInf && math.IsInf(v, 0):
			nonFinite++
		default:
			vals = append(vals, v)
		}
	}
	slices.Sort(vals)
	var s Sorted
	for i, v := range vals {
		if n := len(s.Values); n > 0 && s.Values[n-1] == v {
			s.Cum[n-1] = i + 1
			continue
		}
		s.Values = append(s.Values, v)
		s.Cum = append(s.Cum, i+1)
	}
	return s, missing, nonFinite
}

func TestSortedOfAgreesWithSorting(t *testing.T) {
	r := rand.New(rand.NewPCG(8, 9))
	for _, n := range []int{0, 1, 100, 4095, 4096, 20000, 200000} {
		for _, distinct := range []int{1, 2, 50, 4096, 4097, 1 << 30} {
			x := make([]float64, n)
			for i := range x {
				switch k := r.IntN(distinct); {
				case k%97 == 3:
					x[i] = math.NaN()
				case k%89 == 5:
					x[i] = math.Inf(1 - 2*(k%2))
				case k%83 == 7:
					x[i] = math.Copysign(0, -1)
				default:
					x[i] = float64(k)*0.37 - 1e3
				}
			}
			for _, dropInf := range []bool{true, false} {
				got, gm, gi := sortedOf(x, dropInf)
				want, wm, wi := naiveSorted(x, dropInf)
				if gm != wm || gi != wi || !slices.Equal(got.Values, want.Values) || !slices.Equal(got.Cum, want.Cum) {
					t.Fatalf("n=%d distinct=%d dropInf=%v: got %d values (%d NaN, %d inf), want %d (%d, %d)",
						n, distinct, dropInf, len(got.Values), gm, gi, len(want.Values), wm, wi)
				}
			}
		}
	}
}

func TestRadixSortMatchesSort(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 1))
	x := make([]float64, 50000)
	for i := range x {
		x[i] = r.NormFloat64() * math.Pow(10, float64(r.IntN(40)-20))
	}
	x[0], x[1], x[2], x[3] = math.Inf(-1), math.Inf(1), math.Copysign(0, -1), math.SmallestNonzeroFloat64
	want := slices.Clone(x)
	slices.Sort(want)
	sortFloats(x)
	if !slices.Equal(x, want) {
		t.Fatal("radix sort disagrees with slices.Sort")
	}
}

func TestSortedAccessors(t *testing.T) {
	s := SortedFromCounts([]float64{3, 1, 2, 3}, []int{2, 1, 0, 4})
	if !slices.Equal(s.Values, []float64{1, 3}) || !slices.Equal(s.Cum, []int{1, 7}) {
		t.Fatalf("SortedFromCounts = %+v, want values [1 3] cum [1 7]", s)
	}
	for _, c := range []struct {
		x      float64
		le, lt int
	}{{0, 0, 0}, {1, 1, 0}, {2, 1, 1}, {3, 7, 1}, {4, 7, 7}} {
		if s.CountLE(c.x) != c.le || s.CountLT(c.x) != c.lt {
			t.Errorf("CountLE/LT(%v) = %d/%d, want %d/%d", c.x, s.CountLE(c.x), s.CountLT(c.x), c.le, c.lt)
		}
	}
	if s.At(0) != 1 || s.At(1) != 3 || s.At(6) != 3 || s.N() != 7 || s.Min() != 1 || s.Max() != 3 {
		t.Errorf("At/N/Min/Max wrong on %+v", s)
	}
	if _, err := NewSorted([]float64{1, math.NaN()}); err == nil {
		t.Error("NewSorted accepted a NaN")
	}
}
