package gbdt

import (
	"fmt"
	"math"

	"github.com/stewardml/steward/internal/ml/core"
	"github.com/stewardml/steward/internal/ml/tree"
)

// Params are the hyperparameters of boosting. Zero values select the
// defaults, which suit small tables such as the heart data (shallow trees,
// a small learning rate, subsampling); XGBoost's defaults are MaxDepth 6,
// LearningRate 0.3, MinChildWeight 1, Subsample 1, ColsampleByTree 1.
type Params struct {
	// NTrees is the number of boosting rounds; default 100.
	NTrees int `json:"n_trees"`
	// LearningRate (shrinkage) scales every tree; default 0.05.
	LearningRate float64 `json:"learning_rate"`
	// MaxDepth limits the depth of each tree; default 3, -1 for no limit
	// (MaxLeaves must then be set).
	MaxDepth int `json:"max_depth"`
	// MaxLeaves limits the leaves of each tree; 0 (default) means only
	// MaxDepth limits it.
	MaxLeaves int `json:"max_leaves"`
	// MinChildWeight is the smallest hessian sum of a child; default 3
	// (use a tiny positive value for none).
	MinChildWeight float64 `json:"min_child_weight"`
	// MinSamplesLeaf is the smallest number of rows in a leaf; default 1.
	MinSamplesLeaf int `json:"min_samples_leaf"`
	// Lambda is the L2 penalty on leaf values; default 1. Use a tiny
	// positive value for none.
	Lambda float64 `json:"lambda"`
	// MinSplitGain is the smallest loss reduction of a split; default 0.
	MinSplitGain float64 `json:"min_split_gain"`
	// Subsample is the fraction of rows drawn (without replacement) for
	// each tree; default 0.8.
	Subsample float64 `json:"subsample"`
	// ColsampleByTree is the fraction of features drawn for each tree;
	// default 0.8.
	ColsampleByTree float64 `json:"colsample_bytree"`
	// MaxBins caps the value bins per feature, 2..255; default 255.
	MaxBins int `json:"max_bins"`
	// EarlyStoppingRounds stops when the validation log loss has not
	// improved for this many rounds and keeps the best round; 0 means 10
	// when a validation set is given.
	EarlyStoppingRounds int `json:"early_stopping_rounds"`
	// ValidationFraction, when in (0, 0.5], makes Fit hold out this
	// stratified fraction of the rows for early stopping; 0 (default) uses
	// every row for training.
	ValidationFraction float64 `json:"validation_fraction"`
	// Workers caps the goroutines; 0 means GOMAXPROCS. It does not change
	// the result.
	Workers int `json:"-"`
}

// WithDefaults returns p with zero fields set to their defaults.
func (p Params) WithDefaults() Params {
	if p.NTrees == 0 {
		p.NTrees = 100
	}
	if p.LearningRate == 0 {
		p.LearningRate = 0.05
	}
	if p.MaxDepth == 0 {
		p.MaxDepth = 3
	}
	if p.MinChildWeight == 0 {
		p.MinChildWeight = 3
	}
	if p.MinSamplesLeaf == 0 {
		p.MinSamplesLeaf = 1
	}
	if p.Lambda == 0 {
		p.Lambda = 1
	}
	if p.Subsample == 0 {
		p.Subsample = 0.8
	}
	if p.ColsampleByTree == 0 {
		p.ColsampleByTree = 0.8
	}
	if p.MaxBins == 0 {
		p.MaxBins = tree.MaxBins
	}
	if p.EarlyStoppingRounds == 0 {
		p.EarlyStoppingRounds = 10
	}
	return p
}

// Validate reports invalid parameters (after defaults).
func (p Params) Validate() error {
	p = p.WithDefaults()
	bad := func(format string, a ...any) error {
		return fmt.Errorf("gbdt: "+format+": %w", append(a, core.ErrBadParam)...)
	}
	finite := func(v float64) bool { return !math.IsNaN(v) && !math.IsInf(v, 0) }
	switch {
	case p.NTrees < 1 || p.NTrees > 100000:
		return bad("n_trees = %d, want 1..100000", p.NTrees)
	case !(p.LearningRate > 0) || !finite(p.LearningRate):
		return bad("learning_rate = %v, want > 0", p.LearningRate)
	case p.MaxDepth < -1:
		return bad("max_depth = %d, want >= 1, or -1 for no limit", p.MaxDepth)
	case p.MaxLeaves < 0 || p.MaxLeaves == 1:
		return bad("max_leaves = %d, want >= 2, or 0 for no limit", p.MaxLeaves)
	case p.MaxDepth == -1 && p.MaxLeaves == 0:
		return bad("max_depth and max_leaves are both unlimited; set one of them")
	case p.MaxDepth > 30:
		return bad("max_depth = %d, want <= 30", p.MaxDepth)
	case p.MinChildWeight < 0 || !finite(p.MinChildWeight):
		return bad("min_child_weight = %v, want >= 0", p.MinChildWeight)
	case p.MinSamplesLeaf < 1:
		return bad("min_samples_leaf = %d, want >= 1", p.MinSamplesLeaf)
	case !(p.Lambda > 0) || !finite(p.Lambda):
		return bad("lambda = %v, want > 0", p.Lambda)
	case p.MinSplitGain < 0 || !finite(p.MinSplitGain):
		return bad("min_split_gain = %v, want >= 0", p.MinSplitGain)
	case !(p.Subsample > 0 && p.Subsample <= 1):
		return bad("subsample = %v, want in (0,1]", p.Subsample)
	case !(p.ColsampleByTree > 0 && p.ColsampleByTree <= 1):
		return bad("colsample_bytree = %v, want in (0,1]", p.ColsampleByTree)
	case p.MaxBins < 2 || p.MaxBins > tree.MaxBins:
		return bad("max_bins = %d, want 2..%d", p.MaxBins, tree.MaxBins)
	case p.EarlyStoppingRounds < 1:
		return bad("early_stopping_rounds = %d, want >= 1", p.EarlyStoppingRounds)
	case p.ValidationFraction < 0 || p.ValidationFraction > 0.5 || math.IsNaN(p.ValidationFraction):
		return bad("validation_fraction = %v, want 0..0.5", p.ValidationFraction)
	}
	return nil
}
