package train

import (
	"github.com/stewardml/steward/internal/ml"
	"github.com/stewardml/steward/internal/ml/preprocess"
)

// lookupFamily returns the registered family of the given name and its
// rank (0 for the simplest, which wins ties).
func lookupFamily(name string) (ml.Family, int, bool) { return ml.Default().Lookup(name) }

// prepOptions is the preprocessing a family's parameter set needs.
func prepOptions(s ml.Spec) preprocess.Options {
	return preprocess.Options{Scale: s.Scale, OneHot: s.OneHot}
}
