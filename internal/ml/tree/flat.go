package tree

import "math"

// Flat is a set of trees compiled for fast evaluation: all nodes and leaves
// in one array of 16-byte entries, each tree in depth-first order with every
// left child stored right after its parent, so a root-to-leaf walk mostly
// moves forward through memory.
type Flat struct {
	nodes []flatNode
	roots []int32
}

// flatNode is an internal node (right > 0; v is the threshold) or a leaf
// (right == 0; v is the value). Bit 31 of feat is the default-left flag.
type flatNode struct {
	v     float64
	right int32
	feat  uint32
}

const defaultLeftBit = 1 << 31

// Compile builds the evaluator of trees (which must be valid).
func Compile(trees []*Tree) *Flat {
	f := &Flat{roots: make([]int32, len(trees))}
	for i, t := range trees {
		f.roots[i] = int32(len(f.nodes))
		f.emit(t, 0, len(t.Nodes) == 0)
	}
	return f
}

func (f *Flat) emit(t *Tree, c int32, single bool) {
	if single {
		f.nodes = append(f.nodes, flatNode{v: t.LeafValue[0]})
		return
	}
	if c < 0 {
		f.nodes = append(f.nodes, flatNode{v: t.LeafValue[^c]})
		return
	}
	nd := t.Nodes[c]
	at := len(f.nodes)
	feat := uint32(nd.Feature)
	if nd.DefaultLeft {
		feat |= defaultLeftBit
	}
	f.nodes = append(f.nodes, flatNode{v: nd.Threshold, feat: feat})
	f.emit(t, nd.Left, false)
	f.nodes[at].right = int32(len(f.nodes))
	f.emit(t, nd.Right, false)
}

// NumTrees returns the number of trees.
func (f *Flat) NumTrees() int { return len(f.roots) }

// Value returns the leaf value of tree t for row.
func (f *Flat) Value(t int, row []float64) float64 {
	nodes := f.nodes
	i := f.roots[t]
	for {
		nd := &nodes[i]
		if nd.right == 0 {
			return nd.v
		}
		x := row[nd.feat&^defaultLeftBit]
		if x <= nd.v || (math.IsNaN(x) && nd.feat&defaultLeftBit != 0) {
			i++
		} else {
			i = nd.right
		}
	}
}

// Sum returns the sum of all trees' values for row, added in tree order
// starting from zero.
func (f *Flat) Sum(row []float64) float64 {
	nodes := f.nodes
	var s float64
	for _, i := range f.roots {
		for {
			nd := &nodes[i]
			if nd.right == 0 {
				s += nd.v
				break
			}
			x := row[nd.feat&^defaultLeftBit]
			if x <= nd.v || (x != x && nd.feat&defaultLeftBit != 0) {
				i++
			} else {
				i = nd.right
			}
		}
	}
	return s
}

// blockRows is how many rows SumRows walks through one small tree before
// moving to the next, so that the tree stays in cache; bigBlockRows is the
// block for trees too big for the first-level cache, where reusing the
// upper levels of a tree across many rows matters more.
const (
	blockRows    = 128
	bigBlockRows = 4096
	smallTree    = 16 << 10 // bytes
)

// SumRows writes Sum of rows lo..hi-1 of the row-major matrix data (cols
// columns) to out[lo:hi]. The result is the same as calling Sum per row;
// the order of the loops (trees outside, rows inside, by blocks) is what
// makes it faster.
func (f *Flat) SumRows(data []float64, cols, lo, hi int, out []float64) {
	nodes := f.nodes
	block := blockRows
	if len(f.roots) > 0 && 16*len(nodes)/len(f.roots) > smallTree {
		block = bigBlockRows
	}
	for b := lo; b < hi; b += block {
		e := min(b+block, hi)
		for i := b; i < e; i++ {
			out[i] = 0
		}
		for _, root := range f.roots {
			for r := b; r < e; r++ {
				off := r * cols
				i := root
				nd := &nodes[i]
				for nd.right != 0 {
					x := data[off+int(nd.feat&^defaultLeftBit)]
					if x <= nd.v || (x != x && nd.feat&defaultLeftBit != 0) {
						i++
					} else {
						i = nd.right
					}
					nd = &nodes[i]
				}
				out[r] += nd.v
			}
		}
	}
}
