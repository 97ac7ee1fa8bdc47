package tree

import (
	"cmp"
	"math"
	"math/bits"
	"slices"
	"sync"
	"sync/atomic"
)

// DefaultSHAPBudget is the number of precomputed float64 values (32 MiB) an
// Explainer keeps at most for one ensemble.
const DefaultSHAPBudget = 1 << 22

// maxLeafFeatures bounds the distinct features on one root-leaf path that
// a precomputed table may cover (16·2^16 values for that leaf).
const maxLeafFeatures = 16

// Explainer computes path-dependent TreeSHAP values of an ensemble with the
// precomputation of Fast TreeSHAP v2 (Yang, "Fast TreeSHAP: Accelerating
// SHAP Value Computation for Trees", 2021).
//
// For a leaf of value v whose path from the root splits on the distinct
// features P (d of them), with zero fractions z_k (the product of the cover
// ratios of the path's edges on feature k) and the set O of features whose
// every split on the path the row satisfies, the leaf adds v·Z·(1−z_i)·
// Q(O∖{i}) to feature i ∈ O and −v·Z·Q(O) to feature i ∉ O, where
// Z = Π_{k∉O} z_k and Q(T) = Σ_{S⊆T} |S|!(d−1−|S|)!/d! · Π_{k∈T∖S} z_k.
// These depend on the row only through O, so the Explainer tabulates, for
// every leaf and every subset O of its P, the d numbers the leaf adds to its
// features; explaining a row then costs one pass over the nodes and d
// additions per leaf instead of TreeSHAP's O(d²) per leaf. Two leaves that
// are children of one node share P and are tabulated together, by the
// parent's subset and the direction the row takes there.
//
// A leaf's table holds d·2^d values. Trees are tabulated in order while
// their tables fit in the budget and no leaf has more than 16 distinct
// features on its path; the others are explained by Tree.SHAPDepth, as the
// paper chooses between its algorithms by the memory the tables need. The
// results agree with Tree.SHAP to rounding. An Explainer is immutable and
// safe for concurrent use.
type Explainer struct {
	trees    []*Tree
	depth    []int
	tables   []*shapTable // nil where the tree is explained by SHAPDepth
	maxSlots int          // mask slots of the largest tabulated tree
}

// shapTable is one tree with its leaves' tables. Explaining a row writes
// the subset O of each node, pair and leaf into its mask slot, bit k
// standing for the path's k-th distinct feature (in order of first split):
// the internal nodes come first in preorder (a parent before its
// children), the pairs and the single leaves after them. Both passes are
// free of data-dependent branches, which the random patterns of the masks
// would mispredict.
type shapTable struct {
	nodes  []shapNode // the internal nodes that are not pairs
	pairs  []shapEnd  // internal nodes whose children are both leaves
	leaves []shapEnd  // the other leaves
	feat   []int32    // per pair or leaf, its path's distinct features
	tab    []float64  // per pair or leaf and mask, what each feature gets
}

type shapNode struct {
	threshold   float64
	bit         uint64 // 1 << position of feature among the path's distinct features
	feature     int32
	left, right int32 // mask slots of the children
	defaultLeft bool
}

// shapEnd is a pair of leaves (with the split between them) or a leaf.
type shapEnd struct {
	threshold   float64
	feature     int32
	defaultLeft bool
	slot        int32 // mask slot
	d           int32 // distinct features on the path
	feat        int32 // offset into feat
	tab         int32 // offset into tab: d numbers per mask (and direction)
}

