package app_test

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stewardml/steward/internal/agent"
	"github.com/stewardml/steward/internal/app"
	"github.com/stewardml/steward/internal/asl/asltest"
	"github.com/stewardml/steward/internal/audit"
	"github.com/stewardml/steward/internal/config"
	"github.com/stewardml/steward/internal/dataset"
	"github.com/stewardml/steward/internal/local/scheduler"
	"github.com/stewardml/steward/internal/train"
)

// TestARateOneMinuteTrainingScheduleStartsARetrainingUnderServe: with
// training.schedule rate(1 minute), the scheduler `steward serve` runs
// (on an injected clock) starts a retraining through the agent a minute
// later, with the project's approval setting, although no drift was seen.
func TestARateOneMinuteTrainingScheduleStartsARetrainingUnderServe(t *testing.T) {
	if testing.Short() {
		t.Skip("trains a model and runs the retraining workflow")
	}
	ctx := context.Background()
	dir := t.TempDir()
	t0 := time.Now().UTC().Truncate(time.Minute)
	clock := asltest.NewClock(t0)
	cfg := e2eProject(t, dir, `training:
  seed: 7
  folds: 3
  repeats: 1
  metric: roc_auc
  schedule: rate(1 minute)
  families:
    - family: logreg
      params: {C: [0.1, 1.0]}
`)
	var console syncBuffer
	a, err := app.New(ctx, app.Options{Runtime: config.Runtime{DataDir: dir, ConfigPath: cfg, Stage: "local", LogLevel: "info"}, Console: &console, Now: clock.Now})
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	p := a.Project
	frame, raw, err := dataset.ReadFile(p.DataPath(), p.Schema(), dataset.Options{Format: p.DataFormat()})
	if err != nil {
		t.Fatal(err)
	}
	ref, err := dataset.Store(ctx, a.Artifacts, raw)
	if err != nil {
		t.Fatal(err)
	}
	if rec, err := a.TrainService("test").Train(ctx, train.Request{Model: "heart", Data: train.Data{Schema: p.Schema(), Frame: frame, Digest: ref.Digest}, Config: p.Training}); err != nil || rec.Version != 1 {
		t.Fatalf("champion: v%d %v", rec.Version, err)
	}
	wf, err := a.WorkflowWith(app.WorkflowOptions{Clock: clock, Owner: "serve"})
	if err != nil {
		t.Fatal(err)
	}
	if err := a.SubscribeAgent(nil); err != nil {
		t.Fatal(err)
	}
	var log syncBuffer
	sch := &scheduler.Scheduler{Now: clock.Now, Log: &log}
	if err := a.ScheduleRetraining(sch); err != nil {
		t.Fatal(err)
	}

	clock.Advance(time.Minute)
	var wg sync.WaitGroup
	if n := sch.Tick(ctx, clock.Now(), &wg); n != 1 {
		t.Fatalf("%d jobs due at %s, want the retraining (next runs %v)", n, clock.Now(), sch.NextRuns())
	}
	wg.Wait()
	decisions, err := agent.ReadLog(ctx, a.Audit(), audit.Filter{Model: "heart"})
	if err != nil || len(decisions) != 1 {
		t.Fatalf("decisions %+v %v\nscheduler: %s\nconsole: %s", decisions, err, log.String(), console.String())
	}
	d := decisions[0].Entry
	if d.Decision.Rule != agent.RuleSchedule || d.Outcome.Status != agent.OutcomeStarted || !d.Decision.Approval || d.Trigger.Schedule != "rate(1 minute)" {
		t.Fatalf("decision %+v\noutcome %+v", d.Decision, d.Outcome)
	}
	ex, err := wf.Runner.DescribeExecution(ctx, d.Outcome.Execution)
	if err != nil {
		t.Fatal(err)
	}
	if ex.Status == "FAILED" || !strings.Contains(console.String(), "rule `schedule`") && !strings.Contains(decisions[0].Line, "rule `schedule`") {
		t.Errorf("execution %s %s; log %q", ex.ID, ex.Status, decisions[0].Line)
	}
}
