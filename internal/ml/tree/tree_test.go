package tree

import (
	"errors"
	"math"
	"math/rand"
	"slices"
	"testing"

	"github.com/stewardml/steward/internal/ml/core"
)

// exampleTree splits on feature 0, then on feature 1 on the left and on
// feature 0 again on the right (a repeated feature exercises unwinding).
//
//	node0: x0 <= 0.5 ?
//	  node1: x1 <= 1 ?  leaf0 (cover 3, value 1) | leaf1 (cover 2, value 4)
//	  node2: x0 <= 2 ?  leaf2 (cover 4, value -2) | node3
//	    node3: x2 <= 0 ? leaf3 (cover 1, value 7) | leaf4 (cover 2, value 0.5)
func exampleTree() *Tree {
	return &Tree{
		Nodes: []Node{
			{Feature: 0, Threshold: 0.5, Left: 1, Right: 2},
			{Feature: 1, Threshold: 1, Left: ^0, Right: ^1, DefaultLeft: true},
			{Feature: 0, Threshold: 2, Left: ^2, Right: 3},
			{Feature: 2, Threshold: 0, Left: ^3, Right: ^4},
		},
		NodeGain:  []float64{1, 1, 1, 1},
		NodeCover: []float64{12, 5, 7, 3},
		LeafValue: []float64{1, 4, -2, 7, 0.5},
		LeafCover: []float64{3, 2, 4, 1, 2},
	}
}

// condExpect is the path-dependent value function: features in set follow
// the row, the others average over the children by cover.
func condExpect(t *Tree, row []float64, set uint) float64 {
	var rec func(c int32) float64
	rec = func(c int32) float64 {
		if c < 0 {
			return t.LeafValue[^c]
		}
		nd := &t.Nodes[c]
		if set&(1<<uint(nd.Feature)) != 0 {
			if nd.goesLeft(row[nd.Feature]) {
				return rec(nd.Left)
			}
			return rec(nd.Right)
		}
		return (t.cover(nd.Left)*rec(nd.Left) + t.cover(nd.Right)*rec(nd.Right)) / t.NodeCover[c]
	}
	if len(t.Nodes) == 0 {
		return t.LeafValue[0]
	}
	return rec(0)
}

// bruteShapley computes exact Shapley values of condExpect over nf features.
func bruteShapley(t *Tree, row []float64, nf int) []float64 {
	phi := make([]float64, nf)
	fact := func(n int) float64 {
		r := 1.0
		for i := 2; i <= n; i++ {
			r *= float64(i)
		}
		return r
	}
	for i := 0; i < nf; i++ {
		for s := uint(0); s < 1<<uint(nf); s++ {
			if s&(1<<uint(i)) != 0 {
				continue
			}
			k := 0
			for j := 0; j < nf; j++ {
				if s&(1<<uint(j)) != 0 {
					k++
				}
			}
			w := fact(k) * fact(nf-k-1) / fact(nf)
			phi[i] += w * (condExpect(t, row, s|1<<uint(i)) - condExpect(t, row, s))
		}
	}
	return phi
}

func TestSHAPMatchesBruteForce(t *testing.T) {
	tr := exampleTree()
	if err := tr.Validate(3); err != nil {
		t.Fatal(err)
	}
	for _, row := range [][]float64{
		{0, 0, 0}, {0, 2, 0}, {1, 0, -1}, {3, 0, -1}, {3, 0, 1}, {math.NaN(), math.NaN(), 1}, {0.5, 1, 0},
	} {
		got := make([]float64, 3)
		tr.SHAP(row, got, 1, nil)
		want := bruteShapley(tr, row, 3)
		for j := range want {
			if math.Abs(got[j]-want[j]) > 1e-12 {
				t.Errorf("row %v feature %d: TreeSHAP %v, exact Shapley %v", row, j, got[j], want[j])
			}
		}
		sum := tr.ExpectedValue()
		for _, v := range got {
			sum += v
		}
		if p := tr.Predict(row); math.Abs(sum-p) > 1e-12 {
			t.Errorf("row %v: base+sum %v, prediction %v", row, sum, p)
		}
	}
}

