package forest

import (
	"encoding/binary"
	"fmt"
	"math"
	"slices"
	"sync"

	"github.com/stewardml/steward/internal/ml/core"
	"github.com/stewardml/steward/internal/ml/tree"
)

// probClamp bounds the mean probability before taking its logit.
const probClamp = 1e-6

// Model is a fitted random forest. It implements ml.Model.
type Model struct {
	NFeatures int
	Trees     []*tree.Tree
	// Importances is the mean decrease in Gini impurity per feature,
	// normalised per tree and then over the forest.
	Importances []float64

	baseProb float64   // mean of the trees' expected values
	pred     *compiled // nil when the cuts do not fit a byte
	depth    []int     // per tree, for the explainer

	explainOnce sync.Once
	explainer   *tree.Explainer // built on the first explanation
}

var _ core.Model = (*Model)(nil)

// prepare compiles a decoded forest for prediction, tree by tree in
// parallel.
func (m *Model) prepare() {
	nt := len(m.Trees)
	m.depth = make([]int, nt)
	cuts := collectCuts(m.Trees, m.NFeatures)
	var enc [][]uint64
	if cuts != nil && m.NFeatures <= maxBinnedFeatures {
		enc = make([][]uint64, nt)
	}
	table := newCutTable(cuts)
	core.ParallelRows(nt, 0, func(lo, hi int) {
		for i := lo; i < hi; i++ {
			t := m.Trees[i]
			if enc == nil {
				m.depth[i] = t.MaxDepth()
				continue
			}
			enc[i], m.depth[i] = compileTree(t, func(k int) uint8 {
				nd := t.Nodes[k]
				b, _ := slices.BinarySearch(cuts[nd.Feature], nd.Threshold)
				return uint8(b)
			})
		}
	})
	m.finish(table, enc)
}

// finish sets what prediction and TreeSHAP need once the trees are compiled
// (enc is nil when they could not be) and their depths known.
func (m *Model) finish(cuts *cutTable, enc [][]uint64) {
	m.pred = nil
	if enc != nil {
		m.pred = &compiled{nf: m.NFeatures, cuts: cuts, trees: enc}
		m.pred.block = m.pred.blockRows()
	}
	var s float64
	for _, t := range m.Trees {
		s += t.ExpectedValue()
	}
	m.baseProb = s / float64(len(m.Trees))
}

// Family returns "forest".
func (m *Model) Family() string { return Name }

// Prob returns the mean of the trees' leaf probabilities.
func (m *Model) Prob(row []float64) float64 {
	_ = row[m.NFeatures-1]
	return m.sum(row) * (1 / float64(len(m.Trees)))
}

// sum returns the sum of the trees' values for row, added in tree order.
func (m *Model) sum(row []float64) float64 {
	if c := m.pred; c != nil {
		nan := false
		for _, x := range row[:c.nf] {
			nan = nan || x != x
		}
		if !nan {
			var s float64
			for _, nodes := range c.trees {
				s += walkRaw(nodes, row, c.cuts.vals)
			}
			return s
		}
	}
	return m.slowSum(row)
}

// slowSum is sum on raw values (rows with NaN, or no binned evaluator).
func (m *Model) slowSum(row []float64) float64 {
	var s float64
	for _, t := range m.Trees {
		s += t.Predict(row)
	}
	return s
}

func clampedLogit(p float64) float64 {
	return core.Logit(min(max(p, probClamp), 1-probClamp))
}

// Margin returns the logit of Prob, with the probability clamped to
// [1e-6, 1-1e-6].
func (m *Model) Margin(row []float64) float64 { return clampedLogit(m.Prob(row)) }

// PredictProba writes Prob of every row of X to out, in parallel.
func (m *Model) PredictProba(X core.Matrix, out []float64) {
	if X.Cols != m.NFeatures {
		panic(fmt.Sprintf("forest: matrix has %d columns, model %d", X.Cols, m.NFeatures))
	}
	inv := 1 / float64(len(m.Trees)) // as in Prob, so both agree exactly
	if m.pred != nil {
		m.pred.sumRows(X, out[:X.Rows], m.slowSum)
	} else {
		core.ParallelRows(X.Rows, 0, func(lo, hi int) {
			for i := lo; i < hi; i++ {
				out[i] = m.slowSum(X.Data[i*X.Cols : (i+1)*X.Cols])
			}
		})
	}
	for i := range out[:X.Rows] {
		out[i] *= inv
	}
}

