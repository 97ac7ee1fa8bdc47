package agent

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/stewardml/steward/internal/audit"
	"github.com/stewardml/steward/internal/drift"
	"github.com/stewardml/steward/internal/monitor"
	"github.com/stewardml/steward/internal/registry"
)

var now = time.Date(2026, 3, 14, 9, 0, 0, 0, time.UTC)

func fp(v float64) *float64 { return &v }

// check is a drift check of v1 with the given score over 10 tested features.
func check(score float64, verdict drift.Verdict) *monitor.Summary {
	drifted := int(score*10 + 1e-9)
	s := &monitor.Summary{CheckID: "c1", Model: "heart", Version: 1, At: now, Verdict: verdict, DriftScore: score,
		Rows: 300, Features: 13, Tested: 10, Drifted: drifted, ReportKey: "reports/drift/heart/c1.json"}
	names := []string{"thal", "ca", "cp", "age", "oldpeak", "slope", "thalach", "exang", "sex", "fbs"}
	for i, n := range names {
		v := drift.VerdictNoDrift
		if i < drifted {
			v = drift.VerdictDrift
		}
		s.FeatureVerdicts = append(s.FeatureVerdicts, monitor.FeatureVerdict{Name: n, Verdict: v, Effect: fp(1 - float64(i)/10), EffectMeasure: drift.TestPSI})
		if v == drift.VerdictDrift {
			s.DriftedFeatures = append(s.DriftedFeatures, n)
		}
	}
	return s
}

func driftDiag(c *monitor.Summary) *Diagnosis {
	return &Diagnosis{Model: "heart", At: now, Champion: 1, Check: c,
		Trigger: Trigger{Kind: TriggerDrift, ID: "check:" + c.CheckID, Model: "heart", Time: now, Check: c}}
}

// TestDefaultPolicyBands covers the whole default tree, each boundary from
// both sides: lower bounds are inclusive, upper bounds exclusive, and a
// score of exactly 1 is in the last band.
func TestDefaultPolicyBands(t *testing.T) {
	p := DefaultPolicy()
	cases := []struct {
		score    float64
		rule     string
		action   ActionKind
		approval bool
		escalate bool
	}{
		{0, BandLogOnly, ActLog, false, false},
		{0.3, BandLogOnly, ActLog, false, false},
		{0.4999999, BandLogOnly, ActLog, false, false},
		{0.5, BandRetrainAuto, ActRetrain, false, false},
		{0.6, BandRetrainAuto, ActRetrain, false, false},
		{0.6999999, BandRetrainAuto, ActRetrain, false, false},
		{0.7, BandRetrainApproval, ActRetrain, true, false},
		{0.8, BandRetrainApproval, ActRetrain, true, false},
		{0.8999999, BandRetrainApproval, ActRetrain, true, false},
		{0.9, BandEscalate, ActRetrain, true, true},
		{0.95, BandEscalate, ActRetrain, true, true},
		{1, BandEscalate, ActRetrain, true, true},
	}
	for _, c := range cases {
		verdict := drift.VerdictNoDrift
		if c.score >= 0.5 {
			verdict = drift.VerdictDrift
		}
		d := Decide(p, driftDiag(check(c.score, verdict)), now)
		if d.Rule != c.rule || d.Action != c.action || d.Approval != c.approval || d.Escalate != c.escalate || d.Suppressed != "" {
			t.Errorf("score %v: %s %s approval=%v escalate=%v suppressed=%q, want %s %s approval=%v escalate=%v",
				c.score, d.Rule, d.Action, d.Approval, d.Escalate, d.Suppressed, c.rule, c.action, c.approval, c.escalate)
		}
		if (d.Action == ActLog) != (d.ActionID == "") {
			t.Errorf("score %v: action %s with id %q", c.score, d.Action, d.ActionID)
		}
		if !strings.Contains(d.Why, "drift score") {
			t.Errorf("score %v: why %q", c.score, d.Why)
		}
	}
	if got := p.Band(-0.1).Name; got != BandLogOnly {
		t.Errorf("below 0: %s", got)
	}
	if got := p.Band(1.5).Name; got != BandEscalate {
		t.Errorf("above 1: %s", got)
	}
}

