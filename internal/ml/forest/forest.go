package forest

import (
	"fmt"
	"math"
	"math/bits"
	"math/rand"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/stewardml/steward/internal/ml/core"
	"github.com/stewardml/steward/internal/ml/tree"
)

// Class weighting schemes.
const (
	ClassWeightNone     = "none"
	ClassWeightBalanced = "balanced"
)

// Params are the hyperparameters of the forest. Zero values select the
// defaults.
type Params struct {
	// NTrees is the number of trees; default 100.
	NTrees int `json:"n_trees"`
	// MaxFeatures is the number of features tried per split: "sqrt"
	// (default), "log2", "all", an integer ("5") or a fraction ("0.5").
	MaxFeatures string `json:"max_features"`
	// MaxDepth limits the depth of the trees; 0 means unlimited.
	MaxDepth int `json:"max_depth"`
	// MinSamplesSplit is the smallest node (in distinct rows) that may be
	// split; default 2.
	MinSamplesSplit int `json:"min_samples_split"`
	// MinSamplesLeaf is the smallest leaf (in distinct rows); default 1.
	MinSamplesLeaf int `json:"min_samples_leaf"`
	// NoBootstrap grows every tree on all rows instead of a bootstrap sample.
	NoBootstrap bool `json:"no_bootstrap"`
	// ClassWeight is "none" (default) or "balanced".
	ClassWeight string `json:"class_weight"`
	// MaxBins caps the bins per feature, 2..255; default 255.
	MaxBins int `json:"max_bins"`
	// Workers caps the goroutines; 0 means GOMAXPROCS. It does not change
	// the result.
	Workers int `json:"-"`
}

// WithDefaults returns p with zero fields set to their defaults.
func (p Params) WithDefaults() Params {
	if p.NTrees == 0 {
		p.NTrees = 100
	}
	if p.MaxFeatures == "" {
		p.MaxFeatures = "sqrt"
	}
	if p.MinSamplesSplit == 0 {
		p.MinSamplesSplit = 2
	}
	if p.MinSamplesLeaf == 0 {
		p.MinSamplesLeaf = 1
	}
	if p.ClassWeight == "" {
		p.ClassWeight = ClassWeightNone
	}
	if p.MaxBins == 0 {
		p.MaxBins = tree.MaxBins
	}
	return p
}

// Validate reports invalid parameters (after defaults).
func (p Params) Validate() error {
	p = p.WithDefaults()
	bad := func(format string, a ...any) error {
		return fmt.Errorf("forest: "+format+": %w", append(a, core.ErrBadParam)...)
	}
	switch {
	case p.NTrees < 1:
		return bad("n_trees = %d, want >= 1", p.NTrees)
	case p.MaxDepth < 0:
		return bad("max_depth = %d, want >= 0 (0 = unlimited)", p.MaxDepth)
	case p.MinSamplesSplit < 2:
		return bad("min_samples_split = %d, want >= 2", p.MinSamplesSplit)
	case p.MinSamplesLeaf < 1:
		return bad("min_samples_leaf = %d, want >= 1", p.MinSamplesLeaf)
	case p.ClassWeight != ClassWeightNone && p.ClassWeight != ClassWeightBalanced:
		return bad("class_weight %q, want none or balanced", p.ClassWeight)
	case p.MaxBins < 2 || p.MaxBins > tree.MaxBins:
		return bad("max_bins = %d, want 2..%d", p.MaxBins, tree.MaxBins)
	}
	if _, err := p.mtry(10); err != nil {
		return err
	}
	return nil
}

// mtry resolves MaxFeatures for nf features.
func (p Params) mtry(nf int) (int, error) {
	var k int
	switch s := strings.TrimSpace(p.MaxFeatures); s {
	case "sqrt":
		k = int(math.Sqrt(float64(nf)))
	case "log2":
		k = int(math.Log2(float64(nf)))
	case "all":
		k = nf
	default:
		if i, err := strconv.Atoi(s); err == nil && i >= 1 {
			k = i
		} else if f, err := strconv.ParseFloat(s, 64); err == nil && f > 0 && f <= 1 {
			k = int(f * float64(nf))
		} else {
			return 0, fmt.Errorf("forest: max_features %q, want sqrt, log2, all, an integer >= 1 or a fraction in (0,1]: %w", p.MaxFeatures, core.ErrBadParam)
		}
	}
	return min(max(k, 1), nf), nil
}

