package gbdt

import (
	"bufio"
	"bytes"
	"errors"
	"math"
	"math/rand"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/dmitryikh/leaves"

	"github.com/stewardml/steward/internal/ml/core"
	"github.com/stewardml/steward/internal/ml/mltest"
	"github.com/stewardml/steward/internal/ml/tree"
)

func fitCleveland(t testing.TB, p Params) (*Model, core.Matrix, []float64) {
	t.Helper()
	X, y := mltest.Cleveland() // has NaN in ca and thal
	m, err := Trainer{Params: p}.FitModel(X, y, nil, rand.New(rand.NewSource(7)))
	if err != nil {
		t.Fatal(err)
	}
	return m, X, y
}

func loadLeaves(t testing.TB, payload []byte) *leaves.Ensemble {
	t.Helper()
	e, err := leaves.LGEnsembleFromReader(bufio.NewReader(bytes.NewReader(payload)), true)
	if err != nil {
		t.Fatalf("leaves cannot load the model: %v", err)
	}
	return e
}

func TestLeavesAgreesWithTrainerOnEveryTrainingRow(t *testing.T) {
	for _, tc := range []struct {
		name string
		p    Params
	}{
		{"defaults", Params{}},
		{"depth6 lr0.3 subsample colsample", Params{MaxDepth: 6, LearningRate: 0.3, Subsample: 0.7, ColsampleByTree: 0.6}},
		{"leafwise 8 leaves", Params{MaxDepth: -1, MaxLeaves: 8, NTrees: 40}},
		{"stumps", Params{MaxDepth: 1, NTrees: 30, MinSamplesLeaf: 20}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m, X, _ := fitCleveland(t, tc.p)
			payload, err := m.MarshalBinary()
			if err != nil {
				t.Fatal(err)
			}
			e := loadLeaves(t, payload)
			if got, want := e.NEstimators(), len(m.Trees); got != want {
				t.Fatalf("leaves sees %d trees, want %d", got, want)
			}
			raw := e.EnsembleWithRawPredictions()
			for i := 0; i < X.Rows; i++ {
				row := X.Row(i)
				if got, want := e.PredictSingle(row, 0), m.Prob(row); math.Abs(got-want) > 1e-9 {
					t.Fatalf("row %d: leaves prob %v, trainer %v", i, got, want)
				}
				margin := m.Margin(row)
				if got := raw.PredictSingle(row, 0); math.Abs(got-margin) > 1e-9 {
					t.Fatalf("row %d: leaves margin %v, model %v", i, got, margin)
				}
				// the scores the trainer itself accumulated while boosting
				if got := m.trainMargin[i]; math.Abs(got-margin) > 1e-9 {
					t.Fatalf("row %d: training score %v, model margin %v", i, got, margin)
				}
			}
		})
	}
}

