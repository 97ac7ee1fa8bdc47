package agent

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/stewardml/steward/internal/audit"
	"github.com/stewardml/steward/internal/drift"
	"github.com/stewardml/steward/internal/monitor"
	"github.com/stewardml/steward/internal/registry"
)

// Diagnosis is the evidence behind a decision: what triggered it, the
// champion and its history, the drift check (score, features that moved
// and by how much, prediction drift, realised performance with intervals
// against the training metrics), the alarm, and the actions in flight,
// recent or failed. Findings say it in plain language.
type Diagnosis struct {
	ID      string    `json:"id"`
	Model   string    `json:"model"`
	At      time.Time `json:"at"`
	Trigger Trigger   `json:"trigger"`
	// Champion is the version champion holds (0 for none); Created when it
	// was registered, Age how long ago.
	Champion int       `json:"champion"`
	Created  time.Time `json:"championCreated,omitzero"`
	Age      string    `json:"modelAge,omitempty"`
	// LastMove is champion's last move (promotion or rollback).
	LastMove *registry.AliasMove `json:"lastMove,omitempty"`
	// Check is the drift check the decision reads: the trigger's, or the
	// newest in the history.
	Check *monitor.Summary `json:"check,omitempty"`
	// Moved lists the drifted features, largest effect first.
	Moved []Moved `json:"moved,omitempty"`
	// Previous is the previous champion's realised performance in its
	// newest check, when known.
	Previous *PreviousPerformance `json:"previous,omitempty"`
	// Concurrency is the predict function's provisioned concurrency (0
	// where it is not managed); CanScale says whether it can be changed.
	// ConcurrencyError says why it could not be read (for a trigger other
	// than a throttle alarm, which needs it, the diagnosis goes on).
	Concurrency      int    `json:"concurrency"`
	CanScale         bool   `json:"canScale"`
	ConcurrencyError string `json:"concurrencyError,omitempty"`
	// InFlight are retrainings started and not finished; LastRetrain the
	// newest started retraining; Failed the failed actions not superseded
	// by a later success of the same kind, newest first; Recent the last
	// few actions.
	InFlight    []ActionRecord `json:"inFlight,omitempty"`
	LastRetrain *ActionRecord  `json:"lastRetrain,omitempty"`
	Failed      []ActionRecord `json:"failed,omitempty"`
	Recent      []ActionRecord `json:"recent,omitempty"`
	// TransientFailures counts the newest retrainings in a row whose
	// executions failed for a transient reason (see transientFailure);
	// LastFailure is the newest one's reason.
	TransientFailures int      `json:"transientFailures,omitempty"`
	LastFailure       string   `json:"lastFailure,omitempty"`
	Findings          []string `json:"findings"`
}

// Moved is one drifted feature.
type Moved struct {
	Name    string         `json:"name"`
	Test    drift.TestName `json:"test"`
	Score   *float64       `json:"score,omitempty"`
	Effect  *float64       `json:"effect,omitempty"`
	Measure drift.TestName `json:"measure,omitempty"`
}

// PreviousPerformance is how the previous champion did.
type PreviousPerformance struct {
	Version int                  `json:"version"`
	CheckID string               `json:"checkId"`
	At      time.Time            `json:"at"`
	Metrics []drift.MetricResult `json:"metrics"`
}

// String says it in a phrase.
func (p *PreviousPerformance) String() string {
	var parts []string
	for _, m := range p.Metrics {
		parts = append(parts, fmt.Sprintf("%s %.2f", m.Name, m.Value))
	}
	return fmt.Sprintf("v%d did %s in check %s", p.Version, strings.Join(parts, ", "), p.CheckID)
}