func TestWhySaysWhatMoved(t *testing.T) {
	d := Decide(DefaultPolicy(), driftDiag(check(0.6, drift.VerdictDrift)), now)
	if want := "drift score 0.60 on 6 of 10 features (thal, ca, cp, …), 3 without enough data"; d.Why != want {
		t.Errorf("why %q, want %q", d.Why, want)
	}
}

func TestInsufficientDataOnlyLogs(t *testing.T) {
	c := check(0, drift.VerdictInsufficient)
	c.Tested, c.Drifted, c.Rows, c.Reason = 0, 0, 8, "none of the 13 features could be tested (8 current rows)"
	for _, score := range []float64{0, 0.95} {
		c.DriftScore = score
		d := Decide(DefaultPolicy(), driftDiag(c), now)
		if d.Rule != RuleInsufficientData || d.Action != ActLog || !strings.Contains(d.Why, "8 rows") {
			t.Errorf("insufficient data (score %v): %+v", score, d)
		}
	}
	// No check at all.
	d := Decide(DefaultPolicy(), &Diagnosis{Model: "heart", Trigger: Trigger{Kind: TriggerManual, ID: "m", Model: "heart"}}, now)
	if d.Rule != RuleInsufficientData || d.Action != ActLog {
		t.Errorf("no check: %+v", d)
	}
}

func TestCooldownAndInFlight(t *testing.T) {
	p := DefaultPolicy()
	started := func(ago time.Duration) *ActionRecord {
		return &ActionRecord{ID: "act-1", Kind: ActRetrain, State: StateSucceeded, Execution: "ex-1", UpdatedAt: now.Add(-ago)}
	}
	cases := []struct {
		name       string
		last       *ActionRecord
		inFlight   bool
		suppressed string
	}{
		{"never retrained", nil, false, ""},
		{"retrained within the cooldown", started(time.Hour), false, SuppressedCooldown},
		{"one second before the cooldown ends", started(6*time.Hour - time.Second), false, SuppressedCooldown},
		{"the cooldown has just ended", started(6 * time.Hour), false, ""},
		{"retrained long ago", started(48 * time.Hour), false, ""},
		{"in flight beats cooldown", started(time.Hour), true, SuppressedInFlight},
		{"in flight after the cooldown", started(10 * time.Hour), true, SuppressedInFlight},
	}
	for _, c := range cases {
		d := driftDiag(check(0.6, drift.VerdictDrift))
		d.LastRetrain = c.last
		if c.inFlight {
			d.InFlight = []ActionRecord{*c.last}
		}
		dec := Decide(p, d, now)
		if dec.Suppressed != c.suppressed || dec.Action != ActRetrain || dec.Acts() != (c.suppressed == "") {
			t.Errorf("%s: suppressed %q acts %v, want %q (%s)", c.name, dec.Suppressed, dec.Acts(), c.suppressed, dec.Why)
		}
	}
	p.Cooldown = 0
	d := driftDiag(check(0.6, drift.VerdictDrift))
	d.LastRetrain = started(time.Minute)
	if dec := Decide(p, d, now); dec.Suppressed != "" {
		t.Errorf("no cooldown: suppressed %q", dec.Suppressed)
	}
}

// TestSameAlertSameActionID: the same alert delivered twice makes the same
// action id (which the action record acts on once); another alert, or
// another rule, another id.
func TestSameAlertSameActionID(t *testing.T) {
	p := DefaultPolicy()
	a := Decide(p, driftDiag(check(0.6, drift.VerdictDrift)), now)
	b := Decide(p, driftDiag(check(0.6, drift.VerdictDrift)), now.Add(time.Minute))
	if a.ActionID == "" || a.ActionID != b.ActionID {
		t.Errorf("same alert: %q and %q", a.ActionID, b.ActionID)
	}
	c2 := check(0.6, drift.VerdictDrift)
	c2.CheckID = "c2"
	if c := Decide(p, driftDiag(c2), now); c.ActionID == a.ActionID {
		t.Errorf("another check, same action id %s", c.ActionID)
	}
	if c := Decide(p, driftDiag(check(0.75, drift.VerdictDrift)), now); c.ActionID == a.ActionID {
		t.Errorf("another rule, same action id %s", c.ActionID)
	}
}

