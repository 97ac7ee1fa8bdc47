package gbdt

import (
	"fmt"
	"math"
	"math/rand"
	"runtime"

	"github.com/stewardml/steward/internal/ml/core"
	"github.com/stewardml/steward/internal/ml/tree"
)

// Trainer fits boosted trees; it implements ml.Trainer.
type Trainer struct {
	Params Params
}

var _ core.Trainer = Trainer{}

// Fit fits the model. When Params.ValidationFraction is set, a stratified
// part of the rows is held out (drawn with rng) for early stopping. rng must
// not be nil.
func (t Trainer) Fit(X core.Matrix, y, w []float64, rng *rand.Rand) (core.Model, error) {
	return t.FitModel(X, y, w, rng)
}

// FitModel is Fit returning the concrete type.
func (t Trainer) FitModel(X core.Matrix, y, w []float64, rng *rand.Rand) (*Model, error) {
	if err := t.Params.Validate(); err != nil {
		return nil, err
	}
	if rng == nil {
		return nil, fmt.Errorf("gbdt: a random source is required: %w", core.ErrBadParam)
	}
	if err := core.CheckTarget(X, y, w, true); err != nil {
		return nil, fmt.Errorf("gbdt: %w", err)
	}
	if f := t.Params.ValidationFraction; f > 0 {
		tr, va := stratifiedHoldout(y, f, rng)
		if len(tr) == 0 || len(va) == 0 {
			return nil, fmt.Errorf("gbdt: %d rows are too few for a validation fraction of %v: %w", X.Rows, f, core.ErrBadData)
		}
		Xt, yt, wt := subset(X, y, w, tr)
		Xv, yv, wv := subset(X, y, w, va)
		if err := core.CheckTarget(Xt, yt, wt, true); err != nil {
			return nil, fmt.Errorf("gbdt: training part after the validation split: %w", err)
		}
		return t.fit(Xt, yt, wt, &validationSet{Xv, yv, wv}, rng)
	}
	return t.fit(X, y, w, nil, rng)
}

// FitValidated fits on X, y, w and stops early on the validation rows Xv, yv
// (wv may be nil): training stops when the validation log loss has not
// improved for EarlyStoppingRounds rounds, and the best round is kept.
func (t Trainer) FitValidated(X core.Matrix, y, w []float64, Xv core.Matrix, yv, wv []float64, rng *rand.Rand) (*Model, error) {
	if err := t.Params.Validate(); err != nil {
		return nil, err
	}
	if err := core.CheckTarget(X, y, w, true); err != nil {
		return nil, fmt.Errorf("gbdt: %w", err)
	}
	if rng == nil {
		return nil, fmt.Errorf("gbdt: a random source is required: %w", core.ErrBadParam)
	}
	core.CheckShape(Xv, yv, wv)
	if Xv.Cols != X.Cols {
		panic(fmt.Sprintf("gbdt: validation matrix has %d columns, training %d", Xv.Cols, X.Cols))
	}
	if Xv.Rows == 0 {
		return nil, fmt.Errorf("gbdt: validation set: %w", &core.DataError{Row: -1, Col: -1, Msg: "no rows"})
	}
	for i, v := range yv {
		if v != 0 && v != 1 {
			return nil, fmt.Errorf("gbdt: validation set: %w", &core.DataError{Row: i, Col: -1, Msg: fmt.Sprintf("label %v, want 0 or 1", v)})
		}
	}
	for i, v := range Xv.Data {
		if math.IsInf(v, 0) {
			return nil, fmt.Errorf("gbdt: validation set: %w", &core.DataError{Row: i / Xv.Cols, Col: i % Xv.Cols, Msg: "infinite value"})
		}
	}
	return t.fit(X, y, w, &validationSet{Xv, yv, wv}, rng)
}

// validationSet bundles validation rows with their labels and optional weights.
type validationSet struct {
	X core.Matrix
	Y []float64
	W []float64
}

func subset(X core.Matrix, y, w []float64, rows []int) (core.Matrix, []float64, []float64) {
	S := core.NewMatrix(len(rows), X.Cols)
	ys := make([]float64, len(rows))
	var ws []float64
	if w != nil {
		ws = make([]float64, len(rows))
	}
	for i, r := range rows {
		copy(S.Data[i*X.Cols:(i+1)*X.Cols], X.Data[r*X.Cols:(r+1)*X.Cols])
		ys[i] = y[r]
		if w != nil {
			ws[i] = w[r]
		}
	}
	return S, ys, ws
}

