package xgboost

import (
	"bytes"
	"errors"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"sync"
)

// Errors. Every error Read returns wraps one of them and is one line that
// starts with "xgboost:".
var (
	// ErrFormat marks a file that is not an XGBoost JSON or UBJSON model.
	ErrFormat = errors.New("xgboost: not an XGBoost JSON or UBJSON model")
	// ErrMalformed marks a JSON or UBJSON model that cannot be decoded or
	// whose trees are inconsistent.
	ErrMalformed = errors.New("xgboost: malformed model")
	// ErrUnsupported marks a well-formed model that uses something this
	// package does not predict (a booster, objective or tree kind).
	ErrUnsupported = errors.New("xgboost: unsupported model")
)

// Format names one of XGBoost's model document formats.
type Format string

// The formats Read knows.
const (
	FormatJSON   Format = "xgboost-json"
	FormatUBJSON Format = "xgboost-ubj"
)

// Objectives lists the objectives this package predicts.
func Objectives() []string {
	return []string{"binary:logistic", "binary:logitraw", "reg:logistic", "reg:squarederror", "multi:softprob", "multi:softmax"}
}

// saveHint is the Python that turns any XGBoost model into JSON.
const saveHint = `in Python, booster.save_model("model.json") (or model.get_booster().save_model("model.json") for a scikit-learn model)`

// Detect tells the format of data from its first bytes. It returns an
// error wrapping ErrFormat that names what the file looks like when it is
// not an XGBoost document (the legacy binary format, a Python pickle, a
// LightGBM model…).
func Detect(data []byte) (Format, error) {
	trimmed := bytes.TrimLeft(data, " \t\r\n")
	switch {
	case len(data) == 0:
		return "", fmt.Errorf("%w: the file is empty", ErrFormat)
	case bytes.HasPrefix(data, []byte("binf")):
		return "", fmt.Errorf("%w: this is XGBoost's legacy binary format, which is not supported; save it as JSON: %s", ErrFormat, saveHint)
	case data[0] == 0x80 && len(data) > 1 && data[1] <= 5:
		return "", fmt.Errorf("%w: this is a Python pickle, not a model file; save the model as JSON: %s", ErrFormat, saveHint)
	case bytes.HasPrefix(data, []byte{0x1f, 0x8b}):
		return "", fmt.Errorf("%w: this is a gzip file; decompress it first", ErrFormat)
	case bytes.HasPrefix(trimmed, []byte("tree\n")) || bytes.HasPrefix(trimmed, []byte("tree\r\n")) || bytes.HasPrefix(trimmed, []byte("version=")):
		return "", fmt.Errorf("%w: this is a LightGBM text model", ErrFormat)
	case len(trimmed) > 0 && trimmed[0] == '{' && len(trimmed) == len(data):
		if len(data) == 1 {
			return "", truncatedError("the document", 1)
		}
		switch data[1] {
		case ubjInt8, ubjUint8, ubjInt16, ubjInt32, ubjInt64, '#', '$', ubjNoop:
			return FormatUBJSON, nil
		}
		return FormatJSON, nil
	case len(trimmed) > 0 && trimmed[0] == '{':
		return FormatJSON, nil
	}
	head := data[:min(len(data), 8)]
	return "", fmt.Errorf("%w: the file starts with bytes % x; if XGBoost wrote it, save it as JSON: %s", ErrFormat, head, saveHint)
}

// maxFeatures and maxClasses bound what a file may claim, so that a
// corrupt count cannot make a caller allocate gigabytes per row.
const (
	maxFeatures = 1 << 20
	maxClasses  = 1 << 16
)

// Model is an XGBoost gbtree booster. It is immutable after Read.
type Model struct {
	// Version is the XGBoost version that wrote the file (major, minor, patch).
	Version [3]int
	// Objective is the learning objective, e.g. "binary:logistic".
	Objective string
	// NumFeature is the number of input columns.
	NumFeature int
	// FeatureNames and FeatureTypes are the names and XGBoost types ("q",
	// "c", "int", "float", "i") stored with the model; nil when the file
	// has none.
	FeatureNames, FeatureTypes []string
	// BaseScore is base_score as stored in the file (in the space of the
	// objective's output), one value per output.
	BaseScore []float32

	groups     int       // outputs per row
	baseMargin []float32 // per output
	trees      []*xtree
	treeGroup  []int32
	hasCats    bool

	explainOnce sync.Once
	explainer   *explainer
}

