package gbdt

import (
	"encoding/json"

	"github.com/stewardml/steward/internal/ml/core"
)

// Name is the family name of gradient boosting.
const Name = "gbdt"

// Family describes gradient boosting to ml and the training search.
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
		return map[string]any{
			"n_trees":       []any{100},
			"learning_rate": []any{0.05, 0.1},
			"max_depth":     []any{2, 3},
		}
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
		return core.NewSpec(p, []float64{float64(p.NTrees), core.Limit(p.MaxDepth), core.Limit(p.MaxLeaves), -p.Lambda}, func(workers int) core.Trainer {
			q := p
			q.Workers = workers
			return Trainer{Params: q}
		})
	},
}
