package forest

import (
	"bytes"
	"errors"
	"math"
	"math/rand"
	"testing"

	"github.com/stewardml/steward/internal/ml/core"
	"github.com/stewardml/steward/internal/ml/mltest"
)

func cleveland() (core.Matrix, []float64) {
	X, y := mltest.Cleveland()
	return mltest.FitPrep(X, false).Apply(X), y
}

func TestDeterministicAcrossWorkers(t *testing.T) {
	X, y := cleveland()
	fit := func(workers int, seed int64) []byte {
		m, err := Trainer{Params: Params{NTrees: 30, Workers: workers}}.FitModel(X, y, nil, rand.New(rand.NewSource(seed)))
		if err != nil {
			t.Fatal(err)
		}
		b, _ := m.MarshalBinary()
		return b
	}
	a := fit(1, 5)
	if b := fit(2, 5); !bytes.Equal(a, b) {
		t.Error("1 and 2 workers give different forests")
	}
	if c := fit(4, 5); !bytes.Equal(a, c) {
		t.Error("1 and 4 workers give different forests")
	}
	if d := fit(2, 6); bytes.Equal(a, d) {
		t.Error("different seeds give the same forest")
	}
}

func TestFullyGrownTreeFitsDistinctRows(t *testing.T) {
	// without bootstrap and with every feature tried, a fully grown tree
	// separates every pair of distinct rows
	X, y := cleveland()
	m, err := Trainer{Params: Params{NTrees: 1, NoBootstrap: true, MaxFeatures: "all"}}.FitModel(X, y, nil, rand.New(rand.NewSource(1)))
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < X.Rows; i++ {
		if got := m.Prob(X.Row(i)); got != y[i] {
			t.Fatalf("row %d: P = %v, label %v", i, got, y[i])
		}
	}
}

func TestLimits(t *testing.T) {
	X, y := cleveland()
	for _, tc := range []struct {
		name  string
		p     Params
		check func(t *testing.T, m *Model)
	}{
		{"max depth", Params{NTrees: 5, MaxDepth: 3}, func(t *testing.T, m *Model) {
			for _, tr := range m.Trees {
				if d := tr.MaxDepth(); d > 3 {
					t.Errorf("tree depth %d > 3", d)
				}
			}
		}},
		{"min samples leaf", Params{NTrees: 5, MinSamplesLeaf: 10, NoBootstrap: true}, func(t *testing.T, m *Model) {
			for _, tr := range m.Trees {
				for _, c := range tr.LeafCover {
					if c < 10 {
						t.Errorf("leaf with %v rows < 10", c)
					}
				}
			}
		}},
		{"min samples split", Params{NTrees: 5, MinSamplesSplit: 40, NoBootstrap: true}, func(t *testing.T, m *Model) {
			for _, tr := range m.Trees {
				for _, c := range tr.NodeCover {
					if c < 40 {
						t.Errorf("split node with %v rows < 40", c)
					}
				}
			}
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m, err := Trainer{Params: tc.p}.FitModel(X, y, nil, rand.New(rand.NewSource(1)))
			if err != nil {
				t.Fatal(err)
			}
			tc.check(t, m)
		})
	}
}

func TestContributionsAddUpToMargin(t *testing.T) {
	X, y := cleveland()
	m, err := Trainer{Params: Params{NTrees: 50}}.FitModel(X, y, nil, rand.New(rand.NewSource(1)))
	if err != nil {
		t.Fatal(err)
	}
	out := make([]float64, X.Cols)
	rows := [][]float64{}
	for i := 0; i < X.Rows; i++ {
		rows = append(rows, X.Row(i))
	}
	nan := append([]float64(nil), X.Row(3)...)
	nan[4] = math.NaN()
	rows = append(rows, nan)
	for i, row := range rows {
		base := m.Contributions(row, out)
		sum := base
		for _, v := range out {
			sum += v
		}
		if margin := m.Margin(row); math.Abs(sum-margin) > 1e-9 {
			t.Fatalf("row %d: base+sum %v, margin %v", i, sum, margin)
		}
	}
}

