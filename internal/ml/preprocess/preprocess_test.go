package preprocess

import (
	"encoding/json"
	"errors"
	"math"
	"os"
	"reflect"
	"strings"
	"testing"

	"github.com/stewardml/steward/internal/dataset"
	"github.com/stewardml/steward/internal/ml"
)

var heartNames = strings.Fields("age sex cp trestbps chol fbs restecg thalach exang oldpeak slope ca thal num")

func heartSchema(t testing.TB, kinds map[string]string) *dataset.Schema {
	t.Helper()
	s := &dataset.Schema{Target: dataset.Target{Column: "num", Op: ">", Value: 0}}
	for _, n := range heartNames {
		c := dataset.Column{Name: n, Kind: dataset.Numeric}
		if k, ok := kinds[n]; ok {
			c.Kind = dataset.Kind(k)
		}
		if c.Kind == dataset.Categorical {
			c.Levels = []dataset.Level{{Value: 0}, {Value: 1}, {Value: 2}, {Value: 3}, {Value: 4}, {Value: 6}, {Value: 7}}
		}
		s.Columns = append(s.Columns, c)
	}
	return s
}

type sklearnDoc struct {
	Kinds        map[string]string `json:"kinds"`
	TrainRows    int               `json:"train_rows"`
	Raw          [][]float64       `json:"raw"`
	ScaledOneHot [][]float64       `json:"scaled_one_hot"`
}

func cleveland(t testing.TB) (sklearnDoc, []dataset.Column, ml.Matrix) {
	t.Helper()
	b, err := os.ReadFile("testdata/sklearn_transform.json")
	if err != nil {
		t.Fatal(err)
	}
	var doc sklearnDoc
	if err := json.Unmarshal(b, &doc); err != nil {
		t.Fatal(err)
	}
	s := heartSchema(t, doc.Kinds)
	f, _, err := dataset.ReadFile("../../../testdata/heart/processed.cleveland.data", s, dataset.Options{Format: dataset.FormatRaw})
	if err != nil {
		t.Fatal(err)
	}
	m, err := f.Matrix(s.FeatureNames())
	if err != nil {
		t.Fatal(err)
	}
	return doc, s.Features(), ml.Matrix(m)
}

func rows(X ml.Matrix, from, to int) ml.Matrix {
	return ml.Matrix{Rows: to - from, Cols: X.Cols, Data: X.Data[from*X.Cols : to*X.Cols]}
}

// TestMatchesSklearn fits on the first 200 Cleveland rows and compares the
// transform of the other 103 with scikit-learn's SimpleImputer,
// StandardScaler and OneHotEncoder (testdata/sklearn_transform.py).
func TestMatchesSklearn(t *testing.T) {
	doc, cols, X := cleveland(t)
	train, test := rows(X, 0, doc.TrainRows), rows(X, doc.TrainRows, X.Rows)
	for _, tc := range []struct {
		name string
		opt  Options
		want [][]float64
	}{
		{"impute only", Options{}, doc.Raw},
		{"impute, scale and one-hot", Options{Scale: true, OneHot: true}, doc.ScaledOneHot},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p, err := Fit(cols, train, tc.opt)
			if err != nil {
				t.Fatal(err)
			}
			if p.Columns != len(tc.want[0]) {
				t.Fatalf("%d columns, want %d", p.Columns, len(tc.want[0]))
			}
			got := p.Transform(test)
			for i, w := range tc.want {
				for j, wv := range w {
					if g := got.At(i, j); math.Abs(g-wv) > 1e-12 {
						t.Fatalf("row %d column %s = %v, want %v", i, p.Names()[j], g, wv)
					}
				}
			}
		})
	}
}

func TestNamesAndFold(t *testing.T) {
	cols := []dataset.Column{{Name: "a", Kind: dataset.Numeric}, {Name: "c", Kind: dataset.Categorical}, {Name: "b", Kind: dataset.Binary}}
	X := ml.Matrix{Rows: 4, Cols: 3, Data: []float64{
		1, 3, 0,
		2, 1, 1,
		3, math.NaN(), 1,
		math.NaN(), 3, 0,
	}}
	p, err := Fit(cols, X, Options{Scale: true, OneHot: true})
	if err != nil {
		t.Fatal(err)
	}
	if got, want := p.Names(), []string{"a", "c=1", "c=3", "b"}; !reflect.DeepEqual(got, want) {
		t.Errorf("Names = %v, want %v", got, want)
	}
	// The missing code of c is imputed with the mode 3.
	dst := make([]float64, p.Columns)
	p.TransformRow(dst, []float64{math.NaN(), math.NaN(), 1})
	if dst[1] != 0 || dst[2] != 1 {
		t.Errorf("imputed one-hot = %v, want c=3 set", dst[1:3])
	}
	// The median of a is 2; scaled it is (2 - mean) / sd with the imputed
	// column [1 2 3 2]: mean 2, so 0.
	if dst[0] != 0 {
		t.Errorf("imputed, scaled a = %v, want 0", dst[0])
	}
	// An unseen level is all zeros.
	p.TransformRow(dst, []float64{1, 7, 0})
	if dst[1] != 0 || dst[2] != 0 {
		t.Errorf("unseen level = %v, want zeros", dst[1:3])
	}
	folded := make([]float64, 3)
	p.Fold(folded, []float64{0.5, 0.25, 1, -2})
	if want := []float64{0.5, 1.25, -2}; !reflect.DeepEqual(folded, want) {
		t.Errorf("Fold = %v, want %v", folded, want)
	}
}

