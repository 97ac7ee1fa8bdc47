package app_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stewardml/steward/internal/agent"
	"github.com/stewardml/steward/internal/app"
	"github.com/stewardml/steward/internal/audit"
	"github.com/stewardml/steward/internal/bus"
	"github.com/stewardml/steward/internal/config"
	"github.com/stewardml/steward/internal/local/alarms"
	"github.com/stewardml/steward/internal/local/gateway"
	"github.com/stewardml/steward/internal/registry"
	"github.com/stewardml/steward/internal/serving/servingtest"
)

// TestServingErrorsRaiseTheLocalAlarmAndTheAgentRollsBack is issue 8's
// operational alarm, locally: a version whose bundle cannot be opened is
// promoted, the prediction API answers 503 to a burst of requests, the
// alarm evaluator reads the 5xx share from the metrics registry and
// publishes the 5xx alarm on the local bus, and the agent — as it does on
// AWS with CloudWatch's event — rolls champion back to the previous
// version and records why; once the API answers again the alarm clears
// (OK, recorded as resolved) and says nothing more while it holds.
func TestServingErrorsRaiseTheLocalAlarmAndTheAgentRollsBack(t *testing.T) {
	ctx := context.Background()
	p, err := config.Load("../../steward.yaml")
	if err != nil {
		t.Fatal(err)
	}
	p.Alarms.Datapoints, p.Alarms.Periods, p.Alarms.MinRequests = 1, 1, 10
	var console syncBuffer
	a, err := app.New(ctx, app.Options{Runtime: config.Runtime{DataDir: t.TempDir(), Stage: "local"}, Project: p, Console: &console})
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()

	// v1 is a working model; v2, promoted a minute ago, is a broken bundle.
	root, _ := filepath.Abs("../..")
	if v, err := servingtest.Heart(ctx, a.Artifacts, a.Records, servingtest.Spec{DataPath: filepath.Join(root, "testdata/heart/processed.cleveland.data"), Family: "logreg", Seed: 1}); err != nil || v != 1 {
		t.Fatalf("v1: %d %v", v, err)
	}
	reg := a.Registry()
	if _, err := a.Artifacts.Put(ctx, "bundles/sha256/broken.tar", []byte("not a bundle"), "application/x-tar"); err != nil {
		t.Fatal(err)
	}
	if _, err := reg.Register(ctx, "heart", registry.NewVersion{BundleKey: "bundles/sha256/broken.tar", BundleDigest: "sha256:broken", Family: "logreg", CreatedBy: "test"}); err != nil {
		t.Fatal(err)
	}
	if _, err := reg.MoveAlias(ctx, "heart", registry.Champion, 1, 2, "ops@example.com", "promote v2"); err != nil {
		t.Fatal(err)
	}

	// `steward serve`: the API behind the gateway, the agent on the bus,
	// the alarms over the service's metrics.
	s := a.Serving(app.ServingOptions{RefreshInterval: time.Hour, FlushInterval: 10 * time.Millisecond})
	defer s.Captures.Close(ctx)
	gw := gateway.New(gateway.Config{})
	gw.Mount("/v1/", s.Handler)
	srv := httptest.NewServer(gw)
	defer srv.Close()
	if err := a.SubscribeAgent(nil); err != nil {
		t.Fatal(err)
	}
	ev, err := a.Alarms(s.Metrics, nil)
	if err != nil || ev == nil {
		t.Fatalf("alarms: %v %v", ev, err)
	}
	predict := func(n, want int) {
		t.Helper()
		body := []byte(`{"instances":[` + servingtest.Row + `]}`)
		for i := 0; i < n; i++ {
			if code, resp := post(t, srv.URL+"/v1/models/heart/predict", "application/json", body); code != want {
				t.Fatalf("predict %d: %d %s, want %d", i, code, resp, want)
			}
		}
	}

	predict(20, http.StatusServiceUnavailable)
	changes, err := ev.Evaluate(ctx)
	if err != nil || len(changes) != 1 || changes[0].Alarm != "steward-local-predict-5xx" || changes[0].To != alarms.StateAlarm {
		t.Fatalf("changes %+v, %v\nconsole: %s", changes, err, console.String())
	}
	champ, err := reg.Alias(ctx, "heart", registry.Champion)
	if err != nil || champ.Version != 1 {
		t.Fatalf("champion after the alarm: v%d %v, want v1\nconsole: %s", champ.Version, err, console.String())
	}
	logs, err := agent.ReadLog(ctx, a.Audit(), audit.Filter{Model: "heart"})
	if err != nil || len(logs) != 1 {
		t.Fatalf("decisions %+v %v", logs, err)
	}
	d := logs[0].Entry
	if d.Trigger.Kind != agent.TriggerAlarm || d.Trigger.Alarm.Name != "steward-local-predict-5xx" || d.Trigger.Alarm.Kind != agent.AlarmErrors ||
		d.Decision.Rule != agent.RuleRollback || d.Outcome.Status != agent.OutcomeDone || d.Outcome.From != 2 || d.Outcome.To != 1 {
		t.Errorf("decision %+v %+v %+v", d.Trigger, d.Decision, d.Outcome)
	}
	if !strings.Contains(d.Decision.Why, "alarm steward-local-predict-5xx (error_rate) is ALARM: Threshold Crossed: 1 out of the last 1 datapoints [1 (") {
		t.Errorf("why %q", d.Decision.Why)
	}
	t.Logf("agent log: %s", logs[0].Line)

	// The rolled-back champion serves; the alarm clears once, then holds.
	predict(20, http.StatusOK)
	changes, err = ev.Evaluate(ctx)
	if err != nil || len(changes) != 1 || changes[0].To != alarms.StateOK {
		t.Fatalf("recovery: %+v %v", changes, err)
	}
	predict(10, http.StatusOK)
	if changes, err = ev.Evaluate(ctx); err != nil || len(changes) != 0 {
		t.Errorf("while OK holds: %+v %v", changes, err)
	}
	logs, err = agent.ReadLog(ctx, a.Audit(), audit.Filter{Model: "heart"})
	if err != nil || len(logs) != 2 {
		t.Fatalf("%d decisions, %v; want the rollback and the recovery", len(logs), err)
	}
	var resolved *agent.Entry
	for i := range logs {
		if logs[i].Entry.Decision.Rule == agent.RuleAlarmResolved {
			resolved = &logs[i].Entry
		}
	}
	if resolved == nil || resolved.Outcome.Status != agent.OutcomeLogged || resolved.Trigger.Alarm.Previous != "ALARM" {
		t.Errorf("recovery decision %+v", resolved)
	}
	if !strings.Contains(console.String(), "agent: ") {
		t.Errorf("console: %s", console.String())
	}
}