// Trainer fits a random forest; it implements ml.Trainer.
type Trainer struct {
	Params Params
}

var _ core.Trainer = Trainer{}

// Fit fits the forest. rng seeds the bin sample and every tree; it must not
// be nil.
func (t Trainer) Fit(X core.Matrix, y, w []float64, rng *rand.Rand) (core.Model, error) {
	return t.FitModel(X, y, w, rng)
}

// binSampleRows bounds the rows used to choose bin boundaries.
const binSampleRows = 200_000

// FitModel is Fit returning the concrete type.
func (t Trainer) FitModel(X core.Matrix, y, w []float64, rng *rand.Rand) (*Model, error) {
	if err := t.Params.Validate(); err != nil {
		return nil, err
	}
	if rng == nil {
		return nil, fmt.Errorf("forest: a random source is required: %w", core.ErrBadParam)
	}
	p := t.Params.WithDefaults()
	if err := core.CheckTarget(X, y, w, false); err != nil {
		return nil, fmt.Errorf("forest: %w", err)
	}
	mtry, _ := p.mtry(X.Cols)
	bins := tree.FitBins(X, p.MaxBins, binSampleRows, rng)
	seeds := make([]uint64, p.NTrees)
	for i := range seeds {
		seeds[i] = rng.Uint64()
	}
	// one spare byte per row after the bins, for the fast grower's counts
	d := &data{
		n: X.Rows, nf: X.Cols, bins: bins, wpr: (X.Cols + 8) / 8,
		y: make([]uint8, X.Rows), bw: make([]float64, X.Rows),
	}
	cuts := newCutTable(bins.Upper)
	d.packed = cuts.packRows(X, d.wpr)
	var cnt [2]float64
	for i, v := range y {
		d.y[i] = uint8(v)
		cnt[int(v)]++
	}
	cw := [2]float64{1, 1}
	if p.ClassWeight == ClassWeightBalanced {
		cw = [2]float64{float64(X.Rows) / (2 * cnt[0]), float64(X.Rows) / (2 * cnt[1])}
	}
	unitWeights := true
	for i := range d.bw {
		wi := 1.0
		if w != nil {
			wi = w[i]
		}
		unitWeights = unitWeights && wi == 1
		d.bw[i] = wi * cw[d.y[i]]
	}
	fast := unitWeights && p.MinSamplesLeaf == 1 && X.Cols <= fastMaxFeatures && !forceGeneral

	nt := p.NTrees
	trees := make([]*tree.Tree, nt)
	imps := make([][]float64, nt)
	enc := make([][]uint64, nt)
	depth := make([]int, nt)
	workers := p.Workers
	if workers <= 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	workers = min(workers, nt)
	var next atomic.Int64
	var wg sync.WaitGroup
	for k := 0; k < workers; k++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var fg *fastGrower
			var gg *grower
			if fast {
				fg = newFastGrower(d, p, mtry, cw)
			}
			for {
				i := int(next.Add(1)) - 1
				if i >= nt {
					return
				}
				var nodeBin []uint8
				ok := false
				if fg != nil {
					trees[i], imps[i], nodeBin, ok = fg.grow(seeds[i])
				}
				if !ok {
					if gg == nil {
						gg = newGrower(d, p, mtry)
					}
					trees[i], imps[i], nodeBin = gg.grow(seeds[i])
				}
				enc[i], depth[i] = compileTree(trees[i], func(k int) uint8 { return nodeBin[k] })
			}
		}()
	}
	wg.Wait()

	m := &Model{NFeatures: X.Cols, Trees: trees, Importances: make([]float64, X.Cols), depth: depth}
	for _, imp := range imps {
		core.NormalizeSum(imp)
		for j, v := range imp {
			m.Importances[j] += v
		}
	}
	core.NormalizeSum(m.Importances)
	m.finish(cuts, enc)
	return m, nil
}

// forceGeneral makes FitModel use the general grower only (tests compare
// the two).
var forceGeneral = false

// data is the binned training set shared (read-only) by the growers.
type data struct {
	n, nf  int
	bins   *tree.Bins
	wpr    int      // uint64 words per row of packed bins
	packed []uint64 // row-major bins, 8 per word (feature f in word f/8, byte f%8)
	y      []uint8
	bw     []float64 // sample weight × class weight
}

// splitmix is a small fast generator for the per-tree draws.
type splitmix struct{ s uint64 }

