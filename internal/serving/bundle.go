package serving

import (
	"github.com/stewardml/steward/internal/bundle"
	"github.com/stewardml/steward/internal/dataset"
)

// BundleModel serves a registered version of a model bundle.
type BundleModel struct {
	*bundle.Predictor
	name     string
	version  int
	features []Feature
}

var _ Model = (*BundleModel)(nil)

// NewBundleModel wraps a bundle's predictor as version of model name. Every
// feature accepts null, which the predictor imputes as it did in training.
func NewBundleModel(name string, version int, p *bundle.Predictor) *BundleModel {
	return &BundleModel{Predictor: p, name: name, version: version, features: FeaturesOf(p.Features(), true)}
}

// Name returns the registered model name.
func (m *BundleModel) Name() string { return m.name }

// Version returns the registered version.
func (m *BundleModel) Version() int { return m.version }

// Features returns the bundle's schema as serving features.
func (m *BundleModel) Features() []Feature { return m.features }

// FeaturesOf gives dataset columns as serving features; a column of no
// known kind is checked as numeric.
func FeaturesOf(cols []dataset.Column, nullable bool) []Feature {
	out := make([]Feature, len(cols))
	for i, c := range cols {
		kind := c.Kind
		if kind != Categorical && kind != Binary {
			kind = Numeric
		}
		out[i] = Feature{Name: c.Name, Kind: kind, Min: c.Min, Max: c.Max, Levels: c.Levels, Nullable: nullable}
	}
	return out
}
