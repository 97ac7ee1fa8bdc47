package tree

import "math"

// Flat is a set of trees compiled for fast evaluation: all nodes in one
// array of 16-byte entries, each tree in depth-first order with every left
// child stored right after its parent.
//
// A walk is branch-free: a node's child is chosen by an integer comparison
// turned into arithmetic, because which way a row goes is as good as random
// to the processor and a mispredicted branch at every level costs more than
// the walk itself. A leaf is its own child, so walking a tree's depth in
// steps lands every row on its leaf with no test for the end, and several
// rows can be walked side by side.
type Flat struct {
	nodes []flatNode
	vals  []float64 // leaf values, by node index (0 for internal nodes)
	roots []int32
	depth []int32 // per tree, the number of steps from root to deepest leaf
}

// flatNode is an internal node (k is orderKey of the threshold, the left
// child follows the node, right is the right child) or a leaf (k is
// math.MinInt64, below every key, and right is the leaf itself). Bit 31 of
// feat is the default-left flag.
type flatNode struct {
	k     int64
	right int32
	feat  uint32
}

const (
	defaultLeftBit = 1 << 31
	featMask       = defaultLeftBit - 1
)

// orderKey maps a float64 other than NaN to an int64 of the same order:
// x <= y exactly when orderKey(x) <= orderKey(y), except that -0 sorts
// below +0 (so thresholds are stored with -0 made +0). Every key is above
// math.MinInt64.
func orderKey(x float64) int64 {
	b := int64(math.Float64bits(x))
	return b ^ (b>>63)&math.MaxInt64
}

// Compile builds the evaluator of trees (which must be valid).
func Compile(trees []*Tree) *Flat {
	f := &Flat{roots: make([]int32, len(trees)), depth: make([]int32, len(trees))}
	for i, t := range trees {
		f.roots[i] = int32(len(f.nodes))
		f.depth[i] = int32(f.emit(t, 0, len(t.Nodes) == 0))
	}
	return f
}

// emit appends the subtree of node c (a leaf when c < 0) and returns its
// depth.
func (f *Flat) emit(t *Tree, c int32, single bool) int {
	if single || c < 0 {
		v := t.LeafValue[0]
		if !single {
			v = t.LeafValue[^c]
		}
		at := int32(len(f.nodes))
		f.nodes = append(f.nodes, flatNode{k: math.MinInt64, right: at})
		f.vals = append(f.vals, v)
		return 0
	}
	nd := t.Nodes[c]
	at := len(f.nodes)
	feat := uint32(nd.Feature)
	if nd.DefaultLeft {
		feat |= defaultLeftBit
	}
	thr := nd.Threshold
	if thr == 0 {
		thr = 0 // not -0
	}
	f.nodes = append(f.nodes, flatNode{k: orderKey(thr), feat: feat})
	f.vals = append(f.vals, 0)
	dl := f.emit(t, nd.Left, false)
	f.nodes[at].right = int32(len(f.nodes))
	dr := f.emit(t, nd.Right, false)
	return 1 + max(dl, dr)
}

// NumTrees returns the number of trees.
func (f *Flat) NumTrees() int { return len(f.roots) }

// Value returns the leaf value of tree t for row.
func (f *Flat) Value(t int, row []float64) float64 {
	return f.vals[f.leaf(t, row)]
}

// Sum returns the sum of all trees' values for row, added in tree order
// starting from zero.
func (f *Flat) Sum(row []float64) float64 {
	var kb [64]int64
	if len(row) > len(kb) {
		return f.sumNaN(row)
	}
	keys := kb[:len(row)]
	for j, x := range row {
		if x != x {
			return f.sumNaN(row)
		}
		keys[j] = orderKey(x)
	}
	// four trees side by side: four independent walks keep the processor
	// busy while each waits on its loads
	nodes, vals, roots, depth := f.nodes, f.vals, f.roots, f.depth
	var s float64
	t := 0
	for ; t+4 <= len(roots); t += 4 {
		i0, i1, i2, i3 := roots[t], roots[t+1], roots[t+2], roots[t+3]
		for d := max(depth[t], depth[t+1], depth[t+2], depth[t+3]); d > 0; d-- {
			i0 = step(nodes, i0, keys)
			i1 = step(nodes, i1, keys)
			i2 = step(nodes, i2, keys)
			i3 = step(nodes, i3, keys)
		}
		s += vals[i0]
		s += vals[i1]
		s += vals[i2]
		s += vals[i3]
	}
	for ; t < len(roots); t++ {
		i := roots[t]
		for d := depth[t]; d > 0; d-- {
			i = step(nodes, i, keys)
		}
		s += vals[i]
	}
	return s
}

