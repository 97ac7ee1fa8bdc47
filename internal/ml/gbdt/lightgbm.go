package gbdt

import (
	"bufio"
	"bytes"
	"fmt"
	"math"
	"strconv"
	"strings"

	"github.com/stewardml/steward/internal/ml/core"
	"github.com/stewardml/steward/internal/ml/tree"
)

// The LightGBM decision_type values Steward writes and reads: numerical
// split, missing type NaN (2<<2), with or without the default-left bit (2).
const (
	decisionNaNRight = 8
	decisionNaNLeft  = 10
)

func fmtG17(v float64) string { return strconv.FormatFloat(v, 'g', 17, 64) }
func fmtG(v float64) string   { return strconv.FormatFloat(v, 'g', 6, 64) }

func joinF(v []float64, f func(float64) string) string {
	var sb strings.Builder
	for i, x := range v {
		if i > 0 {
			sb.WriteByte(' ')
		}
		sb.WriteString(f(x))
	}
	return sb.String()
}

func joinI[T int | int32 | int64](v []T) string {
	var sb strings.Builder
	for i, x := range v {
		if i > 0 {
			sb.WriteByte(' ')
		}
		sb.WriteString(strconv.FormatInt(int64(x), 10))
	}
	return sb.String()
}

// treeString renders one tree as LightGBM's Tree::ToString does.
func (m *Model) treeString(i int) string {
	t, ex := m.Trees[i], m.extra[i]
	var sb strings.Builder
	w := func(k, v string) { sb.WriteString(k); sb.WriteByte('='); sb.WriteString(v); sb.WriteByte('\n') }
	nn := len(t.Nodes)
	w("num_leaves", strconv.Itoa(len(t.LeafValue)))
	w("num_cat", "0")
	feat := make([]int32, nn)
	thr := make([]float64, nn)
	dt := make([]int32, nn)
	left := make([]int32, nn)
	right := make([]int32, nn)
	icount := make([]int64, nn)
	for j, nd := range t.Nodes {
		feat[j], thr[j], left[j], right[j] = nd.Feature, nd.Threshold, nd.Left, nd.Right
		dt[j] = decisionNaNRight
		if nd.DefaultLeft {
			dt[j] = decisionNaNLeft
		}
		icount[j] = int64(t.NodeCover[j])
	}
	lcount := make([]int64, len(t.LeafCover))
	for j, c := range t.LeafCover {
		lcount[j] = int64(c)
	}
	w("split_feature", joinI(feat))
	w("split_gain", joinF(t.NodeGain, fmtG))
	w("threshold", joinF(thr, fmtG17))
	w("decision_type", joinI(dt))
	w("left_child", joinI(left))
	w("right_child", joinI(right))
	w("leaf_value", joinF(t.LeafValue, fmtG17))
	w("leaf_weight", joinF(ex.leafWeight, fmtG17))
	w("leaf_count", joinI(lcount))
	w("internal_value", joinF(ex.internalValue, fmtG))
	w("internal_weight", joinF(ex.internalWeight, fmtG))
	w("internal_count", joinI(icount))
	w("is_linear", "0")
	w("shrinkage", fmtG(m.Shrinkage[i]))
	sb.WriteByte('\n')
	return sb.String()
}

