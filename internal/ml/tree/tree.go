package tree

import "math"

// Node is an internal node. Left and Right are node indices when >= 0 and
// leaves when negative: leaf ^child (so -1 is leaf 0), as in LightGBM.
type Node struct {
	Threshold   float64
	Feature     int32
	Left, Right int32
	DefaultLeft bool
}

// Tree is a binary decision tree stored as flat arrays; the root is node 0.
// A tree with no internal nodes is a single leaf (LeafValue[0]).
//
// NodeCover and LeafCover hold the (weighted) number of training rows that
// reached each node; a parent's cover is the sum of its children's. They
// drive TreeSHAP and the expected value.
type Tree struct {
	Nodes     []Node
	NodeGain  []float64
	NodeCover []float64
	LeafValue []float64
	LeafCover []float64
}

// NumLeaves returns the number of leaves.
func (t *Tree) NumLeaves() int { return len(t.LeafValue) }

// Leaf returns the index of the leaf that row falls in.
func (t *Tree) Leaf(row []float64) int {
	if len(t.Nodes) == 0 {
		return 0
	}
	n := int32(0)
	for n >= 0 {
		nd := &t.Nodes[n]
		x := row[nd.Feature]
		var left bool
		if x != x {
			left = nd.DefaultLeft
		} else {
			left = x <= nd.Threshold
		}
		if left {
			n = nd.Left
		} else {
			n = nd.Right
		}
	}
	return int(^n)
}

// Predict returns the value of the leaf that row falls in.
func (t *Tree) Predict(row []float64) float64 { return t.LeafValue[t.Leaf(row)] }

// goesLeft applies the node's decision rule.
func (nd *Node) goesLeft(x float64) bool {
	if math.IsNaN(x) {
		return nd.DefaultLeft
	}
	return x <= nd.Threshold
}

// cover returns the cover of node or leaf index c (child encoding).
func (t *Tree) cover(c int32) float64 {
	if c < 0 {
		return t.LeafCover[^c]
	}
	return t.NodeCover[c]
}

// RootCover returns the cover of the root.
func (t *Tree) RootCover() float64 {
	if len(t.Nodes) == 0 {
		return t.LeafCover[0]
	}
	return t.NodeCover[0]
}

// ExpectedValue returns the cover-weighted mean leaf value: the base value
// of TreeSHAP.
func (t *Tree) ExpectedValue() float64 {
	if len(t.Nodes) == 0 {
		return t.LeafValue[0]
	}
	var s float64
	for i, v := range t.LeafValue {
		s += v * t.LeafCover[i]
	}
	return s / t.NodeCover[0]
}

// MaxDepth returns the number of internal nodes on the longest root-leaf path.
func (t *Tree) MaxDepth() int {
	if len(t.Nodes) == 0 {
		return 0
	}
	var walk func(c int32) int
	walk = func(c int32) int {
		if c < 0 {
			return 0
		}
		return 1 + max(walk(t.Nodes[c].Left), walk(t.Nodes[c].Right))
	}
	return walk(0)
}

// PathElem is one element of the unique feature path of TreeSHAP; callers
// only hold slices of it as reusable scratch space.
type PathElem struct {
	feature      int32
	zeroFraction float64
	oneFraction  float64
	pweight      float64
}

// SHAP adds the path-dependent TreeSHAP values of row to phi (one per
// feature) scaled by scale, so that ExpectedValue()*scale + the added amounts
// equal Predict(row)*scale. buf is scratch space that may be nil; pass the
// returned slice back in to reuse it.
func (t *Tree) SHAP(row, phi []float64, scale float64, buf []PathElem) []PathElem {
	return t.SHAPDepth(row, phi, scale, t.MaxDepth(), buf)
}

// SHAPDepth is SHAP for a caller that knows the tree's MaxDepth.
func (t *Tree) SHAPDepth(row, phi []float64, scale float64, maxDepth int, buf []PathElem) []PathElem {
	if len(t.Nodes) == 0 {
		return buf
	}
	d := maxDepth + 2
	need := d * (d + 1) / 2
	if cap(buf) < need {
		buf = make([]PathElem, need)
	}
	buf = buf[:need]
	t.shapRecurse(row, phi, scale, 0, 0, buf, 1, 1, -1)
	return buf
}