// randomTree grows a random valid tree of up to maxLeaves leaves on nf features.
func randomTree(rng *rand.Rand, nf, maxLeaves int) *Tree {
	t := &Tree{LeafValue: []float64{rng.NormFloat64()}, LeafCover: []float64{0}}
	type ref struct {
		node   int32
		isLeft bool
	}
	parents := []ref{{-1, false}}
	for len(t.LeafValue) < maxLeaves {
		k := rng.Intn(len(t.LeafValue))
		node := int32(len(t.Nodes))
		if p := parents[k]; p.node >= 0 {
			if p.isLeft {
				t.Nodes[p.node].Left = node
			} else {
				t.Nodes[p.node].Right = node
			}
		}
		nl := int32(len(t.LeafValue))
		t.Nodes = append(t.Nodes, Node{Feature: int32(rng.Intn(nf)), Threshold: rng.NormFloat64(), Left: ^int32(k), Right: ^nl, DefaultLeft: rng.Intn(2) == 0})
		t.NodeGain = append(t.NodeGain, 1)
		t.NodeCover = append(t.NodeCover, 0)
		parents[k] = ref{node, true}
		parents = append(parents, ref{node, false})
		t.LeafValue = append(t.LeafValue, rng.NormFloat64())
		t.LeafCover = append(t.LeafCover, 0)
	}
	for i := range t.LeafCover {
		t.LeafCover[i] = float64(1 + rng.Intn(20))
	}
	for i := len(t.Nodes) - 1; i >= 0; i-- {
		t.NodeCover[i] = t.cover(t.Nodes[i].Left) + t.cover(t.Nodes[i].Right)
	}
	return t
}

func TestSHAPRandomTrees(t *testing.T) {
	rng := rand.New(rand.NewSource(1))
	const nf = 5
	for k := 0; k < 200; k++ {
		tr := randomTree(rng, nf, 2+rng.Intn(14))
		if err := tr.Validate(nf); err != nil {
			t.Fatal(err)
		}
		row := make([]float64, nf)
		for j := range row {
			row[j] = rng.NormFloat64()
			if rng.Intn(8) == 0 {
				row[j] = math.NaN()
			}
		}
		got := make([]float64, nf)
		tr.SHAP(row, got, 1, nil)
		want := bruteShapley(tr, row, nf)
		for j := range want {
			if math.Abs(got[j]-want[j]) > 1e-9 {
				t.Fatalf("tree %d feature %d: TreeSHAP %v, exact %v", k, j, got[j], want[j])
			}
		}
	}
}

func TestBins(t *testing.T) {
	for _, tc := range []struct {
		name     string
		col      []float64
		maxBins  int
		wantBins int
	}{
		{"few distinct values get one bin each", []float64{3, 1, 2, 2, 1, 3, math.NaN()}, 255, 3},
		{"constant", []float64{5, 5, 5}, 255, 1},
		{"all missing", []float64{math.NaN(), math.NaN()}, 255, 1},
		{"many values are capped", seq(1000), 16, 16},
		{"exactly max distinct", seq(255), 255, 255},
	} {
		t.Run(tc.name, func(t *testing.T) {
			X := core.Matrix{Rows: len(tc.col), Cols: 1, Data: tc.col}
			b := FitBins(X, tc.maxBins, 0, nil)
			if got := b.NumBins(0); got != tc.wantBins {
				t.Fatalf("%d bins, want %d", got, tc.wantBins)
			}
			if !slices.IsSorted(b.Upper[0]) {
				t.Fatalf("upper bounds not sorted: %v", b.Upper[0])
			}
			// bin <= k exactly when x <= Upper[k]
			for _, x := range tc.col {
				bin := b.Bin(0, x)
				if math.IsNaN(x) {
					if bin != MissingBin {
						t.Fatalf("NaN in bin %d", bin)
					}
					continue
				}
				for k, u := range b.Upper[0] {
					if (int(bin) <= k) != (x <= u) {
						t.Fatalf("x=%v in bin %d but upper[%d]=%v", x, bin, k, u)
					}
				}
			}
		})
	}
	// equal-count quantiles: no bin holds far more than its share
	X := core.Matrix{Rows: 1000, Cols: 1, Data: seq(1000)}
	b := FitBins(X, 10, 0, nil)
	counts := make([]int, b.NumBins(0))
	for _, x := range X.Data {
		counts[b.Bin(0, x)]++
	}
	for k, c := range counts {
		if c < 80 || c > 120 {
			t.Errorf("bin %d holds %d of 1000 values, want about 100", k, c)
		}
	}
}

