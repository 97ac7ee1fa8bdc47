package app

import (
	"context"
	"errors"
	"os"
	"testing"

	"github.com/stewardml/steward/internal/audit"
	"github.com/stewardml/steward/internal/bundle"
	"github.com/stewardml/steward/internal/config"
	"github.com/stewardml/steward/internal/dataset"
	"github.com/stewardml/steward/internal/registry"
	"github.com/stewardml/steward/internal/tracking"
	"github.com/stewardml/steward/internal/train"
)

// TestTrainServiceOnLocalAdapters trains through the real local adapters
// (directory artifact store, SQLite records) and reads the outcome back
// through the registry, tracking and the audit log.
func TestTrainServiceOnLocalAdapters(t *testing.T) {
	dir := t.TempDir()
	rt, err := config.FromEnv(func(k string) string {
		if k == "STEWARD_DATA_DIR" {
			return dir
		}
		return ""
	})
	if err != nil {
		t.Fatal(err)
	}
	rt.ConfigPath = "../../steward.yaml"
	ctx := context.Background()
	a, err := New(ctx, Options{Runtime: rt})
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	p := a.Project
	if p == nil {
		t.Fatal("the project configuration was not loaded")
	}
	raw, err := os.ReadFile(p.DataPath())
	if err != nil {
		t.Fatal(err)
	}
	f, err := dataset.Parse(raw, p.Schema(), dataset.Options{Format: p.DataFormat()})
	if err != nil {
		t.Fatal(err)
	}
	ref, err := dataset.Store(ctx, a.Artifacts, raw)
	if err != nil {
		t.Fatal(err)
	}
	cfg := train.Config{Seed: 1, Folds: 3, Repeats: 1, Families: []train.FamilySearch{{Family: "logreg", Params: map[string]any{"C": 1}}}}
	svc := a.TrainService("test")
	req := train.Request{Model: "heart", Data: train.Data{Schema: p.Schema(), Frame: f, Digest: ref.Digest}, Config: cfg}
	first, err := svc.Train(ctx, req)
	if err != nil {
		t.Fatal(err)
	}
	same, err := svc.Train(ctx, req)
	if err != nil {
		t.Fatal(err)
	}
	if same.SameAs != first.Version || same.Version != 0 {
		t.Errorf("identical run: same as %d, version %d; want same as %d and nothing registered", same.SameAs, same.Version, first.Version)
	}
	forced := req
	forced.Force = true
	second, err := svc.Train(ctx, forced)
	if err != nil {
		t.Fatal(err)
	}

	reg := registry.New(a.Records)
	v, err := reg.Resolve(ctx, registry.Ref{Model: "heart"})
	if err != nil || v.Number != first.Version || v.BundleKey != first.BundleKey || v.SourceRun != first.ID || v.Family != "logreg" || v.Params["C"] != 1.0 {
		t.Errorf("champion %+v (%v), want version %d from run %s", v, err, first.Version, first.ID)
	}
	ch, err := reg.Resolve(ctx, registry.Ref{Model: "heart", Alias: registry.Challenger})
	if err != nil || ch.Number != 2 || second.Alias != train.AliasChallenger {
		t.Errorf("challenger %+v (%v)", ch, err)
	}
	body, _, err := a.Artifacts.Get(ctx, v.BundleKey)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := bundle.Open(body); err != nil {
		t.Errorf("registered bundle: %v", err)
	}

	run, err := tracking.New(a.Records).Get(ctx, first.ID)
	if err != nil {
		t.Fatal(err)
	}
	if run.Status != tracking.StatusSucceeded || run.DatasetDigest != ref.Digest || run.Metrics["logreg-1.cv_roc_auc"] == 0 || len(run.Artifacts) != 3 {
		t.Errorf("tracking run %+v", run)
	}
	events, err := audit.New(a.Records).List(ctx, audit.Filter{Model: "heart"})
	if err != nil {
		t.Fatal(err)
	}
	var actions []string
	for _, e := range events {
		actions = append(actions, e.Action)
	}
	if len(events) != 11 || events[4].Action != train.ActionTrainStart || events[5].Action != train.ActionRegisterSkipped || events[0].Action != train.ActionTrainStart || events[0].Run != first.ID || events[2].Action != train.ActionAliasMove {
		t.Errorf("audit actions %v", actions)
	}

	// A lost compare-and-set arrives as train.ErrConflict.
	err = trainRegistry{reg}.MoveAlias(ctx, "heart", registry.Champion, 7, 2, "test", "race")
	if !errors.Is(err, train.ErrConflict) {
		t.Errorf("stale move: %v, want train.ErrConflict", err)
	}
}
