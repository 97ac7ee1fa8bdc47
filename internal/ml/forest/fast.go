package forest

import (
	"math/bits"

	"github.com/stewardml/steward/internal/ml/tree"
)

// The fast grower handles the common case: no sample weights, a minimum
// leaf of one row and at most fastMaxFeatures features. Every in-bag row then weighs its bootstrap multiplicity
// (an integer) times its class weight, so a node's histograms only need the
// integer multiplicities per class, and a histogram bin is one uint64 (class
// 0 in the low half, class 1 in the high half) that one add per row updates.
// The multiplicity and the class travel in a spare byte of each row's packed
// bins (byte nf: count in the low 7 bits, class in bit 7), so the rows of a
// tree are just their packed words.
//
// It draws the same features in the same order as the general grower, scans
// them in the same order and compares the same floating-point scores, so
// without class weights both give the same trees bit for bit (with class
// weights the weighted sums are rounded once instead of row by row). A tree
// whose bootstrap repeats a row more than 127 times is left to the general
// grower.

// maxBatch is the most features whose histograms are built in one pass over
// a node's rows.
const maxBatch = 4

// sparseRows is the node size below which a batch's occupied bins are
// tracked with bitmaps instead of scanning every bin.
const sparseRows = 64

// fastMaxFeatures is the most features the fast grower handles: their bins
// and the meta byte fit two words.
const fastMaxFeatures = 15

// splitHistRows is the node size from which dense3 splits its histograms
// in two (the fold costs a pass over the bins).
const splitHistRows = 1024

// maxCount is the largest bootstrap multiplicity the meta byte holds.
const maxCount = 127

type fastGrower struct {
	d    *data
	p    Params
	mtry int
	cw   [2]float64
	cnt  []uint16 // bootstrap multiplicity per row
	// rows holds the in-bag rows of the current tree, partitioned node by
	// node.
	rows  [][2]uint64
	feats []int
	stack []fastItem

	batch   [maxBatch]int
	word    [maxBatch]int
	shift   [maxBatch]uint
	h       [maxBatch][256]uint64
	h2      [3][256]uint64 // odd rows' histograms of dense3
	seen    [maxBatch][4]uint64
	touched [maxBatch][]uint8
	keys    [tinyRows]uint16
	// size hints for the next tree's arrays
	lastNodes int
}

func newFastGrower(d *data, p Params, mtry int, cw [2]float64) *fastGrower {
	g := &fastGrower{
		d: d, p: p, mtry: mtry, cw: cw,
		cnt: make([]uint16, d.n), rows: make([][2]uint64, 0, d.n),
		feats: make([]int, d.nf),
	}
	for j := range g.touched {
		g.touched[j] = make([]uint8, 0, 256)
	}
	return g
}

type fastItem struct {
	lo, hi   int
	depth    int
	parent   int32
	isLeft   bool
	c0, c1   uint64 // bootstrap counts per class
	constant uint64
}

type fastSplit struct {
	feature  int
	bin      uint8
	num, den float64 // the score is num/den (see split)
	left     uint64  // packed counts of the left child (class 1 in the high half)
}

// tinyRows is the node size up to which a feature's values are sorted
// rather than histogrammed.
const tinyRows = 16

const lowHalf = 1<<32 - 1

