package xgboost

import "math"

// Scorer is a Model's trees compiled for fast scoring: all nodes in one
// array, each tree in depth-first order with every left child right after
// its parent, walked without branches on integer keys that order float32
// values as float32 compares them. Which way a row goes is as good as
// random to the processor, so a comparison turned into arithmetic beats a
// mispredicted branch at every level; a leaf is its own child, so walking a
// tree's depth in steps lands every row on its leaf with no test for the
// end, and four trees (one row) or four rows (a batch) are walked side by
// side.
//
// It gives exactly the Model's margins: the same comparisons and the same
// float32 additions in the same order. A missing value is keyed below
// every number, and a node whose default is right flips the comparison for
// it, so rows with missing values take the same walk. Every row of a model
// with categorical splits takes the Model's own walk instead. A Scorer is
// safe for concurrent use.
type Scorer struct {
	m     *Model
	nodes []scoreNode
	vals  []float32 // leaf values by node index (0 for internal nodes)
	roots []int32
	depth []int32 // per tree, the steps from the root to its deepest leaf
}

// scoreNode is an internal node (key is the order key of the split
// condition, the left child follows the node, right is the right child,
// feat the feature with defaultRight set when a missing value goes right)
// or a leaf (key is math.MinInt32, which no key is below, and right is the
// leaf itself, so further steps stay on it).
type scoreNode struct {
	key   int32
	right int32
	feat  uint32
}

const (
	defaultRight = 1 << 31
	featMask     = defaultRight - 1
	// missingKey is the key of a missing value: below every number's key.
	missingKey = math.MinInt32
)

// key32 maps a float32 other than NaN to an int32 of the same order:
// x < y exactly when key32(x) < key32(y), with -0 and +0 equal (both keyed
// as +0, as float32 compares them). Every key is above math.MinInt32.
func key32(x float32) int32 {
	b := int32(math.Float32bits(x + 0)) // x + 0 turns -0 into +0
	return b ^ (b>>31)&math.MaxInt32
}

// Compile builds the Scorer of m.
func (m *Model) Compile() *Scorer {
	s := &Scorer{m: m}
	if m.hasCats {
		return s
	}
	s.roots = make([]int32, len(m.trees))
	s.depth = make([]int32, len(m.trees))
	for i, t := range m.trees {
		s.roots[i] = int32(len(s.nodes))
		s.depth[i] = int32(s.emit(t, 0))
	}
	return s
}

// emit appends the subtree of node n of t and returns its depth.
func (s *Scorer) emit(t *xtree, n int32) int {
	at := int32(len(s.nodes))
	if t.left[n] == -1 {
		s.nodes = append(s.nodes, scoreNode{key: math.MinInt32, right: at})
		s.vals = append(s.vals, t.cond[n])
		return 0
	}
	feat := uint32(t.feature[n])
	if !t.defaultLeft[n] {
		feat |= defaultRight
	}
	s.nodes = append(s.nodes, scoreNode{key: key32(t.cond[n]), feat: feat})
	s.vals = append(s.vals, 0)
	dl := s.emit(t, t.left[n])
	s.nodes[at].right = int32(len(s.nodes))
	dr := s.emit(t, t.right[n])
	return 1 + max(dl, dr)
}

// step moves from node i one level down for a row whose keys are keys: to
// the left child when the key is below the condition (a missing value's
// key is below all, and a default-right node turns that around), else to
// the right one; a leaf stays.
func step(nodes []scoreNode, i int32, keys []int32) int32 {
	nd := &nodes[i]
	k := keys[nd.feat&featMask]
	var below, missing int32
	if k < nd.key {
		below = 1
	}
	if k == missingKey {
		missing = 1
	}
	left := below ^ missing&int32(nd.feat>>31)
	return nd.right + left*(i+1-nd.right)
}

// rowKeys fills keys from row, a missing value (NaN) as missingKey.
func rowKeys(row []float64, keys []int32) {
	for j, x := range row {
		if x != x {
			keys[j] = missingKey
			continue
		}
		keys[j] = key32(float32(x))
	}
}

// Margins writes the margins of row to out, as Model.Margins does.
func (s *Scorer) Margins(row []float64, out []float32) {
	m := s.m
	m.checkRow(len(row))
	var kb [64]int32
	var keys []int32
	if len(row) <= len(kb) {
		keys = kb[:len(row)]
	} else {
		keys = make([]int32, len(row))
	}
	if m.hasCats {
		m.Margins(row, out)
		return
	}
	rowKeys(row, keys)
	if m.groups == 1 {
		out[0] = s.sum(keys)
		return
	}
	copy(out[:m.groups], m.baseMargin)
	nodes, roots, depth := s.nodes, s.roots, s.depth
	for t, root := range roots {
		i := root
		for d := depth[t]; d > 0; d-- {
			i = step(nodes, i, keys)
		}
		out[m.treeGroup[t]] += s.vals[i]
	}
}