// xtree is one regression tree in XGBoost's node arrays; a node is a leaf
// when left[n] is -1, and cond[n] is then its value.
type xtree struct {
	left, right []int32
	feature     []int32
	cond        []float32
	defaultLeft []bool
	hess        []float32
	gain        []float32 // loss_changes: the gain of each split
	// cats[n] lists, sorted, the categories a categorical node sends
	// right; nil for numerical nodes.
	cats [][]int32
}

// NumOutputs returns the number of values per row: the number of classes
// for multi:softprob and multi:softmax, else 1.
func (m *Model) NumOutputs() int { return m.groups }

// NumTrees returns the number of trees.
func (m *Model) NumTrees() int { return len(m.trees) }

// HasCategoricalSplits reports whether any tree splits on a category set.
func (m *Model) HasCategoricalSplits() bool { return m.hasCats }

// CategoricalFeatures returns, sorted, the features that some tree splits
// on as categories.
func (m *Model) CategoricalFeatures() []int {
	seen := map[int]bool{}
	for _, t := range m.trees {
		for n, c := range t.cats {
			if c != nil {
				seen[int(t.feature[n])] = true
			}
		}
	}
	var out []int
	for f := range seen {
		out = append(out, f)
	}
	slices.Sort(out)
	return out
}

// Read decodes a model in either format, detected from its content.
func Read(data []byte) (*Model, error) {
	f, err := Detect(data)
	if err != nil {
		return nil, err
	}
	return ReadFormat(data, f)
}

// ReadFormat decodes a model in the given format.
func ReadFormat(data []byte, f Format) (*Model, error) {
	var (
		doc any
		err error
	)
	switch f {
	case FormatJSON:
		doc, err = decodeJSON(data)
	case FormatUBJSON:
		if _, derr := Detect(data); derr != nil {
			return nil, derr
		}
		doc, err = decodeUBJSON(data)
	default:
		return nil, fmt.Errorf("%w: format %q (want %s or %s)", ErrFormat, f, FormatJSON, FormatUBJSON)
	}
	if err != nil {
		return nil, err
	}
	return build(doc)
}

// field walks a path of object keys.
func field(doc any, path ...string) (any, error) {
	v := doc
	for i, k := range path {
		obj, ok := v.(map[string]any)
		if !ok {
			return nil, fmt.Errorf("%w: %s is not an object", ErrMalformed, strings.Join(path[:i], "."))
		}
		if v, ok = obj[k]; !ok {
			return nil, fmt.Errorf("%w: no %s", ErrMalformed, strings.Join(path[:i+1], "."))
		}
	}
	return v, nil
}

// text reads a string field.
func text(doc any, path ...string) (string, error) {
	v, err := field(doc, path...)
	if err != nil {
		return "", err
	}
	s, ok := v.(string)
	if !ok {
		return "", fmt.Errorf("%w: %s is not a string", ErrMalformed, strings.Join(path, "."))
	}
	return s, nil
}

// integer reads an integer field, written as a number or (as XGBoost
// writes parameters) a string.
func integer(doc any, path ...string) (int, error) {
	v, err := field(doc, path...)
	if err != nil {
		return 0, err
	}
	n, ok := asInt(v)
	if !ok || n < 0 || n > math.MaxInt32 {
		return 0, fmt.Errorf("%w: %s is not a count", ErrMalformed, strings.Join(path, "."))
	}
	return int(n), nil
}