// stratifiedHoldout returns sorted training and validation rows, frac of
// each class in validation.
func stratifiedHoldout(y []float64, frac float64, rng *rand.Rand) (train, val []int) {
	var cls [2][]int
	for i, v := range y {
		cls[int(v)] = append(cls[int(v)], i)
	}
	inVal := make([]bool, len(y))
	for _, rows := range cls {
		rng.Shuffle(len(rows), func(i, j int) { rows[i], rows[j] = rows[j], rows[i] })
		k := int(math.Round(frac * float64(len(rows))))
		for _, r := range rows[:k] {
			inVal[r] = true
		}
	}
	for i, v := range inVal {
		if v {
			val = append(val, i)
		} else {
			train = append(train, i)
		}
	}
	return train, val
}

// binSampleRows bounds the rows used to choose bin boundaries.
const binSampleRows = 200_000

// minGain is the smallest gain that counts as an improvement.
const minGain = 1e-10

// ghPair is one histogram bin: the sums of gradients and hessians of its
// rows.
type ghPair struct{ G, H float64 }

// hist holds the per-feature histograms of one leaf: quantized (q) or,
// when rows per bin must be counted (see booster.counting), in floats with
// counts (gh, cnt).
type hist struct {
	q   [][256]int64
	gh  [][256]ghPair
	cnt [][256]int32
}

type splitInfo struct {
	ok          bool
	gain        float64
	feature     int
	bin         uint8
	defaultLeft bool
	lg, lh      float64
	lsum        int64 // quantized: the left child's packed sums
}

type leaf struct {
	buf    int // which position buffer holds the rows
	lo, hi int
	g, h   float64
	sum    int64 // quantized: packed gradient and hessian sums
	n      int
	depth  int
	hist   *hist
	best   splitInfo
	parent int32 // node whose child this leaf is; -1 for the root
	isLeft bool
}

// binNode is a split on bins, used to route out-of-bag rows while training.
type binNode struct {
	feature     int32
	bin         uint8
	defaultLeft bool
	left, right int32
}

type booster struct {
	p     Params
	n, nf int
	bins  *tree.Bins
	cols  [][]uint8 // bins column by column: cols[f][i] is row i's bin of feature f
	y, w  []float64
	F     []float64
	// E is exp(F), kept up to date by multiplying with exp of each leaf
	// value, so that a gradient needs a division but no exponential.
	E []float64
	// The last tree's leaf of every row, its leaf values and their
	// exponentials: applied to F and E when pending.
	leafOf           []int32
	leafVal, leafExp []float64
	pending          bool
	gh               []ghPair // per row: gradient, hessian (when counting)
	idx              []int32  // the in-bag rows of the current tree, ascending
	// Two buffers of in-bag rows: a leaf's rows are bufs[leaf.buf][lo:hi],
	// ascending, and a split writes its children into the other buffer.
	// og[buf][k] is the gradient pair of row bufs[buf][k], gathered
	// before building a histogram so that each feature reads it in order.
	bufs [2][]int32
	og   [2][]ghPair
	// spareL and spareR receive the left and right rows of a partition
	// before they are moved to their places.
	spareL, spareR []int32
	// counting: whether histograms count rows, needed when a child's row
	// count can decide a split (MinSamplesLeaf > 1, or MinChildWeight 0
	// where a non-empty child cannot be told from its hessian sum).
	counting bool
	// Without counting, histograms sum quantized gradient pairs: qgh[i]
	// packs row i's gradient times sg (rounded, high 32 bits) and hessian
	// times sh (rounded, low 32 bits) into one int64, so a histogram bin
	// takes one integer addition per row. The scales are chosen per tree
	// so that no sum over the in-bag rows overflows its half. Integer sums
	// are exact in any order, so sibling subtraction leaves no residue.
	qgh []int64
	oq  [2][]int64 // qgh gathered in position order, as og
	// units are what quantized histograms are built on: single features
	// and groups of low-cardinality features histogrammed jointly
	units   []histUnit
	active  []int // the units with an active feature
	sg, sh  float64
	wmax    float64 // the largest weight (1 without weights)
	inBag   []bool
	on      []bool // per feature: in this tree's column sample
	feats   []int  // the active features
	workers int
	pool    []*hist
}

