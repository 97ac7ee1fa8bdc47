package xgboost

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"strconv"

	"github.com/stewardml/steward/internal/ml/tree"
)

// Export describes a binary classifier made of Steward's trees, to be
// written as an XGBoost binary:logistic model: the margin is the sum of
// the trees' leaf values (any initial score is part of the trees), and a
// node sends x left when x <= its float64 threshold.
type Export struct {
	Trees []*tree.Tree
	// FeatureNames name the inputs, in order.
	FeatureNames []string
	// Impute, when set, is the value a missing input is replaced by before
	// scoring (one per feature): the written model sends a missing value
	// the way that value goes. When nil, a node's DefaultLeft decides.
	Impute []float64
}

// WriteJSON writes e as an XGBoost JSON model (the layout XGBoost 1.7
// writes, which 1.7 and later load). XGBoost compares float32 inputs with
// float32 conditions (x < c), so each condition is the smallest float32
// above the threshold: for any input that is a float32, the written model
// takes the branch Steward takes; leaf values are rounded to float32, so
// margins agree within float32 rounding.
func WriteJSON(e Export) ([]byte, error) {
	nf := len(e.FeatureNames)
	if e.Impute != nil && len(e.Impute) != nf {
		return nil, fmt.Errorf("xgboost: export: %d impute values for %d features", len(e.Impute), nf)
	}
	trees := make([]map[string]any, len(e.Trees))
	info := make([]int, len(e.Trees))
	for i, t := range e.Trees {
		xt, err := exportTree(t, nf, e.Impute)
		if err != nil {
			return nil, fmt.Errorf("xgboost: export: tree %d: %w", i, err)
		}
		xt["id"] = i
		trees[i] = xt
	}
	types := make([]string, nf)
	for i := range types {
		types[i] = "float"
	}
	doc := map[string]any{
		"version": []int{1, 7, 4},
		"learner": map[string]any{
			"attributes":    map[string]any{},
			"feature_names": e.FeatureNames,
			"feature_types": types,
			"gradient_booster": map[string]any{
				"name": "gbtree",
				"model": map[string]any{
					"gbtree_model_param": map[string]any{"num_parallel_tree": "1", "num_trees": strconv.Itoa(len(trees)), "size_leaf_vector": "0"},
					"tree_info":          info,
					"trees":              trees,
				},
			},
			"learner_model_param": map[string]any{"base_score": "5E-1", "boost_from_average": "0", "num_class": "0",
				"num_feature": strconv.Itoa(nf), "num_target": "1"},
			"objective": map[string]any{"name": "binary:logistic", "reg_loss_param": map[string]any{"scale_pos_weight": "1"}},
		},
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(doc); err != nil {
		return nil, fmt.Errorf("xgboost: export: %w", err)
	}
	return buf.Bytes(), nil
}

// f32 is a float32 written in its shortest decimal form.
type f32 float32

// MarshalJSON writes the shortest decimal that reads back as the float32,
// with an exponent when it has no point: XGBoost reads "5" as an integer
// and refuses it where a float belongs.
func (f f32) MarshalJSON() ([]byte, error) {
	if math.IsNaN(float64(f)) || math.IsInf(float64(f), 0) {
		return nil, fmt.Errorf("value %v is not finite", f)
	}
	b := strconv.AppendFloat(nil, float64(f), 'g', -1, 32)
	if !bytes.ContainsAny(b, ".eE") {
		b = append(b, "E0"...)
	}
	return b, nil
}

// above returns the smallest float32 greater than t.
func above(t float64) float32 {
	c := float32(t)
	if float64(c) <= t {
		c = math.Nextafter32(c, float32(math.Inf(1)))
	}
	return c
}

// exportTree lays t out in XGBoost's node arrays: breadth first, the two
// children of a node side by side (XGBoost's prediction takes the right
// child to be the left one plus one).
func exportTree(t *tree.Tree, nf int, impute []float64) (map[string]any, error) {
	var (
		left, right, parent, feat, dl, kind []int
		cond, hess, gain, weight            []f32
	)
	// queue holds, per output node, the Steward child it stands for
	queue := []int32{0}
	parent = append(parent, math.MaxInt32)
	for at := 0; at < len(queue); at++ {
		c := queue[at]
		left, right = append(left, -1), append(right, -1)
		feat, dl, kind = append(feat, 0), append(dl, 0), append(kind, 0)
		if c < 0 || len(t.Nodes) == 0 {
			leaf := 0
			if c < 0 {
				leaf = int(^c)
			}
			v := f32(t.LeafValue[leaf])
			cond, weight, gain = append(cond, v), append(weight, v), append(gain, 0)
			hess = append(hess, f32(cover(t.LeafCover, leaf)))
			continue
		}
		nd := t.Nodes[c]
		if nd.Feature < 0 || int(nd.Feature) >= nf {
			return nil, fmt.Errorf("a split on feature %d of %d", nd.Feature, nf)
		}
		cond = append(cond, f32(above(nd.Threshold)))
		weight, gain = append(weight, 0), append(gain, f32(cover(t.NodeGain, int(c))))
		hess = append(hess, f32(cover(t.NodeCover, int(c))))
		feat[at] = int(nd.Feature)
		goLeft := nd.DefaultLeft
		if impute != nil {
			goLeft = impute[nd.Feature] <= nd.Threshold
		}
		if goLeft {
			dl[at] = 1
		}
		left[at], right[at] = len(queue), len(queue)+1
		queue = append(queue, nd.Left, nd.Right)
		parent = append(parent, at, at)
	}
	n := len(left)
	empty := []int{}
	return map[string]any{
		"base_weights": weight, "categories": empty, "categories_nodes": empty, "categories_segments": empty,
		"categories_sizes": empty, "default_left": dl, "left_children": left, "loss_changes": gain,
		"parents": parent, "right_children": right, "split_conditions": cond, "split_indices": feat,
		"split_type": kind, "sum_hessian": hess,
		"tree_param": map[string]any{"num_deleted": "0", "num_feature": strconv.Itoa(nf), "num_nodes": strconv.Itoa(n), "size_leaf_vector": "0"},
	}, nil
}

// cover returns v[i], or 0 when v is shorter (covers and gains are
// optional in a tree built by hand).
func cover(v []float64, i int) float64 {
	if i < len(v) {
		return v[i]
	}
	return 0
}
