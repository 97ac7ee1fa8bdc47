package gbdt

import (
	"fmt"
	"sync"

	"github.com/stewardml/steward/internal/ml/core"
	"github.com/stewardml/steward/internal/ml/tree"
)

// treeExtra holds what the LightGBM text format carries beyond tree.Tree.
type treeExtra struct {
	leafWeight     []float64 // hessian sums
	internalValue  []float64
	internalWeight []float64
	binSplits      []binNode // training only
}

// Model is a fitted boosted ensemble. It implements ml.Model.
//
// The margin is the sum of the trees' leaf values (the initial score is part
// of the first tree). FeatureNames may be set before MarshalBinary; they
// default to Column_0, Column_1, ... and must not contain spaces or '='.
type Model struct {
	NFeatures    int
	FeatureNames []string
	// FeatureInfos are LightGBM's per-feature "[min:max]" (or "none").
	FeatureInfos []string
	Trees        []*tree.Tree
	// Shrinkage is each tree's learning rate as recorded in the text
	// format (1 for the first tree, which carries the initial score).
	Shrinkage []float64
	// BestIteration is the number of trees kept (after early stopping).
	BestIteration int

	extra []treeExtra

	flat  *tree.Flat
	depth []int // per tree, for the explainer
	base  float64
	imp   []float64

	explainOnce sync.Once
	explainer   *tree.Explainer // built on the first explanation

	trainMargin []float64 // training scores kept by the trainer (tests)
}

var _ core.Model = (*Model)(nil)

// prepare compiles the evaluator and computes the base value and the
// importances.
func (m *Model) prepare() {
	m.flat = tree.Compile(m.Trees)
	m.depth = make([]int, len(m.Trees))
	for i, t := range m.Trees {
		m.depth[i] = t.MaxDepth()
	}
	m.base = 0
	m.imp = make([]float64, m.NFeatures)
	for _, t := range m.Trees {
		m.base += t.ExpectedValue()
		t.GainImportance(m.imp)
	}
	core.NormalizeSum(m.imp)
}

// Family returns "gbdt".
func (m *Model) Family() string { return Name }

// Margin returns the log-odds: the sum of the trees' leaf values, added in
// tree order from zero (as leaves adds them).
func (m *Model) Margin(row []float64) float64 {
	_ = row[m.NFeatures-1]
	return m.flat.Sum(row)
}

// Prob returns P(y=1), the logistic function of the margin.
func (m *Model) Prob(row []float64) float64 { return core.Sigmoid(m.Margin(row)) }

// PredictProba writes P(y=1) of every row of X to out, in parallel.
func (m *Model) PredictProba(X core.Matrix, out []float64) {
	if X.Cols != m.NFeatures {
		panic(fmt.Sprintf("gbdt: matrix has %d columns, model %d", X.Cols, m.NFeatures))
	}
	core.ParallelRows(X.Rows, 0, func(lo, hi int) {
		m.flat.SumRows(X.Data, X.Cols, lo, hi, out)
		for i := lo; i < hi; i++ {
			out[i] = core.Sigmoid(out[i])
		}
	})
}

// Contributions writes TreeSHAP values (cover = training rows per node) to
// out and returns the expected margin, so that base + sum(out) == Margin(row).
func (m *Model) Contributions(row []float64, out []float64) float64 {
	for j := range out[:m.NFeatures] {
		out[j] = 0
	}
	m.explainOnce.Do(func() { m.explainer = tree.NewExplainer(m.Trees, m.depth, tree.DefaultSHAPBudget) })
	var s tree.SHAPScratch
	for i := range m.Trees {
		m.explainer.SHAP(i, row, out, 1, &s)
	}
	return m.base
}

// FeatureImportances returns each feature's total split gain, normalised.
func (m *Model) FeatureImportances() []float64 { return append([]float64(nil), m.imp...) }

// MarshalBinary returns the model as a LightGBM text model (version v3).
func (m *Model) MarshalBinary() ([]byte, error) { return m.MarshalText() }
