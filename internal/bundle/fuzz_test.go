package bundle_test

import (
	"math"
	"testing"

	"github.com/stewardml/steward/internal/bundle"
)

// FuzzOpen feeds arbitrary bytes to Open: a damaged or hostile archive must
// give an error, never a panic. The seed corpus (testdata/fuzz/FuzzOpen)
// holds a real bundle and damaged variants.
func FuzzOpen(f *testing.F) {
	f.Add([]byte{})
	f.Add([]byte("manifest.json"))
	f.Fuzz(func(t *testing.T, data []byte) {
		p, err := bundle.Open(data)
		if err == nil && p == nil {
			t.Fatal("nil predictor without an error")
		}
		if err != nil {
			return
		}
		// Every feature accepts a missing value.
		row := make([]float64, len(p.Features()))
		for j := range row {
			row[j] = math.NaN()
		}
		if err := p.Check(0, row); err == nil {
			p.Prob(row)
		}
	})
}
