package xgboost

import (
	"errors"
	"math"
	"testing"
)

func TestContributionsEqualXGBoostPredContribs(t *testing.T) {
	for _, name := range fixtures {
		t.Run(name, func(t *testing.T) {
			want := loadOutputs(t, name)
			m := loadModel(t, name+".json")
			w := m.NumFeature + 1
			out := make([]float64, m.NumOutputs()*w)
			if m.HasCategoricalSplits() {
				if err := m.Contributions(want.Rows[0], out); !errors.Is(err, ErrUnsupported) {
					t.Fatalf("categorical model: %v, want ErrUnsupported", err)
				}
				return
			}
			var worst, worstSum float64
			for i, row := range want.Rows {
				if err := m.Contributions(row, out); err != nil {
					t.Fatal(err)
				}
				for k, c := range want.Contribs[i] {
					d := math.Abs(out[k]-float64(c)) / math.Max(1, math.Abs(float64(c)))
					worst = math.Max(worst, d)
					if d > 1e-5 {
						t.Fatalf("row %d value %d: %v, XGBoost %v", i, k, out[k], c)
					}
				}
				for g := range m.NumOutputs() {
					var sum float64
					for _, c := range out[g*w : (g+1)*w] {
						sum += c
					}
					margin := float64(want.Margins[i][g])
					d := math.Abs(sum-margin) / math.Max(1, math.Abs(margin))
					worstSum = math.Max(worstSum, d)
					if d > 1e-5 {
						t.Fatalf("row %d output %d: contributions add up to %v, margin %v", i, g, sum, margin)
					}
				}
			}
			t.Logf("largest difference from pred_contribs %.2g, from the margin %.2g", worst, worstSum)
		})
	}
}
