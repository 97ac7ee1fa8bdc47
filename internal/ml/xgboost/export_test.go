package xgboost

import (
	"encoding/json"
	"math"
	"math/rand"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"testing"

	"github.com/stewardml/steward/internal/ml/core"
	"github.com/stewardml/steward/internal/ml/gbdt"
	"github.com/stewardml/steward/internal/ml/mltest"
)

// imputer replaces a missing value by its column's median, as Steward's
// preprocessing does before a gbdt sees a row.
type imputer []float64

func (im imputer) apply(dst, row []float64) {
	for j, v := range row {
		if math.IsNaN(v) {
			v = im[j]
		}
		dst[j] = v
	}
}

// stewardGBDT trains a gbdt on the Cleveland rows as Steward's training
// does (missing values imputed first) and returns it with its imputer and
// the raw rows, two of them with missing values added.
func stewardGBDT(t testing.TB) (*gbdt.Model, imputer, core.Matrix) {
	t.Helper()
	X, y := mltest.Cleveland()
	X.Data[3*13+0] = math.NaN() // age missing
	X.Data[5*13+9] = math.NaN() // oldpeak missing
	im := make(imputer, 13)
	for j := range im {
		var vals []float64
		for i := range X.Rows {
			if v := X.At(i, j); !math.IsNaN(v) {
				vals = append(vals, v)
			}
		}
		slices.Sort(vals)
		im[j] = (vals[(len(vals)-1)/2] + vals[len(vals)/2]) / 2
	}
	Xi := core.NewMatrix(X.Rows, X.Cols)
	for i := range X.Rows {
		im.apply(Xi.Row(i), X.Row(i))
	}
	m, err := gbdt.Trainer{Params: gbdt.Params{NTrees: 60, MaxDepth: 3, LearningRate: 0.1}}.FitModel(Xi, y, nil, rand.New(rand.NewSource(1)))
	if err != nil {
		t.Fatal(err)
	}
	return m, im, X
}

func exportOf(t testing.TB, m *gbdt.Model, im imputer) []byte {
	t.Helper()
	b, err := WriteJSON(Export{Trees: m.Trees, FeatureNames: mltest.ClevelandFeatures, Impute: im})
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestExportedGBDTPredictsWhatStewardPredicts(t *testing.T) {
	m, im, X := stewardGBDT(t)
	x, err := Read(exportOf(t, m, im))
	if err != nil {
		t.Fatal(err)
	}
	in := make([]float64, 13)
	out := make([]float32, 1)
	var worst float64
	for i := range X.Rows {
		row := X.Row(i)
		im.apply(in, row)
		want := m.Prob(in)
		x.Margins(row, out)
		got := float64(x.Transform(out)[0])
		worst = math.Max(worst, math.Abs(got-want))
	}
	if worst > 1e-6 {
		t.Errorf("largest probability difference %.3g, want within float32 rounding", worst)
	}
	t.Logf("%d rows, largest probability difference %.2g", X.Rows, worst)
}

const exportFixture = "steward_gbdt"

// TestWriteExportFixture writes the exported model and Steward's
// probabilities for make_fixtures.py to score with XGBoost, when run with
// -update.
func TestWriteExportFixture(t *testing.T) {
	if !*update {
		t.Skip("run with -update to rewrite the export fixture")
	}
	m, im, X := stewardGBDT(t)
	if err := os.WriteFile(filepath.Join(fixtureDir, exportFixture+".json"), exportOf(t, m, im), 0o644); err != nil {
		t.Fatal(err)
	}
	doc := struct {
		Rows  [][]string `json:"rows"`
		Probs []string   `json:"steward_probabilities"`
	}{}
	in := make([]float64, 13)
	for i := range X.Rows {
		row := X.Row(i)
		var r []string
		for _, v := range row {
			r = append(r, strconv.FormatUint(math.Float64bits(v), 16))
		}
		im.apply(in, row)
		doc.Rows = append(doc.Rows, r)
		doc.Probs = append(doc.Probs, strconv.FormatUint(math.Float64bits(m.Prob(in)), 16))
	}
	b, _ := json.Marshal(doc)
	if err := os.WriteFile(filepath.Join(fixtureDir, exportFixture+".steward.json"), append(b, '\n'), 0o644); err != nil {
		t.Fatal(err)
	}
}

// TestXGBoostLoadsTheExportAndAgrees reads what XGBoost itself predicted
// for the exported model (make_fixtures.py): within float32 rounding of
// Steward's probabilities, and bit for bit what this package predicts.
func TestXGBoostLoadsTheExportAndAgrees(t *testing.T) {
	raw, err := os.ReadFile(filepath.Join(fixtureDir, exportFixture+".steward.json"))
	if err != nil {
		t.Fatal(err)
	}
	var st struct {
		Rows  [][]string `json:"rows"`
		Probs []string   `json:"steward_probabilities"`
	}
	if err := json.Unmarshal(raw, &st); err != nil {
		t.Fatal(err)
	}
	want := loadOutputs(t, exportFixture)
	m := loadModel(t, exportFixture+".json")
	out := make([]float32, 1)
	var worst float64
	for i, row := range want.Rows[:len(st.Probs)] {
		m.Margins(row, out)
		if !sameBits(out, want.Margins[i]) {
			t.Fatalf("row %d: margin %v, XGBoost %v", i, out, want.Margins[i])
		}
		u, _ := strconv.ParseUint(st.Probs[i], 16, 64)
		worst = math.Max(worst, math.Abs(float64(want.Predictions[i][0])-math.Float64frombits(u)))
	}
	if worst > 1e-6 {
		t.Errorf("XGBoost and Steward differ by up to %.3g", worst)
	}
	t.Logf("XGBoost %s on Steward's export: %d rows, largest probability difference %.2g", want.Version, len(st.Probs), worst)
}
