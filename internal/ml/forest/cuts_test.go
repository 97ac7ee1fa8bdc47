package forest

import (
	"math"
	"math/rand"
	"sort"
	"testing"

	"github.com/stewardml/steward/internal/ml/tree"
)

func TestCutTableBinCountsCutsBelow(t *testing.T) {
	rng := rand.New(rand.NewSource(1))
	negZero := math.Copysign(0, -1)
	cuts := [][]float64{
		{},
		{negZero},
		{0},
		{-1.5, negZero, 2, math.Inf(1)},
	}
	var many []float64
	for i := 0; i < maxCuts; i++ {
		many = append(many, float64(i)-100.5)
	}
	cuts = append(cuts, many)
	table := newCutTable(cuts)
	values := []float64{negZero, 0, -1.5, 2, math.Inf(1), math.Inf(-1), math.MaxFloat64, -math.MaxFloat64, 5e-324, 200, -200}
	for i := 0; i < 2000; i++ {
		values = append(values, rng.NormFloat64()*100)
	}
	for f, c := range cuts {
		for _, x := range values {
			// bin(x) must be the number of cuts c with c < x
			want := sort.Search(len(c), func(i int) bool { return x <= c[i] })
			if got := table.bin(f, x); int(got) != want {
				t.Fatalf("feature %d (%d cuts), x = %v: bin %d, want %d", f, len(c), x, got, want)
			}
		}
		if got := table.bin(f, math.NaN()); got != tree.MissingBin {
			t.Errorf("feature %d: NaN in bin %d, want %d", f, got, tree.MissingBin)
		}
	}
}
