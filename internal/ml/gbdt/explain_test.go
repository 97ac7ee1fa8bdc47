package gbdt

import (
	"math"
	"math/rand"
	"testing"

	"github.com/stewardml/steward/internal/ml/mltest"
	"github.com/stewardml/steward/internal/ml/tree"
)

// referenceContributions is Contributions computed with Tree.SHAP, the
// recursive TreeSHAP of Lundberg et al., tree after tree.
func referenceContributions(m *Model, row, out []float64) float64 {
	clear(out[:m.NFeatures])
	var buf []tree.PathElem
	for _, t := range m.Trees {
		buf = t.SHAP(row, out, 1, buf)
	}
	return m.base
}

// TestContributionsMatchReference compares every contribution with the
// recursive TreeSHAP, for the default Cleveland model and for deeper
// trees.
func TestContributionsMatchReference(t *testing.T) {
	for _, tc := range []struct {
		name string
		p    Params
	}{
		{"default", Params{}},
		{"deep", Params{NTrees: 30, MaxDepth: 12, MinChildWeight: 1e-3}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m, X, _ := fitCleveland(t, tc.p)
			got, want := make([]float64, m.NFeatures), make([]float64, m.NFeatures)
			for i, row := range mltest.ProbeRows(X, 1000, rand.New(rand.NewSource(4))) {
				gb, wb := m.Contributions(row, got), referenceContributions(m, row, want)
				if gb != wb {
					t.Fatalf("row %d: base %v, reference %v", i, gb, wb)
				}
				for j := range want {
					if math.Abs(got[j]-want[j]) > 1e-12 {
						t.Fatalf("row %d %v feature %d: %v, reference %v", i, row, j, got[j], want[j])
					}
				}
			}
		})
	}
}
