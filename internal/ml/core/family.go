package core

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
)

// Family is everything the rest of Steward needs to know about one model
// family: its name, how to decode a stored payload, and how the training
// search explores it. Each family package declares one as its Family
// variable; package ml lists them, and that list is the only place a
// family is registered.
type Family struct {
	// Name is the family name, as Model.Family reports it.
	Name string
	// Unmarshal decodes a payload written by Model.MarshalBinary; a corrupt
	// payload is an error wrapping ErrBadPayload, never a panic.
	Unmarshal func(payload []byte) (Model, error)
	// Grid returns the default search space: parameter name → values.
	Grid func() map[string]any
	// Parse decodes and validates one point of the search (a JSON object
	// of the family's parameters; unknown fields are refused).
	Parse func(raw json.RawMessage) (Spec, error)
}

// Spec is one validated parameter set of a family, ready to fit.
type Spec struct {
	// Effective are all the family's parameters with defaults filled in.
	Effective json.RawMessage
	// Complexity orders parameter sets of one family, simplest first
	// (compared lexicographically).
	Complexity []float64
	// Scale and OneHot say what the family needs from preprocessing
	// (standardised numeric features, one-hot categorical features).
	Scale, OneHot bool
	// Trainer returns the Trainer; workers bounds its own goroutines
	// (0 = all cores).
	Trainer func(workers int) Trainer
}

// NewSpec builds a Spec whose Effective is the JSON of params.
func NewSpec(params any, complexity []float64, trainer func(workers int) Trainer) (Spec, error) {
	b, err := json.Marshal(params)
	if err != nil {
		return Spec{}, err
	}
	return Spec{Effective: b, Complexity: complexity, Trainer: trainer}, nil
}

// DecodeParams decodes a JSON object into v, refusing unknown fields.
func DecodeParams(raw []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return fmt.Errorf("%v", err)
	}
	return nil
}

// Limit orders a limit where 0 means unlimited (a depth, a leaf count)
// for Spec.Complexity: unlimited comes after every limit.
func Limit(n int) float64 {
	if n <= 0 {
		return math.Inf(1)
	}
	return float64(n)
}
