package gbdt

import (
	"fmt"
	"math"
	"math/rand"
	"runtime"
	"sync"
	"sync/atomic"

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

// blockRows is the fixed row block of parallel histogram building.
const blockRows = 16384

// minGain is the smallest gain that counts as an improvement.
const minGain = 1e-10

type binStat struct {
	G, H float64
	N    int64
}

type hist = [][256]binStat

type splitInfo struct {
	ok          bool
	gain        float64
	feature     int
	bin         uint8
	defaultLeft bool
	lg, lh      float64
	ln          int
}

// posBuf holds, per position, the row, its gradient pair and its packed
// bins.
type posBuf struct {
	idx []int32
	gh  []float64
	pb  []uint64
}

type leaf struct {
	buf    int // which position buffer holds the rows
	lo, hi int
	g, h   float64
	n      int
	depth  int
	hist   hist
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
	p       Params
	n, nf   int
	bins    *tree.Bins
	binned  []uint8
	y, w    []float64
	F       []float64
	gh      []float64
	idx     []int32
	scratch []int32
	// Per position (the in-bag rows of the current tree, partitioned leaf
	// by leaf): the gradient pair and the packed bins, moved along with idx
	// so that histogram building reads memory sequentially.
	wpr    int
	packed []uint64 // all rows, row-major, 8 bins per word
	// Two position buffers: a leaf's rows live in bufs[leaf.buf], and a
	// split writes its children into the other buffer.
	bufs    [2]posBuf
	inBag   []bool
	active  []bool
	workers int
	pool    []hist
	blocks  []hist
}

func (t Trainer) fit(X core.Matrix, y, w []float64, val *validationSet, rng *rand.Rand) (*Model, error) {
	p := t.Params.WithDefaults()
	b := &booster{p: p, n: X.Rows, nf: X.Cols, y: y, w: w}
	b.workers = p.Workers
	if b.workers <= 0 {
		b.workers = runtime.GOMAXPROCS(0)
	}
	b.bins = tree.FitBins(X, p.MaxBins, binSampleRows, rng)
	b.binned = b.bins.BinMatrix(X)
	b.wpr = (b.nf + 7) / 8
	b.packed = make([]uint64, b.n*b.wpr)
	for i := 0; i < b.n; i++ {
		for f := 0; f < b.nf; f++ {
			b.packed[i*b.wpr+f>>3] |= uint64(b.binned[i*b.nf+f]) << (8 * (f & 7))
		}
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
	for i := range b.F {
		b.F[i] = init
	}
	b.gh = make([]float64, 2*b.n)
	b.idx = make([]int32, 0, b.n)
	b.scratch = make([]int32, b.n)
	for i := range b.bufs {
		b.bufs[i] = posBuf{idx: make([]int32, b.n), gh: make([]float64, 2*b.n), pb: make([]uint64, b.n*b.wpr)}
	}
	b.inBag = make([]bool, b.n)
	b.active = make([]bool, b.nf)

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
	m.trainMargin = b.F
	m.prepare()
	return m, nil
}

// growTree grows one tree and returns it, its text-format extras, and the
// in-bag rows of each leaf.
func (b *booster) growTree(seed uint64) (*tree.Tree, treeExtra, [][]int32) {
	p := b.p
	rng := &splitmix{s: seed}
	// gradients
	core.ParallelRows(b.n, b.workers, func(lo, hi int) {
		for i := lo; i < hi; i++ {
			pr := core.Sigmoid(b.F[i])
			g, h := pr-b.y[i], pr*(1-pr)
			if b.w != nil {
				g *= b.w[i]
				h *= b.w[i]
			}
			b.gh[2*i], b.gh[2*i+1] = g, h
		}
	})
	// rows
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
	// columns
	for j := range b.active {
		b.active[j] = true
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
		for j := range b.active {
			b.active[j] = false
		}
		for _, j := range perm[:k] {
			b.active[j] = true
		}
	}

	root := &leaf{lo: 0, hi: len(b.idx), n: len(b.idx), parent: -1}
	b0, wpr := &b.bufs[0], b.wpr
	copy(b0.idx, b.idx)
	core.ParallelRows(len(b.idx), b.workers, func(lo, hi int) {
		for k := lo; k < hi; k++ {
			i := int(b.idx[k])
			b0.gh[2*k], b0.gh[2*k+1] = b.gh[2*i], b.gh[2*i+1]
			for j := 0; j < wpr; j++ {
				b0.pb[k*wpr+j] = b.packed[i*wpr+j]
			}
		}
	})
	// the root's sums are those of any feature's histogram (missing bin
	// included); without a histogram (a root too small to split) add them up
	rootSums := func() {
		for k := range b.idx {
			root.g += b0.gh[2*k]
			root.h += b0.gh[2*k+1]
		}
	}
	leaves := []*leaf{root}
	t := &tree.Tree{}
	var ex treeExtra
	if root.n >= 2*p.MinSamplesLeaf {
		root.hist = b.getHist()
		b.buildHist(root.hist, 0, 0, len(b.idx))
		for _, e := range root.hist[0] {
			root.g += e.G
			root.h += e.H
		}
		root.best = b.bestSplit(root)
	} else {
		rootSums()
	}
	maxLeaves := p.MaxLeaves
	for maxLeaves == 0 || len(leaves) < maxLeaves {
		k := -1
		for i, l := range leaves {
			if l.best.ok && (k < 0 || l.best.gain > leaves[k].best.gain) {
				k = i
			}
		}
		if k < 0 {
			break
		}
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

		mid := b.partition(l.buf, l.lo, l.hi, s)
		left := &leaf{buf: 1 - l.buf, lo: l.lo, hi: mid, g: s.lg, h: s.lh, n: mid - l.lo, depth: l.depth + 1, parent: node, isLeft: true}
		right := &leaf{buf: 1 - l.buf, lo: mid, hi: l.hi, g: l.g - s.lg, h: l.h - s.lh, n: l.hi - mid, depth: l.depth + 1, parent: node}
		leaves[k] = left
		leaves = append(leaves, right)

		small, large := left, right
		if right.n < left.n {
			small, large = right, left
		}
		canSplit := func(c *leaf) bool {
			return (p.MaxDepth < 0 || c.depth < p.MaxDepth) && c.n >= 2*p.MinSamplesLeaf &&
				(maxLeaves == 0 || len(leaves) < maxLeaves)
		}
		if canSplit(small) || canSplit(large) {
			small.hist = b.getHist()
			b.buildHist(small.hist, small.buf, small.lo, small.hi)
			large.hist = l.hist
			subtract(large.hist, small.hist, b.nf)
			l.hist = nil
			for _, c := range [2]*leaf{small, large} {
				if canSplit(c) {
					c.best = b.bestSplit(c)
				}
				if !c.best.ok {
					b.putHist(c.hist)
					c.hist = nil
				}
			}
		} else {
			b.putHist(l.hist)
			l.hist = nil
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
		t.LeafValue[i] = -l.g / (l.h + p.Lambda) * p.LearningRate
		t.LeafCover[i] = float64(l.n)
		ex.leafWeight[i] = l.h
		leafRows[i] = b.bufs[l.buf].idx[l.lo:l.hi]
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

func (b *booster) getHist() hist {
	if n := len(b.pool); n > 0 {
		h := b.pool[n-1]
		b.pool = b.pool[:n-1]
		return h
	}
	return make(hist, b.nf)
}

func (b *booster) putHist(h hist) {
	if h != nil {
		b.pool = append(b.pool, h)
	}
}

// buildHist fills dst with the histogram of positions [lo,hi). Positions
// are taken in blocks of blockRows; block partials are added in block order,
// so the sums do not depend on the number of goroutines.
func (b *booster) buildHist(dst hist, buf, lo, hi int) {
	clear(dst)
	n := hi - lo
	nBlocks := (n + blockRows - 1) / blockRows
	if nBlocks <= 1 {
		b.accumulate(dst, buf, lo, hi)
		return
	}
	for len(b.blocks) < nBlocks-1 {
		b.blocks = append(b.blocks, make(hist, b.nf))
	}
	var next atomic.Int64
	var wg sync.WaitGroup
	for k := 0; k < min(b.workers, nBlocks); k++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := int(next.Add(1)) - 1
				if i >= nBlocks {
					return
				}
				h := dst
				if i > 0 {
					h = b.blocks[i-1]
					clear(h)
				}
				b.accumulate(h, buf, lo+i*blockRows, min(lo+(i+1)*blockRows, hi))
			}
		}()
	}
	wg.Wait()
	for i := 1; i < nBlocks; i++ {
		src := b.blocks[i-1]
		for f := range dst {
			d, s := &dst[f], &src[f]
			for k := range d {
				d[k].G += s[k].G
				d[k].H += s[k].H
				d[k].N += s[k].N
			}
		}
	}
}

// accumulate adds positions [lo,hi) to h.
func (b *booster) accumulate(h hist, buf, lo, hi int) {
	nf, wpr := b.nf, b.wpr
	pos := &b.bufs[buf]
	gh := pos.gh[2*lo : 2*hi]
	if wpr == 2 && nf > 8 {
		// up to 16 features: two words per row, unpacked without a loop
		// over words
		h = h[:nf]
		h0, hr := h[:8], h[8:]
		pb := pos.pb[2*lo : 2*hi]
		for i := 0; i < hi-lo; i++ {
			g, hs := gh[2*i], gh[2*i+1]
			w0, w1 := pb[2*i], pb[2*i+1]
			for f := range h0 {
				e := &h0[f][uint8(w0>>(8*f))]
				e.G += g
				e.H += hs
				e.N++
			}
			for f := range hr {
				e := &hr[f][uint8(w1>>(8*f))]
				e.G += g
				e.H += hs
				e.N++
			}
		}
		return
	}
	pb := pos.pb[lo*wpr : hi*wpr]
	for i := 0; i < hi-lo; i++ {
		g, hs := gh[2*i], gh[2*i+1]
		row := pb[i*wpr : (i+1)*wpr]
		for f := 0; f < nf; f++ {
			e := &h[f][uint8(row[f>>3]>>(8*(f&7)))]
			e.G += g
			e.H += hs
			e.N++
		}
	}
}

// subtract sets large = large - small, bin by bin; bins with no rows left
// are zeroed exactly.
func subtract(large, small hist, nf int) {
	for f := 0; f < nf; f++ {
		l, s := &large[f], &small[f]
		for k := range l {
			e := &l[k]
			e.N -= s[k].N
			if e.N == 0 {
				e.G, e.H = 0, 0
			} else {
				e.G -= s[k].G
				e.H -= s[k].H
			}
		}
	}
}

// bestSplit scans the histogram of leaf l for the best split.
func (b *booster) bestSplit(l *leaf) splitInfo {
	p := b.p
	lam := p.Lambda
	parent := l.g * l.g / (l.h + lam)
	best := splitInfo{gain: math.Max(p.MinSplitGain, minGain)}
	minLeaf := int64(p.MinSamplesLeaf)
	mcw := p.MinChildWeight
	G, H, N := l.g, l.h, int64(l.n)
	for f := 0; f < b.nf; f++ {
		if !b.active[f] {
			continue
		}
		hf := &l.hist[f]
		nb := b.bins.NumBins(f)
		miss := hf[tree.MissingBin]
		var lg, lh float64
		var ln int64
		for bin := 0; bin < nb-1; bin++ {
			e := &hf[bin]
			lg += e.G
			lh += e.H
			ln += e.N
			if e.N == 0 {
				continue
			}
			// missing values to the right
			if ln >= minLeaf && N-ln >= minLeaf && lh >= mcw && H-lh >= mcw {
				rg, rh := G-lg, H-lh
				gain := lg*lg/(lh+lam) + rg*rg/(rh+lam) - parent
				if gain > best.gain {
					best = splitInfo{ok: true, gain: gain, feature: f, bin: uint8(bin), lg: lg, lh: lh, ln: int(ln)}
					// with no missing value here, NaN follows the larger child
					best.defaultLeft = miss.N == 0 && ln >= N-ln
				}
			}
			if miss.N == 0 {
				continue
			}
			// missing values to the left
			mg, mh, mn := lg+miss.G, lh+miss.H, ln+miss.N
			if mn >= minLeaf && N-mn >= minLeaf && mh >= mcw && H-mh >= mcw {
				rg, rh := G-mg, H-mh
				gain := mg*mg/(mh+lam) + rg*rg/(rh+lam) - parent
				if gain > best.gain {
					best = splitInfo{ok: true, gain: gain, feature: f, bin: uint8(bin), defaultLeft: true, lg: mg, lh: mh, ln: int(mn)}
				}
			}
		}
	}
	return best
}

// partitionChunk is the smallest share of a parallel partition.
const partitionChunk = 16384

// partition moves the positions [lo,hi) of buffer src into the same range
// of the other buffer, stably, the rows going left first, and returns the
// boundary. Large ranges are split over the workers: each chunk counts its
// left rows, then writes its rows at offsets given by the counts.
func (b *booster) partition(src, lo, hi int, s splitInfo) int {
	n := hi - lo
	chunks := min(b.workers, max(1, n/partitionChunk))
	if chunks == 1 {
		// the histogram counted the left rows exactly
		k := s.ln
		b.scatter(src, lo, hi, s, lo, lo+k)
		return lo + k
	}
	step := (n + chunks - 1) / chunks
	counts := make([]int, chunks)
	var wg sync.WaitGroup
	for c := 0; c < chunks; c++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			counts[c] = b.countLeft(src, lo+c*step, min(lo+(c+1)*step, hi), s)
		}()
	}
	wg.Wait()
	total := 0
	for _, k := range counts {
		total += k
	}
	leftAt, rightAt := lo, lo+total
	for c := 0; c < chunks; c++ {
		clo, chi := lo+c*step, min(lo+(c+1)*step, hi)
		wg.Add(1)
		go func(l, r int) {
			defer wg.Done()
			b.scatter(src, clo, chi, s, l, r)
		}(leftAt, rightAt)
		leftAt += counts[c]
		rightAt += chi - clo - counts[c]
	}
	wg.Wait()
	return lo + total
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

// countLeft counts the positions of [lo,hi) in buffer src that go left.
func (b *booster) countLeft(src, lo, hi int, s splitInfo) int {
	wpr := b.wpr
	word, shift := s.feature>>3, uint(8*(s.feature&7))
	pb := b.bufs[src].pb
	t := s.leftTable()
	k := 0
	for i := lo; i < hi; i++ {
		k += int(t[uint8(pb[i*wpr+word]>>shift)])
	}
	return k
}

// scatter writes the positions [lo,hi) of buffer src to the other buffer:
// left rows from position l on, right rows from r on, in order.
func (b *booster) scatter(src, lo, hi int, s splitInfo, l, r int) {
	wpr := b.wpr
	word, shift := s.feature>>3, uint(8*(s.feature&7))
	from, to := &b.bufs[src], &b.bufs[1-src]
	t := s.leftTable()
	if wpr == 2 {
		for i := lo; i < hi; i++ {
			w0, w1 := from.pb[2*i], from.pb[2*i+1]
			left := int(t[uint8(from.pb[2*i+word]>>shift)])
			// branch-free choice of the destination
			d := r ^ ((l ^ r) & -left)
			l += left
			r += 1 - left
			to.idx[d] = from.idx[i]
			to.gh[2*d], to.gh[2*d+1] = from.gh[2*i], from.gh[2*i+1]
			to.pb[2*d], to.pb[2*d+1] = w0, w1
		}
		return
	}
	for i := lo; i < hi; i++ {
		left := int(t[uint8(from.pb[i*wpr+word]>>shift)])
		d := r ^ ((l ^ r) & -left)
		l += left
		r += 1 - left
		to.idx[d] = from.idx[i]
		to.gh[2*d], to.gh[2*d+1] = from.gh[2*i], from.gh[2*i+1]
		copy(to.pb[d*wpr:(d+1)*wpr], from.pb[i*wpr:(i+1)*wpr])
	}
}

// updateScores adds the new tree to the training scores: in-bag rows by
// their leaf, the others by routing their bins down the tree.
func (b *booster) updateScores(t *tree.Tree, ex treeExtra, leafRows [][]int32) {
	// leaves hold disjoint rows: spread them over the workers by row count
	add := func(lo, hi int) {
		for i := lo; i < hi; i++ {
			v := t.LeafValue[i]
			for _, r := range leafRows[i] {
				b.F[r] += v
			}
		}
	}
	if len(b.idx) < 4*blockRows || b.workers == 1 {
		add(0, len(leafRows))
	} else {
		share := (len(b.idx) + b.workers - 1) / b.workers
		var wg sync.WaitGroup
		for lo := 0; lo < len(leafRows); {
			hi, rows := lo, 0
			for hi < len(leafRows) && rows < share {
				rows += len(leafRows[hi])
				hi++
			}
			wg.Add(1)
			go func(lo, hi int) {
				defer wg.Done()
				add(lo, hi)
			}(lo, hi)
			lo = hi
		}
		wg.Wait()
	}
	if len(b.idx) == b.n {
		return
	}
	core.ParallelRows(b.n, b.workers, func(lo, hi int) {
		for i := lo; i < hi; i++ {
			if !b.inBag[i] {
				b.F[i] += t.LeafValue[b.binLeaf(ex.binSplits, i)]
			}
		}
	})
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
		bin := b.binned[i*b.nf+int(nd.feature)]
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

func b2i(v bool) int {
	if v {
		return 1
	}
	return 0
}