func (t Trainer) fit(X core.Matrix, y, w []float64, val *validationSet, rng *rand.Rand) (*Model, error) {
	p := t.Params.WithDefaults()
	b := &booster{p: p, n: X.Rows, nf: X.Cols, y: y, w: w}
	b.workers = p.Workers
	if b.workers <= 0 {
		b.workers = runtime.GOMAXPROCS(0)
	}
	b.counting = p.MinSamplesLeaf > 1 || p.MinChildWeight == 0
	if !b.counting {
		b.qgh = make([]int64, b.n)
	}
	b.wmax = 1
	if w != nil {
		b.wmax = 0
		for _, v := range w {
			b.wmax = max(b.wmax, v)
		}
	}
	b.bins = tree.FitBins(X, p.MaxBins, binSampleRows, rng)
	b.cols = b.bins.BinColumns(X)
	if !b.counting {
		b.units = jointUnits(b.bins, b.cols, b.workers)
	}

	var sw, swy float64
	for i, v := range y {
		wi := 1.0
		if w != nil {
			wi = w[i]
		}
		sw += wi
		swy += wi * v
	}
	init := core.Logit(swy / sw)
	b.F = make([]float64, b.n)
	b.E = make([]float64, b.n)
	b.leafOf = make([]int32, b.n)
	for i := range b.F {
		b.F[i] = init
		b.E[i] = math.Exp(init)
	}
	if b.counting {
		b.gh = make([]ghPair, b.n)
	}
	b.idx = make([]int32, 0, b.n)
	b.spareL, b.spareR = make([]int32, b.n), make([]int32, b.n)
	for i := range b.bufs {
		b.bufs[i] = make([]int32, b.n)
		if b.counting {
			b.og[i] = make([]ghPair, b.n)
		} else {
			b.oq[i] = make([]int64, b.n)
		}
	}
	b.inBag = make([]bool, b.n)
	b.on = make([]bool, b.nf)

	var fv []float64
	if val != nil {
		fv = make([]float64, val.X.Rows)
		for i := range fv {
			fv[i] = init
		}
	}
	bestLoss, bestIter := math.Inf(1), -1

	m := &Model{NFeatures: X.Cols}
	for it := 0; it < p.NTrees; it++ {
		seed := rng.Uint64()
		tr, ex, leafRows := b.growTree(seed)
		b.updateScores(tr, ex, leafRows)
		m.Trees = append(m.Trees, tr)
		m.extra = append(m.extra, ex)
		if val != nil {
			loss := b.validate(tr, val, fv)
			if loss < bestLoss-1e-12 {
				bestLoss, bestIter = loss, it
			} else if it-bestIter >= p.EarlyStoppingRounds {
				break
			}
		}
	}
	if val != nil && bestIter >= 0 {
		m.Trees = m.Trees[:bestIter+1]
		m.extra = m.extra[:bestIter+1]
	}
	m.BestIteration = len(m.Trees)
	// fold the initial score into the first tree (LightGBM's AddBias)
	t0 := m.Trees[0]
	for i := range t0.LeafValue {
		t0.LeafValue[i] += init
	}
	for i := range m.extra[0].internalValue {
		m.extra[0].internalValue[i] += init
	}
	m.Shrinkage = make([]float64, len(m.Trees))
	for i := range m.Shrinkage {
		m.Shrinkage[i] = p.LearningRate
	}
	m.Shrinkage[0] = 1
	m.FeatureNames = make([]string, X.Cols)
	m.FeatureInfos = make([]string, X.Cols)
	for j := range m.FeatureNames {
		m.FeatureNames[j] = fmt.Sprintf("Column_%d", j)
		if lo, hi := b.bins.Min[j], b.bins.Max[j]; !math.IsNaN(lo) && lo != hi {
			m.FeatureInfos[j] = "[" + fmtG17(lo) + ":" + fmtG17(hi) + "]"
		} else {
			m.FeatureInfos[j] = "none"
		}
	}
	core.ParallelRows(b.n, b.workers, b.applyScores)
	b.pending = false
	m.trainMargin = b.F
	m.prepare()
	return m, nil
}