func (r *splitmix) next() uint64 {
	r.s += 0x9e3779b97f4a7c15
	z := r.s
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9
	z = (z ^ (z >> 27)) * 0x94d049bb133111eb
	return z ^ (z >> 31)
}

// intn returns a value in [0,n) (n < 2^32) by Lemire's multiply-shift.
func (r *splitmix) intn(n int) int { return int(((r.next() >> 32) * uint64(n)) >> 32) }

// grower holds one worker's scratch space.
type grower struct {
	d    *data
	p    Params
	mtry int
	w    []float64 // per-row bootstrap weight of the current tree
	// The in-bag rows of the current tree, partitioned node by node: sw is
	// the weight (negated for class 0) and pb the packed bins of each, so
	// that the histogram loops read memory sequentially.
	sw       []float64
	pb       []uint64
	scratchW []float64
	scratchB []uint64
	feats    []int
	h        [2][256]float64
	hc       [2][256]int32
	h2       [2][256]float64 // second histogram for odd positions (breaks store-to-load chains)
	hc2      [2][256]int32
	touched  []int
}

func newGrower(d *data, p Params, mtry int) *grower {
	return &grower{
		d: d, p: p, mtry: mtry,
		w: make([]float64, d.n), sw: make([]float64, 0, d.n), pb: make([]uint64, 0, d.n*d.wpr),
		scratchW: make([]float64, d.n), scratchB: make([]uint64, d.n*d.wpr),
		feats: make([]int, d.nf), touched: make([]int, 0, 256),
	}
}

// split is a candidate split of a node. Its score is the Gini criterion
// in the form both growers maximise, sum over the children of (sum of
// squared class weights) / (child weight); with l and r the children's
// weights and A, B their sums of squares it is A/l + B/r, kept as the
// fraction num/den = (A·r + B·l)/(l·r) so that candidates are compared by
// cross-multiplying, without a division each.
type split struct {
	feature  int
	bin      uint8
	num, den float64 // the score is num/den
	l0, l1   float64 // class weights of the left child
	n0l, n1l int     // distinct rows per class of the left child
}

type stackItem struct {
	lo, hi int
	depth  int
	parent int32
	isLeft bool
	w0, w1 float64
	n0, n1 int
	// constant marks features known to be constant in this node (found so
	// in an ancestor); they are skipped without a scan, as scikit-learn
	// skips its known constant features.
	constant uint64
}

