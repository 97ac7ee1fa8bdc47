package linear

import (
	"encoding/json"

	"github.com/stewardml/steward/internal/ml/core"
)

// Name is the family name of logistic regression.
const Name = "logreg"

// Family describes logistic regression to ml and the training search.
var Family = core.Family{
	Name: Name,
	Unmarshal: func(payload []byte) (core.Model, error) {
		m, err := Unmarshal(payload)
		if err != nil {
			return nil, err
		}
		return m, nil
	},
	Grid: func() map[string]any {
		return map[string]any{"C": []any{0.01, 0.1, 1.0, 10.0}}
	},
	Parse: func(raw json.RawMessage) (core.Spec, error) {
		var p Params
		if err := core.DecodeParams(raw, &p); err != nil {
			return core.Spec{}, err
		}
		if err := p.Validate(); err != nil {
			return core.Spec{}, err
		}
		p = p.WithDefaults()
		// A smaller C regularises more: the simpler model.
		s, err := core.NewSpec(p, []float64{p.C}, func(int) core.Trainer { return Trainer{Params: p} })
		s.Scale, s.OneHot = true, true
		return s, err
	},
}