// Contributions writes TreeSHAP contributions rescaled to the margin to out
// and returns the base margin, so that base + sum(out) == Margin(row).
func (m *Model) Contributions(row []float64, out []float64) float64 {
	for j := range out[:m.NFeatures] {
		out[j] = 0
	}
	m.explainOnce.Do(func() { m.explainer = tree.NewExplainer(m.Trees, m.depth, tree.DefaultSHAPBudget) })
	var s tree.SHAPScratch
	scale := 1 / float64(len(m.Trees))
	p := 0.0
	for i, t := range m.Trees {
		m.explainer.SHAP(i, row, out, scale, &s)
		p += t.Predict(row)
	}
	p *= scale
	base := clampedLogit(m.baseProb)
	margin := clampedLogit(p)
	var sum float64
	for _, v := range out[:m.NFeatures] {
		sum += v
	}
	var factor float64
	if math.Abs(sum) > 1e-12 {
		factor = (margin - base) / sum
	} else {
		bp := min(max(m.baseProb, probClamp), 1-probClamp)
		factor = 1 / (bp * (1 - bp))
	}
	for j := range out[:m.NFeatures] {
		out[j] *= factor
	}
	// whatever is left (the clamp, rounding) goes to the base value
	var got float64
	for _, v := range out[:m.NFeatures] {
		got += v
	}
	return margin - got
}

// FeatureImportances returns the normalised mean decrease in impurity.
func (m *Model) FeatureImportances() []float64 { return append([]float64(nil), m.Importances...) }

const magic = "STWDRF01"

// MarshalBinary encodes the forest in a compact binary form: a magic string,
// the feature and tree counts, the importances and the trees.
func (m *Model) MarshalBinary() ([]byte, error) {
	le := binary.LittleEndian
	buf := []byte(magic)
	buf = le.AppendUint32(buf, uint32(m.NFeatures))
	buf = le.AppendUint32(buf, uint32(len(m.Trees)))
	for _, v := range m.Importances {
		buf = le.AppendUint64(buf, math.Float64bits(v))
	}
	for _, t := range m.Trees {
		buf = t.AppendBinary(buf)
	}
	return buf, nil
}

// Unmarshal decodes a payload written by MarshalBinary and checks every tree.
func Unmarshal(payload []byte) (*Model, error) {
	bad := func(format string, a ...any) error {
		return fmt.Errorf("forest: decode model: "+format+": %w", append(a, core.ErrBadPayload)...)
	}
	le := binary.LittleEndian
	if len(payload) < len(magic)+8 || string(payload[:len(magic)]) != magic {
		return nil, bad("not a forest payload")
	}
	buf := payload[len(magic):]
	nf, nt := int(le.Uint32(buf)), int(le.Uint32(buf[4:]))
	buf = buf[8:]
	if nf < 1 || nf > 1<<20 || nt < 1 || nt > len(buf) || len(buf) < 8*nf {
		return nil, bad("%d features and %d trees do not fit in %d bytes", nf, nt, len(buf))
	}
	m := &Model{NFeatures: nf, Importances: make([]float64, nf), Trees: make([]*tree.Tree, nt)}
	for j := range m.Importances {
		m.Importances[j] = math.Float64frombits(le.Uint64(buf))
		buf = buf[8:]
	}
	for i := range m.Trees {
		t, rest, err := tree.DecodeBinary(buf, nf)
		if err != nil {
			return nil, bad("tree %d: %v", i, err)
		}
		for _, v := range t.LeafValue {
			if v < 0 || v > 1 {
				return nil, bad("tree %d: leaf probability %v", i, v)
			}
		}
		m.Trees[i] = t
		buf = rest
	}
	if len(buf) != 0 {
		return nil, bad("%d trailing bytes", len(buf))
	}
	m.prepare()
	return m, nil
}
