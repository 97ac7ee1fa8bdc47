package xgboost

import (
	"flag"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"testing"
)

var update = flag.Bool("update", false, "rewrite the fuzz seed corpus from the fixtures")

// FuzzRead feeds the reader arbitrary bytes: it must return a model or an
// error, never panic or loop, and a model it returns must predict.
func FuzzRead(f *testing.F) {
	f.Fuzz(func(t *testing.T, data []byte) {
		m, err := Read(data)
		if err != nil {
			return
		}
		out := make([]float32, m.NumOutputs())
		for _, v := range []float64{0, math.NaN(), -1e30, 3} {
			row := make([]float64, m.NumFeature)
			for j := range row {
				row[j] = v
			}
			m.Margins(row, out)
			m.Transform(out)
			c := m.Compile()
			c.Margins(row, out)
		}
	})
}

// TestWriteFuzzSeeds writes FuzzRead's seed corpus from the fixtures when
// run with -update: small models in both formats, whole and cut.
func TestWriteFuzzSeeds(t *testing.T) {
	if !*update {
		t.Skip("run with -update to rewrite the seed corpus")
	}
	dir := filepath.Join("testdata", "fuzz", "FuzzRead")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	for _, file := range []string{"tiny_logistic.json", "tiny_logistic.ubj", "tiny_categorical.json", "tiny_categorical.ubj"} {
		data := readFixture(t, file)
		seeds := map[string][]byte{file: data, file + ".cut": data[:len(data)*2/3]}
		for name, b := range seeds {
			body := fmt.Sprintf("go test fuzz v1\n[]byte(%q)\n", b)
			if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o644); err != nil {
				t.Fatal(err)
			}
		}
	}
}