// growTree grows one tree and returns it, its text-format extras, and the
// in-bag rows of each leaf.
//
// Without a leaf limit every splittable leaf is split in the same round
// (the tree is then the same whatever the order of splits), so each round
// partitions, builds histograms and searches splits for many leaves at once
// over all workers. With MaxLeaves set, a round splits the one leaf of
// largest gain, as LightGBM grows trees.
//
// It is the training hot loop and is kept whole on purpose: its per-round
// state (leaf rows, histograms, pending splits) stays in locals shared by
// the partition, histogram and split phases, with no allocation between them.
func (b *booster) growTree(seed uint64) (*tree.Tree, treeExtra, [][]int32) {
	p := b.p
	rng := &splitmix{s: seed}
	// rows: without weights or subsampling every row, every tree
	if b.w != nil || p.Subsample < 1 || len(b.idx) != b.n {
		b.idx = b.idx[:0]
		for i := 0; i < b.n; i++ {
			in := b.w == nil || b.w[i] > 0
			if in && p.Subsample < 1 {
				in = rng.float64() < p.Subsample
			}
			b.inBag[i] = in
			if in {
				b.idx = append(b.idx, int32(i))
			}
		}
	}
	if !b.counting {
		b.setScales()
	}
	// gradients, after the last tree's leaf values reach the scores
	core.ParallelRows(b.n, b.workers, func(lo, hi int) {
		b.applyScores(lo, hi)
		if b.counting {
			for i := lo; i < hi; i++ {
				g, h := b.gradient(i)
				b.gh[i] = ghPair{g, h}
			}
			return
		}
		if b.w != nil {
			for i := lo; i < hi; i++ {
				b.qgh[i] = b.quantize(b.gradient(i))
			}
			return
		}
		// gradient without weights, inlined
		E, y, qgh := b.E[lo:hi], b.y[lo:hi], b.qgh[lo:hi]
		for i, e := range E {
			pr := e / (1 + e)
			if e > math.MaxFloat64/2 {
				pr = 1
			}
			qgh[i] = b.quantize(pr-y[i], pr*(1-pr))
		}
	})
	b.pending = false
	// columns
	for j := range b.on {
		b.on[j] = true
	}
	if p.ColsampleByTree < 1 {
		k := max(1, int(math.Round(p.ColsampleByTree*float64(b.nf))))
		perm := make([]int, b.nf)
		for j := range perm {
			perm[j] = j
		}
		for j := 0; j < k; j++ {
			r := j + rng.intn(b.nf-j)
			perm[j], perm[r] = perm[r], perm[j]
		}
		for j := range b.on {
			b.on[j] = false
		}
		for _, j := range perm[:k] {
			b.on[j] = true
		}
	}
	b.feats = b.feats[:0]
	for f, on := range b.on {
		if on {
			b.feats = append(b.feats, f)
		}
	}
	b.active = b.active[:0]
	for u, unit := range b.units {
		for _, f := range unit.feats {
			if b.on[f] {
				b.active = append(b.active, u)
				break
			}
		}
	}

	root := &leaf{lo: 0, hi: len(b.idx), n: len(b.idx), parent: -1}
	copy(b.bufs[0], b.idx)
	leaves := []*leaf{root}
	t := &tree.Tree{}
	var ex treeExtra
	if root.n >= 2*p.MinSamplesLeaf {
		// the root's sums are those of any active feature's histogram
		// (missing bin included)
		root.hist = b.getHist()
		b.buildHists([]*leaf{root})
		if b.counting {
			for _, e := range root.hist.gh[b.feats[0]] {
				root.g += e.G
				root.h += e.H
			}
		} else {
			for _, v := range root.hist.q[b.feats[0]] {
				root.sum += v
			}
			root.g, root.h = b.decode(root.sum)
		}
		root.best = b.bestSplit(root)
	} else {
		for _, r := range b.idx {
			g, h := b.gradient(int(r))
			root.g += g
			root.h += h
		}
	}
	maxLeaves := p.MaxLeaves
	canSplit := func(c *leaf) bool {
		return (p.MaxDepth < 0 || c.depth < p.MaxDepth) && c.n >= 2*p.MinSamplesLeaf &&
			(maxLeaves == 0 || len(leaves) < maxLeaves)
	}
	type split struct {
		parent, small, large *leaf
		search               bool
	}
	var batch []int
	var parents []*leaf
	var splits []split
	var smalls []*leaf
	for maxLeaves == 0 || len(leaves) < maxLeaves {
		batch, parents = batch[:0], parents[:0]
		for i, l := range leaves {
			if !l.best.ok {
				continue
			}
			if maxLeaves == 0 {
				batch = append(batch, i)
			} else if len(batch) == 0 || l.best.gain > leaves[batch[0]].best.gain {
				batch = append(batch[:0], i)
			}
		}
		if len(batch) == 0 {
			break
		}
		for _, k := range batch {
			parents = append(parents, leaves[k])
		}
		// on the last level the children's rows are never read in order:
		// each row is labelled with its leaf instead of moved
		last := maxLeaves == 0 && p.MaxDepth >= 0
		for _, l := range parents {
			last = last && l.depth+1 >= p.MaxDepth
		}
		var mids []int
		if last {
			mids = b.label(parents, batch, int32(len(leaves)))
		} else {
			mids = b.partition(parents)
		}
		splits = splits[:0]
		for i, k := range batch {
			l := leaves[k]
			s := l.best
			node := int32(len(t.Nodes))
			if l.parent >= 0 {
				if l.isLeft {
					t.Nodes[l.parent].Left = node
				} else {
					t.Nodes[l.parent].Right = node
				}
			}
			newLeaf := int32(len(leaves))
			t.Nodes = append(t.Nodes, tree.Node{
				Feature: int32(s.feature), Threshold: b.bins.Upper[s.feature][s.bin],
				DefaultLeft: s.defaultLeft, Left: ^int32(k), Right: ^newLeaf,
			})
			t.NodeGain = append(t.NodeGain, s.gain)
			t.NodeCover = append(t.NodeCover, float64(l.n))
			ex.internalValue = append(ex.internalValue, -l.g/(l.h+p.Lambda)*p.LearningRate)
			ex.internalWeight = append(ex.internalWeight, l.h)
			ex.binSplits = append(ex.binSplits, binNode{feature: int32(s.feature), bin: s.bin, defaultLeft: s.defaultLeft})

			mid := mids[i]
			left := &leaf{buf: 1 - l.buf, lo: l.lo, hi: mid, g: s.lg, h: s.lh, n: mid - l.lo, depth: l.depth + 1, parent: node, isLeft: true}
			right := &leaf{buf: 1 - l.buf, lo: mid, hi: l.hi, g: l.g - s.lg, h: l.h - s.lh, n: l.hi - mid, depth: l.depth + 1, parent: node}
			if last { // their rows stay unsorted (see label)
				left.hi, right.lo = left.lo, right.hi
			}
			if !b.counting {
				left.sum, right.sum = s.lsum, l.sum-s.lsum
				left.g, left.h = b.decode(left.sum)
				right.g, right.h = b.decode(right.sum)
			}
			leaves[k] = left
			leaves = append(leaves, right)
			small, large := left, right
			if right.n < left.n {
				small, large = right, left
			}
			splits = append(splits, split{parent: l, small: small, large: large})
		}

		smalls = smalls[:0]
		for i := range splits {
			s := &splits[i]
			s.search = canSplit(s.small) || canSplit(s.large)
			if s.search {
				s.small.hist = b.getHist()
				s.large.hist = s.parent.hist
				smalls = append(smalls, s.small)
			} else {
				b.putHist(s.parent.hist)
			}
			s.parent.hist = nil
		}
		b.buildHists(smalls)
		core.ParallelDo(len(splits), b.workers, func(i int) {
			s := &splits[i]
			if !s.search {
				return
			}
			b.subtract(s.large.hist, s.small.hist)
			for _, c := range [2]*leaf{s.small, s.large} {
				if canSplit(c) {
					c.best = b.bestSplit(c)
				}
			}
		})
		for _, s := range splits {
			for _, c := range [2]*leaf{s.small, s.large} {
				if c.hist != nil && !c.best.ok {
					b.putHist(c.hist)
					c.hist = nil
				}
			}
		}
	}
	leafRows := make([][]int32, len(leaves))
	t.LeafValue = make([]float64, len(leaves))
	t.LeafCover = make([]float64, len(leaves))
	ex.leafWeight = make([]float64, len(leaves))
	for i, l := range leaves {
		if l.hist != nil {
			b.putHist(l.hist)
		}
		leafRows[i] = b.bufs[l.buf][l.lo:l.hi]
	}
	for i, l := range leaves {
		t.LeafValue[i] = -l.g / (l.h + p.Lambda) * p.LearningRate
		t.LeafCover[i] = float64(l.n)
		ex.leafWeight[i] = l.h
	}
	if len(t.Nodes) == 0 {
		// a single leaf still needs a positive cover for TreeSHAP
		t.LeafCover[0] = math.Max(t.LeafCover[0], 1)
	}
	for i := range ex.binSplits {
		ex.binSplits[i].left, ex.binSplits[i].right = t.Nodes[i].Left, t.Nodes[i].Right
	}
	return t, ex, leafRows
}