func TestNaNFollowsHeavierChild(t *testing.T) {
	X, y := cleveland()
	m, err := Trainer{Params: Params{NTrees: 1, NoBootstrap: true, MaxDepth: 1, MaxFeatures: "all"}}.FitModel(X, y, nil, rand.New(rand.NewSource(1)))
	if err != nil {
		t.Fatal(err)
	}
	tr := m.Trees[0]
	nd := tr.Nodes[0]
	heavierLeft := tr.LeafCover[^nd.Left] >= tr.LeafCover[^nd.Right]
	row := append([]float64(nil), X.Row(0)...)
	row[nd.Feature] = math.NaN()
	want := tr.LeafValue[^nd.Right]
	if heavierLeft {
		want = tr.LeafValue[^nd.Left]
	}
	if got := m.Prob(row); got != want {
		t.Errorf("NaN row: P = %v, want the heavier child's %v", got, want)
	}
}

func TestMarshalRoundTrip(t *testing.T) {
	X, y := cleveland()
	m, _ := Trainer{Params: Params{NTrees: 20}}.FitModel(X, y, nil, rand.New(rand.NewSource(1)))
	b, _ := m.MarshalBinary()
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
	imp := back.FeatureImportances()
	var s float64
	for _, v := range imp {
		s += v
	}
	if math.Abs(s-1) > 1e-12 {
		t.Errorf("importances sum to %v", s)
	}
	for _, cut := range []int{0, 5, 20, len(b) - 1} {
		if _, err := Unmarshal(b[:cut]); !errors.Is(err, core.ErrBadPayload) {
			t.Errorf("payload cut at %d: got %v, want ErrBadPayload", cut, err)
		}
	}
}

func TestBalancedClassWeightRaisesMinorityProbability(t *testing.T) {
	X, y := mltest.Heart(3000, rand.New(rand.NewSource(2)))
	// drop most positives to make them a minority
	var rows []int
	for i, v := range y {
		if v == 0 || i%5 == 0 {
			rows = append(rows, i)
		}
	}
	X, y = mltest.Subset(X, y, rows)
	mean := func(cw string) float64 {
		m, err := Trainer{Params: Params{NTrees: 30, ClassWeight: cw, MinSamplesLeaf: 20}}.FitModel(X, y, nil, rand.New(rand.NewSource(1)))
		if err != nil {
			t.Fatal(err)
		}
		p := make([]float64, X.Rows)
		m.PredictProba(X, p)
		var s float64
		for _, v := range p {
			s += v
		}
		return s / float64(len(p))
	}
	if none, bal := mean(ClassWeightNone), mean(ClassWeightBalanced); bal <= none+0.1 {
		t.Errorf("mean P: balanced %v, none %v; want balanced clearly higher", bal, none)
	}
}

func TestBadInput(t *testing.T) {
	X, y := cleveland()
	raw, _ := mltest.Cleveland() // has NaN
	ones := make([]float64, len(y))
	for i := range ones {
		ones[i] = 1
	}
	for _, tc := range []struct {
		name string
		X    core.Matrix
		y    []float64
		p    Params
		want error
	}{
		{"NaN feature", raw, y, Params{}, core.ErrBadData},
		{"one class", X, ones, Params{}, core.ErrBadData},
		{"no rows", core.Matrix{Cols: 13}, nil, Params{}, core.ErrBadData},
		{"max features", X, y, Params{MaxFeatures: "most"}, core.ErrBadParam},
		{"min samples split", X, y, Params{MinSamplesSplit: 1}, core.ErrBadParam},
		{"class weight", X, y, Params{ClassWeight: "auto"}, core.ErrBadParam},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Trainer{Params: tc.p}.Fit(tc.X, tc.y, nil, rand.New(rand.NewSource(1)))
			if !errors.Is(err, tc.want) {
				t.Fatalf("got %v, want %v", err, tc.want)
			}
		})
	}
}

func TestMaxFeatures(t *testing.T) {
	for _, tc := range []struct {
		s    string
		nf   int
		want int
	}{{"sqrt", 13, 3}, {"log2", 13, 3}, {"all", 13, 13}, {"5", 13, 5}, {"50", 13, 13}, {"0.5", 13, 6}, {"sqrt", 1, 1}} {
		got, err := Params{MaxFeatures: tc.s}.mtry(tc.nf)
		if err != nil || got != tc.want {
			t.Errorf("mtry(%q, %d) = %d, %v; want %d", tc.s, tc.nf, got, err, tc.want)
		}
	}
}