func TestFailedActionIsRetriedWhenNothingElseIsDue(t *testing.T) {
	failed := ActionRecord{ID: "act-9", Kind: ActRetrain, Rule: BandRetrainApproval, State: StateFailed, Attempts: 1, Approval: true, Error: "state machine unavailable"}
	d := driftDiag(check(0.2, drift.VerdictNoDrift))
	d.Failed = []ActionRecord{failed}
	dec := Decide(DefaultPolicy(), d, now)
	if dec.Rule != RuleRetryFailed || dec.Action != ActRetrain || dec.ActionID != "act-9" || !dec.Retry || !dec.Approval || !strings.Contains(dec.Why, "state machine unavailable") {
		t.Errorf("retry: %+v", dec)
	}
	// A new retraining decision supersedes the retry.
	d = driftDiag(check(0.6, drift.VerdictDrift))
	d.Failed = []ActionRecord{failed}
	if dec := Decide(DefaultPolicy(), d, now); dec.Rule != BandRetrainAuto || dec.Retry {
		t.Errorf("new decision with a failed one pending: %+v", dec)
	}
	// The retry obeys the in-flight guard.
	d = driftDiag(check(0.2, drift.VerdictNoDrift))
	d.Failed = []ActionRecord{failed}
	d.InFlight = []ActionRecord{{ID: "act-2", Execution: "ex-2"}}
	if dec := Decide(DefaultPolicy(), d, now); dec.Suppressed != SuppressedInFlight {
		t.Errorf("retry while in flight: %+v", dec)
	}
}

func promotedDiag(perf *monitor.Performance, ago time.Duration, kind string) *Diagnosis {
	c := check(0.1, drift.VerdictNoDrift)
	c.Version = 2
	c.Performance = perf
	d := driftDiag(c)
	d.Champion = 2
	d.LastMove = &registry.AliasMove{Model: "heart", Alias: "champion", Seq: 2, From: 1, To: 2, Kind: kind, At: now.Add(-ago), Actor: "ops"}
	return d
}

func decayed(value, upper, training float64) *monitor.Performance {
	v := drift.VerdictNoDrift
	if upper < training {
		v = drift.VerdictDrift
	}
	return &monitor.Performance{Verdict: v, Rows: 120, Metrics: []drift.MetricResult{
		{Name: "accuracy", Value: value, Lower: value - 0.05, Upper: upper, Training: fp(training), Degraded: upper < training},
	}}
}

func TestRollbackRule(t *testing.T) {
	p := DefaultPolicy()
	cases := []struct {
		name   string
		d      *Diagnosis
		rule   string
		action ActionKind
	}{
		{"clear drop a day after a promotion", promotedDiag(decayed(0.40, 0.48, 0.82), 24*time.Hour, registry.KindMove), RuleRollback, ActRollback},
		{"drop exactly rollback.drop", promotedDiag(decayed(0.77, 0.80, 0.82), time.Hour, registry.KindMove), RuleRollback, ActRollback},
		{"drop below rollback.drop", promotedDiag(decayed(0.78, 0.80, 0.82), time.Hour, registry.KindMove), RulePerformance, ActRetrain},
		{"interval reaches the training value", promotedDiag(decayed(0.60, 0.83, 0.82), time.Hour, registry.KindMove), BandLogOnly, ActLog},
		{"promotion outside the window", promotedDiag(decayed(0.40, 0.48, 0.82), 73*time.Hour, registry.KindMove), RulePerformance, ActRetrain},
		{"last move was a rollback", promotedDiag(decayed(0.40, 0.48, 0.82), time.Hour, registry.KindRollback), RulePerformance, ActRetrain},
		{"no labels", promotedDiag(nil, time.Hour, registry.KindMove), BandLogOnly, ActLog},
	}
	for _, c := range cases {
		dec := Decide(p, c.d, now)
		if dec.Rule != c.rule || dec.Action != c.action {
			t.Errorf("%s: %s %s (%s), want %s %s", c.name, dec.Rule, dec.Action, dec.Why, c.rule, c.action)
		}
		if dec.Rule == RuleRollback && (dec.RollbackFrom != 2 || !strings.Contains(dec.Why, "accuracy 0.") || dec.ActionID != ActionID("heart", ActRollback, "champion-move:2")) {
			t.Errorf("%s: %+v", c.name, dec)
		}
	}
	// The check must be of the champion.
	d := promotedDiag(decayed(0.40, 0.48, 0.82), time.Hour, registry.KindMove)
	d.Check.Version = 1
	if dec := Decide(p, d, now); dec.Rule == RuleRollback {
		t.Errorf("rolled back on a check of another version: %+v", dec)
	}
	// With approval the agent asks instead.
	p.Rollback.Approval = true
	if dec := Decide(p, promotedDiag(decayed(0.40, 0.48, 0.82), time.Hour, registry.KindMove), now); dec.Rule != RuleRollback || dec.Action != ActEscalate {
		t.Errorf("rollback with approval: %+v", dec)
	}
}