func TestTextFormat(t *testing.T) {
	m, _, _ := fitCleveland(t, Params{NTrees: 5, LearningRate: 0.1})
	text, err := m.MarshalText()
	if err != nil {
		t.Fatal(err)
	}
	s := string(text)
	for _, want := range []string{"tree\nversion=v3\nnum_class=1\nnum_tree_per_iteration=1\nlabel_index=0\nmax_feature_idx=12\nobjective=binary sigmoid:1\nfeature_names=Column_0 ",
		"\nfeature_infos=[29:77] [0:1] ", "\nend of trees\n"} {
		if !strings.Contains(s, want) {
			t.Errorf("model text lacks %q", want)
		}
	}
	if strings.Contains(s, "\r") {
		t.Error("model text has a carriage return")
	}
	// tree_sizes must be the exact byte length of each "Tree=i" block
	var sizes []int
	for _, line := range strings.Split(s, "\n") {
		if v, ok := strings.CutPrefix(line, "tree_sizes="); ok {
			for _, f := range strings.Fields(v) {
				n, _ := strconv.Atoi(f)
				sizes = append(sizes, n)
			}
		}
	}
	if len(sizes) != 5 {
		t.Fatalf("tree_sizes has %d entries, want 5", len(sizes))
	}
	off := strings.Index(s, "Tree=0\n")
	for i, n := range sizes {
		block := s[off : off+n]
		if !strings.HasPrefix(block, "Tree="+strconv.Itoa(i)+"\n") || !strings.HasSuffix(block, "\n\n\n") {
			t.Fatalf("tree %d: block at offset %d with size %d is %q...", i, off, n, block[:min(40, len(block))])
		}
		off += n
	}
	if !strings.HasPrefix(s[off:], "end of trees\n") {
		t.Fatalf("after the trees comes %q", s[off:min(off+20, len(s))])
	}
	// first tree carries the initial score with shrinkage 1, the others the learning rate
	if got := strings.Count(s, "shrinkage=1\n"); got != 1 {
		t.Errorf("%d trees with shrinkage=1, want 1", got)
	}
	if got := strings.Count(s, "shrinkage=0.1\n"); got != 4 {
		t.Errorf("%d trees with shrinkage=0.1, want 4", got)
	}
	for _, line := range strings.Split(s, "\n") {
		if v, ok := strings.CutPrefix(line, "decision_type="); ok {
			for _, f := range strings.Fields(v) {
				if f != "8" && f != "10" {
					t.Errorf("decision_type %s, want 8 or 10 (NaN missing type)", f)
				}
			}
		}
	}
}

func TestMarshalRoundTrip(t *testing.T) {
	m, X, _ := fitCleveland(t, Params{NTrees: 20, Subsample: 0.8})
	text, _ := m.MarshalBinary()
	back, err := Unmarshal(text)
	if err != nil {
		t.Fatal(err)
	}
	again, _ := back.MarshalBinary()
	if !bytes.Equal(text, again) {
		t.Error("marshal(unmarshal(text)) differs from text")
	}
	out1, out2 := make([]float64, 13), make([]float64, 13)
	for i := 0; i < X.Rows; i++ {
		row := X.Row(i)
		if got, want := back.Margin(row), m.Margin(row); got != want {
			t.Fatalf("row %d: reloaded margin %v, want %v", i, got, want)
		}
		b1, b2 := m.Contributions(row, out1), back.Contributions(row, out2)
		if math.Abs(b1-b2) > 1e-12 {
			t.Fatalf("row %d: base %v vs %v", i, b1, b2)
		}
		for j := range out1 {
			if math.Abs(out1[j]-out2[j]) > 1e-12 {
				t.Fatalf("row %d feature %d: contribution %v vs %v", i, j, out1[j], out2[j])
			}
		}
	}
}

func TestContributionsAddUpToMargin(t *testing.T) {
	m, X, _ := fitCleveland(t, Params{})
	out := make([]float64, X.Cols)
	for i := 0; i < X.Rows; i++ {
		row := X.Row(i)
		base := m.Contributions(row, out)
		sum := base
		for _, v := range out {
			sum += v
		}
		if margin := m.Margin(row); math.Abs(sum-margin) > 1e-9 {
			t.Fatalf("row %d: base+sum = %v, margin %v", i, sum, margin)
		}
	}
	// a missing value still explains: NaN follows the default direction
	row := append([]float64(nil), X.Row(0)...)
	row[11] = math.NaN()
	base := m.Contributions(row, out)
	sum := base
	for _, v := range out {
		sum += v
	}
	if margin := m.Margin(row); math.Abs(sum-margin) > 1e-9 {
		t.Fatalf("NaN row: base+sum = %v, margin %v", sum, margin)
	}
}