// TestThrottlingLocallyIsRecordedAsNotApplicable: a throttle alarm reaching
// the local agent is decided (scale), and recorded as not applicable:
// there is no provisioned concurrency to raise.
func TestThrottlingLocallyIsRecordedAsNotApplicable(t *testing.T) {
	ctx := context.Background()
	p, err := config.Load("../../steward.yaml")
	if err != nil {
		t.Fatal(err)
	}
	a, err := app.New(ctx, app.Options{Runtime: config.Runtime{DataDir: t.TempDir(), Stage: "local"}, Project: p})
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	if err := a.SubscribeAgent(nil); err != nil {
		t.Fatal(err)
	}
	ag, err := a.Agent()
	if err != nil || ag.Scaler != nil {
		t.Fatalf("a local agent with a scaler: %v %v", ag.Scaler, err)
	}
	var e bus.Event // the same JSON as EventBridge's
	if err := json.Unmarshal(throttleEvent("steward-local-predict-throttles", time.Now().UTC()), &e); err != nil {
		t.Fatal(err)
	}
	if err := a.LocalBus.Publish(ctx, e); err != nil {
		t.Fatal(err)
	}
	logs, err := agent.ReadLog(ctx, a.Audit(), audit.Filter{Model: "heart"})
	if err != nil || len(logs) != 1 {
		t.Fatalf("decisions %+v %v", logs, err)
	}
	d := logs[0].Entry
	if d.Decision.Rule != agent.RuleScale || d.Decision.Suppressed != agent.SuppressedNotApplicable || d.Outcome.Status != agent.OutcomeNotApplicable {
		t.Errorf("decision %+v %+v", d.Decision, d.Outcome)
	}
}