// sumNaN is Sum for a row that may hold NaN.
func (f *Flat) sumNaN(row []float64) float64 {
	var s float64
	for t := range f.roots {
		s += f.vals[f.leaf(t, row)]
	}
	return s
}

// leaf walks tree t for row, NaN included, and returns its leaf's index.
func (f *Flat) leaf(t int, row []float64) int32 {
	nodes := f.nodes
	i := f.roots[t]
	for d := f.depth[t]; d > 0; d-- {
		nd := &nodes[i]
		x := row[nd.feat&featMask]
		var left int32
		if orderKey(x) <= nd.k {
			left = 1
		}
		if x != x {
			// rare: a missing value takes the node's default; a leaf's
			// default is itself
			left = int32(nd.feat>>31) & b2i(nd.k != math.MinInt64)
		}
		i = nd.right + left*(i+1-nd.right)
	}
	return i
}

// step moves from node i one level down for a row whose keys are key: to
// the left child when the key is at most the threshold, else to the right
// one; a leaf stays.
func step(nodes []flatNode, i int32, key []int64) int32 {
	nd := &nodes[i]
	var left int32
	if key[nd.feat&featMask] <= nd.k {
		left = 1
	}
	return nd.right + left*(i+1-nd.right)
}

func b2i(b bool) int32 {
	if b {
		return 1
	}
	return 0
}

// blockRows is how many rows SumRows walks through one tree before moving
// to the next, so that the tree stays in cache.
const blockRows = 128

// SumRows writes Sum of rows lo..hi-1 of the row-major matrix data (cols
// columns) to out[lo:hi]. The result is the same as calling Sum per row;
// the rows are walked four at a time on their order keys, trees outside
// and rows inside, block by block.
func (f *Flat) SumRows(data []float64, cols, lo, hi int, out []float64) {
	var keys [blockRows][]int64
	buf := make([]int64, blockRows*cols)
	for r := range keys {
		keys[r] = buf[r*cols : (r+1)*cols]
	}
	nodes, vals := f.nodes, f.vals
	for b := lo; b < hi; b += blockRows {
		e := min(b+blockRows, hi)
		n := e - b
		nan := false
		for r := 0; r < n; r++ {
			row := data[(b+r)*cols : (b+r+1)*cols]
			k := keys[r]
			for j, x := range row {
				k[j] = orderKey(x)
				nan = nan || x != x
			}
			out[b+r] = 0
		}
		if nan {
			for r := b; r < e; r++ {
				out[r] = f.sumNaN(data[r*cols : (r+1)*cols])
			}
			continue
		}
		for t, root := range f.roots {
			depth := f.depth[t]
			r := 0
			for ; r+4 <= n; r += 4 {
				i0, i1, i2, i3 := root, root, root, root
				k0, k1, k2, k3 := keys[r], keys[r+1], keys[r+2], keys[r+3]
				for d := depth; d > 0; d-- {
					i0 = step(nodes, i0, k0)
					i1 = step(nodes, i1, k1)
					i2 = step(nodes, i2, k2)
					i3 = step(nodes, i3, k3)
				}
				out[b+r] += vals[i0]
				out[b+r+1] += vals[i1]
				out[b+r+2] += vals[i2]
				out[b+r+3] += vals[i3]
			}
			for ; r < n; r++ {
				i := root
				for d := depth; d > 0; d-- {
					i = step(nodes, i, keys[r])
				}
				out[b+r] += vals[i]
			}
		}
	}
}