// sum is the margin of a single-output model for a row with all values.
func (s *Scorer) sum(keys []int32) float32 {
	nodes, vals, roots, depth := s.nodes, s.vals, s.roots, s.depth
	acc := s.m.baseMargin[0]
	t := 0
	// four trees side by side: four independent walks keep the processor
	// busy while each waits on its loads
	for ; t+4 <= len(roots); t += 4 {
		i0, i1, i2, i3 := roots[t], roots[t+1], roots[t+2], roots[t+3]
		for d := max(depth[t], depth[t+1], depth[t+2], depth[t+3]); d > 0; d-- {
			i0 = step(nodes, i0, keys)
			i1 = step(nodes, i1, keys)
			i2 = step(nodes, i2, keys)
			i3 = step(nodes, i3, keys)
		}
		acc += vals[i0]
		acc += vals[i1]
		acc += vals[i2]
		acc += vals[i3]
	}
	for ; t < len(roots); t++ {
		i := roots[t]
		for d := depth[t]; d > 0; d-- {
			i = step(nodes, i, keys)
		}
		acc += vals[i]
	}
	return acc
}

// blockRows is how many rows MarginsRows walks through one tree before
// moving to the next, so that the tree stays in cache.
const blockRows = 128

// MarginsRows writes the margins of rows lo..hi-1 of the row-major matrix
// data (NumFeature columns) to out, NumOutputs values per row starting at
// out[lo*NumOutputs]. The result is the same as Margins row by row; rows
// are walked four at a time, trees outside and rows inside, block by
// block.
func (s *Scorer) MarginsRows(data []float64, lo, hi int, out []float32) {
	m := s.m
	cols, g := m.NumFeature, m.groups
	if m.hasCats {
		for r := lo; r < hi; r++ {
			m.Margins(data[r*cols:(r+1)*cols], out[r*g:(r+1)*g])
		}
		return
	}
	keys := make([]int32, blockRows*cols)
	nodes, vals := s.nodes, s.vals
	for b := lo; b < hi; b += blockRows {
		n := min(b+blockRows, hi) - b
		for r := range n {
			rowKeys(data[(b+r)*cols:(b+r+1)*cols], keys[r*cols:(r+1)*cols])
			copy(out[(b+r)*g:(b+r+1)*g], m.baseMargin)
		}
		for t, root := range s.roots {
			depth := s.depth[t]
			grp := int(m.treeGroup[t])
			r := 0
			for ; r+8 <= n; r += 8 {
				// eight walks in flight: each step waits on two loads
				var ix [8]int32
				for k := range ix {
					ix[k] = root
				}
				kr := keys[r*cols:]
				for d := depth; d > 0; d-- {
					ix[0] = step(nodes, ix[0], kr)
					ix[1] = step(nodes, ix[1], kr[cols:])
					ix[2] = step(nodes, ix[2], kr[2*cols:])
					ix[3] = step(nodes, ix[3], kr[3*cols:])
					ix[4] = step(nodes, ix[4], kr[4*cols:])
					ix[5] = step(nodes, ix[5], kr[5*cols:])
					ix[6] = step(nodes, ix[6], kr[6*cols:])
					ix[7] = step(nodes, ix[7], kr[7*cols:])
				}
				for k, i := range ix {
					out[(b+r+k)*g+grp] += vals[i]
				}
			}
			for ; r+4 <= n; r += 4 {
				i0, i1, i2, i3 := root, root, root, root
				k0, k1, k2, k3 := keys[r*cols:], keys[(r+1)*cols:], keys[(r+2)*cols:], keys[(r+3)*cols:]
				for d := depth; d > 0; d-- {
					i0 = step(nodes, i0, k0)
					i1 = step(nodes, i1, k1)
					i2 = step(nodes, i2, k2)
					i3 = step(nodes, i3, k3)
				}
				out[(b+r)*g+grp] += vals[i0]
				out[(b+r+1)*g+grp] += vals[i1]
				out[(b+r+2)*g+grp] += vals[i2]
				out[(b+r+3)*g+grp] += vals[i3]
			}
			for ; r < n; r++ {
				i := root
				for d := depth; d > 0; d-- {
					i = step(nodes, i, keys[r*cols:])
				}
				out[(b+r)*g+grp] += vals[i]
			}
		}
	}
}
