package tasks_test

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"strings"
	"testing"

	"github.com/stewardml/steward/internal/dataset"
	"github.com/stewardml/steward/internal/registry"
	"github.com/stewardml/steward/internal/train"
	"github.com/stewardml/steward/internal/workflow/tasks"
)

// A champion is compared only on the hold-out rows it did not train on.
func TestEvaluateLeavesOutTheChampionsTrainingRows(t *testing.T) {
	if testing.Short() {
		t.Skip("trains candidates")
	}
	ctx := context.Background()
	fx := newFixture(t)
	fx.trainCandidates()
	p := fx.app.Project
	raw, err := os.ReadFile(p.DataPath())
	if err != nil {
		t.Fatal(err)
	}
	data, err := dataset.Parse(raw, p.Schema(), dataset.Options{Format: p.DataFormat()})
	if err != nil {
		t.Fatal(err)
	}
	full := train.Data{Schema: p.Schema(), Frame: data, Digest: fx.ref.Digest}
	var sample tasks.EvaluateEvent
	if err := json.Unmarshal(readEvent(t, "evaluate", "evaluate.json"), &sample); err != nil {
		t.Fatal(err)
	}
	holdout, err := tasks.HoldoutRows(ctx, full, sample.Candidates[0].Config)
	if err != nil {
		t.Fatal(err)
	}

	// champion trains on the dataset's first 150 rows: the hold-out rows
	// among them are its training rows
	const firstRows = 150
	lines := bytes.SplitAfter(raw, []byte("\n"))
	part := bytes.Join(lines[:firstRows], nil)
	pf, err := dataset.Parse(part, p.Schema(), dataset.Options{Format: p.DataFormat()})
	if err != nil {
		t.Fatal(err)
	}
	ref, err := dataset.Store(ctx, fx.app.Artifacts, part)
	if err != nil {
		t.Fatal(err)
	}
	champion := func(d train.Data, cfg train.Config) int {
		t.Helper()
		rec, err := fx.app.TrainService("test").Train(ctx, train.Request{Model: "heart", Data: d, Config: cfg})
		if err != nil {
			t.Fatal(err)
		}
		cur, _ := fx.app.Registry().Alias(ctx, "heart", registry.Champion)
		if _, err := fx.app.Registry().MoveAlias(ctx, "heart", registry.Champion, cur.Version, rec.Version, "test", "test"); err != nil {
			t.Fatal(err)
		}
		return rec.Version
	}
	evaluate := func() tasks.Evaluation {
		t.Helper()
		out, name, msg := invoke(t, fx.h.Evaluate, readEvent(t, "evaluate", "evaluate.json"))
		if name != "" {
			t.Fatalf("%s: %s", name, msg)
		}
		var ev tasks.Evaluation
		if err := json.Unmarshal(out, &ev); err != nil {
			t.Fatal(err)
		}
		return ev
	}

	// expected: the candidate's hold-out rows outside the champion's
	// training rows (its data less its own hold-out)
	expect := func(champData train.Data, cfg train.Config) int {
		t.Helper()
		champHold, err := tasks.HoldoutRows(ctx, champData, cfg)
		if err != nil {
			t.Fatal(err)
		}
		held := map[int]bool{}
		for _, i := range champHold {
			held[i] = true
		}
		n := 0
		for _, i := range holdout {
			if i >= champData.Frame.Rows || held[i] {
				n++
			}
		}
		return n
	}

	part150 := train.Data{Schema: p.Schema(), Frame: pf, Digest: ref.Digest}
	v := champion(part150, stumpTraining(p.Training))
	want := expect(part150, stumpTraining(p.Training))
	ev := evaluate()
	if ev.ChampionVersion != v || ev.HoldoutRows != len(holdout) || ev.ComparedRows != want || want == len(holdout) || want < 20 {
		t.Fatalf("champion %d, hold-out %d, compared %d; want champion %d, %d hold-out rows, %d compared", ev.ChampionVersion, ev.HoldoutRows, ev.ComparedRows, v, len(holdout), want)
	}
	if !strings.Contains(ev.Summary, "left out: the champion trained on them") || ev.ChampionMetrics == nil {
		t.Errorf("summary %q, champion metrics %v", ev.Summary, ev.ChampionMetrics)
	}
	t.Log(ev.Summary)

	// a champion trained on this very dataset with another split is
	// compared on the rows both held out, or not at all when they are too
	// few
	cfg := stumpTraining(p.Training)
	h := 0.4
	cfg.Holdout, cfg.Seed = &h, cfg.Seed+1
	v = champion(full, cfg)
	want = expect(full, cfg)
	ev = evaluate()
	if ev.ChampionVersion != v || ev.ComparedRows != want || want == len(holdout) {
		t.Fatalf("same data, other hold-out: compared %d, want %d: %+v", ev.ComparedRows, want, ev)
	}
	if compared := ev.ChampionMetrics != nil; compared != (want >= 20) || (!compared && ev.Better) {
		t.Errorf("same data, other hold-out, %d rows: compared %v, better %v: %s", want, compared, ev.Better, ev.Summary)
	}
	t.Log(ev.Summary)
}
