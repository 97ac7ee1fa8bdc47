package forest

import (
	"math"
	"math/rand"
	"testing"

	"github.com/stewardml/steward/internal/ml/core"
	"github.com/stewardml/steward/internal/ml/mltest"
	"github.com/stewardml/steward/internal/ml/tree"
)

// referenceContributions is Contributions computed with Tree.SHAP, the
// recursive TreeSHAP of Lundberg et al., tree after tree.
func referenceContributions(m *Model, row, out []float64) float64 {
	clear(out[:m.NFeatures])
	scale := 1 / float64(len(m.Trees))
	p := 0.0
	var buf []tree.PathElem
	for _, t := range m.Trees {
		buf = t.SHAP(row, out, scale, buf)
		p += t.Predict(row)
	}
	p *= scale
	base := clampedLogit(m.baseProb)
	margin := clampedLogit(p)
	var sum float64
	for _, v := range out[:m.NFeatures] {
		sum += v
	}
	var factor float64
	if math.Abs(sum) > 1e-12 {
		factor = (margin - base) / sum
	} else {
		bp := min(max(m.baseProb, probClamp), 1-probClamp)
		factor = 1 / (bp * (1 - bp))
	}
	for j := range out[:m.NFeatures] {
		out[j] *= factor
	}
	var got float64
	for _, v := range out[:m.NFeatures] {
		got += v
	}
	return margin - got
}

// TestContributionsMatchReference compares every contribution and base value
// with the recursive TreeSHAP on the 100-tree Cleveland forest and on a
// forest of deeper trees.
func TestContributionsMatchReference(t *testing.T) {
	X, y := cleveland()
	H, hy := mltest.Heart(1000, rand.New(rand.NewSource(3)))
	for _, tc := range []struct {
		name  string
		X     core.Matrix
		y     []float64
		trees int
	}{
		{"cleveland", X, y, 100},
		{"deeper trees", H, hy, 10},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m, err := Trainer{Params: Params{NTrees: tc.trees}}.FitModel(tc.X, tc.y, nil, rand.New(rand.NewSource(1)))
			if err != nil {
				t.Fatal(err)
			}
			got, want := make([]float64, m.NFeatures), make([]float64, m.NFeatures)
			rows := mltest.ProbeRows(tc.X, 150, rand.New(rand.NewSource(4)))
			if tc.X.Rows > 500 {
				rows = rows[tc.X.Rows-100:] // the last 100 training rows and the probes
			}
			for i, row := range rows {
				gb, wb := m.Contributions(row, got), referenceContributions(m, row, want)
				if math.Abs(gb-wb) > 1e-12 {
					t.Fatalf("row %d %v: base %v, reference %v", i, row, gb, wb)
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
