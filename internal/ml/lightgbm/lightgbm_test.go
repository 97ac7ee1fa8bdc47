package lightgbm

import (
	"bufio"
	"errors"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// fixtureDir holds models written by LightGBM with its own predictions.
const fixtureDir = "../../../testdata/interop/lightgbm"

// table reads a file of numbers separated by sep (or by spaces and tabs
// when sep is 0), one row a line, dropping the first skip columns. In a
// libsvm file ("label i:v i:v") the columns are placed by index.
func table(tb testing.TB, file string, skip int, libsvm bool) [][]float64 {
	tb.Helper()
	f, err := os.Open(filepath.Join(fixtureDir, file))
	if err != nil {
		tb.Fatal(err)
	}
	defer f.Close()
	var rows [][]float64
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		fields := strings.Fields(sc.Text())
		if len(fields) == 0 {
			continue
		}
		var row []float64
		for _, s := range fields[skip:] {
			if libsvm {
				i, v, _ := strings.Cut(s, ":")
				j, err := strconv.Atoi(i)
				if err != nil {
					tb.Fatalf("%s: %q", file, s)
				}
				for len(row) <= j {
					row = append(row, 0)
				}
				s = v
				x, err := strconv.ParseFloat(s, 64)
				if err != nil {
					tb.Fatalf("%s: %q", file, s)
				}
				row[j] = x
				continue
			}
			x, err := strconv.ParseFloat(s, 64)
			if err != nil {
				tb.Fatalf("%s: %q", file, s)
			}
			row = append(row, x)
		}
		rows = append(rows, row)
	}
	return rows
}

func load(tb testing.TB, file string) *Model {
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

func TestFixturesPredictAsLightGBM(t *testing.T) {
	for _, c := range []struct {
		name, model, inputs, answers string
		skip                         int  // label columns before the features
		libsvm                       bool // inputs in libsvm format
		raw                          bool // answers are raw scores (else predict())
		tol                          float64
	}{
		{"multiclass raw scores", "lgmulticlass.model", "multiclass_test.tsv", "lgmulticlass_true_raw_predictions.txt", 1, false, true, 1e-12},
		{"multiclass probabilities", "lgmulticlass.model", "multiclass_test.tsv", "lgmulticlass_true_predictions.txt", 1, false, false, 1e-12},
		{"categorical splits, raw scores", "lg_kddcup99.model", "kddcup99_test.tsv", "lg_kddcup99_true_predictions.txt", 0, false, true, 1e-12},
		{"DART probabilities", "lg_dart_breast_cancer.model", "breast_cancer_test.tsv", "lg_dart_breast_cancer_true_predictions.txt", 0, false, false, 1e-12},
		{"random forest", "lg_rf_iris.model", "iris_test.libsvm", "lg_rf_iris_true_predictions.txt", 1, true, false, 1e-12},
		{"poisson regression", "genlin_fmtp_poisson_Frequency.model", "genlin_fmtp_poisson_Frequency_features.tsv", "genlin_fmtp_poisson_Frequency_true_predictions.txt", 0, false, false, 1e-12},
		{"gamma regression", "genlin_fmtp_gamma_AvgClaimAmount.model", "genlin_fmtp_gamma_AvgClaimAmount_features.tsv", "genlin_fmtp_gamma_AvgClaimAmount_true_predictions.txt", 0, false, false, 1e-12},
	} {
		t.Run(c.name, func(t *testing.T) {
			m := load(t, c.model)
			in := table(t, c.inputs, c.skip, c.libsvm)
			want := table(t, c.answers, 0, false)
			if len(in) != len(want) || len(in) == 0 {
				t.Fatalf("%d inputs, %d answers", len(in), len(want))
			}
			var worst float64
			for i, row := range in {
				for len(row) < m.NumFeature() {
					row = append(row, 0) // libsvm leaves trailing zeros out
				}
				out := make([]float64, max(m.NumOutputs(), len(want[i])))
				if c.raw {
					m.Raw(row, out)
				} else {
					m.Predict(row, out)
				}
				out = out[:len(want[i])]
				for k, w := range want[i] {
					rel := math.Abs(out[k]-w) / math.Max(math.Abs(w), 1e-300)
					worst = math.Max(worst, rel)
					if !(rel <= c.tol) {
						t.Fatalf("row %d output %d: %.17g, LightGBM %.17g (relative error %.3g)", i, k, out[k], w, rel)
					}
				}
			}
			t.Logf("%d rows, largest relative error %.3g", len(in), worst)
		})
	}
}

func TestModelDescribesItself(t *testing.T) {
	m := load(t, "lg_kddcup99.model")
	if m.Version != "v2" || m.NumOutputs() != 13 || m.NumFeature() != 41 || len(m.FeatureNames) != 41 {
		t.Errorf("version %s, %d outputs, %d features, %d names", m.Version, m.NumOutputs(), m.NumFeature(), len(m.FeatureNames))
	}
	if !m.Categorical[1] || m.Categorical[0] {
		t.Errorf("categorical %v: want feature 1 categorical, 0 numerical", m.Categorical[:4])
	}
	if rf := load(t, "lg_rf_iris.model"); rf.Boosting != "rf" {
		t.Errorf("random forest read as %q", rf.Boosting)
	}
}

func TestUnsupportedModelsAreRefusedWithOneLine(t *testing.T) {
	raw, err := os.ReadFile(filepath.Join(fixtureDir, "model_simple.txt"))
	if err != nil {
		t.Fatal(err)
	}
	edit := func(old, new string) []byte { return []byte(strings.Replace(string(raw), old, new, 1)) }
	for _, c := range []struct {
		name     string
		data     []byte
		sentinel error
		says     string
	}{
		{"format version v4", edit("version=v2", "version=v4"), ErrUnsupported, "v4"},
		{"a ranking objective", edit("objective=binary sigmoid:1", "objective=lambdarank"), ErrUnsupported, `objective "lambdarank"`},
		{"linear trees", edit("\nshrinkage=", "\nis_linear=1\nshrinkage="), ErrUnsupported, "linear trees"},
		{"a file cut inside its trees", raw[:strings.Index(string(raw), "end of trees")-40], ErrMalformed, "truncated"},
		{"an XGBoost JSON model", []byte(`{"learner": {}}`), ErrFormat, "tree"},
	} {
		t.Run(c.name, func(t *testing.T) {
			_, err := Read(c.data)
			if !errors.Is(err, c.sentinel) {
				t.Fatalf("error %v, want %v", err, c.sentinel)
			}
			if msg := err.Error(); !strings.HasPrefix(msg, "lightgbm: ") || strings.Contains(msg, "\n") || !strings.Contains(msg, c.says) {
				t.Errorf("error %q: want one line saying %q", msg, c.says)
			}
		})
	}
}
