package train

import (
	"fmt"

	"github.com/stewardml/steward/internal/bundle"
)

// Bundle assembles the model bundle of a run: the manifest (schema,
// preprocessing, family, parameters, metrics, dataset, code version, seed,
// importances, threshold), the model payload, the reference profile (JSON,
// may be nil) and the evaluation reports. model is the registered model
// name; training is recorded but left out of the digest.
func (r *Result) Bundle(model string, d Data, profile []byte, codeVersion string, training bundle.Training) (*bundle.Bundle, error) {
	payload, err := r.Model.MarshalBinary()
	if err != nil {
		return nil, fmt.Errorf("train: marshal %s model: %w", r.Model.Family(), err)
	}
	best := r.Best()
	m := bundle.Manifest{
		Model:     model,
		Family:    best.Family,
		Params:    best.Effective,
		Candidate: best.ID,
		Schema: bundle.Schema{
			Features: r.Features,
			Columns:  d.Schema.Names(),
			Target:   d.Schema.Target,
			Missing:  d.Schema.MissingMarkers(),
		},
		Preprocess: r.Pipeline,
		Threshold:  r.Config.Threshold,
		Metrics: bundle.Metrics{
			Selection: r.Config.Metric,
			Folds:     r.Config.Folds,
			Repeats:   r.Config.Repeats,
			CV:        best.CV,
		},
		Dataset: bundle.Dataset{
			Digest: d.Digest, Rows: r.Rows, Positives: r.Positives,
			TrainRows: r.TrainRows, HoldoutRows: r.HoldoutRows,
		},
		CodeVersion: codeVersion,
		Seed:        r.Config.Seed,
		Training:    training,
	}
	for _, imp := range r.Importances {
		m.Importances = append(m.Importances, bundle.Importance{Feature: imp.Feature, Importance: imp.Importance})
	}
	ev := &bundle.Evaluation{OutOfFold: &r.OutOfFold}
	if r.Holdout != nil {
		h := r.Holdout.Metrics
		m.Metrics.Holdout = &h
		ev.Holdout = r.Holdout
	}
	return &bundle.Bundle{Manifest: m, Model: payload, Profile: profile, Evaluation: ev}, nil
}