func TestDeterministicAcrossWorkers(t *testing.T) {
	X, y := mltest.Heart(40000, rand.New(rand.NewSource(3))) // several histogram blocks
	fit := func(workers int) []byte {
		m, err := Trainer{Params: Params{NTrees: 10, Subsample: 0.8, ColsampleByTree: 0.7, Workers: workers}}.
			FitModel(X, y, nil, rand.New(rand.NewSource(11)))
		if err != nil {
			t.Fatal(err)
		}
		b, _ := m.MarshalBinary()
		return b
	}
	a, b := fit(1), fit(2)
	if !bytes.Equal(a, b) {
		t.Error("1 and 2 workers give different models")
	}
	if c := fit(2); !bytes.Equal(b, c) {
		t.Error("same seed gives different models")
	}
}

func TestMissingValuesLearnDirection(t *testing.T) {
	// the label is 1 exactly when x0 is missing or x0 > 0.5
	rng := rand.New(rand.NewSource(1))
	n := 2000
	X := core.NewMatrix(n, 2)
	y := make([]float64, n)
	for i := 0; i < n; i++ {
		x := rng.Float64()
		X.Data[2*i+1] = rng.Float64()
		if rng.Float64() < 0.2 {
			X.Data[2*i] = math.NaN()
			y[i] = 1
			continue
		}
		X.Data[2*i] = x
		if x > 0.5 {
			y[i] = 1
		}
	}
	m, err := Trainer{Params: Params{NTrees: 30, MaxDepth: 2, LearningRate: 0.3}}.FitModel(X, y, nil, rand.New(rand.NewSource(1)))
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		x0   float64
		want float64
	}{{math.NaN(), 1}, {0.9, 1}, {0.1, 0}} {
		p := m.Prob([]float64{tc.x0, 0.5})
		if math.Abs(p-tc.want) > 0.1 {
			t.Errorf("x0=%v: P = %v, want near %v", tc.x0, p, tc.want)
		}
	}
}

func TestEarlyStopping(t *testing.T) {
	X, y := mltest.Heart(3000, rand.New(rand.NewSource(5)))
	Xv, yv := mltest.Heart(1000, rand.New(rand.NewSource(6)))
	p := Params{NTrees: 500, LearningRate: 0.5, MaxDepth: 6, EarlyStoppingRounds: 5}
	m, err := Trainer{Params: p}.FitValidated(X, y, nil, Xv, yv, nil, rand.New(rand.NewSource(1)))
	if err != nil {
		t.Fatal(err)
	}
	if m.BestIteration >= 100 || len(m.Trees) != m.BestIteration {
		t.Errorf("kept %d trees (best iteration %d), want early stop well before 500", len(m.Trees), m.BestIteration)
	}
	p.ValidationFraction = 0.2
	m2, err := Trainer{Params: p}.FitModel(X, y, nil, rand.New(rand.NewSource(1)))
	if err != nil {
		t.Fatal(err)
	}
	if len(m2.Trees) >= 100 {
		t.Errorf("validation fraction: kept %d trees, want an early stop", len(m2.Trees))
	}
}

func TestBadInput(t *testing.T) {
	X, y := mltest.Heart(50, rand.New(rand.NewSource(1)))
	nanY := append([]float64(nil), y...)
	nanY[3] = math.NaN()
	ones := make([]float64, len(y))
	for i := range ones {
		ones[i] = 1
	}
	infX := core.Matrix{Rows: X.Rows, Cols: X.Cols, Data: append([]float64(nil), X.Data...)}
	infX.Data[5*13+2] = math.Inf(1)
	negW := make([]float64, len(y))
	for i := range negW {
		negW[i] = 1
	}
	negW[7] = -1
	for _, tc := range []struct {
		name string
		X    core.Matrix
		y, w []float64
		p    Params
		want error
	}{
		{"NaN label", X, nanY, nil, Params{}, core.ErrBadData},
		{"one class", X, ones, nil, Params{}, core.ErrBadData},
		{"empty", core.Matrix{Cols: 13}, nil, nil, Params{}, core.ErrBadData},
		{"Inf feature", infX, y, nil, Params{}, core.ErrBadData},
		{"negative weight", X, y, negW, Params{}, core.ErrBadData},
		{"learning rate", X, y, nil, Params{LearningRate: -1}, core.ErrBadParam},
		{"subsample", X, y, nil, Params{Subsample: 1.5}, core.ErrBadParam},
		{"unbounded tree", X, y, nil, Params{MaxDepth: -1}, core.ErrBadParam},
		{"max bins", X, y, nil, Params{MaxBins: 300}, core.ErrBadParam},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Trainer{Params: tc.p}.Fit(tc.X, tc.y, tc.w, rand.New(rand.NewSource(1)))
			if !errors.Is(err, tc.want) {
				t.Fatalf("got %v, want %v", err, tc.want)
			}
		})
	}
	t.Run("shape mismatch panics", func(t *testing.T) {
		defer func() {
			if recover() == nil {
				t.Error("no panic")
			}
		}()
		Trainer{}.Fit(X, y[:10], nil, rand.New(rand.NewSource(1)))
	})
}