func FuzzUnmarshal(f *testing.F) {
	// the seed corpus (fitted models) is in testdata/fuzz/FuzzUnmarshal
	f.Fuzz(func(t *testing.T, data []byte) {
		m, err := Unmarshal(data)
		if err != nil {
			if !errors.Is(err, core.ErrBadPayload) {
				t.Fatalf("error %v does not wrap ErrBadPayload", err)
			}
			return
		}
		row := make([]float64, m.NFeatures)
		row[0] = math.NaN()
		p := m.Prob(row)
		if p < 0 || p > 1 {
			t.Fatalf("probability %v", p)
		}
		m.Contributions(row, make([]float64, m.NFeatures))
	})
}

func TestFastGrowerMatchesGeneral(t *testing.T) {
	// without sample or class weights the fast grower (integer counts,
	// batched histograms, sorted tiny nodes) must grow the very trees of
	// the general one
	X, y := mltest.Heart(4000, rand.New(rand.NewSource(3)))
	for _, p := range []Params{
		{NTrees: 8},
		{NTrees: 4, MaxFeatures: "all"},
		{NTrees: 4, MaxFeatures: "1", NoBootstrap: true},
		{NTrees: 4, MaxDepth: 5, MinSamplesSplit: 30},
	} {
		fit := func(general bool) []byte {
			t.Helper()
			forceGeneral = general
			defer func() { forceGeneral = false }()
			m, err := Trainer{Params: p}.FitModel(X, y, nil, rand.New(rand.NewSource(9)))
			if err != nil {
				t.Fatal(err)
			}
			b, _ := m.MarshalBinary()
			return b
		}
		if fast, general := fit(false), fit(true); !bytes.Equal(fast, general) {
			t.Errorf("%+v: the fast and general growers give different forests", p)
		}
	}
}

func TestBinnedPredictionMatchesTreeWalk(t *testing.T) {
	// prediction on binned rows must agree exactly with walking the trees on
	// raw values: on the thresholds themselves, between them, outside the
	// training range, at ±Inf and with NaN (which takes the raw path)
	X, y := mltest.Heart(3000, rand.New(rand.NewSource(4)))
	m, err := Trainer{Params: Params{NTrees: 12}}.FitModel(X, y, nil, rand.New(rand.NewSource(5)))
	if err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewSource(6))
	Q := core.NewMatrix(2000, X.Cols)
	for i := 0; i < Q.Rows; i++ {
		src := X.Row(rng.Intn(X.Rows))
		for j := range Q.Row(i) {
			v := src[j]
			switch rng.Intn(8) {
			case 0: // a threshold of some node on this feature
				tr := m.Trees[rng.Intn(len(m.Trees))]
				for _, nd := range tr.Nodes {
					if int(nd.Feature) == j {
						v = nd.Threshold
						break
					}
				}
			case 1:
				v += rng.NormFloat64()
			case 2:
				v = []float64{math.Inf(1), math.Inf(-1), -1e9, 1e9, math.NaN()}[rng.Intn(5)]
			}
			Q.Row(i)[j] = v
		}
	}
	back, err := Unmarshal(must(m.MarshalBinary()))
	if err != nil {
		t.Fatal(err)
	}
	for _, mm := range []*Model{m, back} {
		for _, block := range []int{mm.pred.block, 7, 100} {
			mm.pred.block = block
			for _, rows := range []int{Q.Rows, 5} {
				q := core.Matrix{Rows: rows, Cols: Q.Cols, Data: Q.Data[:rows*Q.Cols]}
				got := make([]float64, rows)
				mm.PredictProba(q, got)
				for i := range got {
					var s float64
					for _, tr := range mm.Trees {
						s += tr.Predict(q.Row(i))
					}
					want := s * (1 / float64(len(mm.Trees)))
					if got[i] != want {
						t.Fatalf("block %d row %d: PredictProba %v, tree walk %v", block, i, got[i], want)
					}
					if p := mm.Prob(q.Row(i)); p != want {
						t.Fatalf("row %d: Prob %v, tree walk %v", i, p, want)
					}
				}
			}
		}
	}
}

func must(b []byte, err error) []byte {
	if err != nil {
		panic(err)
	}
	return b
}
