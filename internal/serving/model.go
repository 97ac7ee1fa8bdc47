package serving

import (
	"context"
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/stewardml/steward/internal/dataset"
	"github.com/stewardml/steward/internal/registry"
)

// Sentinel errors, checked with errors.Is.
var (
	// ErrNotFound reports an unknown model, version or alias. Sources wrap
	// it so that the handler answers 404.
	ErrNotFound = errors.New("serving: not found")
	// ErrUnavailable reports that a model could not be loaded or resolved
	// for a reason that is not the client's (a store outage, a corrupt
	// bundle). The handler answers 503.
	ErrUnavailable = errors.New("serving: unavailable")
)

// FeatureKind says how a feature's numbers are meant and checked: the
// dataset schema's column kind.
type FeatureKind = dataset.Kind

// Feature kinds, those of the dataset schema.
const (
	// Numeric is a finite number, optionally within [Min, Max].
	Numeric = dataset.Numeric
	// Categorical is one of Levels, given as its code or its label.
	Categorical = dataset.Categorical
	// Binary is 0 or 1 (or a label of Levels when they are given).
	Binary = dataset.Binary
)

// Level is one allowed code of a categorical or binary feature: the dataset
// schema's level. A request may give the code or, when it is set, the label.
type Level = dataset.Level

// Feature is one model input as the model's schema declares it. It is the
// request-side view of a dataset.Column, not a copy of it: the fields a
// request value is checked against, plus Nullable, which depends on who
// scores (a bundle imputes missing values; a project schema does not),
// and without the column's unit and description, which the API does not
// publish.
type Feature struct {
	Name     string      `json:"name"`
	Kind     FeatureKind `json:"kind"`
	Min      *float64    `json:"min,omitempty"` // inclusive, numeric only
	Max      *float64    `json:"max,omitempty"` // inclusive, numeric only
	Levels   []Level     `json:"levels,omitempty"`
	Nullable bool        `json:"nullable,omitempty"` // null is accepted and scored as missing (NaN)
}

// Expected describes in words what the feature accepts, as error bodies
// show it: "number in [0, 120]", "one of 0, 1, 2, 3", "0 or 1".
func (f *Feature) Expected() string {
	var b strings.Builder
	switch f.Kind {
	case Categorical, Binary:
		levels := f.Levels
		if len(levels) == 0 {
			levels = []Level{{Value: 0}, {Value: 1}}
		}
		if len(levels) == 2 && f.Kind == Binary && levels[0].Label == "" && levels[1].Label == "" {
			b.WriteString(fmtNum(levels[0].Value) + " or " + fmtNum(levels[1].Value))
			break
		}
		b.WriteString("one of ")
		for i, l := range levels {
			if i > 0 {
				b.WriteString(", ")
			}
			b.WriteString(fmtNum(l.Value))
			if l.Label != "" {
				b.WriteString(" (" + strconv.Quote(l.Label) + ")")
			}
		}
	default:
		b.WriteString("number")
		switch {
		case f.Min != nil && f.Max != nil:
			b.WriteString(" in [" + fmtNum(*f.Min) + ", " + fmtNum(*f.Max) + "]")
		case f.Min != nil:
			b.WriteString(" >= " + fmtNum(*f.Min))
		case f.Max != nil:
			b.WriteString(" <= " + fmtNum(*f.Max))
		}
	}
	if f.Nullable {
		b.WriteString(", or null")
	}
	return b.String()
}

// check returns whether v is acceptable for the feature.
func (f *Feature) check(v float64) bool {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return false
	}
	switch f.Kind {
	case Categorical, Binary:
		if len(f.Levels) == 0 {
			return v == 0 || v == 1
		}
		for _, l := range f.Levels {
			if l.Value == v {
				return true
			}
		}
		return false
	}
	if f.Min != nil && v < *f.Min {
		return false
	}
	if f.Max != nil && v > *f.Max {
		return false
	}
	return true
}