// MarshalText writes the model in LightGBM's text model format, version v3
// (the newest version github.com/dmitryikh/leaves reads): header, trees with
// exact tree_sizes, and the feature importance and parameter trailers.
func (m *Model) MarshalText() ([]byte, error) {
	names := m.FeatureNames
	if len(names) != m.NFeatures {
		return nil, fmt.Errorf("gbdt: %d feature names for %d features: %w", len(names), m.NFeatures, core.ErrBadParam)
	}
	for _, n := range names {
		if n == "" || strings.ContainsAny(n, " =\n\r\t") {
			return nil, fmt.Errorf("gbdt: feature name %q: names must be non-empty without spaces or '=': %w", n, core.ErrBadParam)
		}
	}
	blocks := make([]string, len(m.Trees))
	sizes := make([]int, len(m.Trees))
	for i := range m.Trees {
		blocks[i] = "Tree=" + strconv.Itoa(i) + "\n" + m.treeString(i) + "\n"
		sizes[i] = len(blocks[i])
	}
	var b bytes.Buffer
	b.WriteString("tree\nversion=v3\nnum_class=1\nnum_tree_per_iteration=1\nlabel_index=0\n")
	fmt.Fprintf(&b, "max_feature_idx=%d\n", m.NFeatures-1)
	b.WriteString("objective=binary sigmoid:1\n")
	b.WriteString("feature_names=" + strings.Join(names, " ") + "\n")
	b.WriteString("feature_infos=" + strings.Join(m.FeatureInfos, " ") + "\n")
	b.WriteString("tree_sizes=" + joinI(sizes) + "\n\n")
	for _, s := range blocks {
		b.WriteString(s)
	}
	b.WriteString("end of trees\n\n")
	// split-count importances, as LightGBM writes them (sorted, > 0 only)
	counts := make([]int, m.NFeatures)
	for _, t := range m.Trees {
		for _, nd := range t.Nodes {
			counts[nd.Feature]++
		}
	}
	b.WriteString("feature_importances:\n")
	order := make([]int, 0, m.NFeatures)
	for j, c := range counts {
		if c > 0 {
			order = append(order, j)
		}
	}
	for i := 1; i < len(order); i++ { // stable insertion sort, descending
		for k := i; k > 0 && counts[order[k]] > counts[order[k-1]]; k-- {
			order[k], order[k-1] = order[k-1], order[k]
		}
	}
	for _, j := range order {
		fmt.Fprintf(&b, "%s=%d\n", names[j], counts[j])
	}
	b.WriteString("\nparameters:\n[boosting: gbdt]\n[objective: binary]\n")
	if len(m.Shrinkage) > 1 {
		fmt.Fprintf(&b, "[learning_rate: %s]\n", fmtG(m.Shrinkage[1]))
	}
	b.WriteString("end of parameters\n\npandas_categorical:null\n")
	return b.Bytes(), nil
}

// Unmarshal reads a LightGBM text model of a binary classifier with
// numerical splits whose missing type is NaN (as MarshalText writes),
// checking every tree.
func Unmarshal(payload []byte) (*Model, error) {
	m, err := parseText(payload)
	if err != nil {
		return nil, fmt.Errorf("gbdt: decode model: %w", err)
	}
	return m, nil
}

type kv map[string]string

func perr(format string, a ...any) error {
	return fmt.Errorf(format+": %w", append(a, core.ErrBadPayload)...)
}