func (b *booster) getHist() *hist {
	if n := len(b.pool); n > 0 {
		h := b.pool[n-1]
		b.pool = b.pool[:n-1]
		return h
	}
	if !b.counting {
		return &hist{q: make([][256]int64, b.nf)}
	}
	return &hist{gh: make([][256]ghPair, b.nf), cnt: make([][256]int32, b.nf)}
}

func (b *booster) putHist(h *hist) {
	if h != nil {
		b.pool = append(b.pool, h)
	}
}

// gatherChunk is the share of a gather that one goroutine handles.
const gatherChunk = 16384

// buildHists fills the histograms of the active features of each leaf.
// First the leaves' gradient pairs are gathered in row order; then each
// task sums one feature over all rows of one leaf, in row order, so the
// sums do not depend on the number of goroutines and need no merging.
func (b *booster) buildHists(ls []*leaf) {
	type chunk struct {
		l      *leaf
		lo, hi int
	}
	// a leaf of all the rows (the root without subsampling) reads the
	// columns and gradient pairs in place
	all := func(l *leaf) bool { return !b.counting && l.hi-l.lo == b.n }
	var chunks []chunk
	for _, l := range ls {
		if all(l) {
			continue
		}
		for lo := l.lo; lo < l.hi; lo += gatherChunk {
			chunks = append(chunks, chunk{l, lo, min(lo+gatherChunk, l.hi)})
		}
	}
	core.ParallelDo(len(chunks), b.workers, func(i int) {
		c := chunks[i]
		rows := b.bufs[c.l.buf][c.lo:c.hi]
		if !b.counting {
			oq, qgh := b.oq[c.l.buf][c.lo:c.hi], b.qgh
			oq = oq[:len(rows)]
			for k, r := range rows {
				oq[k] = qgh[r]
			}
			return
		}
		og, gh := b.og[c.l.buf][c.lo:c.hi], b.gh
		og = og[:len(rows)]
		for k, r := range rows {
			og[k] = gh[r]
		}
	})
	if !b.counting {
		b.buildHistsQ(ls, all)
		return
	}
	nf := len(b.feats)
	core.ParallelDo(len(ls)*nf, b.workers, func(i int) {
		l, f := ls[i/nf], b.feats[i%nf]
		b.accumulate(l.hist, f, b.bufs[l.buf][l.lo:l.hi], b.og[l.buf][l.lo:l.hi])
	})
}

