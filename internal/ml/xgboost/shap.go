package xgboost

import (
	"fmt"
	"math"

	"github.com/stewardml/steward/internal/ml/tree"
)

// explainer holds the trees in the form of Steward's TreeSHAP: float64
// thresholds that send a value left when it is at most the threshold (the
// float64 just below XGBoost's float32 condition, so that a float32 input
// goes the same way), and sum_hessian as the cover.
type explainer struct {
	trees *tree.Explainer
	bias  []float64 // per output: base margin + each tree's expected value
}

// explain builds the explainer once.
func (m *Model) explain() *explainer {
	m.explainOnce.Do(func() {
		x := &explainer{bias: make([]float64, m.groups)}
		for g := range x.bias {
			x.bias[g] = float64(m.baseMargin[g])
		}
		trees := make([]*tree.Tree, len(m.trees))
		for i, t := range m.trees {
			trees[i] = t.toTree()
			x.bias[m.treeGroup[i]] += trees[i].ExpectedValue()
		}
		x.trees = tree.NewExplainer(trees, nil, tree.DefaultSHAPBudget)
		m.explainer = x
	})
	return m.explainer
}

// toTree converts a tree without categorical splits.
func (t *xtree) toTree() *tree.Tree {
	st := &tree.Tree{}
	// XGBoost numbers nodes and leaves together; Steward's trees number
	// internal nodes and leaves apart (a leaf child is ^index)
	id := make([]int32, len(t.left))
	for n := range t.left {
		if t.left[n] == -1 {
			id[n] = ^int32(len(st.LeafValue))
			st.LeafValue = append(st.LeafValue, float64(t.cond[n]))
			st.LeafCover = append(st.LeafCover, float64(t.hess[n]))
		} else {
			id[n] = int32(len(st.Nodes))
			st.Nodes = append(st.Nodes, tree.Node{
				Threshold:   math.Nextafter(float64(t.cond[n]), math.Inf(-1)),
				Feature:     t.feature[n],
				DefaultLeft: t.defaultLeft[n],
			})
			st.NodeGain = append(st.NodeGain, 0)
			st.NodeCover = append(st.NodeCover, float64(t.hess[n]))
		}
	}
	for n := range t.left {
		if i := id[n]; i >= 0 {
			st.Nodes[i].Left, st.Nodes[i].Right = id[t.left[n]], id[t.right[n]]
		}
	}
	return st
}

// Contributions writes the TreeSHAP values of row to out in XGBoost's
// pred_contribs layout: for each output, one value per feature and then
// the bias (the base margin plus the trees' expected values), so out needs
// NumOutputs()*(NumFeature+1) values. Each output's values add up to its
// margin. The values are computed in float64 and agree with XGBoost's
// float32 ones within 1e-5 (relative, or absolute below 1; 2.3e-6 at
// most on the fixtures). Models with categorical splits are
// refused with an error wrapping ErrUnsupported.
func (m *Model) Contributions(row []float64, out []float64) error {
	if m.hasCats {
		return fmt.Errorf("%w: contributions of categorical splits", ErrUnsupported)
	}
	m.checkRow(len(row))
	x := m.explain()
	in := make([]float64, len(row))
	for j, v := range row {
		in[j] = float64(float32(v))
	}
	w := m.NumFeature + 1
	clear(out[:m.groups*w])
	var s tree.SHAPScratch
	for i, g := range m.treeGroup {
		x.trees.SHAP(i, in, out[int(g)*w:int(g)*w+m.NumFeature], 1, &s)
	}
	for g := range m.groups {
		out[g*w+m.NumFeature] = x.bias[g]
	}
	return nil
}