func alarmDiag(name, state string, concurrency int, canScale bool) *Diagnosis {
	a := &Alarm{Name: name, Kind: KindOfAlarm(name), State: state, Previous: "OK", At: now}
	return &Diagnosis{Model: "heart", At: now, Champion: 1, Concurrency: concurrency, CanScale: canScale,
		Trigger: Trigger{Kind: TriggerAlarm, ID: "alarm:" + name, Model: "heart", Time: now, Alarm: a}}
}

func TestAlarmRules(t *testing.T) {
	p := DefaultPolicy()
	cases := []struct {
		name       string
		d          *Diagnosis
		rule       string
		action     ActionKind
		suppressed string
		scaleTo    int
	}{
		{"errors without a recent promotion", alarmDiag("steward-prod-predict-5xx", "ALARM", 0, false), RuleAlarm, ActNotify, "", 0},
		{"alarm back to OK", alarmDiag("steward-prod-predict-5xx", "OK", 0, false), RuleAlarmResolved, ActLog, "", 0},
		{"throttles on AWS", alarmDiag("steward-prod-predict-throttles", "ALARM", 4, true), RuleScale, ActScale, "", 6},
		{"throttles near the maximum", alarmDiag("steward-prod-predict-throttles", "ALARM", 9, true), RuleScale, ActScale, "", 10},
		{"throttles at the maximum", alarmDiag("steward-prod-predict-throttles", "ALARM", 10, true), RuleScale, ActEscalate, "", 0},
		{"throttles locally", alarmDiag("steward-local-predict-throttles", "ALARM", 0, false), RuleScale, ActScale, SuppressedNotApplicable, 2},
		{"retraining failed", alarmDiag("steward-prod-retrain-failed", "ALARM", 0, false), RuleAlarm, ActEscalate, "", 0},
		{"another alarm", alarmDiag("disk-full", "ALARM", 0, false), RuleAlarm, ActNotify, "", 0},
	}
	for _, c := range cases {
		dec := Decide(p, c.d, now)
		if dec.Rule != c.rule || dec.Action != c.action || dec.Suppressed != c.suppressed || dec.ScaleTo != c.scaleTo {
			t.Errorf("%s: %s %s suppressed %q scale %d (%s)", c.name, dec.Rule, dec.Action, dec.Suppressed, dec.ScaleTo, dec.Why)
		}
	}
	// Errors right after a promotion roll back.
	d := alarmDiag("steward-prod-predict-5xx", "ALARM", 0, false)
	d.Champion = 2
	d.LastMove = &registry.AliasMove{Seq: 4, From: 1, To: 2, Kind: registry.KindMove, At: now.Add(-30 * time.Minute)}
	if dec := Decide(p, d, now); dec.Rule != RuleRollback || dec.Action != ActRollback || dec.RollbackFrom != 2 {
		t.Errorf("errors after a promotion: %+v", dec)
	}
}