// accumulate sets the histogram of feature f from the rows and their
// gathered gradient pairs og. Even and odd rows are summed apart and then
// added: two independent chains of additions per bin, where a feature with
// few distinct values would otherwise wait on the previous row's store to
// the same bin.
func (b *booster) accumulate(h *hist, f int, rows []int32, og []ghPair) {
	col := b.cols[f]
	hf := &h.gh[f]
	clear(hf[:])
	og = og[:len(rows)]
	if b.counting {
		cf := &h.cnt[f]
		clear(cf[:])
		for k, r := range rows {
			bin := col[r]
			e := &hf[bin]
			e.G += og[k].G
			e.H += og[k].H
			cf[bin]++
		}
		return
	}
	var odd [256]ghPair
	k := 1
	for ; k < len(rows); k += 2 {
		p, q := og[k-1], og[k]
		e := &hf[col[rows[k-1]]]
		o := &odd[col[rows[k]]]
		e.G += p.G
		e.H += p.H
		o.G += q.G
		o.H += q.H
	}
	if k == len(rows) {
		p := og[k-1]
		e := &hf[col[rows[k-1]]]
		e.G += p.G
		e.H += p.H
	}
	for i := range hf {
		hf[i].G += odd[i].G
		hf[i].H += odd[i].H
	}
}

// subtract sets large = large - small, bin by bin, for the active
// features; with counts, bins with no rows left are zeroed exactly.
func (b *booster) subtract(large, small *hist) {
	if !b.counting {
		for _, f := range b.feats {
			l, s := &large.q[f], &small.q[f]
			for k := range l {
				l[k] -= s[k]
			}
		}
		return
	}
	for _, f := range b.feats {
		l, s := &large.gh[f], &small.gh[f]
		for k := range l {
			l[k].G -= s[k].G
			l[k].H -= s[k].H
		}
		if b.counting {
			lc, sc := &large.cnt[f], &small.cnt[f]
			for k := range lc {
				lc[k] -= sc[k]
				if lc[k] == 0 {
					l[k] = ghPair{}
				}
			}
		}
	}
}

// bestSplit scans the histogram of leaf l for the best split.
func (b *booster) bestSplit(l *leaf) splitInfo {
	if !b.counting {
		return b.bestSplitQ(l)
	}
	p := b.p
	lam := p.Lambda
	parent := l.g * l.g / (l.h + lam)
	best := splitInfo{gain: math.Max(p.MinSplitGain, minGain)}
	minLeaf := int32(p.MinSamplesLeaf)
	mcw := p.MinChildWeight
	G, H, N := l.g, l.h, int32(l.n)
	for _, f := range b.feats {
		hf := &l.hist.gh[f]
		var cf *[256]int32
		if b.counting {
			cf = &l.hist.cnt[f]
		}
		nb := b.bins.NumBins(f)
		miss := hf[tree.MissingBin]
		// without counts an empty bin has exact zero sums (a row's hessian
		// is positive unless its probability rounds to 0 or 1)
		hasMiss := miss.H != 0 || miss.G != 0
		if cf != nil {
			hasMiss = cf[tree.MissingBin] > 0
		}
		var lg, lh float64
		var ln int32
		for bin := 0; bin < nb-1; bin++ {
			e := &hf[bin]
			lg += e.G
			lh += e.H
			if cf != nil {
				if cf[bin] == 0 {
					continue
				}
				ln += cf[bin]
			} else if e.H == 0 && e.G == 0 {
				continue
			}
			// missing values to the right; checking the hessian sums
			// against MinChildWeight > 0 also keeps both children
			// non-empty
			if lh >= mcw && H-lh >= mcw && (cf == nil || (ln >= minLeaf && N-ln >= minLeaf)) {
				rg, rh := G-lg, H-lh
				gain := lg*lg/(lh+lam) + rg*rg/(rh+lam) - parent
				if gain > best.gain {
					best = splitInfo{ok: true, gain: gain, feature: f, bin: uint8(bin), lg: lg, lh: lh}
					// with no missing value here, NaN follows the child
					// of larger hessian sum
					best.defaultLeft = !hasMiss && lh >= H-lh
				}
			}
			if !hasMiss {
				continue
			}
			// missing values to the left
			mg, mh := lg+miss.G, lh+miss.H
			if mh >= mcw && H-mh >= mcw && (cf == nil || (ln+cf[tree.MissingBin] >= minLeaf && N-ln-cf[tree.MissingBin] >= minLeaf)) {
				rg, rh := G-mg, H-mh
				gain := mg*mg/(mh+lam) + rg*rg/(rh+lam) - parent
				if gain > best.gain {
					best = splitInfo{ok: true, gain: gain, feature: f, bin: uint8(bin), defaultLeft: true, lg: mg, lh: mh}
				}
			}
		}
	}
	return best
}