func TestUnmarshalRejects(t *testing.T) {
	m, _, _ := fitCleveland(t, Params{NTrees: 3})
	good, _ := m.MarshalBinary()
	for _, tc := range []struct {
		name     string
		old, new string
	}{
		{"v4 objective", "objective=binary sigmoid:1", "objective=regression"},
		{"version", "version=v3", "version=v9"},
		{"categorical", "num_cat=0", "num_cat=1"},
		{"decision type", "decision_type=", "decision_type=2 "},
		{"bad child", "left_child=", "left_child=7 "},
		{"num class", "num_class=1", "num_class=3"},
		{"feature names", "feature_names=Column_0 ", "feature_names="},
	} {
		t.Run(tc.name, func(t *testing.T) {
			bad := strings.Replace(string(good), tc.old, tc.new, 1)
			if _, err := Unmarshal([]byte(bad)); !errors.Is(err, core.ErrBadPayload) {
				t.Fatalf("got %v, want ErrBadPayload", err)
			}
		})
	}
}

func TestFeatureImportances(t *testing.T) {
	m, _, _ := fitCleveland(t, Params{})
	imp := m.FeatureImportances()
	var s float64
	for _, v := range imp {
		if v < 0 {
			t.Fatalf("negative importance %v", v)
		}
		s += v
	}
	if math.Abs(s-1) > 1e-12 {
		t.Fatalf("importances sum to %v", s)
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
		out := make([]float64, m.NFeatures)
		base := m.Contributions(row, out)
		sum := base
		for _, v := range out {
			sum += v
		}
		if margin := m.Margin(row); math.Abs(sum-margin) > 1e-6*math.Max(1, math.Abs(margin)) {
			t.Fatalf("base+sum %v, margin %v", sum, margin)
		}
		// what decodes re-encodes to something that decodes the same
		again, err := m.MarshalBinary()
		if err != nil {
			return // e.g. a feature name the writer refuses
		}
		m2, err := Unmarshal(again)
		if err != nil {
			t.Fatalf("re-encoded model does not decode: %v", err)
		}
		if a, b := m.Margin(row), m2.Margin(row); a != b && !(math.IsNaN(a) && math.IsNaN(b)) {
			t.Fatalf("margin %v after re-encoding, want %v", b, a)
		}
	})
}