func TestValidationFailureNotifies(t *testing.T) {
	d := &Diagnosis{Model: "heart", Trigger: Trigger{Kind: TriggerValidation, ID: "validation:1", Model: "heart", Validation: &Validation{Failed: 3}}}
	if dec := Decide(DefaultPolicy(), d, now); dec.Rule != RuleValidation || dec.Action != ActNotify || !strings.Contains(dec.Why, "3 expectation") {
		t.Errorf("validation: %+v", dec)
	}
}

func TestPolicyValidation(t *testing.T) {
	if err := DefaultPolicy().Validate(); err != nil {
		t.Fatalf("default policy: %v", err)
	}
	cases := []struct {
		name string
		edit func(*Policy)
		want string
	}{
		{"no bands", func(p *Policy) { p.Bands = nil }, "bands: at least one band"},
		{"first band above 0", func(p *Policy) { p.Bands[0].From = 0.1 }, "bands[0].from: the first band must start at 0"},
		{"bands out of order", func(p *Policy) { p.Bands[2].From = 0.5 }, "bands[2].from: 0.5 does not follow bands[1].from 0.5"},
		{"band above 1", func(p *Policy) { p.Bands[3].From = 1.2 }, "bands[3].from: expected a drift score in [0, 1]"},
		{"NaN bound", func(p *Policy) { p.Bands[1].From = nan() }, "bands[1].from"},
		{"duplicate name", func(p *Policy) { p.Bands[2].Name = BandRetrainAuto }, `bands[2].name: "retrain-auto" is already`},
		{"bad name", func(p *Policy) { p.Bands[1].Name = "Retrain Auto" }, "bands[1].name: expected lowercase"},
		{"reserved name", func(p *Policy) { p.Bands[1].Name = RuleRollback }, "built-in rule"},
		{"approval without retrain", func(p *Policy) { p.Bands[0].Approval = true }, "bands[0].approval"},
		{"negative cooldown", func(p *Policy) { p.Cooldown = -1 }, "cooldown"},
		{"rollback drop 0", func(p *Policy) { p.Rollback.Drop = 0 }, "rollback.drop"},
		{"concurrency min above max", func(p *Policy) { p.Concurrency.Min = 20 }, "concurrency"},
		{"escalateAfter 0", func(p *Policy) { p.EscalateAfter = 0 }, "escalateAfter"},
	}
	for _, c := range cases {
		p := DefaultPolicy()
		c.edit(&p)
		err := p.Validate()
		if !errors.Is(err, ErrPolicy) || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: %v, want %q", c.name, err, c.want)
		}
	}
}

func nan() float64 {
	z := 0.0
	return z / z
}

func TestParsePolicy(t *testing.T) {
	p, err := ParsePolicy([]byte(`{"cooldown": "2h", "bands": [{"name": "calm", "from": 0}, {"name": "act", "from": 0.3, "retrain": true}]}`))
	if err != nil {
		t.Fatal(err)
	}
	if p.Cooldown.D() != 2*time.Hour || len(p.Bands) != 2 || p.Band(0.3).Name != "act" || p.Rollback.Drop != 0.05 {
		t.Errorf("parsed %+v", p)
	}
	if p, err := ParsePolicy([]byte(`{}`)); err != nil || len(p.Bands) != 4 {
		t.Errorf("empty policy: %v %v", p.Bands, err)
	}
	for _, c := range []struct{ in, want string }{
		{`{"cooldown": 5}`, "expected a duration string"},
		{`{"cooldown": "soon"}`, `expected a duration such as "6h", got "soon"`},
		{`{"bands": [{"name": "a", "from": "low"}]}`, "line 1, column"},
		{`{"band": []}`, `unknown field "band"`},
		{`{"bands": []}`, "at least one band"},
		{"{\n  \"bands\": [\n", "unexpected EOF"},
		{`{} {}`, "more than one JSON value"},
	} {
		if _, err := ParsePolicy([]byte(c.in)); !errors.Is(err, ErrPolicy) || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: %v, want %q", c.in, err, c.want)
		}
	}
}

