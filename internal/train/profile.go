package train

import (
	"encoding/json"
	"fmt"

	"github.com/stewardml/steward/internal/dataset"
	"github.com/stewardml/steward/internal/drift"
	"github.com/stewardml/steward/internal/ml/eval"
)

// DriftProfile builds the reference profile drift checks compare against:
// every feature of the given rows (Service passes every row of the
// training file), the probabilities a model that had not seen each row gave
// it (out-of-fold for the training part, the final model's for the
// hold-out: the distribution served predictions should keep, where
// in-sample probabilities of a forest would be overconfident), and the
// winner's cross-validated accuracy, F1 and ROC AUC at the threshold. It is
// deterministic for a given input and seed.
func DriftProfile(in ProfileInput) ([]byte, error) {
	feats := in.Data.Schema.Features()
	cols := make([]drift.Column, len(feats))
	for j, c := range feats {
		src, err := in.Data.Frame.Column(c.Name)
		if err != nil {
			return nil, fmt.Errorf("train: profile: %w", err)
		}
		vals := make([]float64, len(in.Rows))
		for k, i := range in.Rows {
			vals[k] = src[i]
		}
		kind := drift.KindNumeric
		switch c.Kind {
		case dataset.Categorical:
			kind = drift.KindCategorical
		case dataset.Binary:
			kind = drift.KindBinary
		}
		cols[j] = drift.Column{Name: c.Name, Kind: kind, Values: vals}
	}
	opts := drift.DefaultProfileOptions()
	opts.Seed = uint64(in.Seed)
	p, err := drift.BuildProfile(drift.ProfileInput{
		Features:    cols,
		Predictions: in.Prob,
		Training: &drift.Metrics{
			Accuracy:  in.CV[eval.Accuracy].Mean,
			F1:        in.CV[eval.F1].Mean,
			ROCAUC:    in.CV[eval.ROCAUC].Mean,
			Threshold: in.Threshold,
		},
	}, opts)
	if err != nil {
		return nil, fmt.Errorf("train: profile: %w", err)
	}
	b, err := json.Marshal(p)
	if err != nil {
		return nil, fmt.Errorf("train: profile: %w", err)
	}
	return b, nil
}
