package ml

import (
	"fmt"
	"strings"

	"github.com/stewardml/steward/internal/ml/core"
	"github.com/stewardml/steward/internal/ml/forest"
	"github.com/stewardml/steward/internal/ml/gbdt"
	"github.com/stewardml/steward/internal/ml/linear"
	"github.com/stewardml/steward/internal/ml/xgboost"
)

// Matrix is a dense row-major matrix of float64 features; NaN marks a missing value.
type Matrix = core.Matrix

// Model is a fitted binary classifier; see core.Model for the method contract.
type Model = core.Model

// Trainer fits a Model. y is 0/1; w may be nil (uniform).
type Trainer = core.Trainer

// DataError locates a problem in training data (row, column, what was
// expected); it wraps ErrBadData.
type DataError = core.DataError

// Family describes one model family: name, payload decoder and training
// search; see core.Family.
type Family = core.Family

// Spec is one validated parameter set of a family; see core.Spec.
type Spec = core.Spec

// Names of the shipped families, for callers that pick one by name.
const (
	FamilyLogReg = linear.Name
	FamilyForest = forest.Name
	FamilyGBDT   = gbdt.Name
)

// shipped lists every family Steward ships, simplest first (the order
// breaks ties toward the simpler model). Adding a family is one line here.
var shipped = NewRegistry(linear.Family, forest.Family, gbdt.Family)

// Default returns the registry of the families Steward ships.
func Default() *Registry { return shipped }

// imported lists the families of models trained elsewhere and imported:
// their payloads decode and score like any other, but the training search
// never tries them.
var imported = NewRegistry(xgboost.Family)

// Imported returns the registry of the imported families.
func Imported() *Registry { return imported }

// Registry is an ordered list of model families, simplest first. It is
// immutable and safe for concurrent use.
type Registry struct {
	families []Family
}

// NewRegistry lists the given families, simplest first. Two families of one
// name are a programmer error and panic.
func NewRegistry(families ...Family) *Registry {
	seen := map[string]bool{}
	for _, f := range families {
		if seen[f.Name] {
			panic(fmt.Sprintf("ml: family %q registered twice", f.Name))
		}
		seen[f.Name] = true
	}
	return &Registry{families: append([]Family(nil), families...)}
}

// Families returns the families, simplest first.
func (r *Registry) Families() []Family { return append([]Family(nil), r.families...) }

// Names returns the family names, simplest first.
func (r *Registry) Names() []string {
	names := make([]string, len(r.families))
	for i, f := range r.families {
		names[i] = f.Name
	}
	return names
}

// Lookup returns the family of the given name and its rank (0 for the
// simplest); ok is false when no family has that name.
func (r *Registry) Lookup(name string) (f Family, rank int, ok bool) {
	for i, f := range r.families {
		if f.Name == name {
			return f, i, true
		}
	}
	return Family{}, 0, false
}

// Unmarshal decodes a payload written by Model.MarshalBinary of the given
// family. The payload is checked fully (a corrupt payload is an error
// wrapping ErrBadPayload, never a panic); a family the registry does not
// list is an error wrapping ErrUnknownFamily.
func (r *Registry) Unmarshal(family string, payload []byte) (Model, error) {
	f, _, ok := r.Lookup(family)
	if !ok {
		return nil, fmt.Errorf("ml: family %q (want %s): %w", family, oneOf(r.Names()), ErrUnknownFamily)
	}
	m, err := f.Unmarshal(payload)
	if err != nil {
		return nil, fmt.Errorf("ml: %w", err)
	}
	return m, nil
}

// oneOf spells names as "a, b or c".
func oneOf(names []string) string {
	if len(names) < 2 {
		return strings.Join(names, "")
	}
	return strings.Join(names[:len(names)-1], ", ") + " or " + names[len(names)-1]
}

// Sentinel errors, shared with the family packages (errors.Is works across
// them).
var (
	// ErrBadData marks unusable training data.
	ErrBadData = core.ErrBadData
	// ErrBadParam marks an invalid hyperparameter.
	ErrBadParam = core.ErrBadParam
	// ErrBadPayload marks a stored model payload that cannot be decoded.
	ErrBadPayload = core.ErrBadPayload
	// ErrUnknownFamily marks a family name Unmarshal does not know.
	ErrUnknownFamily = fmt.Errorf("unknown model family")
)

// NewMatrix returns a zeroed rows×cols matrix.
func NewMatrix(rows, cols int) Matrix { return core.NewMatrix(rows, cols) }

// Families lists the names of the shipped families in order of simplicity
// (used to break ties toward the simpler model).
func Families() []string { return shipped.Names() }

// Unmarshal decodes a payload of one of the shipped or imported families;
// see Registry.Unmarshal.
func Unmarshal(family string, payload []byte) (Model, error) {
	if _, _, ok := imported.Lookup(family); ok {
		return imported.Unmarshal(family, payload)
	}
	return shipped.Unmarshal(family, payload)
}

// Sigmoid returns 1/(1+exp(-x)) without overflow.
func Sigmoid(x float64) float64 { return core.Sigmoid(x) }
