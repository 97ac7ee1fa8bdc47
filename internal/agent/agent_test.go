package agent

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stewardml/steward/internal/audit"
	"github.com/stewardml/steward/internal/drift"
	"github.com/stewardml/steward/internal/local/files"
	"github.com/stewardml/steward/internal/local/sqlite"
	"github.com/stewardml/steward/internal/notify"
	"github.com/stewardml/steward/internal/registry"
	"github.com/stewardml/steward/internal/release"
)

type fakeRetrainer struct {
	mu    sync.Mutex
	calls []RetrainRequest
	fail  error
	n     int
}

func (f *fakeRetrainer) StartRetrain(_ context.Context, r RetrainRequest) (Execution, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls = append(f.calls, r)
	if f.fail != nil {
		return Execution{}, f.fail
	}
	f.n++
	return Execution{ID: fmt.Sprintf("local:steward-retrain:heart-%d", f.n), Status: "RUNNING"}, nil
}

type fakeNotifier struct {
	mu     sync.Mutex
	events []notify.Event
	fail   error
}

func (f *fakeNotifier) Notify(_ context.Context, e notify.Event) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.fail != nil {
		return f.fail
	}
	f.events = append(f.events, e)
	return nil
}

func (f *fakeNotifier) kinds() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []string
	for _, e := range f.events {
		out = append(out, e.Kind)
	}
	return out
}

// harness is an agent over the local stores with a registered champion.
type harness struct {
	a     *Agent
	reg   *registry.Registry
	log   *audit.Store
	rt    *fakeRetrainer
	nt    *fakeNotifier
	clock time.Time
}