func TestModeTiesGoToTheSmallestCode(t *testing.T) {
	cols := []dataset.Column{{Name: "c", Kind: dataset.Categorical}}
	X := ml.Matrix{Rows: 4, Cols: 1, Data: []float64{7, 3, 7, 3}}
	p, err := Fit(cols, X, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if p.Features[0].Impute != 3 {
		t.Errorf("mode = %v, want 3", p.Features[0].Impute)
	}
}

func TestConstantFeatureKeepsUnitScale(t *testing.T) {
	cols := []dataset.Column{{Name: "k", Kind: dataset.Numeric}}
	p, err := Fit(cols, ml.Matrix{Rows: 3, Cols: 1, Data: []float64{5, 5, 5}}, Options{Scale: true})
	if err != nil {
		t.Fatal(err)
	}
	if f := p.Features[0]; f.Scale != 1 || f.Center != 5 {
		t.Errorf("constant feature center %v scale %v, want 5 and 1", f.Center, f.Scale)
	}
}

func TestBadTrainingData(t *testing.T) {
	cols := []dataset.Column{{Name: "a", Kind: dataset.Numeric}, {Name: "ca", Kind: dataset.Numeric}}
	nan := math.NaN()
	_, err := Fit(cols, ml.Matrix{Rows: 2, Cols: 2, Data: []float64{1, nan, 2, nan}}, Options{})
	if !errors.Is(err, ErrAllMissing) || !strings.Contains(err.Error(), `"ca"`) {
		t.Errorf("all-missing: err = %v, want ErrAllMissing naming ca", err)
	}
	_, err = Fit(cols, ml.Matrix{Rows: 2, Cols: 2, Data: []float64{1, 2, math.Inf(1), 3}}, Options{})
	if !errors.Is(err, ErrNotFinite) || !errors.Is(err, ml.ErrBadData) || !strings.Contains(err.Error(), "row 1, column 0") {
		t.Errorf("infinite: err = %v, want ErrNotFinite at row 1, column 0", err)
	}
}

func TestJSONRoundTrip(t *testing.T) {
	_, cols, X := cleveland(t)
	p, err := Fit(cols, X, Options{Scale: true, OneHot: true})
	if err != nil {
		t.Fatal(err)
	}
	b, err := json.Marshal(p)
	if err != nil {
		t.Fatal(err)
	}
	var q Pipeline
	if err := json.Unmarshal(b, &q); err != nil {
		t.Fatal(err)
	}
	if err := q.Check(); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(p.Transform(X).Data, q.Transform(X).Data) {
		t.Error("decoded pipeline transforms differently")
	}
	q.Features[2].Offset++
	if err := q.Check(); !errors.Is(err, ErrBadPipeline) {
		t.Errorf("Check of a broken pipeline = %v, want ErrBadPipeline", err)
	}
}

func TestTransformRowDoesNotAllocate(t *testing.T) {
	_, cols, X := cleveland(t)
	p, err := Fit(cols, X, Options{Scale: true, OneHot: true})
	if err != nil {
		t.Fatal(err)
	}
	dst := make([]float64, p.Columns)
	src := X.Row(0)
	if n := testing.AllocsPerRun(100, func() { p.TransformRow(dst, src) }); n != 0 {
		t.Errorf("TransformRow allocates %v times", n)
	}
}

func TestKeepMissingPassesNaNThroughAndValuesUnchanged(t *testing.T) {
	cols := []dataset.Column{{Name: "a", Kind: dataset.Numeric}, {Name: "b", Kind: dataset.Categorical}}
	X := ml.Matrix{Rows: 2, Cols: 2, Data: []float64{1.5, 3, 2.5, 4}}
	p, err := Fit(cols, X, Options{KeepMissing: true})
	if err != nil {
		t.Fatal(err)
	}
	dst := make([]float64, p.Columns)
	p.TransformRow(dst, []float64{math.NaN(), 0.1})
	if !math.IsNaN(dst[0]) || dst[1] != 0.1 {
		t.Errorf("got %v, want [NaN 0.1]", dst)
	}
	if err := p.Check(); err != nil {
		t.Error(err)
	}
}