func seq(n int) []float64 {
	out := make([]float64, n)
	for i := range out {
		out[i] = float64(i) * 0.5
	}
	return out
}

func TestMidpointStaysBelowUpperValue(t *testing.T) {
	a := 1.0
	b := math.Nextafter(a, 2)
	if m := midpoint(a, b); !(m >= a && m < b) {
		t.Errorf("midpoint(%v, %v) = %v", a, b, m)
	}
}

func TestBinaryRoundTripAndValidation(t *testing.T) {
	tr := exampleTree()
	buf := tr.AppendBinary(nil)
	back, rest, err := DecodeBinary(buf, 3)
	if err != nil || len(rest) != 0 {
		t.Fatalf("decode: %v (%d bytes left)", err, len(rest))
	}
	for _, row := range [][]float64{{0, 0, 0}, {3, 0, 1}, {math.NaN(), 5, 5}} {
		if got, want := back.Predict(row), tr.Predict(row); got != want {
			t.Errorf("row %v: %v after round trip, want %v", row, got, want)
		}
	}
	for _, tc := range []struct {
		name   string
		mutate func(*Tree)
	}{
		{"cycle", func(t *Tree) { t.Nodes[3].Right = 1 }},
		{"shared leaf", func(t *Tree) { t.Nodes[3].Right = ^0 }},
		{"leaf out of range", func(t *Tree) { t.Nodes[3].Right = ^9 }},
		{"feature out of range", func(t *Tree) { t.Nodes[0].Feature = 3 }},
		{"zero cover", func(t *Tree) { t.LeafCover[2] = 0 }},
		{"NaN leaf", func(t *Tree) { t.LeafValue[2] = math.NaN() }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			bad := exampleTree()
			tc.mutate(bad)
			if _, _, err := DecodeBinary(bad.AppendBinary(nil), 3); !errors.Is(err, ErrInvalid) {
				t.Fatalf("got %v, want ErrInvalid", err)
			}
		})
	}
}

func FuzzDecodeBinary(f *testing.F) {
	f.Add(exampleTree().AppendBinary(nil))
	f.Add((&Tree{LeafValue: []float64{1}, LeafCover: []float64{1}}).AppendBinary(nil))
	f.Fuzz(func(t *testing.T, data []byte) {
		tr, _, err := DecodeBinary(data, 4)
		if err != nil {
			return
		}
		// a tree that decodes must evaluate and explain without panicking
		row := []float64{0, 1, math.NaN(), -1}
		tr.Predict(row)
		tr.SHAP(row, make([]float64, 4), 1, nil)
	})
}