func newHarness(t *testing.T) *harness {
	t.Helper()
	dir := t.TempDir()
	rs, err := sqlite.Open(filepath.Join(dir, "steward.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { rs.Close() })
	arts, err := files.New(filepath.Join(dir, "artifacts"))
	if err != nil {
		t.Fatal(err)
	}
	h := &harness{clock: now, rt: &fakeRetrainer{}, nt: &fakeNotifier{}}
	clock := func() time.Time { return h.clock }
	h.reg = registry.New(rs)
	h.reg.Now = clock
	h.log = audit.New(rs)
	h.log.Now = clock
	h.a = &Agent{Model: "heart", Registry: h.reg, Records: rs, Artifacts: arts, Audit: h.log,
		Retrainer: h.rt, Notifier: h.nt, Releaser: &release.Service{Registry: h.reg, Audit: h.log}, Now: clock}
	h.register(t, 1)
	h.promote(t, 0, 1, -48*time.Hour)
	return h
}

func (h *harness) register(t *testing.T, n int) {
	t.Helper()
	v, err := h.reg.Register(context.Background(), "heart", registry.NewVersion{BundleKey: fmt.Sprintf("bundles/sha256/%d", n), BundleDigest: "sha256:x", Family: "logreg", CreatedBy: "test"})
	if err != nil || v.Number != n {
		t.Fatalf("register v%d: %v %v", n, v.Number, err)
	}
}

// promote moves champion at clock+offset.
func (h *harness) promote(t *testing.T, from, to int, offset time.Duration) {
	t.Helper()
	saved := h.clock
	h.clock = h.clock.Add(offset)
	defer func() { h.clock = saved }()
	if _, err := h.reg.MoveAlias(context.Background(), "heart", "champion", from, to, "ops@example.com", "test"); err != nil {
		t.Fatal(err)
	}
}

// testDrift is the sample DriftChecked event with another check id and
// score.
func testDrift(t *testing.T, id string, score float64) Trigger {
	t.Helper()
	tr, err := ParseEvent(readEvent(t, "drift-checked.json"), "heart")
	if err != nil {
		t.Fatal(err)
	}
	c := *tr.Check
	c.CheckID, c.DriftScore, c.At = id, score, now
	c.Performance = nil // the unit tests decide on the score alone
	c.Drifted = int(score*float64(c.Tested) + 0.5)
	c.Verdict = drift.VerdictNoDrift
	if score >= 0.5 {
		c.Verdict = drift.VerdictDrift
	}
	tr.Check, tr.ID = &c, "check:"+id
	return tr
}

func (h *harness) handle(t *testing.T, tr Trigger) *Entry {
	t.Helper()
	e, err := h.a.Handle(context.Background(), tr, Options{})
	if err != nil {
		t.Fatal(err)
	}
	return e
}

func (h *harness) decisions(t *testing.T) []audit.Event {
	t.Helper()
	evs, err := h.log.List(context.Background(), audit.Filter{Model: "heart"})
	if err != nil {
		t.Fatal(err)
	}
	var out []audit.Event
	for _, ev := range evs {
		if ev.Action == AuditAction {
			out = append(out, ev)
		}
	}
	return out
}

func (h *harness) action(t *testing.T, id string) ActionRecord {
	t.Helper()
	acts, err := h.a.Actions(context.Background(), "heart")
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range acts {
		if r.ID == id {
			return r
		}
	}
	t.Fatalf("no action record %s", id)
	return ActionRecord{}
}

// finish appends the workflow's terminal audit event of an execution.
func (h *harness) finish(t *testing.T, execution, action string, version int, actor string) {
	t.Helper()
	if _, err := h.log.Append(context.Background(), audit.Event{Actor: actor, Action: action, CorrelationID: execution,
		Subject: audit.Subject{Model: "heart", Version: version, Execution: execution}}); err != nil {
		t.Fatal(err)
	}
}

func TestDriftStartsOneRetrainingPerAlert(t *testing.T) {
	h := newHarness(t)
	tr := testDrift(t, "c1", 0.6)
	e := h.handle(t, tr)
	if e.Decision.Rule != BandRetrainAuto || e.Outcome.Status != OutcomeStarted || len(h.rt.calls) != 1 {
		t.Fatalf("first delivery: %+v %+v, %d starts", e.Decision, e.Outcome, len(h.rt.calls))
	}
	req := h.rt.calls[0]
	if req.RequireApproval || req.RequestedBy != Actor || req.ActionID != e.Decision.ActionID || !strings.Contains(req.Reason, "retrain-auto") ||
		!req.WindowFrom.Equal(tr.Check.WindowFrom) || req.CorrelationID != "check:c1" {
		t.Errorf("retrain request %+v", req)
	}
	if got := h.nt.kinds(); len(got) != 1 || got[0] != notify.DriftDetected {
		t.Errorf("notifications %v", got)
	}
	rec := h.action(t, e.Decision.ActionID)
	if rec.State != StateSucceeded || rec.Execution != e.Outcome.Execution || rec.Attempts != 1 {
		t.Errorf("action record %+v", rec)
	}

	// The same alert again (EventBridge delivers at least once): no second start.
	e2 := h.handle(t, tr)
	if e2.Decision.Suppressed != SuppressedDuplicate || e2.Outcome.Status != OutcomeSuppressed || len(h.rt.calls) != 1 {
		t.Errorf("second delivery: %+v %+v, %d starts", e2.Decision, e2.Outcome, len(h.rt.calls))
	}
	// Another check an hour later: the retraining is in flight.
	h.clock = now.Add(time.Hour)
	e3 := h.handle(t, testDrift(t, "c2", 0.6))
	if e3.Decision.Suppressed != SuppressedInFlight || len(h.rt.calls) != 1 {
		t.Errorf("while in flight: %+v", e3.Decision)
	}
	// It ends; within the cooldown nothing starts, after it one does.
	h.finish(t, e.Outcome.Execution, "retrain.not_better", 2, "workflow")
	h.clock = now.Add(2 * time.Hour)
	e4 := h.handle(t, testDrift(t, "c3", 0.6))
	if e4.Decision.Suppressed != SuppressedCooldown || len(h.rt.calls) != 1 {
		t.Errorf("within the cooldown: %+v", e4.Decision)
	}
	h.clock = now.Add(6*time.Hour + time.Minute)
	e5 := h.handle(t, testDrift(t, "c4", 0.6))
	if e5.Outcome.Status != OutcomeStarted || len(h.rt.calls) != 2 {
		t.Errorf("after the cooldown: %+v %+v", e5.Decision, e5.Outcome)
	}

	// Every decision is one audit entry linking trigger, diagnosis, rule, action and outcome.
	decs := h.decisions(t)
	if len(decs) != 5 {
		t.Fatalf("%d decisions recorded, want 5", len(decs))
	}
	first := decs[0]
	var entry Entry
	if err := json.Unmarshal(first.Details, &entry); err != nil {
		t.Fatal(err)
	}
	if first.Actor != Actor || first.CorrelationID != "check:c1" || first.Execution != e.Outcome.Execution || first.Version != 1 ||
		entry.Trigger.Check.CheckID != "c1" || entry.Diagnosis.Key == "" || entry.Decision.Rule != BandRetrainAuto ||
		entry.Outcome.Execution != e.Outcome.Execution || len(first.Evidence) != 2 || first.Evidence[1] != tr.Check.ReportKey {
		t.Errorf("audit entry %+v\n%+v", first, entry)
	}
	if !strings.HasPrefix(first.Reason, "drift score 0.60 on 6 of 10 features (slope, age, thalach, …), 3 without enough data → rule `retrain-auto` → execution local:steward-retrain:heart-1 started") {
		t.Errorf("reason %q", first.Reason)
	}
	if _, _, err := h.a.Artifacts.Get(context.Background(), entry.Diagnosis.Key); err != nil {
		t.Errorf("diagnosis not stored: %v", err)
	}
}

func TestFailedActionIsRecordedAndRetriedAtTheNextTrigger(t *testing.T) {
	h := newHarness(t)
	h.rt.fail = errors.New("states: ServiceUnavailable")
	e := h.handle(t, testDrift(t, "c1", 0.75))
	if e.Outcome.Status != OutcomeFailed || !strings.Contains(e.Outcome.Error, "ServiceUnavailable") || e.Outcome.Attempt != 1 {
		t.Fatalf("failed start: %+v", e.Outcome)
	}
	if rec := h.action(t, e.Decision.ActionID); rec.State != StateFailed || !strings.Contains(rec.Error, "ServiceUnavailable") {
		t.Errorf("action record %+v", rec)
	}
	decs := h.decisions(t)
	if len(decs) != 1 || !strings.Contains(decs[0].Reason, "retrain failed (attempt 1, retried at the next trigger)") {
		t.Fatalf("decisions %+v", decs)
	}

	// The next trigger only logs by its own score, so the failed action is retried; it fails again and is escalated.
	h.clock = now.Add(time.Hour)
	e2 := h.handle(t, testDrift(t, "c2", 0.2))
	if e2.Decision.Rule != RuleRetryFailed || e2.Decision.ActionID != e.Decision.ActionID || e2.Outcome.Attempt != 2 || e2.Outcome.Status != OutcomeFailed {
		t.Fatalf("retry: %+v %+v", e2.Decision, e2.Outcome)
	}
	if got := h.nt.kinds(); len(got) != 1 || got[0] != notify.Escalated {
		t.Errorf("after %d failures: notifications %v", e2.Outcome.Attempt, got)
	}
	// The state machine is back: the third trigger starts it, with the
	// original decision's approval.
	h.rt.fail = nil
	h.clock = now.Add(2 * time.Hour)
	e3 := h.handle(t, testDrift(t, "c3", 0.1))
	if e3.Decision.Rule != RuleRetryFailed || e3.Outcome.Status != OutcomeStarted || e3.Outcome.Attempt != 3 || !h.rt.calls[2].RequireApproval {
		t.Fatalf("third trigger: %+v %+v", e3.Decision, e3.Outcome)
	}
	if !strings.Contains(e3.Summary, "(retry of "+e.Decision.ActionID+")") {
		t.Errorf("summary %q", e3.Summary)
	}
	// Nothing is left to retry.
	h.finish(t, e3.Outcome.Execution, "retrain.promoted", 2, "ana@example.com")
	h.clock = now.Add(3 * time.Hour)
	if e4 := h.handle(t, testDrift(t, "c4", 0.1)); e4.Decision.Action != ActLog || e4.Outcome.Status != OutcomeLogged {
		t.Errorf("fourth trigger: %+v", e4.Decision)
	}
	if n := len(h.rt.calls); n != 3 {
		t.Errorf("%d start attempts, want 3", n)
	}
	// The same failed alert delivered again is taken again too.
	h2 := newHarness(t)
	h2.rt.fail = errors.New("boom")
	tr := testDrift(t, "c9", 0.6)
	h2.handle(t, tr)
	h2.rt.fail = nil
	if e := h2.handle(t, tr); e.Outcome.Status != OutcomeStarted || e.Outcome.Attempt != 2 {
		t.Errorf("redelivered failed alert: %+v", e.Outcome)
	}
}

func TestSevereDriftEscalatesAndAsksForApproval(t *testing.T) {
	h := newHarness(t)
	e := h.handle(t, testDrift(t, "c1", 0.95))
	if e.Decision.Rule != BandEscalate || e.Outcome.Status != OutcomeStarted || !h.rt.calls[0].RequireApproval {
		t.Fatalf("%+v %+v", e.Decision, e.Outcome)
	}
	if got := h.nt.kinds(); len(got) != 2 || got[1] != notify.Escalated {
		t.Errorf("notifications %v", got)
	}
	if !strings.Contains(e.Summary, "(approval required, escalated)") {
		t.Errorf("summary %q", e.Summary)
	}
}

func TestBadInputActsOnNothing(t *testing.T) {
	h := newHarness(t)
	ctx := context.Background()
	tr := testDrift(t, "c1", 0.95)
	bad := []Trigger{
		{Kind: TriggerDrift, ID: "x", Model: "heart"},
		{Kind: TriggerAlarm, ID: "x", Model: "heart"},
		{Kind: "mystery", ID: "x", Model: "heart"},
		{Kind: TriggerManual, Model: "heart"},
		{Kind: TriggerManual, ID: "x", Model: "lungs"},
	}
	c := *tr.Check
	c.DriftScore = 7
	bad = append(bad, Trigger{Kind: TriggerDrift, ID: "x", Model: "heart", Check: &c})
	for _, b := range bad {
		if _, err := h.a.Handle(ctx, b, Options{}); !errors.Is(err, ErrEvent) {
			t.Errorf("%+v: %v", b, err)
		}
	}
	p := DefaultPolicy()
	p.Bands[2].From = 0.1
	h.a.Policy = &p
	if _, err := h.a.Handle(ctx, tr, Options{}); !errors.Is(err, ErrPolicy) {
		t.Errorf("bad policy: %v", err)
	}
	if len(h.rt.calls) != 0 || len(h.decisions(t)) != 0 || len(h.nt.kinds()) != 0 {
		t.Errorf("bad input acted: %d starts, %d decisions, %v", len(h.rt.calls), len(h.decisions(t)), h.nt.kinds())
	}
	if acts, _ := h.a.Actions(ctx, "heart"); len(acts) != 0 {
		t.Errorf("action records %+v", acts)
	}
}

func TestDryRunDoesNothing(t *testing.T) {
	h := newHarness(t)
	e, err := h.a.Handle(context.Background(), testDrift(t, "c1", 0.8), Options{DryRun: true})
	if err != nil {
		t.Fatal(err)
	}
	if e.Outcome.Status != OutcomeDryRun || e.Decision.Rule != BandRetrainApproval || !strings.Contains(e.Summary, "would retrain (approval required) (dry run)") {
		t.Errorf("%+v %q", e.Outcome, e.Summary)
	}
	if len(h.rt.calls) != 0 || len(h.decisions(t)) != 0 {
		t.Error("a dry run acted or recorded")
	}
}

func TestInsufficientDataAndLocalScalingAreRecorded(t *testing.T) {
	h := newHarness(t)
	tr, err := ParseEvent(readEvent(t, "drift-insufficient.json"), "heart")
	if err != nil {
		t.Fatal(err)
	}
	e := h.handle(t, tr)
	if e.Decision.Rule != RuleInsufficientData || e.Outcome.Status != OutcomeLogged || !strings.HasPrefix(e.Summary, "insufficient data (8 rows) → rule `insufficient-data` → logged") {
		t.Errorf("%+v %q", e.Decision, e.Summary)
	}
	tr, err = ParseEvent(readEvent(t, "alarm-throttles.json"), "heart")
	if err != nil {
		t.Fatal(err)
	}
	e = h.handle(t, tr)
	if e.Decision.Rule != RuleScale || e.Outcome.Status != OutcomeNotApplicable || !strings.Contains(e.Summary, "scale not applicable here") {
		t.Errorf("%+v %+v %q", e.Decision, e.Outcome, e.Summary)
	}
	if len(h.decisions(t)) != 2 || len(h.rt.calls) != 0 {
		t.Errorf("%d decisions, %d starts", len(h.decisions(t)), len(h.rt.calls))
	}
}

func TestErrorsAfterAPromotionRollBack(t *testing.T) {
	h := newHarness(t)
	h.register(t, 2)
	h.promote(t, 1, 2, -20*time.Minute)
	tr, err := ParseEvent(readEvent(t, "alarm-5xx.json"), "heart")
	if err != nil {
		t.Fatal(err)
	}
	e := h.handle(t, tr)
	if e.Decision.Rule != RuleRollback || e.Outcome.Status != OutcomeDone || e.Outcome.From != 2 || e.Outcome.To != 1 {
		t.Fatalf("%+v %+v", e.Decision, e.Outcome)
	}
	if a, _ := h.reg.Alias(context.Background(), "heart", "champion"); a.Version != 1 {
		t.Errorf("champion v%d, want v1", a.Version)
	}
	// The alarm fires again: the promotion is not undone twice.
	e2 := h.handle(t, tr)
	if e2.Outcome.Status != OutcomeSuppressed && e2.Decision.Rule == RuleRollback {
		t.Errorf("second alarm: %+v %+v", e2.Decision, e2.Outcome)
	}
	if a, _ := h.reg.Alias(context.Background(), "heart", "champion"); a.Version != 1 {
		t.Errorf("champion v%d after the second alarm, want v1", a.Version)
	}
	evs, _ := h.log.List(context.Background(), audit.Filter{Model: "heart"})
	var rb *audit.Event
	for i := range evs {
		if evs[i].Action == "model.rollback" {
			rb = &evs[i]
		}
	}
	if rb == nil || rb.Actor != Actor || rb.CorrelationID != tr.ID || !strings.Contains(rb.Reason, "steward-prod-predict-5xx") {
		t.Errorf("rollback audit event %+v", rb)
	}
	// The second alarm found no promotion to undo: it was notified.
	if got := h.nt.kinds(); len(got) != 2 || got[0] != notify.RolledBack || got[1] != notify.AgentAction || e2.Decision.Rule != RuleAlarm {
		t.Errorf("notifications %v, second decision %+v", got, e2.Decision)
	}
}

func TestReadLogJoinsTheOutcome(t *testing.T) {
	h := newHarness(t)
	e := h.handle(t, testDrift(t, "c1", 0.8))
	h.clock = now.Add(time.Hour)
	h.finish(t, e.Outcome.Execution, "retrain.promoted", 2, "ana@example.com")
	h.handle(t, testDrift(t, "c2", 0.1))
	log, err := ReadLog(context.Background(), h.log, audit.Filter{Model: "heart"})
	if err != nil {
		t.Fatal(err)
	}
	if len(log) != 2 {
		t.Fatalf("%d entries", len(log))
	}
	want := "drift score 0.80 on 8 of 10 features (slope, age, thalach, …), 3 without enough data → rule `retrain-approval` → execution local:steward-retrain:heart-1 started (approval required) → version 2 promoted (approved by ana@example.com)"
	if log[0].Line != want || log[0].Result == "" {
		t.Errorf("line\n%s\nwant\n%s", log[0].Line, want)
	}
	if !strings.HasSuffix(log[1].Line, "→ rule `log-only` → logged") {
		t.Errorf("second line %q", log[1].Line)
	}
	// A time range that ends before the outcome still finds it.
	log, err = ReadLog(context.Background(), h.log, audit.Filter{Model: "heart", To: now.Add(time.Minute)})
	if err != nil || len(log) != 1 || log[0].Result == "" {
		t.Errorf("ranged: %+v %v", log, err)
	}
}

func TestAnExecutionThatFailedTransientlyIsRetriedAfterItsBackoffNotTheCooldown(t *testing.T) {
	h := newHarness(t)
	e := h.handle(t, testDrift(t, "c1", 0.6))
	if e.Outcome.Status != OutcomeStarted {
		t.Fatalf("first: %+v", e.Outcome)
	}
	// The execution fails on a Lambda timeout.
	if _, err := h.log.Append(context.Background(), audit.Event{Actor: "workflow", Action: "retrain.failed", CorrelationID: e.Outcome.Execution,
		Reason: "retraining failed: States.Timeout: the train task timed out", Subject: audit.Subject{Model: "heart", Execution: e.Outcome.Execution}}); err != nil {
		t.Fatal(err)
	}
	h.clock = now.Add(10 * time.Minute)
	if e2 := h.handle(t, testDrift(t, "c2", 0.6)); e2.Decision.Suppressed != SuppressedCooldown {
		t.Errorf("within the 15m backoff: %+v", e2.Decision)
	}
	h.clock = now.Add(20 * time.Minute)
	e3 := h.handle(t, testDrift(t, "c3", 0.6))
	if e3.Outcome.Status != OutcomeStarted || len(h.rt.calls) != 2 || !strings.Contains(e3.Decision.Why, "transient reason") {
		t.Errorf("after the backoff, within the 6h cooldown: %+v %+v", e3.Decision, e3.Outcome)
	}
	// A permanent failure waits for the cooldown.
	h.finish(t, e3.Outcome.Execution, "retrain.failed", 0, "workflow")
	h.clock = now.Add(2 * time.Hour)
	if e4 := h.handle(t, testDrift(t, "c4", 0.6)); e4.Decision.Suppressed != SuppressedCooldown {
		t.Errorf("after a failure without a transient reason: %+v", e4.Decision)
	}
}