// grow grows one tree from seed; ok is false when the bootstrap repeats a
// row too often for the packed counts.
func (g *fastGrower) grow(seed uint64) (t *tree.Tree, imp []float64, nodeBin []uint8, ok bool) {
	d := g.d
	rng := &splitmix{s: seed}
	cnt := g.cnt
	if g.p.NoBootstrap {
		for i := range cnt {
			cnt[i] = 1
		}
	} else {
		clear(cnt)
		for i := 0; i < d.n; i++ {
			cnt[rng.intn(d.n)]++
		}
	}
	wpr := d.wpr
	metaWord, metaShift := d.nf>>3, uint(8*(d.nf&7))
	g.rows = g.rows[:0]
	var c0, c1 uint64
	for i, c := range cnt {
		if c == 0 {
			continue
		}
		if c > maxCount {
			return nil, nil, nil, false
		}
		meta := uint64(c)
		if d.y[i] == 1 {
			c1 += uint64(c)
			meta |= 128
		} else {
			c0 += uint64(c)
		}
		row := [2]uint64{d.packed[i*wpr], d.packed[i*wpr+1]}
		row[metaWord&1] |= meta << metaShift
		g.rows = append(g.rows, row)
	}
	if c0+c1 != uint64(d.n) { // a count wrapped around
		return nil, nil, nil, false
	}
	hint := max(g.lastNodes+g.lastNodes/8, 16)
	t = &tree.Tree{
		Nodes: make([]tree.Node, 0, hint), NodeGain: make([]float64, 0, hint), NodeCover: make([]float64, 0, hint),
		LeafValue: make([]float64, 0, hint+1), LeafCover: make([]float64, 0, hint+1),
	}
	nodeBin = make([]uint8, 0, hint)
	imp = make([]float64, d.nf)
	cw0, cw1 := g.cw[0], g.cw[1]
	stack := append(g.stack[:0], fastItem{lo: 0, hi: len(g.rows), parent: -1, c0: c0, c1: c1})
	for len(stack) > 0 {
		it := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		n := it.hi - it.lo
		w0, w1 := float64(it.c0)*cw0, float64(it.c1)*cw1
		W := w0 + w1
		var best fastSplit
		found := false
		if it.c0 > 0 && it.c1 > 0 && n >= g.p.MinSamplesSplit && (g.p.MaxDepth == 0 || it.depth < g.p.MaxDepth) {
			best, found = g.bestSplit(&it, w0, w1, rng)
		}
		var self int32
		if !found {
			leaf := int32(len(t.LeafValue))
			t.LeafValue = append(t.LeafValue, w1/W)
			t.LeafCover = append(t.LeafCover, W)
			self = ^leaf
		} else {
			self = int32(len(t.Nodes))
			parentScore := (w0*w0 + w1*w1) / W
			gain := best.num/best.den - parentScore
			imp[best.feature] += gain
			l0, l1 := best.left&lowHalf, best.left>>32
			r0, r1 := it.c0-l0, it.c1-l1
			t.Nodes = append(t.Nodes, tree.Node{
				Feature:     int32(best.feature),
				Threshold:   d.bins.Upper[best.feature][best.bin],
				DefaultLeft: float64(l0)*cw0+float64(l1)*cw1 >= float64(r0)*cw0+float64(r1)*cw1,
			})
			nodeBin = append(nodeBin, best.bin)
			t.NodeGain = append(t.NodeGain, gain)
			t.NodeCover = append(t.NodeCover, W)
			// a child that will be a leaf (pure, or too small or deep to
			// split) needs no rows in order: when both will, skip the
			// partition (leaves only use the counts)
			lo, mid, hi := it.lo, it.lo, it.lo // empty: leaves for sure
			if !g.leafAhead(l0, l1, it.depth+1) || !g.leafAhead(r0, r1, it.depth+1) {
				lo, mid, hi = it.lo, g.partition(it.lo, it.hi, best.feature, best.bin), it.hi
			}
			// push right first so the left subtree is built first
			stack = append(stack,
				fastItem{lo: mid, hi: hi, depth: it.depth + 1, parent: self, constant: it.constant, c0: r0, c1: r1},
				fastItem{lo: lo, hi: mid, depth: it.depth + 1, parent: self, isLeft: true, constant: it.constant, c0: l0, c1: l1})
		}
		if it.parent >= 0 {
			if it.isLeft {
				t.Nodes[it.parent].Left = self
			} else {
				t.Nodes[it.parent].Right = self
			}
		}
	}
	g.stack = stack
	g.lastNodes = len(t.Nodes)
	fixCovers(t)
	return t, imp, nodeBin, true
}

