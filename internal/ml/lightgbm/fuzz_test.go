package lightgbm

import (
	"os"
	"path/filepath"
	"testing"
)

// FuzzRead feeds the reader arbitrary bytes, seeded with LightGBM's small
// models: it must return a model or an error, never panic.
func FuzzRead(f *testing.F) {
	for _, file := range []string{"model_simple.txt", "lg_rf_iris.model", "lg_dart_breast_cancer.model"} {
		raw, err := os.ReadFile(filepath.Join(fixtureDir, file))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(raw)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		m, err := Read(data)
		if err != nil {
			return
		}
		row := make([]float64, m.NumFeature())
		out := make([]float64, m.NumOutputs())
		m.Raw(row, out)
		m.Predict(row, out)
	})
}
