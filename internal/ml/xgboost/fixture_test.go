package xgboost

import (
	"encoding/hex"
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"testing"
)

// fixtureDir holds models written by XGBoost with its own outputs (see
// make_fixtures.py there).
const fixtureDir = "../../../testdata/interop/xgboost"

// fixtures names every model in fixtureDir.
var fixtures = []string{
	"heart_logistic", "heart_logitraw", "heart_reglogistic", "heart_categorical",
	"wine_softprob", "wine_softmax", "diabetes_squarederror", "tiny_logistic", "tiny_categorical",
}

// outputs is what XGBoost computed for a fixture, decoded from bit patterns.
type outputs struct {
	Version     string
	Objective   string
	Features    []string
	Rows        [][]float64
	Margins     [][]float32
	Predictions [][]float32
	Contribs    [][]float32
}

func loadOutputs(tb testing.TB, name string) *outputs {
	tb.Helper()
	raw, err := os.ReadFile(filepath.Join(fixtureDir, name+".outputs.json"))
	if err != nil {
		tb.Fatal(err)
	}
	var doc struct {
		Xgboost                              string
		Objective                            string
		Features                             []string
		Rows, Margins, Predictions, Contribs [][]string
	}
	if err := json.Unmarshal(raw, &doc); err != nil {
		tb.Fatal(err)
	}
	bits := func(s string) uint64 {
		b, err := hex.DecodeString(s)
		if err != nil {
			tb.Fatal(err)
		}
		var u uint64
		for _, c := range b {
			u = u<<8 | uint64(c)
		}
		return u
	}
	f32 := func(rows [][]string) [][]float32 {
		out := make([][]float32, len(rows))
		for i, r := range rows {
			for _, s := range r {
				out[i] = append(out[i], math.Float32frombits(uint32(bits(s))))
			}
		}
		return out
	}
	o := &outputs{Version: doc.Xgboost, Objective: doc.Objective, Features: doc.Features,
		Margins: f32(doc.Margins), Predictions: f32(doc.Predictions), Contribs: f32(doc.Contribs)}
	for _, r := range doc.Rows {
		var row []float64
		for _, s := range r {
			row = append(row, math.Float64frombits(bits(s)))
		}
		o.Rows = append(o.Rows, row)
	}
	return o
}

func loadModel(tb testing.TB, file string) *Model {
	tb.Helper()
	raw, err := os.ReadFile(filepath.Join(fixtureDir, file))
	if err != nil {
		tb.Fatal(err)
	}
	m, err := Read(raw)
	if err != nil {
		tb.Fatalf("%s: %v", file, err)
	}
	return m
}

// sameBits reports whether two float32 slices are equal bit for bit.
func sameBits(a, b []float32) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if math.Float32bits(a[i]) != math.Float32bits(b[i]) {
			return false
		}
	}
	return true
}

func TestFixturesPredictAsXGBoostBitForBit(t *testing.T) {
	for _, name := range fixtures {
		want := loadOutputs(t, name)
		for _, ext := range []string{".json", ".ubj"} {
			t.Run(name+ext, func(t *testing.T) {
				m := loadModel(t, name+ext)
				if m.Objective != want.Objective {
					t.Fatalf("objective %q, want %q", m.Objective, want.Objective)
				}
				if len(want.Rows) < 300 && name[:5] == "heart" || len(want.Rows) == 0 {
					t.Fatalf("%d rows", len(want.Rows))
				}
				margin := make([]float32, m.NumOutputs())
				bad := 0
				for i, row := range want.Rows {
					m.Margins(row, margin)
					if !sameBits(margin, want.Margins[i]) {
						if bad++; bad <= 5 {
							t.Errorf("row %d (%v): margins %v, XGBoost %v", i, row, margin, want.Margins[i])
						}
						continue
					}
					got := m.Transform(margin)
					if !sameBits(got, want.Predictions[i]) {
						if bad++; bad <= 5 {
							t.Errorf("row %d: predictions %v (bits %x), XGBoost %v (bits %x)", i, got, bitsOf(got), want.Predictions[i], bitsOf(want.Predictions[i]))
						}
					}
				}
				if bad > 0 {
					t.Errorf("%d of %d rows differ", bad, len(want.Rows))
				}
			})
		}
	}
}

func bitsOf(v []float32) []uint32 {
	out := make([]uint32, len(v))
	for i, x := range v {
		out[i] = math.Float32bits(x)
	}
	return out
}