// NewExplainer prepares trees for SHAP, keeping at most budget precomputed
// values (DefaultSHAPBudget is a sensible choice). depth holds each tree's
// MaxDepth, or is nil to have them computed.
func NewExplainer(trees []*Tree, depth []int, budget int) *Explainer {
	if depth == nil {
		depth = make([]int, len(trees))
		for i, t := range trees {
			depth[i] = t.MaxDepth()
		}
	}
	e := &Explainer{trees: trees, depth: depth, tables: make([]*shapTable, len(trees))}
	budget = min(budget, math.MaxInt32) // offsets into a table are int32
	sizes := make([]int, len(trees))    // 0: not tabulated
	for i, t := range trees {
		if len(t.Nodes) == 0 {
			continue
		}
		size, ok := tableSize(t)
		if !ok || size > budget {
			continue
		}
		budget -= size
		sizes[i] = size
		e.maxSlots = max(e.maxSlots, len(t.Nodes)+t.NumLeaves())
	}
	// the tables are built on the first explanation, so build them on all
	// cores
	var next atomic.Int64
	var wg sync.WaitGroup
	for range numWorkers() {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := int(next.Add(1) - 1); i < len(trees); i = int(next.Add(1) - 1) {
				if sizes[i] > 0 {
					e.tables[i] = newSHAPTable(trees[i], sizes[i])
				}
			}
		}()
	}
	wg.Wait()
	return e
}

// SHAPScratch is scratch space for Explainer.SHAP. The zero value is ready
// to use; one SHAPScratch serves one goroutine at a time.
type SHAPScratch struct {
	masks []uint64
	path  []PathElem
}

// SHAP adds the TreeSHAP values of row for tree i to phi (one per feature)
// scaled by scale, as trees[i].SHAP does.
func (e *Explainer) SHAP(i int, row, phi []float64, scale float64, s *SHAPScratch) {
	tb := e.tables[i]
	if tb == nil {
		s.path = e.trees[i].SHAPDepth(row, phi, scale, e.depth[i], s.path)
		return
	}
	if len(s.masks) < e.maxSlots {
		s.masks = make([]uint64, e.maxSlots)
	}
	tb.add(row, phi, scale, s.masks)
}

// tableSize returns the number of values the tree's table needs, and false
// when a leaf has too many distinct features on its path.
func tableSize(t *Tree) (int, bool) {
	size, ok := 0, true
	walkPaths(t, nil, func(_ int32, feats []int32, _ []float64) {
		if len(feats) > maxLeafFeatures {
			ok = false
			return
		}
		size += leafTableSize(len(feats))
	})
	return size, ok
}

// leafTableSize is the length of the table of a leaf with d features.
func leafTableSize(d int) int { return d << d }

// walkPaths calls leaf for every leaf of a tree with internal nodes, in
// preorder (left before right), with the distinct features of its path in
// order of their first split and their zero fractions; leaf must not keep
// the slices. node, when not nil, is called for every internal node in
// preorder with the position of its feature among its path's distinct
// features.
func walkPaths(t *Tree, node func(c int32, pos int), leaf func(l int32, feats []int32, zero []float64)) {
	var feats []int32
	var zero []float64
	var rec func(c int32)
	rec = func(c int32) {
		if c < 0 {
			leaf(^c, feats, zero)
			return
		}
		nd := &t.Nodes[c]
		pos := len(feats)
		for k, f := range feats {
			if f == nd.Feature {
				pos = k
				break
			}
		}
		if node != nil {
			node(c, pos)
		}
		added := pos == len(feats)
		if added {
			feats = append(feats, nd.Feature)
			zero = append(zero, 1)
		}
		z := zero[pos]
		for _, ch := range [2]int32{nd.Left, nd.Right} {
			zero[pos] = z * t.cover(ch) / t.NodeCover[c]
			rec(ch)
		}
		zero[pos] = z
		if added {
			feats, zero = feats[:pos], zero[:pos]
		}
	}
	rec(0)
}

