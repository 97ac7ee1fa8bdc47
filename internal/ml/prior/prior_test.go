package prior

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"math/rand"
	"testing"

	"github.com/stewardml/steward/internal/ml"
	"github.com/stewardml/steward/internal/ml/core"
)

// Family is the constant-prior classifier.
var Family = core.Family{
	Name:      "prior",
	Unmarshal: unmarshal,
	Grid:      func() map[string]any { return map[string]any{} },
	Parse: func(raw json.RawMessage) (core.Spec, error) {
		var p struct{}
		if err := core.DecodeParams(raw, &p); err != nil {
			return core.Spec{}, err
		}
		return core.NewSpec(p, nil, func(int) core.Trainer { return trainer{} })
	},
}

type trainer struct{}

func (trainer) Fit(X core.Matrix, y, w []float64, _ *rand.Rand) (core.Model, error) {
	if err := core.CheckTarget(X, y, w, true); err != nil {
		return nil, err
	}
	var pos, all float64
	for i, v := range y {
		wi := 1.0
		if w != nil {
			wi = w[i]
		}
		pos += wi * v
		all += wi
	}
	return &model{P: pos / all, Cols: X.Cols}, nil
}

type model struct {
	P    float64 `json:"p"`
	Cols int     `json:"cols"`
}

func unmarshal(payload []byte) (core.Model, error) {
	var m model
	if err := json.Unmarshal(payload, &m); err != nil {
		return nil, fmt.Errorf("prior: %v: %w", err, core.ErrBadPayload)
	}
	if !(m.P > 0 && m.P < 1) || m.Cols < 1 {
		return nil, fmt.Errorf("prior: p = %v, cols = %d: %w", m.P, m.Cols, core.ErrBadPayload)
	}
	return &m, nil
}

func (m *model) Family() string                 { return Family.Name }
func (m *model) Margin([]float64) float64       { return core.Logit(m.P) }
func (m *model) Prob([]float64) float64         { return m.P }
func (m *model) MarshalBinary() ([]byte, error) { return json.Marshal(m) }
func (m *model) FeatureImportances() []float64  { return make([]float64, m.Cols) }
func (m *model) PredictProba(X core.Matrix, out []float64) {
	for i := 0; i < X.Rows; i++ {
		out[i] = m.P
	}
}
func (m *model) Contributions(_ []float64, out []float64) float64 {
	clear(out)
	return core.Logit(m.P)
}

func TestAFourthFamilyTravelsThroughTheRegistry(t *testing.T) {
	reg := ml.NewRegistry(append(ml.Default().Families(), Family)...)

	fam, rank, ok := reg.Lookup("prior")
	if !ok {
		t.Fatalf("prior is not in the registry %v", reg.Names())
	}
	if want := len(ml.Families()); rank != want {
		t.Errorf("rank %d, want %d (listed last)", rank, want)
	}
	spec, err := fam.Parse(json.RawMessage(`{}`))
	if err != nil {
		t.Fatal(err)
	}
	X := core.Matrix{Rows: 4, Cols: 2, Data: []float64{0, 1, 1, 0, 2, math.NaN(), 3, 3}}
	m, err := spec.Trainer(1).Fit(X, []float64{1, 0, 0, 0}, nil, rand.New(rand.NewSource(1)))
	if err != nil {
		t.Fatal(err)
	}
	payload, err := m.MarshalBinary()
	if err != nil {
		t.Fatal(err)
	}
	back, err := reg.Unmarshal(m.Family(), payload)
	if err != nil {
		t.Fatal(err)
	}
	got := make([]float64, X.Rows)
	back.PredictProba(X, got)
	for i, p := range got {
		if p != 0.25 {
			t.Errorf("row %d: P(y=1) = %v, want 0.25", i, p)
		}
	}
	if _, err := ml.Unmarshal("prior", payload); !errors.Is(err, ml.ErrUnknownFamily) {
		t.Errorf("the shipped registry decoded a test-only family: err = %v", err)
	}
	if _, err := reg.Unmarshal("prior", []byte(`{"p":2}`)); !errors.Is(err, ml.ErrBadPayload) {
		t.Errorf("corrupt payload: err = %v, want ErrBadPayload", err)
	}
}
