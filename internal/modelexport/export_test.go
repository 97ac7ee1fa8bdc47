package modelexport

import (
	"context"
	"errors"
	"math"
	"os"
	"testing"

	"github.com/stewardml/steward/internal/bundle"
	"github.com/stewardml/steward/internal/config"
	"github.com/stewardml/steward/internal/dataset"
	"github.com/stewardml/steward/internal/ml/xgboost"
	"github.com/stewardml/steward/internal/train"
)

// trained returns the predictor of a bundle trained on the heart data with
// one family, and the rows of the data in schema order.
func trained(t *testing.T, family string, params map[string]any) (*bundle.Predictor, [][]float64) {
	t.Helper()
	p, err := config.Load("../../steward.yaml")
	if err != nil {
		t.Fatal(err)
	}
	frame, raw, err := dataset.ReadFile(p.DataPath(), p.Schema(), dataset.Options{Format: p.DataFormat()})
	if err != nil {
		t.Fatal(err)
	}
	d := train.Data{Schema: p.Schema(), Frame: frame, Digest: dataset.Digest(raw)}
	cfg := train.Config{Seed: 1, Folds: 2, Repeats: 1, Families: []train.FamilySearch{{Family: family, Params: params}}}
	res, err := train.Run(context.Background(), d, cfg, train.Options{})
	if err != nil {
		t.Fatal(err)
	}
	b, err := res.Bundle("heart", d, nil, "test", bundle.Training{})
	if err != nil {
		t.Fatal(err)
	}
	pred, err := bundle.Load(b)
	if err != nil {
		t.Fatal(err)
	}
	X, err := frame.Matrix(p.Schema().FeatureNames())
	if err != nil {
		t.Fatal(err)
	}
	rows := make([][]float64, X.Rows)
	for i := range rows {
		rows[i] = X.Data[i*X.Cols : (i+1)*X.Cols]
	}
	return pred, rows
}

func TestGBDTExportPredictsWhatTheBundlePredicts(t *testing.T) {
	pred, rows := trained(t, "gbdt", map[string]any{"n_trees": 50, "max_depth": 3})
	file, err := Export(pred, FormatXGBoostJSON)
	if err != nil {
		t.Fatal(err)
	}
	m, err := xgboost.Read(file)
	if err != nil {
		t.Fatal(err)
	}
	if got := m.FeatureNames; len(got) != 13 || got[0] != "age" || got[12] != "thal" {
		t.Errorf("feature names %v", got)
	}
	out := make([]float32, 1)
	var worst float64
	missing := 0
	for _, row := range rows {
		for _, v := range row {
			if math.IsNaN(v) {
				missing++
			}
		}
		m.Margins(row, out)
		worst = math.Max(worst, math.Abs(float64(m.Transform(out)[0])-pred.Prob(row)))
	}
	if worst > 1e-6 || missing == 0 {
		t.Errorf("largest difference %.3g over %d rows (%d missing values)", worst, len(rows), missing)
	}
}

func TestExportRefusesWhatTheFormatCannotHold(t *testing.T) {
	pred, _ := trained(t, "logreg", map[string]any{"C": 1.0})
	if _, err := Export(pred, FormatXGBoostJSON); !errors.Is(err, ErrUnsupported) {
		t.Errorf("logreg: %v, want ErrUnsupported", err)
	}
	if _, err := Export(pred, "onnx"); !errors.Is(err, ErrUnsupported) {
		t.Errorf("onnx: %v, want ErrUnsupported", err)
	}
}

func TestAnImportedModelExportsAsItsFile(t *testing.T) {
	file, err := os.ReadFile("../../testdata/interop/xgboost/heart_logistic.json")
	if err != nil {
		t.Fatal(err)
	}
	gb, _ := trained(t, "gbdt", map[string]any{"n_trees": 5, "max_depth": 2})
	// the gbdt bundle's manifest, with the imported file as its model
	man := *gb.Manifest()
	man.Family = xgboost.Name
	pred, err := bundle.Load(&bundle.Bundle{Manifest: man, Model: file})
	if err != nil {
		t.Fatal(err)
	}
	got, err := Export(pred, FormatXGBoostJSON)
	if err != nil || string(got) != string(file) {
		t.Errorf("export of an imported model: %v (same file: %v)", err, string(got) == string(file))
	}
}
