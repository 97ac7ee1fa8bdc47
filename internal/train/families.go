package train

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"

	"github.com/stewardml/steward/internal/ml"
	"github.com/stewardml/steward/internal/ml/forest"
	"github.com/stewardml/steward/internal/ml/gbdt"
	"github.com/stewardml/steward/internal/ml/linear"
	"github.com/stewardml/steward/internal/ml/preprocess"
)

// family describes how the search handles one model family.
type family struct {
	// rank orders families by simplicity for tie-breaking.
	rank int
	// grid is the default search space.
	grid func() map[string]any
	// parse decodes and validates one point of the search.
	parse func(raw json.RawMessage) (familySpec, error)
}

// familySpec is one validated parameter set of a family.
type familySpec struct {
	effective json.RawMessage
	// complexity orders candidates of one family, simplest first
	// (lexicographically).
	complexity []float64
	// trainer returns the Trainer; workers bounds its own goroutines.
	trainer func(workers int) ml.Trainer
	options preprocess.Options
}

// familyOrder lists the families from the simplest, the order in which
// ties are broken and default searches run.
var familyOrder = []string{ml.FamilyLogReg, ml.FamilyForest, ml.FamilyGBDT}

var families = map[string]family{
	ml.FamilyLogReg: {
		rank: 0,
		grid: func() map[string]any {
			return map[string]any{"C": []any{0.01, 0.1, 1.0, 10.0}}
		},
		parse: func(raw json.RawMessage) (familySpec, error) {
			var p linear.Params
			if err := decodeStrict(raw, &p); err != nil {
				return familySpec{}, err
			}
			if err := p.Validate(); err != nil {
				return familySpec{}, err
			}
			p = p.WithDefaults()
			// A smaller C regularises more: the simpler model.
			return spec(p, []float64{p.C}, preprocess.Options{Scale: true, OneHot: true}, func(int) ml.Trainer {
				return linear.Trainer{Params: p}
			})
		},
	},
	ml.FamilyForest: {
		rank: 1,
		grid: func() map[string]any {
			return map[string]any{
				"n_trees":          []any{200},
				"max_depth":        []any{0, 6},
				"min_samples_leaf": []any{1, 5},
			}
		},
		parse: func(raw json.RawMessage) (familySpec, error) {
			var p forest.Params
			if err := decodeStrict(raw, &p); err != nil {
				return familySpec{}, err
			}
			if err := p.Validate(); err != nil {
				return familySpec{}, err
			}
			p = p.WithDefaults()
			return spec(p, []float64{float64(p.NTrees), depth(p.MaxDepth), -float64(p.MinSamplesLeaf)}, preprocess.Options{}, func(workers int) ml.Trainer {
				q := p
				q.Workers = workers
				return forest.Trainer{Params: q}
			})
		},
	},
	ml.FamilyGBDT: {
		rank: 2,
		grid: func() map[string]any {
			return map[string]any{
				"n_trees":       []any{100},
				"learning_rate": []any{0.05, 0.1},
				"max_depth":     []any{2, 3},
			}
		},
		parse: func(raw json.RawMessage) (familySpec, error) {
			var p gbdt.Params
			if err := decodeStrict(raw, &p); err != nil {
				return familySpec{}, err
			}
			if err := p.Validate(); err != nil {
				return familySpec{}, err
			}
			p = p.WithDefaults()
			size := float64(p.NTrees)
			return spec(p, []float64{size, depth(p.MaxDepth), leaves(p.MaxLeaves), -p.Lambda}, preprocess.Options{}, func(workers int) ml.Trainer {
				q := p
				q.Workers = workers
				return gbdt.Trainer{Params: q}
			})
		},
	},
}

// leaves orders an unlimited leaf count (0) after every limit.
func leaves(n int) float64 {
	if n <= 0 {
		return math.Inf(1)
	}
	return float64(n)
}

// depth orders an unlimited depth (0) after every limit.
func depth(d int) float64 {
	if d <= 0 {
		return math.Inf(1)
	}
	return float64(d)
}

func spec(effective any, complexity []float64, opt preprocess.Options, trainer func(int) ml.Trainer) (familySpec, error) {
	b, err := json.Marshal(effective)
	if err != nil {
		return familySpec{}, err
	}
	return familySpec{effective: b, complexity: complexity, trainer: trainer, options: opt}, nil
}

// decodeStrict decodes a JSON object into v, refusing unknown fields.
func decodeStrict(raw []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return fmt.Errorf("%v", err)
	}
	return nil
}