func asInt(v any) (int64, bool) {
	switch x := v.(type) {
	case int64:
		return x, true
	case number:
		if n, err := strconv.ParseInt(string(x), 10, 64); err == nil {
			return n, true
		}
		f, err := x.float64()
		return int64(f), err == nil && f == math.Trunc(f) && math.Abs(f) < 1<<62
	case string:
		n, err := strconv.ParseInt(x, 10, 64)
		return n, err == nil
	case float32:
		return int64(x), float32(int64(x)) == x
	case float64:
		return int64(x), float64(int64(x)) == x
	case bool:
		if x {
			return 1, true
		}
		return 0, true
	}
	return 0, false
}

func asFloat32(v any) (float32, bool) {
	switch x := v.(type) {
	case float32:
		return x, true
	case float64:
		return float32(x), true
	case int64:
		return float32(x), true
	case number:
		f, err := x.float32()
		return f, err == nil
	case string:
		f, err := number(x).float32()
		return f, err == nil
	}
	return 0, false
}

// array reads an array field of n elements (n < 0: any length).
func array(doc any, n int, path ...string) ([]any, error) {
	v, err := field(doc, path...)
	if err != nil {
		return nil, err
	}
	a, ok := v.([]any)
	if !ok {
		return nil, fmt.Errorf("%w: %s is not an array", ErrMalformed, strings.Join(path, "."))
	}
	if n >= 0 && len(a) != n {
		return nil, fmt.Errorf("%w: %s has %d elements, want %d", ErrMalformed, strings.Join(path, "."), len(a), n)
	}
	return a, nil
}

// numberList reads an array of numbers, in whichever form the decoder
// kept it, as a length and an element getter.
func numberList(doc any, n int, path ...string) (int, func(i int) any, error) {
	v, err := field(doc, path...)
	if err != nil {
		return 0, nil, err
	}
	var size int
	var at func(i int) any
	switch a := v.(type) {
	case []any:
		size, at = len(a), func(i int) any { return a[i] }
	case []number:
		size, at = len(a), func(i int) any { return a[i] }
	case []float32:
		size, at = len(a), func(i int) any { return a[i] }
	case []float64:
		size, at = len(a), func(i int) any { return a[i] }
	case []int64:
		size, at = len(a), func(i int) any { return a[i] }
	default:
		return 0, nil, fmt.Errorf("%w: %s is not an array", ErrMalformed, strings.Join(path, "."))
	}
	if n >= 0 && size != n {
		return 0, nil, fmt.Errorf("%w: %s has %d elements, want %d", ErrMalformed, strings.Join(path, "."), size, n)
	}
	return size, at, nil
}

func int32s(doc any, n int, path ...string) ([]int32, error) {
	v, _ := field(doc, path...)
	if a, ok := v.([]int64); ok && (n < 0 || len(a) == n) {
		out := make([]int32, len(a))
		for i, x := range a {
			if x < math.MinInt32 || x > math.MaxInt32 {
				return nil, fmt.Errorf("%w: %s[%d] is not an int32", ErrMalformed, strings.Join(path, "."), i)
			}
			out[i] = int32(x)
		}
		return out, nil
	}
	if a, ok := v.([]number); ok && (n < 0 || len(a) == n) {
		out := make([]int32, len(a))
		for i, x := range a {
			k, err := strconv.ParseInt(string(x), 10, 32)
			if err != nil {
				f, ok := asInt(x) // an integer written as a float
				if !ok || f < math.MinInt32 || f > math.MaxInt32 {
					return nil, fmt.Errorf("%w: %s[%d] is not an integer", ErrMalformed, strings.Join(path, "."), i)
				}
				k = f
			}
			out[i] = int32(k)
		}
		return out, nil
	}
	size, at, err := numberList(doc, n, path...)
	if err != nil {
		return nil, err
	}
	out := make([]int32, size)
	for i := range out {
		x, ok := asInt(at(i))
		if !ok || x < math.MinInt32 || x > math.MaxInt32 {
			return nil, fmt.Errorf("%w: %s[%d] is not an integer", ErrMalformed, strings.Join(path, "."), i)
		}
		out[i] = int32(x)
	}
	return out, nil
}

