package train

import (
	"encoding/json"
	"fmt"
	"math"
	"math/rand"
	"sort"
	"strings"

	"github.com/stewardml/steward/internal/ml"
	"github.com/stewardml/steward/internal/ml/eval"
)

// Search strategies of a FamilySearch.
const (
	SearchGrid   = "grid"
	SearchRandom = "random"
)

// Defaults of Config.
const (
	DefaultFolds        = 5
	DefaultRepeats      = 3
	DefaultHoldout      = 0.2
	DefaultMetric       = eval.F1
	DefaultThreshold    = 0.5
	DefaultSamples      = 10
	DefaultTieTolerance = 1e-9
	// MaxCandidates bounds the candidates of one family's grid, so that a
	// typo in a configuration cannot start a week-long search.
	MaxCandidates = 1000
)

// Config is the training section of the project configuration. The zero
// value trains every family with its default grid, 5 folds × 3 repeats, a
// 20 % hold-out, selecting by F1 at threshold 0.5 with seed 0.
type Config struct {
	// Seed fixes the splits and every model's random draws.
	Seed int64 `yaml:"seed" json:"seed"`
	// Folds and Repeats set the repeated stratified k-fold cross-validation.
	Folds   int `yaml:"folds,omitempty" json:"folds,omitempty"`
	Repeats int `yaml:"repeats,omitempty" json:"repeats,omitempty"`
	// Holdout is the stratified share of rows kept out of the search and
	// scored once by the final model; nil means DefaultHoldout, 0 none.
	Holdout *float64 `yaml:"holdout,omitempty" json:"holdout,omitempty"`
	// Metric chooses the winner (eval names: f1, roc_auc, log_loss, ...).
	Metric string `yaml:"metric,omitempty" json:"metric,omitempty"`
	// Threshold turns probabilities into labels; 0 means DefaultThreshold.
	Threshold float64 `yaml:"threshold,omitempty" json:"threshold,omitempty"`
	// TieTolerance: candidates whose mean metric is within it of the best
	// are tied, and the simplest of them wins. 0 means DefaultTieTolerance.
	TieTolerance float64 `yaml:"tie_tolerance,omitempty" json:"tie_tolerance,omitempty"`
	// Parallel bounds the fits running at once; 0 means GOMAXPROCS. It
	// does not change the result.
	Parallel int `yaml:"parallel,omitempty" json:"parallel,omitempty"`
	// Families lists the searches; empty means every family with its
	// default grid.
	Families []FamilySearch `yaml:"families,omitempty" json:"families,omitempty"`
	// Schedule, in EventBridge syntax ("rate(7 days)", "cron(0 3 ? * MON *)"),
	// starts a retraining at those times whatever the drift: EventBridge
	// on AWS, the local scheduler of `steward serve`. It is no part of a
	// run's configuration. Empty: retraining starts only on the agent's
	// decisions and by hand.
	Schedule string `yaml:"schedule,omitempty" json:"-"`
}

// FamilySearch is the hyperparameter search of one model family.
type FamilySearch struct {
	// Family is logreg, forest or gbdt.
	Family string `yaml:"family" json:"family"`
	// Search is grid (every combination, the default) or random (Samples
	// distinct combinations drawn with the seed).
	Search  string `yaml:"search,omitempty" json:"search,omitempty"`
	Samples int    `yaml:"samples,omitempty" json:"samples,omitempty"`
	// Params maps a parameter name (as the family spells it, e.g. C,
	// n_trees, max_depth) to the list of values tried; a single value is a
	// one-element list. Parameters not named keep the family's defaults, so
	// an empty map ({}) is the one candidate of the defaults; nil (absent)
	// means the family's default grid.
	Params map[string]any `yaml:"params" json:"params"`
}

// WithDefaults returns c with zero fields set to their defaults.
func (c Config) WithDefaults() Config {
	if c.Folds == 0 {
		c.Folds = DefaultFolds
	}
	if c.Repeats == 0 {
		c.Repeats = DefaultRepeats
	}
	if c.Holdout == nil {
		h := DefaultHoldout
		c.Holdout = &h
	}
	if c.Metric == "" {
		c.Metric = DefaultMetric
	}
	if c.Threshold == 0 {
		c.Threshold = DefaultThreshold
	}
	if c.TieTolerance == 0 {
		c.TieTolerance = DefaultTieTolerance
	}
	if len(c.Families) == 0 {
		for _, f := range ml.Families() {
			c.Families = append(c.Families, FamilySearch{Family: f})
		}
	}
	fs := make([]FamilySearch, len(c.Families))
	for i, f := range c.Families {
		if f.Search == "" {
			f.Search = SearchGrid
		}
		if f.Search == SearchRandom && f.Samples == 0 {
			f.Samples = DefaultSamples
		}
		if f.Params == nil {
			if fam, _, ok := lookupFamily(f.Family); ok {
				f.Params = fam.Grid()
			}
		}
		fs[i] = f
	}
	c.Families = fs
	return c
}

func configErr(format string, a ...any) error {
	return fmt.Errorf("%w: "+format, append([]any{ErrInvalidConfig}, a...)...)
}

// Validate checks the configuration (after defaults) without training:
// numbers in range, known metric, known families and parameters, and
// parameter values the family accepts. Errors wrap ErrInvalidConfig and name
// the offending field.
func (c Config) Validate() error {
	_, err := c.Plan()
	return err
}

// Candidate is one point of a search: a family with one value per searched
// parameter.
type Candidate struct {
	// ID is "<family>-<n>", n counting from 1 within the family.
	ID     string `json:"id"`
	Family string `json:"family"`
	// Params are the searched values, as configured.
	Params map[string]any `json:"params"`
	// Effective are all the family's parameters with defaults filled in,
	// as the family spells them.
	Effective json.RawMessage `json:"effective"`

	complexity []float64
	spec       ml.Spec
	rank       int
}

