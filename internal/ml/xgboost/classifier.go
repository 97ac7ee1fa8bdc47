package xgboost

import (
	"fmt"
	"strings"

	"github.com/stewardml/steward/internal/ml/core"
)

// Name is the model family of imported XGBoost models.
const Name = "xgboost"

// Family decodes stored XGBoost payloads (the model file as XGBoost wrote
// it) into Steward models. It has no training search: such models are
// imported, never trained by Steward.
var Family = core.Family{Name: Name, Unmarshal: unmarshal}

// unmarshal decodes a payload into a Classifier.
func unmarshal(payload []byte) (core.Model, error) {
	m, err := Read(payload)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", core.ErrBadPayload, err)
	}
	c, err := NewClassifier(m, payload)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", core.ErrBadPayload, err)
	}
	return c, nil
}

// ErrNotBinary marks a model that is not a binary classifier, which is
// what Steward serves.
var ErrNotBinary = fmt.Errorf("%w: not a binary classifier", ErrUnsupported)

// BinaryObjectives are the objectives of the models a Classifier serves.
func BinaryObjectives() []string {
	return []string{"binary:logistic", "binary:logitraw", "reg:logistic"}
}

// Classifier is an XGBoost binary classifier as a Steward model: margins
// and probabilities exactly as XGBoost's (float32, widened to float64),
// TreeSHAP contributions, gain importances, and the original file as its
// payload. It is immutable and safe for concurrent use.
type Classifier struct {
	m       *Model
	s       *Scorer
	payload []byte
	imp     []float64
}

var _ core.Model = (*Classifier)(nil)

// NewClassifier wraps a model read from file (kept as the payload). The
// objective must be one of BinaryObjectives.
func NewClassifier(m *Model, file []byte) (*Classifier, error) {
	binary := false
	for _, o := range BinaryObjectives() {
		binary = binary || m.Objective == o
	}
	if !binary || m.groups != 1 {
		return nil, fmt.Errorf("%w: objective %s (Steward serves %s)", ErrNotBinary, m.Objective, strings.Join(BinaryObjectives(), ", "))
	}
	c := &Classifier{m: m, s: m.Compile(), payload: file, imp: make([]float64, m.NumFeature)}
	for _, t := range m.trees {
		for n, l := range t.left {
			if l != -1 {
				c.imp[t.feature[n]] += float64(t.gain[n])
			}
		}
	}
	core.NormalizeSum(c.imp)
	return c, nil
}

// Booster returns the XGBoost model.
func (c *Classifier) Booster() *Model { return c.m }

// Family returns Name.
func (c *Classifier) Family() string { return Name }

// margin32 is XGBoost's float32 margin of row.
func (c *Classifier) margin32(row []float64) float32 {
	var out [1]float32
	c.s.Margins(row, out[:])
	return out[0]
}

// Margin returns XGBoost's margin (output_margin=True).
func (c *Classifier) Margin(row []float64) float64 { return float64(c.margin32(row)) }

// Prob returns XGBoost's probability: its predict() for the logistic
// objectives, and its float32 sigmoid of the margin for binary:logitraw,
// whose predict() is the margin itself.
func (c *Classifier) Prob(row []float64) float64 { return float64(c.m.sigmoid(c.margin32(row))) }

// PredictProba writes Prob of every row of X to out, on all cores.
func (c *Classifier) PredictProba(X core.Matrix, out []float64) {
	c.m.checkRow(X.Cols)
	core.ParallelRows(X.Rows, 0, func(lo, hi int) {
		buf := make([]float32, hi-lo)
		c.s.MarginsRows(X.Data[lo*X.Cols:hi*X.Cols], 0, hi-lo, buf)
		for i, v := range buf {
			out[lo+i] = float64(c.m.sigmoid(v))
		}
	})
}

// Contributions writes TreeSHAP contributions to out and returns the bias,
// so that base + sum(out) is the margin (within float32 rounding). A model
// with categorical splits has no contributions: out is zeroed and the
// margin returned as the base.
func (c *Classifier) Contributions(row []float64, out []float64) (base float64) {
	all := make([]float64, c.m.NumFeature+1)
	if err := c.m.Contributions(row, all); err != nil {
		clear(out)
		return c.Margin(row)
	}
	copy(out, all[:c.m.NumFeature])
	return all[c.m.NumFeature]
}

// FeatureImportances returns each feature's share of the total split gain.
func (c *Classifier) FeatureImportances() []float64 { return append([]float64(nil), c.imp...) }

// MarshalBinary returns the model file as imported.
func (c *Classifier) MarshalBinary() ([]byte, error) { return append([]byte(nil), c.payload...), nil }
