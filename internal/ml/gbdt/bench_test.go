package gbdt

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

// benchParams are the XGBoost-comparable settings of the training benchmark.
var benchParams = Params{NTrees: 100, MaxDepth: 6, LearningRate: 0.1, MaxBins: 255,
	MinChildWeight: 1, Lambda: 1, Subsample: 1, ColsampleByTree: 1}

// BenchmarkFit100k fits 100 trees of depth 6 on 100k heart-shaped rows.
func BenchmarkFit100k(b *testing.B) {
	X, y := benchData(b)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := (Trainer{Params: benchParams}).FitModel(X, y, nil, rand.New(rand.NewSource(1))); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkPredictProba100k scores 100k rows with 100 trees of depth 6.
func BenchmarkPredictProba100k(b *testing.B) {
	X, y := benchData(b)
	m, err := Trainer{Params: benchParams}.FitModel(X, y, nil, rand.New(rand.NewSource(1)))
	if err != nil {
		b.Fatal(err)
	}
	out := make([]float64, X.Rows)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		m.PredictProba(X, out)
	}
	b.ReportMetric(float64(X.Rows)*float64(b.N)/b.Elapsed().Seconds(), "rows/s")
}

// BenchmarkProbOneRow scores one row with the default model fit on
// Cleveland (the serving case).
func BenchmarkProbOneRow(b *testing.B) {
	X, y := mltest.Cleveland()
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

// BenchmarkExplainGBDT explains every Cleveland row with the default
// model fit on Cleveland (100 trees), through Contributions and through the
// recursive TreeSHAP it replaced.
func BenchmarkExplainGBDT(b *testing.B) {
	X, y := mltest.Cleveland()
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

// BenchmarkUnmarshal loads the default Cleveland model from its LightGBM text.
func BenchmarkUnmarshal(b *testing.B) {
	X, y := mltest.Cleveland()
	m, _ := Trainer{}.FitModel(X, y, nil, rand.New(rand.NewSource(1)))
	text, _ := m.MarshalBinary()
	b.SetBytes(int64(len(text)))
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := Unmarshal(text); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkLeavesProbOneRow is BenchmarkProbOneRow through
// github.com/dmitryikh/leaves on the exported text, for comparison with the
// package's own evaluator.
func BenchmarkLeavesProbOneRow(b *testing.B) {
	X, y := mltest.Cleveland()
	m, err := Trainer{}.FitModel(X, y, nil, rand.New(rand.NewSource(1)))
	if err != nil {
		b.Fatal(err)
	}
	text, _ := m.MarshalBinary()
	e := loadLeaves(b, text)
	row := X.Row(0)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		e.PredictSingle(row, 0)
	}
}