// Diagnose gathers the evidence for trig.
func (a *Agent) Diagnose(ctx context.Context, trig Trigger) (*Diagnosis, error) {
	now := a.now()
	id, err := a.newID()
	if err != nil {
		return nil, err
	}
	d := &Diagnosis{ID: id, Model: trig.Model, At: now, Trigger: trig, CanScale: a.Scaler != nil}
	al, err := a.Registry.Alias(ctx, trig.Model, registry.Champion)
	if err != nil && !errors.Is(err, registry.ErrNotFound) {
		return nil, fmt.Errorf("agent: diagnose %s: %w", trig.Model, err)
	}
	d.Champion = al.Version
	if d.Champion > 0 {
		v, err := a.Registry.Version(ctx, trig.Model, d.Champion)
		if err != nil {
			return nil, fmt.Errorf("agent: diagnose %s: %w", trig.Model, err)
		}
		d.Created = v.CreatedAt
		d.Age = roundDur(now.Sub(v.CreatedAt)).String()
		moves, err := a.Registry.History(ctx, trig.Model, registry.Champion)
		if err != nil {
			return nil, fmt.Errorf("agent: diagnose %s: %w", trig.Model, err)
		}
		if len(moves) > 0 {
			m := moves[len(moves)-1]
			d.LastMove = &m
		}
	}
	d.Check = trig.Check
	var hist []monitor.Summary
	if a.Records != nil {
		hist, err = monitor.History(ctx, a.Records, monitor.HistoryFilter{Model: trig.Model, Newest: true, Limit: 50})
		if err != nil {
			return nil, fmt.Errorf("agent: diagnose %s: %w", trig.Model, err)
		}
	}
	if d.Check == nil && len(hist) > 0 {
		c := hist[0]
		d.Check = &c
	}
	if d.LastMove != nil && d.LastMove.From != 0 {
		for _, h := range hist {
			if h.Version == d.LastMove.From && h.Performance != nil && len(h.Performance.Metrics) > 0 {
				d.Previous = &PreviousPerformance{Version: h.Version, CheckID: h.CheckID, At: h.At, Metrics: h.Performance.Metrics}
				break
			}
		}
	}
	if a.Scaler != nil {
		n, err := a.Scaler.Concurrency(ctx, trig.Model)
		switch {
		case err == nil:
			d.Concurrency = n
		case trig.Kind == TriggerAlarm && trig.Alarm != nil && trig.Alarm.Kind == AlarmThrottles:
			// Raising by a step from an unknown figure could lower it.
			return nil, fmt.Errorf("agent: diagnose %s: provisioned concurrency: %w", trig.Model, err)
		default:
			d.ConcurrencyError = err.Error()
		}
	}
	if err := a.actionsOf(ctx, d, now); err != nil {
		return nil, err
	}
	d.findings(now)
	return d, nil
}

// actionsOf fills the action lists of d.
func (a *Agent) actionsOf(ctx context.Context, d *Diagnosis, now time.Time) error {
	acts, err := a.Actions(ctx, d.Model)
	if err != nil {
		return err
	}
	sort.Slice(acts, func(i, j int) bool { return acts[i].CreatedAt.After(acts[j].CreatedAt) })
	p := a.policy()
	lastOK := map[ActionKind]time.Time{}
	for _, r := range acts {
		if r.State == StateSucceeded && r.UpdatedAt.After(lastOK[r.Kind]) {
			lastOK[r.Kind] = r.UpdatedAt
		}
	}
	counting := true
	for i := range acts {
		r := acts[i]
		if len(d.Recent) < 5 {
			d.Recent = append(d.Recent, r)
		}
		stale := r.State == StateStarted && now.Sub(r.UpdatedAt) >= p.StaleAfter.D()
		switch {
		case r.Kind == ActRetrain && r.State == StateSucceeded:
			first := d.LastRetrain == nil
			if first {
				rr := r
				d.LastRetrain = &rr
			}
			out, done, err := a.outcome(ctx, r)
			if err != nil {
				return err
			}
			if !done && now.Sub(r.UpdatedAt) < p.RetrainTimeout.D() {
				d.InFlight = append(d.InFlight, r)
			}
			// Count the transient failures in a row, newest first.
			if counting = counting && transientFailure(out); counting {
				d.TransientFailures++
				if first {
					d.LastFailure = out.Reason
				}
			}
		case r.State == StateFailed || stale:
			if !lastOK[r.Kind].After(r.CreatedAt) {
				d.Failed = append(d.Failed, r)
			}
		}
	}
	return nil
}

// terminal are the workflow's audit actions that end an execution.
var terminal = map[string]bool{
	"retrain.promoted": true, "retrain.not_better": true, "retrain.rejected": true,
	"retrain.escalated": true, "retrain.failed": true,
}

// outcome returns the terminal audit event of the retraining r started,
// and whether it has one (a retraining without an execution counts as
// finished, with no event).
func (a *Agent) outcome(ctx context.Context, r ActionRecord) (audit.Event, bool, error) {
	if r.Execution == "" || a.Audit == nil {
		return audit.Event{}, true, nil
	}
	return a.outcomeOf(ctx, r.Model, r.Execution, r.UpdatedAt.Add(-time.Minute))
}

// transientFailures name the errors another try may not meet: Step
// Functions' timeouts, the Lambda service's own failures and throttling,
// lambdaerr's InternalError and Conflict. Anything else (the data failed
// validation, no candidate trained, an unknown cause) waits for the
// cooldown: trying again on the same data would fail the same way.
var transientFailures = []string{"States.Timeout", "States.HeartbeatTimeout", "Lambda.", "InternalError", "Conflict", "ServiceUnavailable", "Throttling", "TooManyRequests"}

