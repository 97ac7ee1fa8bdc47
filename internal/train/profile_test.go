package train

import (
	"bytes"
	"context"
	"testing"

	"github.com/stewardml/steward/internal/drift"
)

func TestDriftProfileOfTheTrainingRows(t *testing.T) {
	d := cleveland(t)
	res, err := Run(context.Background(), d, smallConfig(1), Options{})
	if err != nil {
		t.Fatal(err)
	}
	in := ProfileInput{Data: d, Rows: allRows(res.Rows), Prob: res.HonestProb, CV: res.Best().CV, Threshold: 0.5, Seed: 1}
	b, err := DriftProfile(in)
	if err != nil {
		t.Fatal(err)
	}
	again, _ := DriftProfile(in)
	if !bytes.Equal(b, again) {
		t.Error("the profile is not deterministic")
	}
	p, err := drift.ParseProfile(b)
	if err != nil {
		t.Fatal(err)
	}
	if p.Rows != 303 || len(p.Features) != 13 || p.Prediction == nil || p.Training == nil {
		t.Fatalf("profile rows %d features %d prediction %v training %v", p.Rows, len(p.Features), p.Prediction != nil, p.Training != nil)
	}
	if p.Features[2].Name != "cp" || p.Features[2].Kind != drift.KindCategorical || p.Features[1].Kind != drift.KindBinary {
		t.Errorf("features %s/%s %s/%s", p.Features[1].Name, p.Features[1].Kind, p.Features[2].Name, p.Features[2].Kind)
	}
	if p.Training.ROCAUC != res.Best().CV["roc_auc"].Mean {
		t.Errorf("training ROC AUC %v, CV %v", p.Training.ROCAUC, res.Best().CV["roc_auc"].Mean)
	}
	// ca has 4 missing cells in Cleveland.
	if ca := p.Features[11]; ca.Name != "ca" || ca.Missing != 4 || ca.Count != 299 {
		t.Errorf("ca: count %d missing %d", ca.Count, ca.Missing)
	}
}
