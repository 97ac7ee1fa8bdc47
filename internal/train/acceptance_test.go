package train

import (
	"context"
	"encoding/json"
	"flag"
	"math/rand"
	"os"
	"testing"

	"github.com/stewardml/steward/internal/ml"
	"github.com/stewardml/steward/internal/ml/eval"
	"github.com/stewardml/steward/internal/train/split"
)

var update = flag.Bool("update", false, "rewrite golden files and fixtures")

// sklearnCV is testdata/sklearn_cv.json: scikit-learn's and XGBoost's
// cross-validated ROC AUC on the very folds Run draws for Cleveland with
// seed 0 and no hold-out (testdata/cleveland_folds.json), written by
// testdata/sklearn_cv.py.
type sklearnCV struct {
	Versions map[string]string             `json:"versions"`
	Families map[string]map[string]float64 `json:"families"`
}

// TestClevelandFoldsFixture keeps testdata/cleveland_folds.json equal to the
// folds Run draws, so that the sklearn numbers stay comparable.
func TestClevelandFoldsFixture(t *testing.T) {
	d := cleveland(t)
	p, err := prepare(d)
	if err != nil {
		t.Fatal(err)
	}
	folds, err := split.RepeatedStratifiedKFold(p.y, DefaultFolds, DefaultRepeats, rand.New(rand.NewSource(derive(0, "folds"))))
	if err != nil {
		t.Fatal(err)
	}
	type fold struct {
		Train []int `json:"train"`
		Test  []int `json:"test"`
	}
	var fs []fold
	for _, f := range folds {
		fs = append(fs, fold{f.Train, f.Test})
	}
	got, err := json.Marshal(fs)
	if err != nil {
		t.Fatal(err)
	}
	const path = "testdata/cleveland_folds.json"
	if *update {
		if err := os.WriteFile(path, append(got, '\n'), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if string(want) != string(got)+"\n" {
		t.Errorf("%s differs from the folds Run draws; rerun with -update and testdata/sklearn_cv.py", path)
	}
}

// TestClevelandMatchesSklearn is the acceptance test of the families: on
// Cleveland, 5×3 stratified CV with seed 0, each family's default
// parameters reach at least scikit-learn's (XGBoost's for gbdt) ROC AUC on
// the same folds minus 0.01, and the default search selects a model with
// ROC AUC >= 0.905.
func TestClevelandMatchesSklearn(t *testing.T) {
	if testing.Short() {
		t.Skip("cross-validates every family (a few seconds)")
	}
	b, err := os.ReadFile("testdata/sklearn_cv.json")
	if err != nil {
		t.Fatal(err)
	}
	var ref sklearnCV
	if err := json.Unmarshal(b, &ref); err != nil {
		t.Fatal(err)
	}
	d := cleveland(t)
	none := 0.0
	for _, fam := range ml.Families() {
		want, ok := ref.Families[fam]
		if !ok {
			t.Fatalf("no sklearn reference for %s", fam)
		}
		t.Run(fam, func(t *testing.T) {
			c := Config{Holdout: &none, Families: []FamilySearch{{Family: fam, Params: defaultsOnly[fam]}}}
			res, err := Run(context.Background(), d, c, Options{})
			if err != nil {
				t.Fatal(err)
			}
			cv := res.Best().CV
			t.Logf("%s: ROC AUC %.4f (sklearn %.4f), accuracy %.4f (%.4f), F1 %.4f (%.4f)", fam,
				cv[eval.ROCAUC].Mean, want[eval.ROCAUC], cv[eval.Accuracy].Mean, want[eval.Accuracy], cv[eval.F1].Mean, want[eval.F1])
			if got := cv[eval.ROCAUC].Mean; got < want[eval.ROCAUC]-0.01 {
				t.Errorf("ROC AUC %.4f, want >= %.4f - 0.01", got, want[eval.ROCAUC])
			}
		})
	}
	res, err := Run(context.Background(), d, Config{Holdout: &none}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	best := res.Best()
	t.Logf("selected %s %v: ROC AUC %.4f, F1 %.4f", best.ID, best.Params, best.CV[eval.ROCAUC].Mean, best.CV[eval.F1].Mean)
	if got := best.CV[eval.ROCAUC].Mean; got < 0.905 {
		t.Errorf("selected model ROC AUC %.4f, want >= 0.905", got)
	}
}

// defaultsOnly names one parameter at its default value, which makes a
// one-point search of the family's defaults (the parameters sklearn's
// counterparts are run with in testdata/sklearn_cv.py).
var defaultsOnly = map[string]map[string]any{
	"logreg": {"C": 1.0},
	"forest": {"n_trees": 100},
	"gbdt":   {"n_trees": 100},
}

// BenchmarkRunProjectSearch times the default search of the project
// configuration (every family, 12 candidates, 5 folds × 3 repeats, 20 %
// hold-out) on Cleveland: the work of `steward train` on the bundled data.
func BenchmarkRunProjectSearch(b *testing.B) {
	d := cleveland(b)
	c := Config{Seed: 42, Metric: "roc_auc"}
	for i := 0; i < b.N; i++ {
		if _, err := Run(context.Background(), d, c, Options{}); err != nil {
			b.Fatal(err)
		}
	}
}
