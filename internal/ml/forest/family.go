package forest

import (
	"encoding/json"

	"github.com/stewardml/steward/internal/ml/core"
)

// Name is the family name of the random forest.
const Name = "forest"

// Family describes the random forest to ml and the training search.
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
			"n_trees":          []any{200},
			"max_depth":        []any{0, 6},
			"min_samples_leaf": []any{1, 5},
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
		return core.NewSpec(p, []float64{float64(p.NTrees), core.Limit(p.MaxDepth), -float64(p.MinSamplesLeaf)}, func(workers int) core.Trainer {
			q := p
			q.Workers = workers
			return Trainer{Params: q}
		})
	},
}
