package linear

import (
	"errors"
	"math"
	"math/rand"
	"testing"

	"github.com/stewardml/steward/internal/ml/core"
	"github.com/stewardml/steward/internal/ml/mltest"
)

// clevelandScaled is Cleveland with NaN replaced by the column median and
// every column standardised (population standard deviation).
func clevelandScaled() (core.Matrix, []float64) {
	X, y := mltest.Cleveland()
	return mltest.FitPrep(X, true).Apply(X), y
}

// TestFitReachesOptimum compares the fit with the optimum of the same
// objective found by SciPy's L-BFGS-B run to a gradient of 1e-12 on the
// same standardised data. (scikit-learn 1.2.1 with tol=1e-10 stops earlier,
// about 1e-4 from it: coef[0] = -0.10170658 for C=1.)
func TestFitReachesOptimum(t *testing.T) {
	X, y := clevelandScaled()
	for _, tc := range []struct {
		name      string
		p         Params
		intercept float64
		coef      []float64
	}{
		{"C=1", Params{C: 1, Tol: 1e-8}, -0.09555070347002888,
			[]float64{-0.101694432, 0.599179468, 0.567074038, 0.383697066, 0.235880411, -0.248304187, 0.228797338, -0.433219668, 0.468680205, 0.295857384, 0.335582927, 1.074816045, 0.618894681}},
		{"C=0.1", Params{C: 0.1, Tol: 1e-8}, -0.14307947268419938,
			[]float64{0.005894195, 0.431848887, 0.466683215, 0.240830928, 0.144573484, -0.135400367, 0.19170928, -0.338062046, 0.394995485, 0.307414095, 0.24141127, 0.740095326, 0.550158534}},
		{"balanced C=1", Params{C: 1, ClassWeight: ClassWeightBalanced, Tol: 1e-8}, 0.06671461394421115,
			[]float64{-0.091571299, 0.616364607, 0.55944836, 0.382464817, 0.247360635, -0.256142176, 0.226046227, -0.439644169, 0.466098719, 0.283517958, 0.341559574, 1.086844997, 0.614225746}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m, err := Trainer{Params: tc.p}.FitModel(X, y, nil)
			if err != nil {
				t.Fatal(err)
			}
			const tol = 1e-6
			if math.Abs(m.Intercept-tc.intercept) > tol {
				t.Errorf("intercept %v, want %v", m.Intercept, tc.intercept)
			}
			for j, want := range tc.coef {
				if got := m.Coef[j]; math.Abs(got-want) > tol {
					t.Errorf("coef[%d] = %v, want %v", j, got, want)
				}
			}
		})
	}
}

func TestDefaultToleranceIsCloseToOptimum(t *testing.T) {
	X, y := clevelandScaled()
	m, err := Trainer{}.FitModel(X, y, nil)
	if err != nil {
		t.Fatal(err)
	}
	if math.Abs(m.Coef[11]-1.07480288) > 1e-3 {
		t.Errorf("coef[11] = %v with the default tolerance, want 1.0748 ± 1e-3", m.Coef[11])
	}
}

func TestWeightsActLikeRepeatedRows(t *testing.T) {
	X, y := clevelandScaled()
	w := make([]float64, len(y))
	var rows []int
	for i := range w {
		w[i] = float64(1 + i%3)
		for k := 0; k < 1+i%3; k++ {
			rows = append(rows, i)
		}
	}
	Xr, yr := mltest.Subset(X, y, rows)
	p := Params{Tol: 1e-9}
	a, err := Trainer{Params: p}.FitModel(X, y, w)
	if err != nil {
		t.Fatal(err)
	}
	b, err := Trainer{Params: p}.FitModel(Xr, yr, nil)
	if err != nil {
		t.Fatal(err)
	}
	for j := range a.Coef {
		if math.Abs(a.Coef[j]-b.Coef[j]) > 1e-5 {
			t.Errorf("coef[%d]: weighted %v, repeated rows %v", j, a.Coef[j], b.Coef[j])
		}
	}
}