// partitionChunk is the share of a partition that one goroutine handles.
const partitionChunk = 16384

// partition moves the rows of each split leaf into the same range of the
// other buffer, stably, the rows going left first, and returns where each
// leaf's right rows start. Leaves are cut into chunks: each chunk splits
// its rows into the spare buffers at its own positions, then moves both
// runs to their places, known once every chunk has counted.
func (b *booster) partition(ls []*leaf) []int {
	type chunk struct {
		l      *leaf
		lo, hi int
		left   int // rows going left
		at     int // where the chunk's left rows go
		right  int // where the chunk's right rows go
	}
	var chunks []chunk
	for _, l := range ls {
		for lo := l.lo; lo < l.hi; lo += partitionChunk {
			chunks = append(chunks, chunk{l: l, lo: lo, hi: min(lo+partitionChunk, l.hi)})
		}
	}
	core.ParallelDo(len(chunks), b.workers, func(i int) {
		c := &chunks[i]
		c.left = b.split(c.l, c.lo, c.hi)
	})
	mids := make([]int, len(ls))
	for i, j := 0, 0; i < len(ls); i++ {
		l := ls[i]
		mid := l.lo
		for k := j; k < len(chunks) && chunks[k].l == l; k++ {
			mid += chunks[k].left
		}
		mids[i] = mid
		leftAt, rightAt := l.lo, mid
		for ; j < len(chunks) && chunks[j].l == l; j++ {
			c := &chunks[j]
			c.at, c.right = leftAt, rightAt
			leftAt += c.left
			rightAt += c.hi - c.lo - c.left
		}
	}
	core.ParallelDo(len(chunks), b.workers, func(i int) {
		c := &chunks[i]
		to := b.bufs[1-c.l.buf]
		copy(to[c.at:c.at+c.left], b.spareL[c.lo:c.lo+c.left])
		nr := c.hi - c.lo - c.left
		copy(to[c.right:c.right+nr], b.spareR[c.lo:c.lo+nr])
	})
	return mids
}

// label is partition for splits whose children are final leaves: it
// records each row's leaf in leafOf (the left child keeps the parent's
// index batch[i], the right one is first+i) instead of moving the rows,
// and returns where each leaf's right rows would start.
func (b *booster) label(ls []*leaf, batch []int, first int32) []int {
	type chunk struct {
		i      int // index in ls
		lo, hi int
		left   int
	}
	var chunks []chunk
	for i, l := range ls {
		for lo := l.lo; lo < l.hi; lo += partitionChunk {
			chunks = append(chunks, chunk{i: i, lo: lo, hi: min(lo+partitionChunk, l.hi)})
		}
	}
	core.ParallelDo(len(chunks), b.workers, func(k int) {
		c := &chunks[k]
		c.left = b.labelRows(ls[c.i], c.lo, c.hi, int32(batch[c.i]), first+int32(c.i))
	})
	mids := make([]int, len(ls))
	for i, l := range ls {
		mids[i] = l.lo
	}
	for _, c := range chunks {
		mids[c.i] += c.left
	}
	return mids
}

// labelRows sets leafOf of the rows at positions [lo,hi) of leaf l to left
// or right as its split sends them, and returns how many went left.
func (b *booster) labelRows(l *leaf, lo, hi int, left, right int32) int {
	col := b.cols[l.best.feature]
	t := l.best.leftTable()
	n := 0
	for _, r := range b.bufs[l.buf][lo:hi] {
		goLeft := int32(t[col[r]])
		b.leafOf[r] = right + (left-right)*goLeft
		n += int(goLeft)
	}
	return n
}

// leftTable returns, per bin, 1 if the split sends it left.
func (s splitInfo) leftTable() (t [256]uint8) {
	for b := 0; b <= int(s.bin); b++ {
		t[b] = 1
	}
	if s.defaultLeft {
		t[tree.MissingBin] = 1
	}
	return t
}