func (g *grower) grow(seed uint64) (*tree.Tree, []float64, []uint8) {
	d := g.d
	rng := &splitmix{s: seed}
	for i := range g.w {
		g.w[i] = 0
	}
	if g.p.NoBootstrap {
		for i := range g.w {
			g.w[i] = 1
		}
	} else {
		for i := 0; i < d.n; i++ {
			g.w[rng.intn(d.n)]++
		}
	}
	g.sw, g.pb = g.sw[:0], g.pb[:0]
	wpr := d.wpr
	var w0, w1 float64
	var n0, n1 int
	for i := 0; i < d.n; i++ {
		if g.w[i] == 0 || d.bw[i] == 0 {
			continue
		}
		wi := g.w[i] * d.bw[i]
		if d.y[i] == 1 {
			w1 += wi
			n1++
		} else {
			w0 += wi
			n0++
			wi = -wi
		}
		g.sw = append(g.sw, wi)
		for j := 0; j < wpr; j++ { // a loop: append of 2 words would call memmove
			g.pb = append(g.pb, d.packed[i*wpr+j])
		}
	}
	t := &tree.Tree{}
	imp := make([]float64, d.nf)
	var nodeBin []uint8
	stack := []stackItem{{lo: 0, hi: len(g.sw), parent: -1, w0: w0, w1: w1, n0: n0, n1: n1}}
	for len(stack) > 0 {
		it := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		n := it.hi - it.lo
		W := it.w0 + it.w1
		var best split
		found := false
		if it.n0 > 0 && it.n1 > 0 && n >= g.p.MinSamplesSplit && n >= 2*g.p.MinSamplesLeaf &&
			(g.p.MaxDepth == 0 || it.depth < g.p.MaxDepth) {
			best, found = g.bestSplit(&it, rng)
		}
		var self int32
		if !found {
			leaf := int32(len(t.LeafValue))
			t.LeafValue = append(t.LeafValue, it.w1/W)
			t.LeafCover = append(t.LeafCover, W)
			self = ^leaf
		} else {
			self = int32(len(t.Nodes))
			parentScore := (it.w0*it.w0 + it.w1*it.w1) / W
			gain := best.num/best.den - parentScore
			imp[best.feature] += gain
			t.Nodes = append(t.Nodes, tree.Node{
				Feature:   int32(best.feature),
				Threshold: d.bins.Upper[best.feature][best.bin],
			})
			nodeBin = append(nodeBin, best.bin)
			t.NodeGain = append(t.NodeGain, gain)
			t.NodeCover = append(t.NodeCover, W)
			mid := g.partition(it.lo, it.hi, best.feature, best.bin)
			l0, l1 := best.l0, best.l1
			r0, r1 := it.w0-l0, it.w1-l1
			if best.n0l == 0 {
				l0 = 0
			}
			if best.n1l == 0 {
				l1 = 0
			}
			if it.n0-best.n0l == 0 {
				r0 = 0
			}
			if it.n1-best.n1l == 0 {
				r1 = 0
			}
			t.Nodes[self].DefaultLeft = l0+l1 >= r0+r1
			// push right first so the left subtree is built first
			stack = append(stack,
				stackItem{lo: mid, hi: it.hi, depth: it.depth + 1, parent: self, isLeft: false, constant: it.constant,
					w0: r0, w1: r1, n0: it.n0 - best.n0l, n1: it.n1 - best.n1l},
				stackItem{lo: it.lo, hi: mid, depth: it.depth + 1, parent: self, isLeft: true, constant: it.constant,
					w0: l0, w1: l1, n0: best.n0l, n1: best.n1l})
		}
		if it.parent >= 0 {
			if it.isLeft {
				t.Nodes[it.parent].Left = self
			} else {
				t.Nodes[it.parent].Right = self
			}
		}
	}
	// covers of internal nodes are the sums of their children's, so that
	// TreeSHAP's fractions add up exactly
	fixCovers(t)
	return t, imp, nodeBin
}

// fixCovers recomputes internal covers bottom-up (children have larger
// indices than their parents).
func fixCovers(t *tree.Tree) {
	for i := len(t.Nodes) - 1; i >= 0; i-- {
		nd := t.Nodes[i]
		c := func(ch int32) float64 {
			if ch < 0 {
				return t.LeafCover[^ch]
			}
			return t.NodeCover[ch]
		}
		t.NodeCover[i] = c(nd.Left) + c(nd.Right)
	}
}

// bestSplit tries features in random order until mtry non-constant ones were
// scanned (or all were).
func (g *grower) bestSplit(it *stackItem, rng *splitmix) (split, bool) {
	d := g.d
	for i := range g.feats {
		g.feats[i] = i
	}
	best := split{num: -1, den: 1}
	found := false
	visited := 0
	sw := g.sw[it.lo:it.hi]
	wpr := d.wpr
	for k := 0; k < d.nf && visited < g.mtry; k++ {
		j := k + rng.intn(d.nf-k)
		g.feats[k], g.feats[j] = g.feats[j], g.feats[k]
		f := g.feats[k]
		if f < 64 && it.constant&(1<<uint(f)) != 0 {
			continue
		}
		nb := d.bins.NumBins(f)
		if nb < 2 {
			continue
		}
		// accumulate the histogram of this node for feature f
		g.touched = g.touched[:0]
		sparse := len(sw) < nb
		pb := g.pb[it.lo*wpr+f>>3 : it.hi*wpr]
		shift := uint(8 * (f & 7))
		if sparse {
			// a bitmap of the bins seen lists them in order without sorting
			var seen [4]uint64
			for i, w := range sw {
				b := uint8(pb[i*wpr] >> shift)
				seen[b>>6] |= 1 << (b & 63)
				c := 1 - math.Float64bits(w)>>63 // the sign bit marks class 0
				g.h[c][b] += math.Abs(w)
				g.hc[c][b]++
			}
			for k, word := range seen {
				for word != 0 {
					g.touched = append(g.touched, k<<6|bits.TrailingZeros64(word))
					word &= word - 1
				}
			}
		} else {
			g.denseHist(sw, pb, wpr, shift, nb)
			for b := 0; b < nb; b++ {
				if g.hc[0][b] != 0 || g.hc[1][b] != 0 {
					g.touched = append(g.touched, b)
				}
			}
		}
		if len(g.touched) < 2 {
			g.clear()
			if f < 64 {
				it.constant |= 1 << uint(f)
			}
			continue
		}
		visited++
		var l0, l1 float64
		var n0, n1 int
		minLeaf := g.p.MinSamplesLeaf
		n := len(sw)
		for ti := 0; ti+1 < len(g.touched); ti++ {
			b := g.touched[ti]
			l0 += g.h[0][b]
			l1 += g.h[1][b]
			n0 += int(g.hc[0][b])
			n1 += int(g.hc[1][b])
			nl := n0 + n1
			if nl < minLeaf {
				continue
			}
			if n-nl < minLeaf {
				break
			}
			lw := l0 + l1
			r0, r1 := it.w0-l0, it.w1-l1
			rw := r0 + r1
			if lw <= 0 || rw <= 0 {
				continue
			}
			num := (l0*l0+l1*l1)*rw + (r0*r0+r1*r1)*lw
			den := lw * rw
			if num*best.den > best.num*den {
				best = split{feature: f, bin: uint8(b), num: num, den: den, l0: l0, l1: l1, n0l: n0, n1l: n1}
				found = true
			}
		}
		g.clear()
	}
	return best, found
}