// newSHAPTable lays t out for add and tabulates its leaves; size is
// tableSize(t).
func newSHAPTable(t *Tree, size int) *shapTable {
	type path struct {
		feats []int32
		zero  []float64
		q     []float64 // Q of each subset of feats
	}
	paths := make([]path, t.NumLeaves())
	var preorder []int32
	pos := make([]int, len(t.Nodes))
	walkPaths(t, func(c int32, p int) {
		preorder = append(preorder, c)
		pos[c] = p
	}, func(l int32, feats []int32, zero []float64) {
		paths[l] = path{slices.Clone(feats), slices.Clone(zero), tabulateQ(nil, zero)}
	})
	isPair := func(c int32) bool { return t.Nodes[c].Left < 0 && t.Nodes[c].Right < 0 }

	tb := &shapTable{tab: make([]float64, 0, size)}
	slot := make([]int32, len(t.Nodes)) // of the nodes that are not pairs
	for _, c := range preorder {
		if !isPair(c) {
			slot[c] = int32(len(tb.nodes))
			nd := &t.Nodes[c]
			tb.nodes = append(tb.nodes, shapNode{
				threshold: nd.Threshold, bit: 1 << pos[c], feature: nd.Feature,
				left: nd.Left, right: nd.Right, defaultLeft: nd.DefaultLeft,
			})
		}
	}
	// fill writes into out the d numbers the leaf of path p and value v
	// adds to its features, for every mask in turn
	var zs []float64
	fill := func(p path, v float64, out []float64) {
		d := len(p.zero)
		full := 1<<d - 1
		zs = slices.Grow(zs[:0], full+1)[:full+1] // zs[o] = Π_{k∉o} z_k
		zs[full] = 1
		for o := full - 1; o >= 0; o-- {
			k := bits.TrailingZeros(^uint(o))
			zs[o] = zs[o|1<<k] * p.zero[k]
		}
		for o, z := range zs {
			row := out[o*d : o*d+d]
			off := v * (-z * p.q[o])
			for k, zk := range p.zero {
				if o&(1<<k) != 0 {
					row[k] = v * (z * (1 - zk) * p.q[o&^(1<<k)])
				} else {
					row[k] = off
				}
			}
		}
	}
	var pairs, leaves []int32 // nodes, and leaves as ^leaf
	for _, c := range preorder {
		nd := &t.Nodes[c]
		if isPair(c) {
			pairs = append(pairs, c)
			continue
		}
		for _, ch := range [2]int32{nd.Left, nd.Right} {
			if ch < 0 {
				leaves = append(leaves, ch)
			}
		}
	}
	leafOf := func(c int32) int32 { // the leaf, or a pair's left leaf
		if c >= 0 {
			return ^t.Nodes[c].Left
		}
		return ^c
	}
	// pairs and leaves by d, so that their loops run alike from one to the
	// next
	byD := func(a, b int32) int { return cmp.Compare(len(paths[leafOf(a)].feats), len(paths[leafOf(b)].feats)) }
	slices.SortStableFunc(pairs, byD)
	slices.SortStableFunc(leaves, byD)
	leafSlot := make([]int32, t.NumLeaves())
	for i, c := range pairs {
		slot[c] = int32(len(tb.nodes) + i)
	}
	for i, c := range leaves {
		leafSlot[^c] = int32(len(tb.nodes) + len(pairs) + i)
	}
	for i := range tb.nodes {
		nd := &tb.nodes[i]
		for _, ch := range []*int32{&nd.left, &nd.right} {
			if *ch >= 0 {
				*ch = slot[*ch]
			} else {
				*ch = leafSlot[^*ch]
			}
		}
	}

	end := func(c int32) shapEnd {
		feats := paths[leafOf(c)].feats
		e := shapEnd{d: int32(len(feats)), feat: int32(len(tb.feat)), tab: int32(len(tb.tab))}
		tb.feat = append(tb.feat, feats...)
		return e
	}
	var tl, tr []float64 // the tables of a pair's leaves
	for _, c := range pairs {
		nd := &t.Nodes[c]
		e := end(c)
		e.threshold, e.feature, e.defaultLeft, e.slot = nd.Threshold, nd.Feature, nd.DefaultLeft, slot[c]
		d, bit := int(e.d), 1<<pos[c]
		l, r := paths[^nd.Left], paths[^nd.Right]
		// by mask, then by direction: left, right
		tl, tr = slices.Grow(tl[:0], d<<d)[:d<<d], slices.Grow(tr[:0], d<<d)[:d<<d]
		fill(l, t.LeafValue[^nd.Left], tl)
		fill(r, t.LeafValue[^nd.Right], tr)
		tb.tab = tb.tab[:len(tb.tab)+d<<(d+1)]
		for key := range 2 << d {
			o := key & (1<<d - 1)
			ol, or := o, o&^bit
			if key>>d != 0 {
				ol, or = or, ol
			}
			out := tb.tab[int(e.tab)+key*d:][:d]
			for k := range out {
				out[k] = tl[ol*d+k] + tr[or*d+k]
			}
		}
		tb.pairs = append(tb.pairs, e)
	}
	for _, c := range leaves {
		e := end(c)
		e.slot = leafSlot[^c]
		d := int(e.d)
		tb.tab = tb.tab[:len(tb.tab)+d<<d]
		fill(paths[^c], t.LeafValue[^c], tb.tab[e.tab:])
		tb.leaves = append(tb.leaves, e)
	}
	return tb
}