func TestFlatAgreesWithTrees(t *testing.T) {
	rng := rand.New(rand.NewSource(2))
	const nf = 4
	trees := []*Tree{exampleTree(), {LeafValue: []float64{0.25}, LeafCover: []float64{3}}}
	for k := 0; k < 30; k++ {
		trees = append(trees, randomTree(rng, nf, 2+rng.Intn(30)))
	}
	f := Compile(trees)
	for k := 0; k < 500; k++ {
		row := make([]float64, nf)
		for j := range row {
			row[j] = rng.NormFloat64()
			if rng.Intn(6) == 0 {
				row[j] = math.NaN()
			}
		}
		var want float64
		for i, tr := range trees {
			v := tr.Predict(row)
			if got := f.Value(i, row); got != v {
				t.Fatalf("tree %d: flat %v, tree %v", i, got, v)
			}
			want += v
		}
		if got := f.Sum(row); got != want {
			t.Fatalf("sum: flat %v, trees %v", got, want)
		}
	}
	// SumRows over many rows (several blocks, one with a NaN) gives Sum
	// exactly, also for values equal to a threshold, ±0 and ±Inf
	var thresholds []float64
	for _, tr := range trees {
		for _, nd := range tr.Nodes {
			thresholds = append(thresholds, nd.Threshold)
		}
	}
	special := []float64{0, math.Copysign(0, -1), math.Inf(1), math.Inf(-1)}
	n := 3*blockRows + 7
	data := make([]float64, n*nf)
	for i := range data {
		switch rng.Intn(4) {
		case 0:
			data[i] = thresholds[rng.Intn(len(thresholds))]
		case 1:
			data[i] = special[rng.Intn(len(special))]
		default:
			data[i] = rng.NormFloat64()
		}
	}
	data[(blockRows+3)*nf+1] = math.NaN()
	out := make([]float64, n)
	big := []*Tree{randomTree(rng, nf, 3000), randomTree(rng, nf, 2000)}
	for _, ts := range [][]*Tree{trees, big} {
		f := Compile(ts)
		f.SumRows(data, nf, 5, n, out)
		for r := 5; r < n; r++ {
			row := data[r*nf : (r+1)*nf]
			var want float64
			for _, tr := range ts {
				want += tr.Predict(row)
			}
			if out[r] != want {
				t.Fatalf("row %d %v: SumRows %v, trees %v", r, row, out[r], want)
			}
			if got := f.Sum(row); got != want {
				t.Fatalf("row %d %v: Sum %v, trees %v", r, row, got, want)
			}
		}
	}
}

// TestExplainerMatchesSHAP compares every value of the tabulated algorithm
// with Tree.SHAP on random trees (repeated features, NaN rows, deep paths),
// with and without room for the tables.
func TestExplainerMatchesSHAP(t *testing.T) {
	rng := rand.New(rand.NewSource(2))
	const nf = 12
	var trees []*Tree
	for range 60 {
		trees = append(trees, randomTree(rng, 2+rng.Intn(nf-1), 1+rng.Intn(120)))
	}
	for _, tc := range []struct {
		name   string
		budget int
		want   int // tabulated trees
	}{
		{"tabulated", DefaultSHAPBudget, len(trees)},
		{"no budget", 0, 0},
		{"part of the trees", 3000, -1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := NewExplainer(trees, nil, tc.budget)
			n := 0
			for _, tb := range e.tables {
				if tb != nil {
					n++
				}
			}
			if tc.want >= 0 && n != tc.want {
				t.Fatalf("%d trees tabulated, want %d", n, tc.want)
			}
			if tc.want < 0 && (n == 0 || n == len(trees)) {
				t.Fatalf("%d of %d trees tabulated, want some", n, len(trees))
			}
			var s SHAPScratch
			for range 200 {
				row := make([]float64, nf)
				for j := range row {
					row[j] = rng.NormFloat64()
					if rng.Intn(6) == 0 {
						row[j] = math.NaN()
					}
				}
				for i, tr := range trees {
					got, want := make([]float64, nf), make([]float64, nf)
					e.SHAP(i, row, got, 0.5, &s)
					tr.SHAP(row, want, 0.5, nil)
					for j := range want {
						if math.Abs(got[j]-want[j]) > 1e-12 {
							t.Fatalf("tree %d feature %d row %v: %v, TreeSHAP %v", i, j, row, got[j], want[j])
						}
					}
				}
			}
		})
	}
}