// split writes the rows at positions [lo,hi) of leaf l that its split
// sends left to spareL and the others to spareR, both from position lo on,
// in order, and returns how many went left.
func (b *booster) split(l *leaf, lo, hi int) int {
	col := b.cols[l.best.feature]
	t := l.best.leftTable()
	left, right := b.spareL[lo:hi], b.spareR[lo:hi]
	nl, nr := 0, 0
	for _, r := range b.bufs[l.buf][lo:hi] {
		// both writes happen and the one whose count does not move is
		// overwritten by the next row: no branch to mispredict (the index
		// never passes the rows seen so far)
		goLeft := int(t[col[r]])
		left[nl] = r
		right[nr] = r
		nl += goLeft
		nr += 1 - goLeft
	}
	return nl
}

// gradient returns row i's gradient and hessian of the log loss at its
// score, times its weight.
func (b *booster) gradient(i int) (g, h float64) {
	// the logistic function of F from E = exp(F)
	e := b.E[i]
	pr := e / (1 + e)
	if e > math.MaxFloat64/2 {
		pr = 1
	}
	g, h = pr-b.y[i], pr*(1-pr)
	if b.w != nil {
		g *= b.w[i]
		h *= b.w[i]
	}
	return g, h
}

// updateScores records which leaf of the new tree each row falls in (by
// its partition for in-bag rows, by routing its bins for the others); the
// scores themselves move in applyScores, in one pass over the rows that
// the next tree's gradients share.
func (b *booster) updateScores(t *tree.Tree, ex treeExtra, leafRows [][]int32) {
	b.leafVal = append(b.leafVal[:0], t.LeafValue...)
	b.leafExp = b.leafExp[:0]
	for _, v := range t.LeafValue {
		b.leafExp = append(b.leafExp, math.Exp(v))
	}
	core.ParallelDo(len(leafRows), b.workers, func(l int) {
		for _, r := range leafRows[l] {
			b.leafOf[r] = int32(l)
		}
	})
	if len(b.idx) < b.n {
		core.ParallelRows(b.n, b.workers, func(lo, hi int) {
			for i := lo; i < hi; i++ {
				if !b.inBag[i] {
					b.leafOf[i] = int32(b.binLeaf(ex.binSplits, i))
				}
			}
		})
	}
	b.pending = true
}

// applyScores adds the last tree's leaf values to the rows' scores (F and
// E) for rows lo..hi-1.
func (b *booster) applyScores(lo, hi int) {
	if !b.pending {
		return
	}
	val, ev := b.leafVal, b.leafExp
	for i := lo; i < hi; i++ {
		l := b.leafOf[i]
		b.F[i] += val[l]
		b.E[i] *= ev[l]
	}
}

// binLeaf routes training row i down the bin-level splits of the tree; it
// agrees with routing by raw values since thresholds are bin upper bounds.
func (b *booster) binLeaf(splits []binNode, i int) int {
	if len(splits) == 0 {
		return 0
	}
	n := int32(0)
	for n >= 0 {
		nd := &splits[n]
		bin := b.cols[nd.feature][i]
		left := bin <= nd.bin
		if bin == tree.MissingBin {
			left = nd.defaultLeft
		}
		if left {
			n = nd.left
		} else {
			n = nd.right
		}
	}
	return int(^n)
}

// validate adds the tree to the validation scores and returns the log loss.
func (b *booster) validate(t *tree.Tree, val *validationSet, fv []float64) float64 {
	X := val.X
	var loss, sw float64
	for i := 0; i < X.Rows; i++ {
		fv[i] += t.Predict(X.Data[i*X.Cols : (i+1)*X.Cols])
		wi := 1.0
		if val.W != nil {
			wi = val.W[i]
		}
		z := fv[i]
		if val.Y[i] == 1 {
			loss += wi * softplus(-z)
		} else {
			loss += wi * softplus(z)
		}
		sw += wi
	}
	return loss / sw
}

func softplus(t float64) float64 {
	if t > 0 {
		return t + math.Log1p(math.Exp(-t))
	}
	return math.Log1p(math.Exp(t))
}

// splitmix is a small fast generator for per-tree draws.
type splitmix struct{ s uint64 }

func (r *splitmix) next() uint64 {
	r.s += 0x9e3779b97f4a7c15
	z := r.s
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9
	z = (z ^ (z >> 27)) * 0x94d049bb133111eb
	return z ^ (z >> 31)
}

func (r *splitmix) intn(n int) int { return int(((r.next() >> 32) * uint64(n)) >> 32) }

func (r *splitmix) float64() float64 { return float64(r.next()>>11) / (1 << 53) }
