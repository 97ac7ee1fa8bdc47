package linear

import (
	"math/rand"
	"testing"

	"github.com/stewardml/steward/internal/ml/mltest"
)

// BenchmarkFit100k fits logistic regression on 100k standardised
// heart-shaped rows.
func BenchmarkFit100k(b *testing.B) {
	X, y := mltest.Heart(100_000, rand.New(rand.NewSource(1)))
	X = mltest.FitPrep(X, true).Apply(X)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := (Trainer{}).FitModel(X, y, nil); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkProbOneRow scores one row.
func BenchmarkProbOneRow(b *testing.B) {
	X, y := clevelandScaled()
	m, _ := Trainer{}.FitModel(X, y, nil)
	row := X.Row(0)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		m.Prob(row)
	}
}
