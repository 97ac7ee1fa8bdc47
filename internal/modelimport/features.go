package modelimport

import (
	"fmt"
	"slices"
	"strings"

	"github.com/stewardml/steward/internal/dataset"
)

// ModelFeatures is what a model file says about its inputs.
type ModelFeatures struct {
	// Count is the number of inputs.
	Count int
	// Names are the input names in order; nil when the file has none.
	Names []string
	// Categorical marks the inputs the model treats as categories; nil
	// when the file does not say.
	Categorical []bool
}

// CheckFeatures compares a model's inputs with the schema's features (in
// order) and returns nil when they agree, else an error wrapping
// ErrFeatures that names every mismatch: a missing feature, an extra one,
// a different order, a different count when the file has no names, and a
// feature the schema calls categorical that the model treats as numeric
// (or the reverse), where the file records feature types.
func CheckFeatures(schema []dataset.Column, m ModelFeatures) error {
	want := make([]string, len(schema))
	for i, c := range schema {
		want[i] = c.Name
	}
	var problems []string
	names := m.Names
	if names == nil {
		if m.Count != len(schema) {
			return fmt.Errorf("%w: the model has %d features, the schema %d (%s)", ErrFeatures, m.Count, len(schema), strings.Join(want, ", "))
		}
		names = want
	}
	for _, n := range want {
		if !slices.Contains(names, n) {
			problems = append(problems, fmt.Sprintf("missing feature %q", n))
		}
	}
	for _, n := range names {
		if !slices.Contains(want, n) {
			problems = append(problems, fmt.Sprintf("extra feature %q", n))
		}
	}
	if len(problems) == 0 && !slices.Equal(names, want) {
		problems = append(problems, fmt.Sprintf("wrong order: the model has %s, the schema %s", strings.Join(names, ", "), strings.Join(want, ", ")))
	}
	if len(problems) == 0 && len(m.Categorical) == len(names) {
		for i, c := range schema {
			switch {
			case c.Kind == dataset.Categorical && !m.Categorical[i]:
				problems = append(problems, fmt.Sprintf("categorical feature %q is numeric in the model", c.Name))
			case c.Kind != dataset.Categorical && m.Categorical[i]:
				problems = append(problems, fmt.Sprintf("%s feature %q is categorical in the model", c.Kind, c.Name))
			}
		}
	}
	if len(problems) > 0 {
		return fmt.Errorf("%w: %s", ErrFeatures, strings.Join(problems, "; "))
	}
	return nil
}
