package xgboost

import (
	"errors"
	"math"
	"testing"

	"github.com/stewardml/steward/internal/ml/core"
)

func TestClassifierScoresAsXGBoostAndRoundTrips(t *testing.T) {
	for _, name := range []string{"heart_logistic", "heart_logitraw", "heart_reglogistic", "heart_categorical"} {
		t.Run(name, func(t *testing.T) {
			file := readFixture(t, name+".ubj")
			m, err := Family.Unmarshal(file)
			if err != nil {
				t.Fatal(err)
			}
			want := loadOutputs(t, name)
			X := core.NewMatrix(len(want.Rows), m.(*Classifier).Booster().NumFeature)
			for i, r := range want.Rows {
				copy(X.Data[i*X.Cols:], r)
			}
			batch := make([]float64, X.Rows)
			m.PredictProba(X, batch)
			contrib := make([]float64, X.Cols)
			for i, row := range want.Rows {
				margin := float64(want.Margins[i][0])
				prob := float64(want.Predictions[i][0])
				if name == "heart_logitraw" {
					prob = 1 / (1 + math.Exp(-margin)) // XGBoost's predict() is the margin
				}
				if got := m.Margin(row); got != margin {
					t.Fatalf("row %d: margin %v, XGBoost %v", i, got, margin)
				}
				tol := 0.0
				if name == "heart_logitraw" {
					tol = 1e-7
				}
				if got := m.Prob(row); math.Abs(got-prob) > tol || math.Abs(batch[i]-got) != 0 {
					t.Fatalf("row %d: prob %v (batch %v), want %v", i, got, batch[i], prob)
				}
				base := m.Contributions(row, contrib)
				sum := base
				for _, c := range contrib {
					sum += c
				}
				if math.Abs(sum-margin) > 1e-5 {
					t.Fatalf("row %d: contributions add up to %v, margin %v", i, sum, margin)
				}
			}
			if p, _ := m.MarshalBinary(); string(p) != string(file) {
				t.Error("the payload is not the file")
			}
			var total float64
			for _, v := range m.FeatureImportances() {
				total += v
			}
			if math.Abs(total-1) > 1e-12 {
				t.Errorf("importances sum to %v", total)
			}
		})
	}
}

func TestClassifierRefusesOtherObjectives(t *testing.T) {
	for _, name := range []string{"wine_softprob.json", "diabetes_squarederror.json"} {
		if _, err := Family.Unmarshal(readFixture(t, name)); !errors.Is(err, ErrNotBinary) || !errors.Is(err, core.ErrBadPayload) {
			t.Errorf("%s: %v, want ErrNotBinary and ErrBadPayload", name, err)
		}
	}
}