func float32s(doc any, n int, path ...string) ([]float32, error) {
	v, _ := field(doc, path...)
	if a, ok := v.([]float32); ok && (n < 0 || len(a) == n) {
		return a, nil
	}
	if a, ok := v.([]number); ok && (n < 0 || len(a) == n) {
		out := make([]float32, len(a))
		for i, x := range a {
			f, err := x.float32()
			if err != nil {
				return nil, fmt.Errorf("%w: %s[%d] is not a number", ErrMalformed, strings.Join(path, "."), i)
			}
			out[i] = f
		}
		return out, nil
	}
	size, at, err := numberList(doc, n, path...)
	if err != nil {
		return nil, err
	}
	out := make([]float32, size)
	for i := range out {
		x, ok := asFloat32(at(i))
		if !ok {
			return nil, fmt.Errorf("%w: %s[%d] is not a number", ErrMalformed, strings.Join(path, "."), i)
		}
		out[i] = x
	}
	return out, nil
}

func strs(doc any, path ...string) ([]string, error) {
	a, err := array(doc, -1, path...)
	if err != nil {
		return nil, err
	}
	out := make([]string, len(a))
	for i, v := range a {
		s, ok := v.(string)
		if !ok {
			return nil, fmt.Errorf("%w: %s[%d] is not a string", ErrMalformed, strings.Join(path, "."), i)
		}
		out[i] = s
	}
	return out, nil
}

// build turns a decoded document into a Model.
func build(doc any) (*Model, error) {
	if _, ok := doc.(map[string]any); !ok {
		return nil, fmt.Errorf("%w: the document is not an object", ErrFormat)
	}
	if _, err := field(doc, "learner"); err != nil {
		return nil, fmt.Errorf("%w: the document has no learner (is it a model saved with save_model, not a configuration?)", ErrFormat)
	}
	m := &Model{}
	ver, err := int32s(doc, 3, "version")
	if err != nil {
		return nil, err
	}
	for i, v := range ver {
		m.Version[i] = int(v)
	}
	if m.Version[0] < 1 {
		return nil, fmt.Errorf("%w: written by XGBoost %d.%d.%d; versions 1.0 and later are supported", ErrUnsupported, m.Version[0], m.Version[1], m.Version[2])
	}
	booster, err := text(doc, "learner", "gradient_booster", "name")
	if err != nil {
		return nil, err
	}
	if booster != "gbtree" {
		return nil, fmt.Errorf("%w: booster %q (only gbtree is supported)", ErrUnsupported, booster)
	}
	if m.Objective, err = text(doc, "learner", "objective", "name"); err != nil {
		return nil, err
	}
	if !slices.Contains(Objectives(), m.Objective) {
		return nil, fmt.Errorf("%w: objective %q (supported: %s)", ErrUnsupported, m.Objective, strings.Join(Objectives(), ", "))
	}
	if m.NumFeature, err = integer(doc, "learner", "learner_model_param", "num_feature"); err != nil {
		return nil, err
	}
	if m.NumFeature > maxFeatures {
		return nil, fmt.Errorf("%w: %d features (at most %d are supported)", ErrUnsupported, m.NumFeature, maxFeatures)
	}
	numClass, err := integer(doc, "learner", "learner_model_param", "num_class")
	if err != nil {
		return nil, err
	}
	if t, err := field(doc, "learner", "learner_model_param", "num_target"); err == nil {
		if n, ok := asInt(t); !ok || n > 1 {
			return nil, fmt.Errorf("%w: %v targets (multi-output models are not supported)", ErrUnsupported, t)
		}
	}
	if numClass > maxClasses {
		return nil, fmt.Errorf("%w: %d classes (at most %d are supported)", ErrUnsupported, numClass, maxClasses)
	}
	m.groups = max(numClass, 1)
	if strings.HasPrefix(m.Objective, "multi:") != (numClass > 1) {
		return nil, fmt.Errorf("%w: objective %s with num_class %d", ErrMalformed, m.Objective, numClass)
	}
	if err := m.readBaseScore(doc); err != nil {
		return nil, err
	}
	if _, err := field(doc, "learner", "feature_names"); err == nil {
		if m.FeatureNames, err = strs(doc, "learner", "feature_names"); err != nil {
			return nil, err
		}
		if m.FeatureTypes, err = strs(doc, "learner", "feature_types"); err != nil {
			return nil, err
		}
		if len(m.FeatureNames) == 0 {
			m.FeatureNames = nil
		}
		if len(m.FeatureTypes) == 0 {
			m.FeatureTypes = nil
		}
		if m.FeatureNames != nil && len(m.FeatureNames) != m.NumFeature || m.FeatureTypes != nil && len(m.FeatureTypes) != len(m.FeatureNames) {
			return nil, fmt.Errorf("%w: %d feature names and %d types for %d features", ErrMalformed, len(m.FeatureNames), len(m.FeatureTypes), m.NumFeature)
		}
	}
	if err := m.readTrees(doc); err != nil {
		return nil, err
	}
	return m, nil
}