// leafAhead reports whether a child with counts c0, c1 at depth will be a
// leaf whatever its rows: a child is split only when it is impure, deep
// enough and has MinSamplesSplit distinct rows (no more than its count).
func (g *fastGrower) leafAhead(c0, c1 uint64, depth int) bool {
	return c0 == 0 || c1 == 0 || c0+c1 < uint64(g.p.MinSamplesSplit) || (g.p.MaxDepth > 0 && depth >= g.p.MaxDepth)
}

// bestSplit draws features in random order, a batch at a time, until mtry
// non-constant ones were scanned (or all were). A batch holds as many
// features as are still wanted, so the draws are those of a one-by-one
// search.
func (g *fastGrower) bestSplit(it *fastItem, w0, w1 float64, rng *splitmix) (fastSplit, bool) {
	d := g.d
	for i := range g.feats {
		g.feats[i] = i
	}
	best := fastSplit{num: -1, den: 1}
	found := false
	visited, k := 0, 0
	cw0, cw1 := g.cw[0], g.cw[1]
	for k < d.nf && visited < g.mtry {
		want := min(maxBatch, g.mtry-visited)
		nb := 0
		for k < d.nf && nb < want {
			j := k + rng.intn(d.nf-k)
			g.feats[k], g.feats[j] = g.feats[j], g.feats[k]
			f := g.feats[k]
			k++
			if f < 64 && it.constant&(1<<uint(f)) != 0 {
				continue
			}
			if d.bins.NumBins(f) < 2 {
				continue
			}
			g.batch[nb] = f
			g.word[nb], g.shift[nb] = f>>3, uint(8*(f&7))
			nb++
		}
		if nb == 0 {
			break
		}
		if it.hi-it.lo <= tinyRows {
			for j := 0; j < nb; j++ {
				if !g.scanSorted(it, j, w0, w1, &best) {
					continue
				}
				visited++
				found = true
			}
			continue
		}
		g.histograms(it.lo, it.hi, nb)
		for j := 0; j < nb; j++ {
			f := g.batch[j]
			touched := g.touched[j]
			h := &g.h[j]
			if len(touched) < 2 {
				for _, b := range touched {
					h[b] = 0
				}
				if f < 64 {
					it.constant |= 1 << uint(f)
				}
				continue
			}
			visited++
			found = true
			var acc uint64
			last := len(touched) - 1
			for _, b := range touched[:last] {
				acc += h[b]
				h[b] = 0
				l0, l1 := float64(acc&lowHalf)*cw0, float64(acc>>32)*cw1
				lw := l0 + l1
				r0, r1 := w0-l0, w1-l1
				rw := r0 + r1
				num := (l0*l0+l1*l1)*rw + (r0*r0+r1*r1)*lw
				den := lw * rw
				if num*best.den > best.num*den {
					best = fastSplit{feature: f, bin: b, num: num, den: den, left: acc}
				}
			}
			h[touched[last]] = 0
		}
	}
	return best, found
}

// scanSorted scans batch feature j of a tiny node by sorting its rows' bins,
// updating best; it reports false (and marks the feature) when the feature
// is constant in the node.
func (g *fastGrower) scanSorted(it *fastItem, j int, w0, w1 float64, best *fastSplit) bool {
	n := it.hi - it.lo
	rows := g.rows[it.lo:it.hi]
	metaWord, metaShift := (g.d.nf>>3)&1, uint(8*(g.d.nf&7))
	word, shift := g.word[j]&1, g.shift[j]
	keys := g.keys[:n]
	for i, row := range rows {
		k := uint16(uint8(row[word]>>shift))<<8 | uint16(uint8(row[metaWord]>>metaShift))
		// insertion sort as the keys arrive
		p := i
		for p > 0 && keys[p-1] > k {
			keys[p] = keys[p-1]
			p--
		}
		keys[p] = k
	}
	f := g.batch[j]
	if keys[0]>>8 == keys[n-1]>>8 {
		if f < 64 {
			it.constant |= 1 << uint(f)
		}
		return false
	}
	cw0, cw1 := g.cw[0], g.cw[1]
	var acc uint64
	for i, k := range keys[:n-1] {
		acc += uint64(k&maxCount) << (32 * uint(k>>7&1))
		if k>>8 == keys[i+1]>>8 {
			continue
		}
		l0, l1 := float64(acc&lowHalf)*cw0, float64(acc>>32)*cw1
		lw := l0 + l1
		r0, r1 := w0-l0, w1-l1
		rw := r0 + r1
		num := (l0*l0+l1*l1)*rw + (r0*r0+r1*r1)*lw
		den := lw * rw
		if num*best.den > best.num*den {
			*best = fastSplit{feature: f, bin: uint8(k >> 8), num: num, den: den, left: acc}
		}
	}
	return true
}