func parseText(payload []byte) (*Model, error) {
	sc := bufio.NewScanner(bytes.NewReader(payload))
	sc.Buffer(make([]byte, 0, 64*1024), 64<<20)
	line := 0
	readBlock := func() (kv, []string, error) {
		out := kv{}
		var order []string
		for sc.Scan() {
			line++
			s := strings.TrimRight(sc.Text(), "\r")
			if s == "" {
				if len(order) == 0 {
					continue
				}
				return out, order, nil
			}
			k, v, _ := strings.Cut(s, "=")
			if _, dup := out[k]; dup {
				return nil, nil, perr("line %d: duplicate key %q", line, k)
			}
			out[k] = v
			order = append(order, k)
		}
		if err := sc.Err(); err != nil {
			return nil, nil, perr("line %d: %v", line, err)
		}
		return out, order, nil
	}
	head, order, err := readBlock()
	if err != nil {
		return nil, err
	}
	if len(order) == 0 || order[0] != "tree" {
		return nil, perr("not a LightGBM text model (first line must be \"tree\")")
	}
	switch head["version"] {
	case "v2", "v3", "v4":
	default:
		return nil, perr("version %q, want v2, v3 or v4", head["version"])
	}
	if head["num_class"] != "1" {
		return nil, perr("num_class %q, want 1 (binary)", head["num_class"])
	}
	if v, ok := head["num_tree_per_iteration"]; ok && v != "1" {
		return nil, perr("num_tree_per_iteration %q, want 1", v)
	}
	if strings.Join(strings.Fields(head["objective"]), " ") != "binary sigmoid:1" {
		return nil, perr("objective %q, want \"binary sigmoid:1\"", head["objective"])
	}
	if _, ok := head["average_output"]; ok {
		return nil, perr("average_output (random forest mode) is not a boosted model")
	}
	maxIdx, err := strconv.Atoi(head["max_feature_idx"])
	if err != nil || maxIdx < 0 || maxIdx > 1<<20 {
		return nil, perr("max_feature_idx %q, want an integer >= 0", head["max_feature_idx"])
	}
	nf := maxIdx + 1
	m := &Model{NFeatures: nf}
	m.FeatureNames = strings.Fields(head["feature_names"])
	if len(m.FeatureNames) != nf {
		return nil, perr("%d feature_names for %d features", len(m.FeatureNames), nf)
	}
	m.FeatureInfos = strings.Fields(head["feature_infos"])
	if len(m.FeatureInfos) != nf {
		return nil, perr("%d feature_infos for %d features", len(m.FeatureInfos), nf)
	}
	var sizes []int
	if s, ok := head["tree_sizes"]; ok {
		for _, f := range strings.Fields(s) {
			n, err := strconv.Atoi(f)
			if err != nil || n <= 0 {
				return nil, perr("tree_sizes entry %q", f)
			}
			sizes = append(sizes, n)
		}
	}
	for {
		blk, order, err := readBlock()
		if err != nil {
			return nil, err
		}
		if len(order) == 0 || order[0] == "end of trees" {
			break
		}
		want := "Tree=" + strconv.Itoa(len(m.Trees))
		if order[0] != "Tree" || "Tree="+blk["Tree"] != want {
			return nil, perr("line %d: found %q, want %q", line, order[0]+"="+blk[order[0]], want)
		}
		if len(m.Trees) >= 1<<20 {
			return nil, perr("too many trees")
		}
		t, ex, shrink, err := parseTree(blk, nf)
		if err != nil {
			return nil, perr("tree %d: %v", len(m.Trees), err)
		}
		m.Trees = append(m.Trees, t)
		m.extra = append(m.extra, ex)
		m.Shrinkage = append(m.Shrinkage, shrink)
	}
	if len(m.Trees) == 0 {
		return nil, perr("no trees")
	}
	if sizes != nil && len(sizes) != len(m.Trees) {
		return nil, perr("tree_sizes lists %d trees, found %d", len(sizes), len(m.Trees))
	}
	m.BestIteration = len(m.Trees)
	m.prepare()
	return m, nil
}

func parseFloats(blk kv, key string, n int, finite bool) ([]float64, error) {
	s, ok := blk[key]
	if !ok {
		return nil, fmt.Errorf("missing %s", key)
	}
	f := strings.Fields(s)
	if len(f) != n {
		return nil, fmt.Errorf("%s has %d values, want %d", key, len(f), n)
	}
	out := make([]float64, n)
	for i, x := range f {
		v, err := strconv.ParseFloat(x, 64)
		if err != nil || (finite && (math.IsNaN(v) || math.IsInf(v, 0))) {
			return nil, fmt.Errorf("%s value %q", key, x)
		}
		out[i] = v
	}
	return out, nil
}

func parseInts(blk kv, key string, n int) ([]int64, error) {
	s, ok := blk[key]
	if !ok {
		return nil, fmt.Errorf("missing %s", key)
	}
	f := strings.Fields(s)
	if len(f) != n {
		return nil, fmt.Errorf("%s has %d values, want %d", key, len(f), n)
	}
	out := make([]int64, n)
	for i, x := range f {
		v, err := strconv.ParseInt(x, 10, 32)
		if err != nil {
			return nil, fmt.Errorf("%s value %q", key, x)
		}
		out[i] = v
	}
	return out, nil
}