// transientFailure reports whether ev is a retraining that failed for a
// transient reason.
func transientFailure(ev audit.Event) bool {
	if ev.Action != "retrain.failed" {
		return false
	}
	for _, name := range transientFailures {
		if strings.Contains(ev.Reason, "retraining failed: "+name) {
			return true
		}
	}
	return false
}

// outcomeOf finds the workflow's terminal audit event of an execution.
func (a *Agent) outcomeOf(ctx context.Context, model, execution string, since time.Time) (audit.Event, bool, error) {
	evs, err := a.Audit.List(ctx, audit.Filter{Model: model, From: since})
	if err != nil {
		return audit.Event{}, false, fmt.Errorf("agent: outcome of %s: %w", execution, err)
	}
	for _, ev := range evs {
		if ev.CorrelationID == execution && terminal[ev.Action] {
			return ev, true, nil
		}
	}
	return audit.Event{}, false, nil
}

// findings says what the evidence shows.
func (d *Diagnosis) findings(now time.Time) {
	f := &d.Findings
	add := func(format string, args ...any) { *f = append(*f, fmt.Sprintf(format, args...)) }
	switch t := d.Trigger; t.Kind {
	case TriggerDrift:
		add("triggered by drift check %s at %s", t.Check.CheckID, t.Check.At.Format(time.RFC3339))
	case TriggerAlarm:
		add("triggered by alarm %s: %s → %s", t.Alarm.Name, orNone(t.Alarm.Previous), t.Alarm.State)
	case TriggerValidation:
		add("triggered by a failed validation of incoming data")
	case TriggerManual:
		add("diagnosis requested by %s", orNone(t.RequestedBy))
	case TriggerSchedule:
		add("triggered by training.schedule %s at %s", t.Schedule, t.Time.Format(time.RFC3339))
	}
	if d.Champion == 0 {
		add("%s has no champion", d.Model)
	} else {
		add("champion is v%d, registered %s ago", d.Champion, d.Age)
	}
	if m := d.LastMove; m != nil {
		add("champion's last move: %s v%d → v%d by %s %s ago", m.Kind, m.From, m.To, m.Actor, roundDur(now.Sub(m.At)))
	}
	c := d.Check
	if c == nil {
		add("no drift check yet")
	} else {
		add("drift check %s of v%d: %s, %s, %d rows (%s)", c.CheckID, c.Version, c.Verdict, driftWhy(c), c.Rows, c.Source)
		if c.Version != d.Champion && d.Champion != 0 {
			add("the check is of v%d, not of the champion v%d", c.Version, d.Champion)
		}
		for _, fv := range c.FeatureVerdicts {
			if fv.Verdict == drift.VerdictDrift {
				d.Moved = append(d.Moved, Moved{Name: fv.Name, Test: fv.Test, Score: fv.Score, Effect: fv.Effect, Measure: fv.EffectMeasure})
			}
		}
		sort.SliceStable(d.Moved, func(i, j int) bool { return val(d.Moved[i].Effect) > val(d.Moved[j].Effect) })
		for _, m := range d.Moved {
			if m.Effect != nil {
				add("%s moved: %s %.3f (%s)", m.Name, m.Measure, *m.Effect, m.Test)
			}
		}
		if p := c.Prediction; p != nil {
			add("prediction drift: %s", p.Verdict)
		}
		if p := c.Performance; p != nil {
			var parts []string
			for _, m := range p.Metrics {
				s := fmt.Sprintf("%s %.2f [%.2f, %.2f]", m.Name, m.Value, m.Lower, m.Upper)
				if m.Training != nil {
					s += fmt.Sprintf(" vs %.2f in training", *m.Training)
				}
				if m.Degraded {
					s += " (degraded)"
				}
				parts = append(parts, s)
			}
			add("realised performance on %d labelled rows: %s; %s", p.Rows, p.Verdict, strings.Join(parts, ", "))
		}
	}
	if d.Previous != nil {
		add("previous champion: %s", d.Previous)
	}
	if d.ConcurrencyError != "" {
		add("provisioned concurrency unknown: %s", d.ConcurrencyError)
	}
	for _, r := range d.InFlight {
		add("retraining in flight: execution %s (action %s, started %s ago)", r.Execution, r.ID, roundDur(now.Sub(r.UpdatedAt)))
	}
	for _, r := range d.Failed {
		add("failed action %s %s (rule %s), %d attempt(s): %s", r.Kind, r.ID, r.Rule, r.Attempts, r.Error)
	}
}

func val(p *float64) float64 {
	if p == nil {
		return 0
	}
	return *p
}