// TestJointHistogramsMatchPerFeature checks that every feature's histogram
// taken from a joint histogram equals the one summed on its own column,
// with missing values (Cleveland's ca and thal), on all rows and on a
// subset.
func TestJointHistogramsMatchPerFeature(t *testing.T) {
	X, _ := mltest.Cleveland()
	H, _ := mltest.Heart(3000, rand.New(rand.NewSource(1)))
	for _, X := range []core.Matrix{X, H} {
		b := &booster{n: X.Rows, nf: X.Cols, workers: 2}
		b.bins = tree.FitBins(X, 255, 0, nil)
		b.cols = b.bins.BinColumns(X)
		b.units = jointUnits(b.bins, b.cols, b.workers)
		joint, seen := 0, make([]int, X.Cols)
		for _, u := range b.units {
			if u.bins != nil {
				joint++
			}
			for _, f := range u.feats {
				seen[f]++
			}
		}
		if joint == 0 || slices.Max(seen) != 1 || slices.Min(seen) != 1 {
			t.Fatalf("%d joint units, features covered %v times: want some joint units and every feature once", joint, seen)
		}
		rng := rand.New(rand.NewSource(2))
		for _, frac := range []float64{1, 0.3} {
			var rows []int32
			for i := range X.Rows {
				if rng.Float64() < frac {
					rows = append(rows, int32(i))
				}
			}
			oq := make([]int64, len(rows))
			for i := range oq {
				oq[i] = pack(rng.Int63n(2001)-1000, rng.Int63n(1000))
			}
			got := &hist{q: make([][256]int64, X.Cols)}
			for i := range b.units {
				b.accumulateUnit(got, &b.units[i], b.units[i].col, rows, oq)
			}
			for f := range X.Cols {
				var want [256]int64
				accumulateQ(&want, b.cols[f], rows, oq)
				if got.q[f] != want {
					t.Fatalf("feature %d (%d rows): joint histogram differs from the feature's own", f, len(rows))
				}
			}
			if len(rows) == X.Rows { // all rows are also read in place
				all := &hist{q: make([][256]int64, X.Cols)}
				for i := range b.units {
					b.accumulateUnit(all, &b.units[i], b.units[i].col, nil, oq)
				}
				if !slices.Equal(all.q, got.q) {
					t.Fatal("histograms of all rows read in place differ from those through the row list")
				}
			}
		}
	}
}

// TestHistogramPartsAddUp checks that leaves larger than histChunk, summed
// in parts, get the histograms of summing each feature at once.
func TestHistogramPartsAddUp(t *testing.T) {
	X, _ := mltest.Heart(3*histChunk+100, rand.New(rand.NewSource(1)))
	b := &booster{n: X.Rows, nf: X.Cols, workers: 2}
	b.bins = tree.FitBins(X, 255, 0, nil)
	b.cols = b.bins.BinColumns(X)
	b.units = jointUnits(b.bins, b.cols, b.workers)
	for u := range b.units {
		b.active = append(b.active, u)
	}
	rng := rand.New(rand.NewSource(2))
	b.qgh = make([]int64, b.n)
	for i := range b.qgh {
		b.qgh[i] = pack(rng.Int63n(2001)-1000, rng.Int63n(1000))
	}
	var rows []int32
	for i := range b.n {
		if rng.Intn(10) != 0 {
			rows = append(rows, int32(i))
		}
	}
	b.bufs[0], b.oq[0] = rows, make([]int64, len(rows))
	for k, r := range rows {
		b.oq[0][k] = b.qgh[r]
	}
	some := &leaf{lo: 0, hi: len(rows), hist: &hist{q: make([][256]int64, b.nf)}}
	b.bufs[1], b.oq[1] = make([]int32, b.n), make([]int64, b.n)
	every := &leaf{buf: 1, lo: 0, hi: b.n, hist: &hist{q: make([][256]int64, b.nf)}}
	b.buildHistsQ([]*leaf{some, every}, func(l *leaf) bool { return l == every })
	for _, tc := range []struct {
		name string
		l    *leaf
		rows []int32
		oq   []int64
	}{{"some rows", some, rows, b.oq[0]}, {"all rows", every, nil, b.qgh}} {
		for f := range b.nf {
			var want [256]int64
			accumulateQ(&want, b.cols[f], tc.rows, tc.oq)
			if tc.l.hist.q[f] != want {
				t.Fatalf("%s, feature %d: histogram in parts differs from the whole", tc.name, f)
			}
		}
	}
}