// denseHist accumulates a large node into two histograms (even and odd
// positions), so that runs of rows in the same bin do not wait on each
// other's stores, then folds the second into the first.
func (g *grower) denseHist(sw []float64, pb []uint64, wpr int, shift uint, nb int) {
	h, hc, h2, hc2 := &g.h, &g.hc, &g.h2, &g.hc2
	i := 0
	for ; i+1 < len(sw); i += 2 {
		ws, wt := sw[i], sw[i+1]
		b, bt := uint8(pb[i*wpr]>>shift), uint8(pb[(i+1)*wpr]>>shift)
		c := 1 - math.Float64bits(ws)>>63
		ct := 1 - math.Float64bits(wt)>>63
		h[c][b] += math.Abs(ws)
		hc[c][b]++
		h2[ct][bt] += math.Abs(wt)
		hc2[ct][bt]++
	}
	if i < len(sw) {
		ws := sw[i]
		b := uint8(pb[i*wpr] >> shift)
		c := 1 - math.Float64bits(ws)>>63
		h[c][b] += math.Abs(ws)
		hc[c][b]++
	}
	for b := 0; b < nb; b++ {
		for c := 0; c < 2; c++ {
			h[c][b] += h2[c][b]
			hc[c][b] += hc2[c][b]
			h2[c][b], hc2[c][b] = 0, 0
		}
	}
}

func (g *grower) clear() {
	for _, b := range g.touched {
		g.h[0][b], g.h[1][b] = 0, 0
		g.hc[0][b], g.hc[1][b] = 0, 0
	}
}

// partition reorders the in-bag rows in [lo,hi) stably so that those with
// bin <= b of feature f come first, and returns the boundary.
func (g *grower) partition(lo, hi, f int, b uint8) int {
	wpr := g.d.wpr
	sw := g.sw[lo:hi]
	pb := g.pb[lo*wpr : hi*wpr]
	word, shift := f>>3, uint(8*(f&7))
	k, r := 0, 0
	if wpr == 2 { // up to 16 features: move the two words directly
		// branch-free: each row is written to both sides and only its own
		// side's counter advances (the split is unpredictable)
		sb, sws := g.scratchB, g.scratchW
		for i, w := range sw {
			a, c := pb[2*i], pb[2*i+1]
			l := 0
			if uint8(pb[2*i+word]>>shift) <= b {
				l = 1
			}
			sw[k] = w
			pb[2*k], pb[2*k+1] = a, c
			sws[r] = w
			sb[2*r], sb[2*r+1] = a, c
			k += l
			r += 1 - l
		}
	} else {
		for i, w := range sw {
			row := pb[i*wpr : (i+1)*wpr]
			if uint8(row[word]>>shift) <= b {
				sw[k] = w
				for j, v := range row {
					pb[k*wpr+j] = v
				}
				k++
			} else {
				g.scratchW[r] = w
				for j, v := range row {
					g.scratchB[r*wpr+j] = v
				}
				r++
			}
		}
	}
	copy(sw[k:], g.scratchW[:r])
	copy(pb[k*wpr:], g.scratchB[:r*wpr])
	return lo + k
}