// TestAScheduleRetrainsThroughTheCooldown: training.schedule is a standing
// order, so the cooldown that holds alerts back does not hold it; a
// retraining still in flight does.
func TestAScheduleRetrainsThroughTheCooldown(t *testing.T) {
	p := DefaultPolicy()
	p.ScheduledApproval = true
	recent := &ActionRecord{ID: "act-1", Kind: ActRetrain, State: StateSucceeded, Execution: "ex-1", UpdatedAt: now.Add(-time.Hour)}
	scheduled := func() *Diagnosis {
		d := &Diagnosis{Model: "heart", Champion: 1, Trigger: Trigger{Kind: TriggerSchedule, ID: "schedule:2026-03-14T09:00:00Z", Model: "heart", Time: now, Schedule: "rate(1 day)"}}
		d.LastRetrain = recent
		return d
	}
	dec := Decide(p, scheduled(), now)
	if dec.Rule != RuleSchedule || dec.Action != ActRetrain || dec.Suppressed != "" || !dec.Approval || !strings.Contains(dec.Why, "training.schedule rate(1 day) is due") {
		t.Errorf("within the cooldown: %+v", dec)
	}
	d := scheduled()
	d.InFlight = []ActionRecord{*recent}
	if dec := Decide(p, d, now); dec.Suppressed != SuppressedInFlight {
		t.Errorf("with a retraining in flight: suppressed %q, want %q", dec.Suppressed, SuppressedInFlight)
	}
}

// TestATransientlyFailedRetrainingIsRetriedBeforeTheCooldownEnds: a
// retraining whose execution failed for a transient reason is retried
// after its backoff (15m, 30m, 1h), up to MaxTransientRetries in a row;
// a permanent failure, or one too many, waits for the cooldown.
func TestATransientlyFailedRetrainingIsRetriedBeforeTheCooldownEnds(t *testing.T) {
	p := DefaultPolicy()
	for _, tc := range []struct {
		name      string
		failures  int
		ago       time.Duration
		suppressd string
	}{
		{"one failure, within its 15m backoff", 1, 10 * time.Minute, SuppressedCooldown},
		{"one failure, after its backoff", 1, 15 * time.Minute, ""},
		{"two in a row, within the 30m backoff", 2, 20 * time.Minute, SuppressedCooldown},
		{"three in a row, after the 1h backoff", 3, time.Hour, ""},
		{"four in a row: the cooldown holds", 4, 2 * time.Hour, SuppressedCooldown},
		{"no transient failure: the cooldown holds", 0, 2 * time.Hour, SuppressedCooldown},
	} {
		t.Run(tc.name, func(t *testing.T) {
			d := driftDiag(check(0.6, drift.VerdictDrift))
			d.LastRetrain = &ActionRecord{ID: "act-1", Kind: ActRetrain, State: StateSucceeded, Execution: "ex-1", UpdatedAt: now.Add(-tc.ago)}
			d.TransientFailures, d.LastFailure = tc.failures, "retraining failed: States.Timeout"
			dec := Decide(p, d, now)
			if dec.Suppressed != tc.suppressd || dec.Action != ActRetrain {
				t.Errorf("suppressed %q, want %q (%s)", dec.Suppressed, tc.suppressd, dec.Why)
			}
			if tc.suppressd == "" && !strings.Contains(dec.Why, "failed for a transient reason (retraining failed: States.Timeout)") {
				t.Errorf("why %q does not say it retries", dec.Why)
			}
		})
	}
	for _, tc := range []struct {
		reason string
		want   bool
	}{
		{"retraining failed: States.Timeout: the task timed out", true},
		{"retraining failed: InternalError: boom", true},
		{"retraining failed: DataValidationFailed: tasks: validate: data failed validation", false},
		{"retraining failed: TrainingFailed: no candidate", false},
	} {
		if got := transientFailure(audit.Event{Action: "retrain.failed", Reason: tc.reason}); got != tc.want {
			t.Errorf("transientFailure(%q) = %v, want %v", tc.reason, got, tc.want)
		}
	}
	if transientFailure(audit.Event{Action: "retrain.not_better", Reason: "not promoted"}) {
		t.Error("a retraining that was not better counted as a failure")
	}
}