func TestExplainerMatchesBruteForce(t *testing.T) {
	tr := exampleTree()
	e := NewExplainer([]*Tree{tr}, nil, DefaultSHAPBudget)
	for _, row := range [][]float64{
		{0, 0, 0}, {0, 2, 0}, {1, 0, -1}, {3, 0, -1}, {3, 0, 1}, {math.NaN(), math.NaN(), 1}, {0.5, 1, 0},
	} {
		got := make([]float64, 3)
		e.SHAP(0, row, got, 1, &SHAPScratch{})
		want := bruteShapley(tr, row, 3)
		for j := range want {
			if math.Abs(got[j]-want[j]) > 1e-12 {
				t.Errorf("row %v feature %d: %v, exact Shapley %v", row, j, got[j], want[j])
			}
		}
	}
}

// sortedBinUpper is binUpper by sorting every value, the reference for
// the counting of distinct values.
func sortedBinUpper(vals []float64, maxBins int) ([]float64, float64, float64) {
	vals = slices.Clone(vals)
	slices.Sort(vals)
	var distinct []float64
	var counts []int
	for i, v := range vals {
		if i == 0 || v != vals[i-1] {
			distinct = append(distinct, v)
			counts = append(counts, 1)
		} else {
			counts[len(counts)-1]++
		}
	}
	lo, hi := distinct[0], distinct[len(distinct)-1]
	var upper []float64
	if len(distinct) <= maxBins {
		for i := 0; i+1 < len(distinct); i++ {
			upper = append(upper, midpoint(distinct[i], distinct[i+1]))
		}
		return upper, lo, hi
	}
	cum := 0
	for i := 0; i+1 < len(distinct) && len(upper) < maxBins-1; i++ {
		cum += counts[i]
		if float64(cum) >= float64(len(vals))*float64(len(upper)+1)/float64(maxBins) {
			upper = append(upper, midpoint(distinct[i], distinct[i+1]))
		}
	}
	return upper, lo, hi
}

// TestFitBinsCountsLikeSorting checks the bins of columns with few
// distinct values (counted in a hash table) against sorting, and the
// binning of every row against the binary search.
func TestFitBinsCountsLikeSorting(t *testing.T) {
	rng := rand.New(rand.NewSource(3))
	const rows = 5000
	cols := []func() float64{
		func() float64 { return float64(rng.Intn(4)) },                               // few values
		func() float64 { return float64(rng.Intn(600)) / 7 },                         // more than the bins
		func() float64 { return float64(rng.Intn(2000)) },                            // more than are counted
		func() float64 { return []float64{math.Copysign(0, -1), 0, 1}[rng.Intn(3)] }, // -0 and +0
		func() float64 { return rng.NormFloat64() },                                  // continuous
	}
	X := core.NewMatrix(rows, len(cols))
	for i := range rows {
		for f, gen := range cols {
			v := gen()
			if rng.Intn(10) == 0 {
				v = math.NaN()
			}
			X.Data[i*len(cols)+f] = v
		}
	}
	for _, maxBins := range []int{255, 16} {
		b := FitBins(X, maxBins, 0, nil)
		byCol := b.BinColumns(X)
		for f := range cols {
			var vals []float64
			for i := range rows {
				if v := X.At(i, f); !math.IsNaN(v) {
					vals = append(vals, v)
				}
			}
			up, lo, hi := sortedBinUpper(vals, maxBins)
			if !slices.Equal(b.Upper[f], up) || b.Min[f] != lo || b.Max[f] != hi {
				t.Fatalf("maxBins %d feature %d: bins %v [%v, %v], sorting gives %v [%v, %v]", maxBins, f, b.Upper[f], b.Min[f], b.Max[f], up, lo, hi)
			}
			for i := range rows {
				if got, want := byCol[f][i], b.Bin(f, X.At(i, f)); got != want {
					t.Fatalf("maxBins %d feature %d row %d (%v): bin %d, search gives %d", maxBins, f, i, X.At(i, f), got, want)
				}
			}
		}
		if b.seen[0] == nil || b.seen[1] == nil || b.seen[2] != nil || b.seen[3] != nil {
			t.Fatalf("values kept for features %v, want for the first two only", b.seen)
		}
	}
}
