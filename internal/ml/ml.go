package ml

import (
	"fmt"

	"github.com/stewardml/steward/internal/ml/core"
	"github.com/stewardml/steward/internal/ml/forest"
	"github.com/stewardml/steward/internal/ml/gbdt"
	"github.com/stewardml/steward/internal/ml/linear"
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

// Family names.
const (
	FamilyLogReg = core.FamilyLogReg
	FamilyForest = core.FamilyForest
	FamilyGBDT   = core.FamilyGBDT
)

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

// Families lists the family names in order of simplicity (used to break
// ties toward the simpler model).
func Families() []string { return []string{FamilyLogReg, FamilyForest, FamilyGBDT} }

// Unmarshal decodes a payload written by Model.MarshalBinary of the given
// family. The payload is checked fully (a corrupt payload is an error wrapping
// ErrBadPayload, never a panic).
func Unmarshal(family string, payload []byte) (Model, error) {
	var (
		m   Model
		err error
	)
	switch family {
	case FamilyLogReg:
		m, err = linear.Unmarshal(payload)
	case FamilyForest:
		m, err = forest.Unmarshal(payload)
	case FamilyGBDT:
		m, err = gbdt.Unmarshal(payload)
	default:
		return nil, fmt.Errorf("ml: family %q (want logreg, forest or gbdt): %w", family, ErrUnknownFamily)
	}
	if err != nil {
		return nil, fmt.Errorf("ml: %w", err)
	}
	return m, nil
}

// Sigmoid returns 1/(1+exp(-x)) without overflow.
func Sigmoid(x float64) float64 { return core.Sigmoid(x) }
