package forest

import (
	"math/rand"
	"sync"
	"testing"

	"github.com/stewardml/steward/internal/ml/core"
	"github.com/stewardml/steward/internal/ml/mltest"
)

var (
	benchOnce sync.Once
	benchX    core.Matrix
	benchY    []float64
)

func benchData(b *testing.B) (core.Matrix, []float64) {
	b.Helper()
	benchOnce.Do(func() { benchX, benchY = mltest.Heart(100_000, rand.New(rand.NewSource(1))) })
	return benchX, benchY
}

// BenchmarkFit100k fits 100 fully grown trees on 100k heart-shaped rows.
func BenchmarkFit100k(b *testing.B) {
	X, y := benchData(b)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := (Trainer{}).FitModel(X, y, nil, rand.New(rand.NewSource(int64(i)))); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkPredictProba100k scores 100k rows with a 100-tree forest.
func BenchmarkPredictProba100k(b *testing.B) {
	X, y := benchData(b)
	m, err := Trainer{}.FitModel(X, y, nil, rand.New(rand.NewSource(1)))
	if err != nil {
		b.Fatal(err)
	}
	out := make([]float64, X.Rows)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		m.PredictProba(X, out)
	}
}

// BenchmarkProbOneRow scores one row with a 100-tree forest fit on 303 rows
// (the serving case).
func BenchmarkProbOneRow(b *testing.B) {
	X, y := mltest.Cleveland()
	X = mltest.FitPrep(X, false).Apply(X)
	m, err := Trainer{}.FitModel(X, y, nil, rand.New(rand.NewSource(1)))
	if err != nil {
		b.Fatal(err)
	}
	row := X.Row(0)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		m.Prob(row)
	}
}

// BenchmarkExplainForest explains every Cleveland row with the 100-tree
// forest fit on Cleveland (the bundled heart model), through Contributions
// and through the recursive TreeSHAP it replaced.
func BenchmarkExplainForest(b *testing.B) {
	X, y := cleveland()
	m, err := Trainer{}.FitModel(X, y, nil, rand.New(rand.NewSource(1)))
	if err != nil {
		b.Fatal(err)
	}
	out := make([]float64, X.Cols)
	for _, bc := range []struct {
		name    string
		explain func(row, out []float64) float64
	}{
		{"tabulated", m.Contributions},
		{"recursive", func(row, out []float64) float64 { return referenceContributions(m, row, out) }},
	} {
		b.Run(bc.name, func(b *testing.B) {
			bc.explain(X.Row(0), out) // the tables are built on the first call
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				bc.explain(X.Row(i%X.Rows), out)
			}
			b.ReportMetric(float64(b.Elapsed().Microseconds())/float64(b.N), "µs/row")
		})
	}
}