// tabulateQ appends Q(T) for every subset T of the path's features (bit k
// of T standing for feature k) given their zero fractions:
// Q(T) = Σ_s s!(d−1−s)!/d! · c_s(T), where c_s(T) is the coefficient of y^s
// in Π_{k∈T} (y + z_k). All terms are positive, so no precision is lost to
// cancellation.
func tabulateQ(q []float64, zero []float64) []float64 {
	d := len(zero)
	w := make([]float64, d) // w[s] = s!(d-1-s)!/d!
	w[0] = 1 / float64(d)
	for s := 1; s < d; s++ {
		w[s] = w[s-1] * float64(s) / float64(d-s)
	}
	base := len(q)
	q = append(q, make([]float64, 1<<d)...)
	tab := q[base:]
	polys := make([]float64, (d+1)*(d+1)) // one polynomial per depth of the enumeration
	polys[0] = 1
	var gen func(k int, set uint, n int)
	gen = func(k int, set uint, n int) {
		poly := polys[k*(d+1) : k*(d+1)+n+1]
		if k == d {
			var s float64
			for j, c := range poly[:min(n+1, d)] {
				s += w[j] * c
			}
			tab[set] = s
			return
		}
		next := polys[(k+1)*(d+1):]
		copy(next, poly)
		gen(k+1, set, n)
		z := zero[k]
		next[n+1] = poly[n]
		for j := n; j > 0; j-- {
			next[j] = poly[j-1] + z*poly[j]
		}
		next[0] = z * poly[0]
		gen(k+1, set|1<<k, n+1)
	}
	gen(0, 0, 0)
	return q
}

// add is Explainer.SHAP for a tabulated tree; masks has a slot for every
// node and leaf.
func (tb *shapTable) add(row, phi []float64, scale float64, masks []uint64) {
	masks[0] = ^uint64(0)
	for n := range tb.nodes {
		nd := &tb.nodes[n]
		x := row[nd.feature]
		left := x <= nd.threshold
		if x != x {
			left = nd.defaultLeft
		}
		m := masks[n]
		cold := -uint64(b2u(left)) // all ones when the right child is the cold one
		masks[nd.left] = m &^ (nd.bit &^ cold)
		masks[nd.right] = m &^ (nd.bit & cold)
	}
	for i := range tb.pairs {
		e := &tb.pairs[i]
		x := row[e.feature]
		left := x <= e.threshold
		if x != x {
			left = e.defaultLeft
		}
		d := int(e.d)
		key := masks[e.slot]&(1<<d-1) | (1-b2u(left))<<d
		tb.addEnd(e, int(key), phi, scale)
	}
	for i := range tb.leaves {
		e := &tb.leaves[i]
		tb.addEnd(e, int(masks[e.slot]&(1<<e.d-1)), phi, scale)
	}
}

// addEnd adds row key of a pair's or leaf's table.
func (tb *shapTable) addEnd(e *shapEnd, key int, phi []float64, scale float64) {
	d := int(e.d)
	feat := tb.feat[e.feat : int(e.feat)+d]
	at := int(e.tab) + key*d
	tab := tb.tab[at : at+d]
	for k, f := range feat {
		phi[f] += scale * tab[k]
	}
}

func b2u(b bool) uint64 {
	if b {
		return 1
	}
	return 0
}