// readBaseScore reads base_score (a number, or from XGBoost 3.1 on
// possibly a bracketed list with one value per output) and turns it into
// margins as the objective's ProbToMargin does: the logit for the logistic
// objectives, the value itself for the others (binary:logitraw included).
func (m *Model) readBaseScore(doc any) error {
	v, err := field(doc, "learner", "learner_model_param", "base_score")
	if err != nil {
		return err
	}
	var parts []any
	if s, ok := v.(string); ok && strings.HasPrefix(s, "[") && strings.HasSuffix(s, "]") {
		for _, p := range strings.Split(s[1:len(s)-1], ",") {
			parts = append(parts, strings.TrimSpace(p))
		}
	} else {
		parts = []any{v}
	}
	for _, p := range parts {
		f, ok := asFloat32(p)
		if !ok {
			return fmt.Errorf("%w: base_score %v is not a number", ErrMalformed, v)
		}
		m.BaseScore = append(m.BaseScore, f)
	}
	switch len(m.BaseScore) {
	case m.groups:
	case 1:
		for len(m.BaseScore) < m.groups {
			m.BaseScore = append(m.BaseScore, m.BaseScore[0])
		}
	default:
		return fmt.Errorf("%w: %d base scores for %d outputs", ErrMalformed, len(m.BaseScore), m.groups)
	}
	m.baseMargin = make([]float32, m.groups)
	for i, b := range m.BaseScore {
		switch m.Objective {
		case "binary:logistic", "reg:logistic":
			if !(b > 0 && b < 1) {
				return fmt.Errorf("%w: base_score %v outside (0, 1) for %s", ErrMalformed, b, m.Objective)
			}
			m.baseMargin[i] = -logf(1/b - 1)
		default:
			m.baseMargin[i] = b
		}
	}
	return nil
}

// readTrees reads the gbtree's trees and their output groups.
func (m *Model) readTrees(doc any) error {
	gb := []string{"learner", "gradient_booster", "model"}
	n, err := integer(doc, append(gb, "gbtree_model_param", "num_trees")...)
	if err != nil {
		return err
	}
	trees, err := array(doc, n, append(gb, "trees")...)
	if err != nil {
		return err
	}
	if m.treeGroup, err = int32s(doc, n, append(gb, "tree_info")...); err != nil {
		return err
	}
	for i, g := range m.treeGroup {
		if g < 0 || int(g) >= m.groups {
			return fmt.Errorf("%w: tree %d belongs to output %d of %d", ErrMalformed, i, g, m.groups)
		}
	}
	m.trees = make([]*xtree, n)
	for i, td := range trees {
		t, err := m.readTree(td)
		if err != nil {
			return fmt.Errorf("%w (tree %d)", err, i)
		}
		m.trees[i] = t
		m.hasCats = m.hasCats || slices.ContainsFunc(t.cats, func(c []int32) bool { return c != nil })
	}
	return nil
}