// histograms accumulates the histograms of the batch's features over rows
// [lo,hi) and lists each feature's occupied bins in ascending order.
func (g *fastGrower) histograms(lo, hi, nb int) {
	d := g.d
	rows := g.rows[lo:hi]
	metaWord, metaShift := (d.nf>>3)&1, uint(8*(d.nf&7))
	if len(rows) < sparseRows {
		if nb == 3 {
			g.sparse3(rows, metaWord, metaShift)
		} else {
			for _, row := range rows {
				meta := uint8(row[metaWord] >> metaShift)
				inc := uint64(meta&maxCount) << (32 * uint(meta>>7))
				for j := 0; j < nb; j++ {
					b := uint8(row[g.word[j]&1] >> g.shift[j])
					g.seen[j][b>>6] |= 1 << (b & 63)
					g.h[j][b] += inc
				}
			}
		}
		for j := 0; j < nb; j++ {
			t := g.touched[j][:0]
			for k, w := range g.seen[j] {
				for w != 0 {
					t = append(t, uint8(k<<6|bits.TrailingZeros64(w)))
					w &= w - 1
				}
			}
			g.seen[j] = [4]uint64{}
			g.touched[j] = t
		}
		return
	}
	switch {
	case nb == 3:
		g.dense3(rows, metaWord, metaShift, len(rows) >= splitHistRows,
			[3]int{d.bins.NumBins(g.batch[0]), d.bins.NumBins(g.batch[1]), d.bins.NumBins(g.batch[2])})
	case nb == 1:
		g.dense1(rows, metaWord, metaShift)
	default:
		for _, row := range rows {
			meta := uint8(row[metaWord] >> metaShift)
			inc := uint64(meta&maxCount) << (32 * uint(meta>>7))
			for j := 0; j < nb; j++ {
				g.h[j][uint8(row[g.word[j]&1]>>g.shift[j])] += inc
			}
		}
	}
	for j := 0; j < nb; j++ {
		t := g.touched[j][:0]
		h := &g.h[j]
		nbins := d.bins.NumBins(g.batch[j])
		for b := 0; b < nbins; b++ {
			if h[b] != 0 {
				t = append(t, uint8(b))
			}
		}
		g.touched[j] = t
	}
}