// label returns the code of the level labelled s.
func (f *Feature) label(s []byte) (float64, bool) {
	if f.Kind == Numeric {
		return 0, false
	}
	for _, l := range f.Levels {
		if l.Label != "" && l.Label == string(s) {
			return l.Value, true
		}
	}
	return 0, false
}

func fmtNum(v float64) string { return strconv.FormatFloat(v, 'g', -1, 64) }

// Model is one loaded, immutable model version ready to score.
//
// Implementations are safe for concurrent use; PredictProba and
// Contributions do not retain their slices.
type Model interface {
	// Name returns the registered model name.
	Name() string
	// Version returns the registered version number (>= 1).
	Version() int
	// Features returns the model's inputs in the order rows are laid out.
	Features() []Feature
	// Threshold returns the probability at or above which the label is 1.
	Threshold() float64
	// PredictProba writes P(y=1) of each row of rows (row-major, one row
	// of len(Features()) values per element of out) to out. A NaN value
	// is a missing input.
	PredictProba(rows []float64, out []float64)
	// Contributions writes one contribution per feature of row to out and
	// returns the base value, so that base + sum(out) is the model's margin.
	Contributions(row []float64, out []float64) (base float64)
}

// ModelSource resolves aliases and loads model versions, usually from the
// registry and the artifact store.
//
// Errors wrap ErrNotFound for an unknown model, alias or version, and
// ErrUnavailable (or anything else) for failures that are not the
// caller's. Implementations are safe for concurrent use.
type ModelSource interface {
	// Resolve returns the version that alias of model name points to now.
	Resolve(ctx context.Context, name, alias string) (int, error)
	// Load loads version of model name.
	Load(ctx context.Context, name string, version int) (Model, error)
}

// ModelSummary is one entry of GET /v1/models.
type ModelSummary struct {
	Name          string         `json:"name"`
	LatestVersion int            `json:"latestVersion"`
	Aliases       map[string]int `json:"aliases"`
	Description   string         `json:"description,omitempty"`
}

// VersionInfo describes one registered version in GET /v1/models/{name}.
type VersionInfo struct {
	Version   int                `json:"version"`
	Family    string             `json:"family,omitempty"`
	CreatedAt time.Time          `json:"createdAt,omitzero"`
	Aliases   []string           `json:"aliases,omitempty"`
	Metrics   map[string]float64 `json:"metrics,omitempty"`
}

// ModelDetail is the body of GET /v1/models/{name}.
type ModelDetail struct {
	ModelSummary
	Versions []VersionInfo `json:"versions"`
	// Features is the input schema of the champion (or latest) version.
	Features []Feature `json:"features,omitempty"`
}

// Catalog lists what the registry holds, for the read-only model routes.
//
// Describe returns an error wrapping ErrNotFound for an unknown model.
// Implementations are safe for concurrent use.
type Catalog interface {
	// List returns every registered model, sorted by name.
	List(ctx context.Context) ([]ModelSummary, error)
	// Describe returns one model with its versions, newest first.
	Describe(ctx context.Context, name string) (ModelDetail, error)
}

// validName reports whether s can be a model name, by the registry's
// rule. Anything else cannot be registered, so it is answered 404 without
// a look-up (and never reaches a storage key).
func validName(s string) bool { return registry.ValidateModelName(s) == nil }

// nameRule is appended to the 404 of a name that cannot exist.
const nameRule = " (model names are 1-64 of a-z 0-9 . _ -, starting with a letter or digit)"

// validAlias reports whether s can be an alias name, by the registry's rule.
func validAlias(s string) bool { return registry.ValidateAliasName(s) == nil }

// notFoundf returns an error wrapping ErrNotFound.
func notFoundf(format string, args ...any) error {
	return fmt.Errorf("%w: "+format, append([]any{ErrNotFound}, args...)...)
}