func (m *Model) readTree(td any) (*xtree, error) {
	if p, err := field(td, "tree_param", "size_leaf_vector"); err == nil {
		if k, ok := asInt(p); !ok || k > 1 {
			return nil, fmt.Errorf("%w: vector leaves (multi-output trees)", ErrUnsupported)
		}
	}
	n, err := integer(td, "tree_param", "num_nodes")
	if err != nil {
		return nil, err
	}
	if n == 0 {
		return nil, fmt.Errorf("%w: a tree without nodes", ErrMalformed)
	}
	t := &xtree{}
	if t.left, err = int32s(td, n, "left_children"); err != nil {
		return nil, err
	}
	if t.right, err = int32s(td, n, "right_children"); err != nil {
		return nil, err
	}
	if t.feature, err = int32s(td, n, "split_indices"); err != nil {
		return nil, err
	}
	if t.cond, err = float32s(td, n, "split_conditions"); err != nil {
		return nil, err
	}
	if t.hess, err = float32s(td, n, "sum_hessian"); err != nil {
		return nil, err
	}
	if t.gain, err = float32s(td, n, "loss_changes"); err != nil {
		return nil, err
	}
	dl, err := int32s(td, n, "default_left")
	if err != nil {
		return nil, err
	}
	t.defaultLeft = make([]bool, n)
	for i, d := range dl {
		t.defaultLeft[i] = d != 0
	}
	if err := t.readCategories(td, n); err != nil {
		return nil, err
	}
	// every node but the root is the child of exactly one node that comes
	// before it, so a walk always ends
	parent := make([]bool, n)
	for i := range n {
		l, r := t.left[i], t.right[i]
		if l == -1 {
			if r != -1 {
				return nil, fmt.Errorf("%w: node %d has a right child but no left one", ErrMalformed, i)
			}
			continue
		}
		if r != l+1 {
			// XGBoost's prediction takes the right child to be the left
			// one plus one, as it always allocates them
			return nil, fmt.Errorf("%w: node %d has children %d and %d, which XGBoost would not read as written (they must be adjacent)", ErrMalformed, i, l, r)
		}
		for _, c := range []int32{l, r} {
			if c <= int32(i) || int(c) >= n || parent[c] {
				return nil, fmt.Errorf("%w: node %d has child %d", ErrMalformed, i, c)
			}
			parent[c] = true
		}
		if f := t.feature[i]; f < 0 || int(f) >= m.NumFeature {
			return nil, fmt.Errorf("%w: node %d splits on feature %d of %d", ErrMalformed, i, f, m.NumFeature)
		}
	}
	for i := 1; i < n; i++ {
		if !parent[i] {
			return nil, fmt.Errorf("%w: node %d is not reachable (a pruned tree with deleted nodes?)", ErrUnsupported, i)
		}
	}
	return t, nil
}

// readCategories reads the category sets of categorical splits: split_type
// 1 marks them, and categories_nodes/segments/sizes index into categories.
func (t *xtree) readCategories(td any, n int) error {
	if _, err := field(td, "split_type"); err != nil {
		return nil // written before categorical splits existed
	}
	types, err := int32s(td, n, "split_type")
	if err != nil {
		return err
	}
	if !slices.ContainsFunc(types, func(k int32) bool { return k != 0 }) {
		return nil
	}
	cats, err := int32s(td, -1, "categories")
	if err != nil {
		return err
	}
	nodes, err := int32s(td, -1, "categories_nodes")
	if err != nil {
		return err
	}
	segs, err := int32s(td, len(nodes), "categories_segments")
	if err != nil {
		return err
	}
	sizes, err := int32s(td, len(nodes), "categories_sizes")
	if err != nil {
		return err
	}
	t.cats = make([][]int32, n)
	for i, nd := range nodes {
		s, z := segs[i], sizes[i]
		if nd < 0 || int(nd) >= n || types[nd] != 1 || s < 0 || z < 0 || int64(s)+int64(z) > int64(len(cats)) {
			return fmt.Errorf("%w: categories of node %d", ErrMalformed, nd)
		}
		set := slices.Clone(cats[s : s+z])
		slices.Sort(set)
		t.cats[nd] = set
	}
	for i, k := range types {
		switch {
		case k == 0:
		case k == 1 && t.cats[i] == nil:
			t.cats[i] = []int32{} // a categorical split that sends no category right
		case k != 1:
			return fmt.Errorf("%w: split type %d at node %d", ErrUnsupported, k, i)
		}
	}
	return nil
}