// Plan validates the configuration (after defaults) and lists the
// candidates it searches, in a fixed order: families as configured, each
// family's grid in the lexical order of parameter names, values as listed.
func (c Config) Plan() ([]Candidate, error) {
	c = c.WithDefaults()
	switch {
	case c.Folds < 2:
		return nil, configErr("training.folds = %d, want at least 2", c.Folds)
	case c.Repeats < 1:
		return nil, configErr("training.repeats = %d, want at least 1", c.Repeats)
	case !(*c.Holdout >= 0 && *c.Holdout < 0.9):
		return nil, configErr("training.holdout = %v, want a fraction in [0, 0.9)", *c.Holdout)
	case !(c.Threshold > 0 && c.Threshold < 1):
		return nil, configErr("training.threshold = %v, want a probability in (0, 1)", c.Threshold)
	case !(c.TieTolerance >= 0) || math.IsInf(c.TieTolerance, 0):
		return nil, configErr("training.tie_tolerance = %v, want a finite value >= 0", c.TieTolerance)
	case c.Parallel < 0:
		return nil, configErr("training.parallel = %d, want >= 0 (0 = all cores)", c.Parallel)
	}
	if _, ok := eval.HigherIsBetter(c.Metric); !ok {
		return nil, configErr("training.metric %q is unknown, want one of %s", c.Metric, strings.Join(eval.Names, ", "))
	}
	rng := rand.New(rand.NewSource(derive(c.Seed, "search")))
	var out []Candidate
	seen := map[string]bool{}
	for i, fs := range c.Families {
		where := fmt.Sprintf("training.families[%d]", i)
		fam, rank, ok := lookupFamily(fs.Family)
		if !ok {
			return nil, configErr("%s.family %q is unknown, want one of %s", where, fs.Family, strings.Join(ml.Families(), ", "))
		}
		if seen[fs.Family] {
			return nil, configErr("%s.family %q is listed twice; put every value in one params map", where, fs.Family)
		}
		seen[fs.Family] = true
		points, err := grid(fs.Params)
		if err != nil {
			return nil, configErr("%s (%s): %v", where, fs.Family, err)
		}
		switch fs.Search {
		case SearchGrid:
		case SearchRandom:
			if fs.Samples < 1 {
				return nil, configErr("%s.samples = %d, want at least 1", where, fs.Samples)
			}
			if fs.Samples < len(points) {
				perm := rng.Perm(len(points))[:fs.Samples]
				sort.Ints(perm) // keep the grid order among the drawn points
				picked := make([]map[string]any, len(perm))
				for k, p := range perm {
					picked[k] = points[p]
				}
				points = picked
			}
		default:
			return nil, configErr("%s.search %q, want grid or random", where, fs.Search)
		}
		if len(points) > MaxCandidates {
			return nil, configErr("%s (%s): %d candidates, more than the %d allowed; use search: random", where, fs.Family, len(points), MaxCandidates)
		}
		for k, p := range points {
			raw, err := json.Marshal(p)
			if err != nil {
				return nil, configErr("%s (%s): params %v: %v", where, fs.Family, p, err)
			}
			spec, err := fam.Parse(raw)
			if err != nil {
				return nil, configErr("%s (%s) params %s: %v", where, fs.Family, raw, err)
			}
			out = append(out, Candidate{
				ID:         fmt.Sprintf("%s-%d", fs.Family, k+1),
				Family:     fs.Family,
				Params:     p,
				Effective:  spec.Effective,
				complexity: spec.Complexity,
				spec:       spec,
				rank:       rank,
			})
		}
	}
	return out, nil
}

// grid expands a parameter map into every combination, keys in lexical
// order, the last key varying fastest.
func grid(params map[string]any) ([]map[string]any, error) {
	keys := make([]string, 0, len(params))
	for k := range params {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	lists := make([][]any, len(keys))
	total := 1
	for i, k := range keys {
		switch v := params[k].(type) {
		case []any:
			lists[i] = v
		case nil:
			return nil, fmt.Errorf("parameter %q has no value", k)
		default:
			lists[i] = []any{v}
		}
		if len(lists[i]) == 0 {
			return nil, fmt.Errorf("parameter %q has an empty list of values", k)
		}
		total *= len(lists[i])
		if total > 100*MaxCandidates {
			return nil, fmt.Errorf("the grid has more than %d points", 100*MaxCandidates)
		}
	}
	out := make([]map[string]any, 0, total)
	idx := make([]int, len(keys))
	for {
		p := make(map[string]any, len(keys))
		for i, k := range keys {
			p[k] = lists[i][idx[i]]
		}
		out = append(out, p)
		i := len(keys) - 1
		for ; i >= 0; i-- {
			idx[i]++
			if idx[i] < len(lists[i]) {
				break
			}
			idx[i] = 0
		}
		if i < 0 {
			return out, nil
		}
	}
}

// derive mixes a seed with a label into an independent seed (SplitMix64
// over an FNV-1a hash of the label), so that each use of randomness has its
// own stream that does not depend on the order of the others.
func derive(seed int64, label string, nums ...int) int64 {
	h := uint64(14695981039346656037)
	for i := 0; i < len(label); i++ {
		h ^= uint64(label[i])
		h *= 1099511628211
	}
	for _, n := range nums {
		h ^= uint64(n) + 0x9e3779b97f4a7c15
		h *= 1099511628211
	}
	z := uint64(seed) ^ h
	z += 0x9e3779b97f4a7c15
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9
	z = (z ^ (z >> 27)) * 0x94d049bb133111eb
	z ^= z >> 31
	return int64(z)
}
