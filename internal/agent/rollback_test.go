package agent_test

import (
	"context"
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stewardml/steward/internal/agent"
	"github.com/stewardml/steward/internal/audit"
	"github.com/stewardml/steward/internal/bus"
	"github.com/stewardml/steward/internal/drift"
	"github.com/stewardml/steward/internal/local/files"
	"github.com/stewardml/steward/internal/local/sqlite"
	"github.com/stewardml/steward/internal/monitor"
	"github.com/stewardml/steward/internal/monitor/monitortest"
	"github.com/stewardml/steward/internal/registry"
	"github.com/stewardml/steward/internal/release"
)

const cleveland = "../../testdata/heart/processed.cleveland.data"

// TestWorseModelIsRolledBack is issue 8's rollback acceptance test: a
// deliberately worse model (trained on flipped labels, so its training
// metrics look fine) is promoted over a good one; feedback labels on the
// traffic it serves show the decay; the scheduled check's DriftChecked
// reaches the agent, which rolls champion back to the previous version and
// records why.
func TestWorseModelIsRolledBack(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	arts, err := files.New(filepath.Join(dir, "artifacts"))
	if err != nil {
		t.Fatal(err)
	}
	rs, err := sqlite.Open(filepath.Join(dir, "steward.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer rs.Close()
	t0 := time.Date(2026, 3, 14, 9, 0, 0, 0, time.UTC)
	clock := t0.Add(-72 * time.Hour)
	now := func() time.Time { return clock }
	reg := registry.New(rs)
	reg.Now = now
	log := audit.New(rs)
	log.Now = now

	good, err := monitortest.Heart(ctx, arts, rs, monitortest.Spec{DataPath: cleveland, Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	bad, err := monitortest.Heart(ctx, arts, rs, monitortest.Spec{DataPath: cleveland, Seed: 1, Flip: true, Alias: "-"})
	if err != nil {
		t.Fatal(err)
	}
	feats, labels, err := monitortest.Rows(cleveland)
	if err != nil {
		t.Fatal(err)
	}
	serve := func(version int, at time.Time, from, to int) {
		t.Helper()
		pred, err := monitortest.Predictor(ctx, arts, rs, version)
		if err != nil {
			t.Fatal(err)
		}
		ids, kept, err := monitortest.Captures(ctx, arts, pred, version, at, feats[from:to])
		if err != nil {
			t.Fatal(err)
		}
		ls := make([]int, len(kept))
		for k, i := range kept {
			ls[k] = labels[from+i]
		}
		if err := monitortest.Feedback(ctx, rs, ids, ls, at); err != nil {
			t.Fatal(err)
		}
	}
	mon := &monitor.Service{Artifacts: arts, Records: rs, Registry: reg, Now: now}
	ag := &agent.Agent{Model: "heart", Registry: reg, Records: rs, Artifacts: arts, Audit: log,
		Releaser: &release.Service{Registry: reg, Audit: log}, Notifier: nil, Now: now}
	decide := func(res *monitor.Result) *agent.Entry {
		t.Helper()
		raw, err := json.Marshal(res.Event)
		if err != nil {
			t.Fatal(err)
		}
		tr, err := agent.ParseEvent(raw, "heart")
		if err != nil {
			t.Fatal(err)
		}
		e, err := ag.Handle(ctx, tr, agent.Options{})
		if err != nil {
			t.Fatal(err)
		}
		return e
	}
	mon.Events = nopPublisher{}

	// The good model serves for a day and checks well.
	serve(good, t0.Add(-50*time.Hour), 0, 150)
	clock = t0.Add(-48 * time.Hour)
	res, err := mon.Check(ctx, monitor.Request{Model: "heart", Window: 24 * time.Hour, Trigger: "schedule"})
	if err != nil {
		t.Fatal(err)
	}
	if p := res.Summary.Performance; p == nil || p.Verdict != drift.VerdictNoDrift {
		t.Fatalf("good model's realised performance: %+v", p)
	}
	firstCheck := res.Summary.CheckID
	if e := decide(res); e.Decision.Action != agent.ActLog {
		t.Fatalf("good model: %s", e.Summary)
	}

	// Someone promotes the bad model; it serves; its labels come back.
	clock = t0.Add(-24 * time.Hour)
	if _, err := reg.MoveAlias(ctx, "heart", registry.Champion, good, bad, "ops@example.com", "new model"); err != nil {
		t.Fatal(err)
	}
	serve(bad, t0.Add(-2*time.Hour), 150, len(feats))
	clock = t0
	res, err = mon.Check(ctx, monitor.Request{Model: "heart", Window: 24 * time.Hour, Trigger: "schedule"})
	if err != nil {
		t.Fatal(err)
	}
	if res.Summary.Version != bad || res.Summary.Performance == nil || res.Summary.Performance.Verdict != drift.VerdictDrift {
		t.Fatalf("bad model's check: v%d performance %+v", res.Summary.Version, res.Summary.Performance)
	}
	e := decide(res)
	if e.Decision.Rule != agent.RuleRollback || e.Outcome.Status != agent.OutcomeDone || e.Outcome.From != bad || e.Outcome.To != good {
		t.Fatalf("decision %+v outcome %+v", e.Decision, e.Outcome)
	}
	champ, err := reg.Alias(ctx, "heart", registry.Champion)
	if err != nil || champ.Version != good {
		t.Fatalf("champion v%d after the rollback, want v%d (%v)", champ.Version, good, err)
	}

	// The record says why: the metric, its interval, the training value,
	// the promotion, and how the previous champion did.
	evs, err := log.List(ctx, audit.Filter{Model: "heart", From: t0})
	if err != nil {
		t.Fatal(err)
	}
	var decision, rollback *audit.Event
	for i := range evs {
		switch evs[i].Action {
		case agent.AuditAction:
			decision = &evs[i]
		case "model.rollback":
			rollback = &evs[i]
		}
	}
	if decision == nil || rollback == nil {
		t.Fatalf("audit events %+v", evs)
	}
	for _, want := range []string{"performance fell", "vs 0.", "→ rule `rollback` → champion rolled back v2 → v1"} {
		if !strings.Contains(decision.Reason, want) {
			t.Errorf("decision reason lacks %q:\n%s", want, decision.Reason)
		}
	}
	for _, want := range []string{"rule rollback", "after it was promoted (v1 → v2)", "v1 did accuracy 0.", "in check " + firstCheck} {
		if !strings.Contains(rollback.Reason, want) {
			t.Errorf("rollback reason lacks %q:\n%s", want, rollback.Reason)
		}
	}
	if rollback.CorrelationID != decision.CorrelationID || rollback.Actor != agent.Actor || rollback.Version != good {
		t.Errorf("rollback event %+v, decision correlation %s", rollback, decision.CorrelationID)
	}
	t.Logf("decision: %s", decision.Reason)
	t.Logf("rollback: %s", rollback.Reason)
}

type nopPublisher struct{}

func (nopPublisher) Publish(context.Context, bus.Event) error { return nil }
