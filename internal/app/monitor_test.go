package app_test

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stewardml/steward/internal/app"
	"github.com/stewardml/steward/internal/bus"
	"github.com/stewardml/steward/internal/config"
	"github.com/stewardml/steward/internal/local/scheduler"
	"github.com/stewardml/steward/internal/monitor"
	"github.com/stewardml/steward/internal/monitor/monitortest"
)

// TestScheduledDriftCheckPublishesDriftChecked: the drift job registered
// from drift.schedule fires on the scheduler's injected clock, checks the
// window ending at its fire time and publishes DriftChecked on the local
// bus.
func TestScheduledDriftCheckPublishesDriftChecked(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	b, err := os.ReadFile("../../steward.yaml")
	if err != nil {
		t.Fatal(err)
	}
	root, _ := filepath.Abs("../..")
	cfg := strings.Replace(string(b), "source: testdata/", "source: "+root+"/testdata/", 1)
	cfg = strings.Replace(cfg, "suite: testdata/", "suite: "+root+"/testdata/", 1)
	cfg = cut(t, cfg, "drift:") + "drift:\n  schedule: cron(0 6 * * ? *)\n  window: 24h\n"
	path := filepath.Join(dir, "steward.yaml")
	if err := os.WriteFile(path, []byte(cfg), 0o644); err != nil {
		t.Fatal(err)
	}
	now := time.Date(2026, 3, 14, 5, 30, 0, 0, time.UTC)
	var mu sync.Mutex
	clock := func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	a, err := app.New(ctx, app.Options{Runtime: config.Runtime{DataDir: dir, ConfigPath: path, Stage: "local", LogLevel: "info"}, Now: clock})
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	v, err := monitortest.Heart(ctx, a.Artifacts, a.Records, monitortest.Spec{DataPath: root + "/testdata/heart/processed.cleveland.data", Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	pred, err := monitortest.Predictor(ctx, a.Artifacts, a.Records, v)
	if err != nil {
		t.Fatal(err)
	}
	feats, _, err := monitortest.Rows(root + "/testdata/heart/processed.hungarian.data")
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := monitortest.Captures(ctx, a.Artifacts, pred, v, now.Add(-time.Hour), feats); err != nil {
		t.Fatal(err)
	}
	var got []bus.Event
	a.LocalBus.Subscribe(bus.DriftChecked, func(_ context.Context, e bus.Event) error { got = append(got, e); return nil })

	sch := &scheduler.Scheduler{Now: clock}
	if err := a.ScheduleDrift(sch); err != nil {
		t.Fatal(err)
	}
	fire := time.Date(2026, 3, 14, 6, 0, 0, 0, time.UTC)
	if next := sch.NextRuns(); len(next) != 1 || next[0].Name != "drift heart" || !next[0].At.Equal(fire) {
		t.Fatalf("next runs %+v, want drift heart at %s", next, fire)
	}
	var wg sync.WaitGroup
	if n := sch.Tick(ctx, fire.Add(-time.Second), &wg); n != 0 {
		t.Fatalf("%d jobs before their time", n)
	}
	mu.Lock()
	now = fire.Add(2 * time.Second)
	mu.Unlock()
	if n := sch.Tick(ctx, now, &wg); n != 1 {
		t.Fatalf("%d jobs at %s, want 1", n, fire)
	}
	wg.Wait()
	if len(got) != 1 {
		t.Fatalf("%d DriftChecked events", len(got))
	}
	var s monitor.Summary
	if err := json.Unmarshal(got[0].Detail, &s); err != nil {
		t.Fatal(err)
	}
	if s.Verdict != "drift" || s.Trigger != "schedule" || !s.WindowTo.Equal(fire) || !s.WindowFrom.Equal(fire.Add(-24*time.Hour)) || got[0].ID != s.CheckID {
		t.Errorf("DriftChecked %+v", s)
	}
	if next := sch.NextRuns(); !next[0].At.Equal(fire.Add(24 * time.Hour)) {
		t.Errorf("next run %s, want the next day at 06:00", next[0].At)
	}
}