func TestContributionsAreExact(t *testing.T) {
	X, y := clevelandScaled()
	m, err := Trainer{}.FitModel(X, y, nil)
	if err != nil {
		t.Fatal(err)
	}
	out := make([]float64, X.Cols)
	for i := 0; i < X.Rows; i++ {
		base := m.Contributions(X.Row(i), out)
		sum := base
		for _, v := range out {
			sum += v
		}
		if got := m.Margin(X.Row(i)); math.Abs(sum-got) > 1e-12 {
			t.Fatalf("row %d: base+sum %v, margin %v", i, sum, got)
		}
	}
	// a row at the training mean gets zero contributions
	base := m.Contributions(m.Mean, out)
	for j, v := range out {
		if math.Abs(v) > 1e-15 {
			t.Errorf("feature %d contributes %v at the mean", j, v)
		}
	}
	if math.Abs(base-m.Margin(m.Mean)) > 1e-12 {
		t.Errorf("base %v, margin at the mean %v", base, m.Margin(m.Mean))
	}
}

func TestMarshalRoundTrip(t *testing.T) {
	X, y := clevelandScaled()
	m, _ := Trainer{}.FitModel(X, y, nil)
	b, err := m.MarshalBinary()
	if err != nil {
		t.Fatal(err)
	}
	back, err := Unmarshal(b)
	if err != nil {
		t.Fatal(err)
	}
	p1, p2 := make([]float64, X.Rows), make([]float64, X.Rows)
	m.PredictProba(X, p1)
	back.PredictProba(X, p2)
	for i := range p1 {
		if p1[i] != p2[i] {
			t.Fatalf("row %d: %v after round trip, want %v", i, p2[i], p1[i])
		}
	}
	for _, bad := range []string{``, `{}`, `{"coef":[1],"mean":[]}`, `{"coef":[1],"mean":[0],"intercept":"x"}`, `[`} {
		if _, err := Unmarshal([]byte(bad)); !errors.Is(err, core.ErrBadPayload) {
			t.Errorf("Unmarshal(%q) = %v, want ErrBadPayload", bad, err)
		}
	}
}

func TestBadInput(t *testing.T) {
	X, y := clevelandScaled()
	withNaN := core.Matrix{Rows: X.Rows, Cols: X.Cols, Data: append([]float64(nil), X.Data...)}
	withNaN.Data[4*13+3] = math.NaN()
	label2 := append([]float64(nil), y...)
	label2[9] = 2
	zeros := make([]float64, len(y))
	for _, tc := range []struct {
		name    string
		X       core.Matrix
		y       []float64
		p       Params
		want    error
		wantRow int
	}{
		{"NaN feature", withNaN, y, Params{}, core.ErrBadData, 4},
		{"label 2", X, label2, Params{}, core.ErrBadData, 9},
		{"one class", X, zeros, Params{}, core.ErrBadData, -1},
		{"no rows", core.Matrix{Cols: 13}, nil, Params{}, core.ErrBadData, -1},
		{"negative C", X, y, Params{C: -1}, core.ErrBadParam, -1},
		{"class weight", X, y, Params{ClassWeight: "auto"}, core.ErrBadParam, -1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Trainer{Params: tc.p}.Fit(tc.X, tc.y, nil, rand.New(rand.NewSource(1)))
			if !errors.Is(err, tc.want) {
				t.Fatalf("got %v, want %v", err, tc.want)
			}
			var de *core.DataError
			if tc.wantRow >= 0 && (!errors.As(err, &de) || de.Row != tc.wantRow) {
				t.Errorf("error %v does not name row %d", err, tc.wantRow)
			}
		})
	}
}

func FuzzUnmarshal(f *testing.F) {
	f.Add([]byte(`{"coef":[0.5,-1],"intercept":0.1,"mean":[0,1],"iterations":3}`))
	f.Add([]byte(`{"coef":[],"mean":[]}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		m, err := Unmarshal(data)
		if err != nil {
			if !errors.Is(err, core.ErrBadPayload) {
				t.Fatalf("error %v does not wrap ErrBadPayload", err)
			}
			return
		}
		row := make([]float64, len(m.Coef))
		out := make([]float64, len(m.Coef))
		m.Contributions(row, out)
		if p := m.Prob(row); p < 0 || p > 1 {
			t.Fatalf("probability %v", p)
		}
	})
}