// shapRecurse is algorithm 2 of Lundberg, Erion & Lee, "Consistent
// individualized feature attribution for tree ensembles" (2018), in the form
// LightGBM and XGBoost use.
func (t *Tree) shapRecurse(row, phi []float64, scale float64, node int32, depth int, parentPath []PathElem,
	parentZero, parentOne float64, parentFeature int32) {
	path := parentPath[depth:]
	copy(path, parentPath[:depth])
	extendPath(path, depth, parentZero, parentOne, parentFeature)

	if node < 0 {
		v := t.LeafValue[^node] * scale
		for i := 1; i <= depth; i++ {
			w := unwoundPathSum(path, depth, i)
			el := &path[i]
			phi[el.feature] += w * (el.oneFraction - el.zeroFraction) * v
		}
		return
	}
	nd := &t.Nodes[node]
	hot, cold := nd.Right, nd.Left
	if nd.goesLeft(row[nd.Feature]) {
		hot, cold = nd.Left, nd.Right
	}
	w := t.NodeCover[node]
	hotZero := t.cover(hot) / w
	coldZero := t.cover(cold) / w
	inZero, inOne := 1.0, 1.0

	pathIndex := 0
	for ; pathIndex <= depth; pathIndex++ {
		if path[pathIndex].feature == nd.Feature {
			break
		}
	}
	if pathIndex != depth+1 {
		inZero = path[pathIndex].zeroFraction
		inOne = path[pathIndex].oneFraction
		unwindPath(path, depth, pathIndex)
		depth--
	}
	t.shapRecurse(row, phi, scale, hot, depth+1, path, hotZero*inZero, inOne, nd.Feature)
	t.shapRecurse(row, phi, scale, cold, depth+1, path, coldZero*inZero, 0, nd.Feature)
}

func extendPath(path []PathElem, depth int, zero, one float64, feature int32) {
	path[depth] = PathElem{feature: feature, zeroFraction: zero, oneFraction: one}
	if depth == 0 {
		path[depth].pweight = 1
	}
	for i := depth - 1; i >= 0; i-- {
		path[i+1].pweight += one * path[i].pweight * float64(i+1) / float64(depth+1)
		path[i].pweight = zero * path[i].pweight * float64(depth-i) / float64(depth+1)
	}
}

func unwindPath(path []PathElem, depth, pathIndex int) {
	one := path[pathIndex].oneFraction
	zero := path[pathIndex].zeroFraction
	next := path[depth].pweight
	for i := depth - 1; i >= 0; i-- {
		if one != 0 {
			tmp := path[i].pweight
			path[i].pweight = next * float64(depth+1) / (float64(i+1) * one)
			next = tmp - path[i].pweight*zero*float64(depth-i)/float64(depth+1)
		} else {
			path[i].pweight = path[i].pweight * float64(depth+1) / (zero * float64(depth-i))
		}
	}
	for i := pathIndex; i < depth; i++ {
		path[i].feature = path[i+1].feature
		path[i].zeroFraction = path[i+1].zeroFraction
		path[i].oneFraction = path[i+1].oneFraction
	}
}

func unwoundPathSum(path []PathElem, depth, pathIndex int) float64 {
	one := path[pathIndex].oneFraction
	zero := path[pathIndex].zeroFraction
	next := path[depth].pweight
	var total float64
	for i := depth - 1; i >= 0; i-- {
		if one != 0 {
			tmp := next * float64(depth+1) / (float64(i+1) * one)
			total += tmp
			next = path[i].pweight - tmp*zero*(float64(depth-i)/float64(depth+1))
		} else {
			total += (path[i].pweight / zero) / (float64(depth-i) / float64(depth+1))
		}
	}
	return total
}

// GainImportance adds each internal node's gain to imp[feature].
func (t *Tree) GainImportance(imp []float64) {
	for i, nd := range t.Nodes {
		imp[nd.Feature] += t.NodeGain[i]
	}
}