func parseTree(blk kv, nf int) (*tree.Tree, treeExtra, float64, error) {
	var ex treeExtra
	nl, err := strconv.Atoi(blk["num_leaves"])
	if err != nil || nl < 1 || nl > 1<<24 {
		return nil, ex, 0, fmt.Errorf("num_leaves %q", blk["num_leaves"])
	}
	if blk["num_cat"] != "0" {
		return nil, ex, 0, fmt.Errorf("num_cat %q: categorical splits are not supported", blk["num_cat"])
	}
	if v, ok := blk["is_linear"]; ok && v != "0" {
		return nil, ex, 0, fmt.Errorf("linear trees are not supported")
	}
	shrink := 1.0
	if s, ok := blk["shrinkage"]; ok {
		if shrink, err = strconv.ParseFloat(s, 64); err != nil || !(shrink > 0) || math.IsInf(shrink, 0) {
			return nil, ex, 0, fmt.Errorf("shrinkage %q", s)
		}
	}
	t := &tree.Tree{}
	nn := nl - 1
	if t.LeafValue, err = parseFloats(blk, "leaf_value", nl, true); err != nil {
		return nil, ex, 0, err
	}
	lc, err := parseInts(blk, "leaf_count", nl)
	if err != nil {
		return nil, ex, 0, err
	}
	t.LeafCover = make([]float64, nl)
	for i, c := range lc {
		t.LeafCover[i] = float64(c)
	}
	if ex.leafWeight, err = parseFloats(blk, "leaf_weight", nl, true); err != nil {
		return nil, ex, 0, err
	}
	if nn == 0 {
		return t, ex, shrink, t.Validate(nf)
	}
	feat, err := parseInts(blk, "split_feature", nn)
	if err != nil {
		return nil, ex, 0, err
	}
	thr, err := parseFloats(blk, "threshold", nn, false)
	if err != nil {
		return nil, ex, 0, err
	}
	dt, err := parseInts(blk, "decision_type", nn)
	if err != nil {
		return nil, ex, 0, err
	}
	left, err := parseInts(blk, "left_child", nn)
	if err != nil {
		return nil, ex, 0, err
	}
	right, err := parseInts(blk, "right_child", nn)
	if err != nil {
		return nil, ex, 0, err
	}
	ic, err := parseInts(blk, "internal_count", nn)
	if err != nil {
		return nil, ex, 0, err
	}
	if t.NodeGain, err = parseFloats(blk, "split_gain", nn, true); err != nil {
		return nil, ex, 0, err
	}
	if ex.internalValue, err = parseFloats(blk, "internal_value", nn, true); err != nil {
		return nil, ex, 0, err
	}
	if ex.internalWeight, err = parseFloats(blk, "internal_weight", nn, true); err != nil {
		return nil, ex, 0, err
	}
	t.Nodes = make([]tree.Node, nn)
	t.NodeCover = make([]float64, nn)
	for i := 0; i < nn; i++ {
		if dt[i] != decisionNaNLeft && dt[i] != decisionNaNRight {
			return nil, ex, 0, fmt.Errorf("node %d: decision_type %d; only numerical splits with missing type NaN (8 or 10) are supported", i, dt[i])
		}
		t.Nodes[i] = tree.Node{
			Feature: int32(feat[i]), Threshold: thr[i],
			Left: int32(left[i]), Right: int32(right[i]), DefaultLeft: dt[i] == decisionNaNLeft,
		}
		if feat[i] < 0 || feat[i] >= int64(nf) {
			return nil, ex, 0, fmt.Errorf("node %d: split_feature %d out of range", i, feat[i])
		}
		t.NodeCover[i] = float64(ic[i])
	}
	if err := t.Validate(nf); err != nil {
		return nil, ex, 0, err
	}
	// covers must add up for TreeSHAP
	for i, nd := range t.Nodes {
		c := func(ch int32) float64 {
			if ch < 0 {
				return t.LeafCover[^ch]
			}
			return t.NodeCover[ch]
		}
		if c(nd.Left)+c(nd.Right) != t.NodeCover[i] {
			return nil, ex, 0, fmt.Errorf("node %d: internal_count %v is not the sum of its children's", i, t.NodeCover[i])
		}
	}
	return t, ex, shrink, nil
}