// dense3 is the histogram loop for three features. In large nodes (split)
// odd rows go to a second set of histograms, so that runs of rows in the
// same bin do not wait on each other's stores; they are folded in after.
func (g *fastGrower) dense3(rows [][2]uint64, metaWord int, metaShift uint, split bool, nbins [3]int) {
	h0, h1, h2 := &g.h[0], &g.h[1], &g.h[2]
	o0, o1, o2 := h0, h1, h2
	if split {
		o0, o1, o2 = &g.h2[0], &g.h2[1], &g.h2[2]
	}
	w0, w1, w2 := g.word[0]&1, g.word[1]&1, g.word[2]&1
	s0, s1, s2 := g.shift[0], g.shift[1], g.shift[2]
	mw := metaWord & 1
	i := 0
	for ; i+1 < len(rows); i += 2 {
		ra, rb := rows[i], rows[i+1]
		meta := uint8(ra[mw] >> metaShift)
		inc := uint64(meta&maxCount) << (32 * uint(meta>>7))
		metb := uint8(rb[mw] >> metaShift)
		incb := uint64(metb&maxCount) << (32 * uint(metb>>7))
		h0[uint8(ra[w0]>>s0)] += inc
		o0[uint8(rb[w0]>>s0)] += incb
		h1[uint8(ra[w1]>>s1)] += inc
		o1[uint8(rb[w1]>>s1)] += incb
		h2[uint8(ra[w2]>>s2)] += inc
		o2[uint8(rb[w2]>>s2)] += incb
	}
	if i < len(rows) {
		ra := rows[i]
		meta := uint8(ra[mw] >> metaShift)
		inc := uint64(meta&maxCount) << (32 * uint(meta>>7))
		h0[uint8(ra[w0]>>s0)] += inc
		h1[uint8(ra[w1]>>s1)] += inc
		h2[uint8(ra[w2]>>s2)] += inc
	}
	if !split {
		return
	}
	for j, nb := range nbins {
		h, o := &g.h[j], &g.h2[j]
		for b := range o[:nb] {
			h[b] += o[b]
			o[b] = 0
		}
	}
}

// sparse3 is the small-node histogram loop for three features, which also
// marks the bins that occur.
func (g *fastGrower) sparse3(rows [][2]uint64, metaWord int, metaShift uint) {
	h0, h1, h2 := &g.h[0], &g.h[1], &g.h[2]
	m0, m1, m2 := &g.seen[0], &g.seen[1], &g.seen[2]
	w0, w1, w2 := g.word[0]&1, g.word[1]&1, g.word[2]&1
	s0, s1, s2 := g.shift[0], g.shift[1], g.shift[2]
	mw := metaWord & 1
	for _, row := range rows {
		meta := uint8(row[mw] >> metaShift)
		inc := uint64(meta&maxCount) << (32 * uint(meta>>7))
		b0, b1, b2 := uint8(row[w0]>>s0), uint8(row[w1]>>s1), uint8(row[w2]>>s2)
		m0[b0>>6] |= 1 << (b0 & 63)
		m1[b1>>6] |= 1 << (b1 & 63)
		m2[b2>>6] |= 1 << (b2 & 63)
		h0[b0] += inc
		h1[b1] += inc
		h2[b2] += inc
	}
}

// dense1 is the histogram loop for one feature.
func (g *fastGrower) dense1(rows [][2]uint64, metaWord int, metaShift uint) {
	h0 := &g.h[0]
	w0, s0 := g.word[0]&1, g.shift[0]
	mw := metaWord & 1
	for _, row := range rows {
		meta := uint8(row[mw] >> metaShift)
		inc := uint64(meta&maxCount) << (32 * uint(meta>>7))
		h0[uint8(row[w0]>>s0)] += inc
	}
}

// partition reorders the rows in [lo,hi) so that those with bin <= b of
// feature f come first, and returns the boundary. The order within each
// side does not matter here (integer sums do not depend on it), so it swaps
// in place, branch-free: each row trades places with the first right-hand
// row and the boundary advances when it goes left.
//
//go:noinline
func (g *fastGrower) partition(lo, hi, f int, b uint8) int {
	rows := g.rows[lo:hi]
	shift := uint(8 * (f & 7))
	k := 0
	if f < 8 {
		for i := range rows {
			row := rows[i]
			l := 0
			if uint8(row[0]>>shift) <= b {
				l = 1
			}
			rows[i] = rows[k]
			rows[k] = row
			k += l
		}
	} else {
		for i := range rows {
			row := rows[i]
			l := 0
			if uint8(row[1]>>shift) <= b {
				l = 1
			}
			rows[i] = rows[k]
			rows[k] = row
			k += l
		}
	}
	return lo + k
}
