package agent

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/stewardml/steward/internal/drift"
	"github.com/stewardml/steward/internal/monitor"
	"github.com/stewardml/steward/internal/registry"
)

// ActionKind is what a decision does.
type ActionKind string

// The actions.
const (
	ActLog      ActionKind = "log"      // record the decision only
	ActRetrain  ActionKind = "retrain"  // start the retraining workflow
	ActRollback ActionKind = "rollback" // move champion back by compare-and-set
	ActEscalate ActionKind = "escalate" // tell the escalation list
	ActNotify   ActionKind = "notify"   // tell the default list
	ActScale    ActionKind = "scale"    // raise provisioned concurrency (AWS)
)

// Reasons a decision to act was not carried out.
const (
	SuppressedInFlight      = "in_flight"
	SuppressedCooldown      = "cooldown"
	SuppressedDuplicate     = "duplicate"
	SuppressedNotApplicable = "not_applicable"
)

// Decision is what the policy says to do about a diagnosis, and why.
type Decision struct {
	// Rule is the policy rule that fired: a band's name or a built-in
	// rule (RuleRollback, RuleInsufficientData, ...).
	Rule   string     `json:"rule"`
	Action ActionKind `json:"action"`
	// Approval makes a retrained candidate wait for a human; for a
	// rollback it means asking instead of acting.
	Approval bool `json:"approval,omitempty"`
	// Escalate also tells the escalation list.
	Escalate bool `json:"escalate,omitempty"`
	// Why says in plain language what the rule saw.
	Why string `json:"why"`
	// Suppressed says why an action the rule asked for is not carried out.
	Suppressed string `json:"suppressed,omitempty"`
	// ActionID identifies the action: derived from the decision, so that
	// the same alert makes the same action, done at most once.
	ActionID string `json:"actionId,omitempty"`
	// Retry is set when the decision retries a failed action.
	Retry bool `json:"retry,omitempty"`
	// ScaleTo is the provisioned concurrency a scale decision sets.
	ScaleTo int `json:"scaleTo,omitempty"`
	// RollbackFrom is the champion a rollback undoes (the version the
	// diagnosis saw), checked again before moving.
	RollbackFrom int `json:"rollbackFrom,omitempty"`
}

// Acts reports whether the decision does something beyond logging.
func (d Decision) Acts() bool { return d.Action != ActLog && d.Suppressed == "" }

// ActionID derives an action id from the model, the kind and what makes
// the action unique (the alert, or for a rollback the promotion undone).
func ActionID(model string, kind ActionKind, key string) string {
	sum := sha256.Sum256([]byte(model + "\x00" + string(kind) + "\x00" + key))
	return "act-" + hex.EncodeToString(sum[:10])
}

// Decide applies the policy to a diagnosis at time now. It is a pure
// function: the same policy, diagnosis and time give the same decision.
//
// In order: alarms and failed validations have their own rules; then a
// clear performance drop within the rollback window after a promotion
// rolls back; insufficient data only logs; otherwise the drift score's band
// decides, and a band that only logs gives way to realised-performance
// decay (when the policy retrains on it). A retraining in flight or started
// within the cooldown is suppressed. A decision that only logs retries the
// newest failed action, if any.
func Decide(p Policy, d *Diagnosis, now time.Time) Decision {
	dec := decide(p, d, now)
	if dec.Action == ActLog && len(d.Failed) > 0 {
		f := d.Failed[0]
		dec = Decision{Rule: RuleRetryFailed, Action: f.Kind, Approval: f.Approval, Escalate: f.Escalate, ActionID: f.ID, Retry: true,
			RollbackFrom: f.RollbackFrom, ScaleTo: f.ScaleTo,
			Why: fmt.Sprintf("%s; retrying %s %s (rule %s), which failed %d time(s): %s", dec.Why, f.Kind, f.ID, f.Rule, f.Attempts, f.Error)}
	}
	if dec.Action == ActRetrain {
		switch {
		case d.LastRetrain != nil && d.LastRetrain.ID == dec.ActionID:
			// The same alert again: the action record makes it a duplicate.
		case len(d.InFlight) > 0:
			dec.Suppressed = SuppressedInFlight
			dec.Why += fmt.Sprintf("; retraining %s is still in flight (%s)", d.InFlight[0].Execution, d.InFlight[0].ID)
		case dec.Rule == RuleSchedule:
			// A schedule is a person's standing order: the cooldown, which
			// keeps alerts from retraining again and again, does not hold it.
		case d.LastRetrain != nil && p.Cooldown > 0 && now.Sub(d.LastRetrain.UpdatedAt) < p.Cooldown.D() &&
			transientRetry(d, now):
			dec.Why += fmt.Sprintf("; the last retraining failed for a transient reason (%s), so it is retried %s after it started (try %d of %d) rather than after the %s cooldown",
				d.LastFailure, RetryBackoff(d.TransientFailures), d.TransientFailures+1, MaxTransientRetries+1, p.Cooldown.D())
		case d.LastRetrain != nil && p.Cooldown > 0 && now.Sub(d.LastRetrain.UpdatedAt) < p.Cooldown.D():
			dec.Suppressed = SuppressedCooldown
			dec.Why += fmt.Sprintf("; the last retraining started %s ago, within the %s cooldown", roundDur(now.Sub(d.LastRetrain.UpdatedAt)), p.Cooldown.D())
		}
	}
	if dec.Action == ActScale && !d.CanScale {
		dec.Suppressed = SuppressedNotApplicable
		dec.Why += "; provisioned concurrency is managed on AWS only: not applicable here"
	}
	return dec
}

func decide(p Policy, d *Diagnosis, now time.Time) Decision {
	t := d.Trigger
	key := func(kind ActionKind, rule string) string { return ActionID(d.Model, kind, t.ID+"\x00"+rule) }
	switch t.Kind {
	case TriggerAlarm:
		return decideAlarm(p, d, now, key)
	case TriggerValidation:
		v := t.Validation
		why := "incoming data failed validation"
		if v != nil && v.Failed > 0 {
			why = fmt.Sprintf("incoming data failed %d expectation(s)", v.Failed)
		}
		if v != nil && v.Summary != "" {
			why += ": " + v.Summary
		}
		return Decision{Rule: RuleValidation, Action: ActNotify, ActionID: key(ActNotify, RuleValidation),
			Why: why + "; retraining on it would learn the fault, so a person should look"}
	case TriggerSchedule:
		return Decision{Rule: RuleSchedule, Action: ActRetrain, Approval: p.ScheduledApproval, ActionID: key(ActRetrain, RuleSchedule),
			Why: fmt.Sprintf("training.schedule %s is due", t.Schedule)}
	}
	c := d.Check
	if c == nil {
		return Decision{Rule: RuleInsufficientData, Action: ActLog, Why: "no drift check of " + d.Model + " yet"}
	}
	if rb, ok := rollback(p, d, now); ok {
		rb.ActionID = ActionID(d.Model, ActRollback, fmt.Sprintf("champion-move:%d", d.LastMove.Seq))
		return rb
	}
	if c.Verdict == drift.VerdictInsufficient {
		why := fmt.Sprintf("not enough data for a verdict (%d rows)", c.Rows)
		if c.Reason != "" {
			why += ": " + c.Reason
		}
		return Decision{Rule: RuleInsufficientData, Action: ActLog, Why: why}
	}
	band := p.Band(c.DriftScore)
	why := driftWhy(c)
	if band.Retrain || band.Escalate {
		dec := Decision{Rule: band.Name, Action: ActRetrain, Approval: band.Approval, Escalate: band.Escalate, Why: why}
		if !band.Retrain {
			dec.Action = ActEscalate
		}
		dec.ActionID = key(dec.Action, band.Name)
		return dec
	}
	if perf := c.Performance; perf != nil && perf.Verdict == drift.VerdictDrift && p.Performance.Retrain {
		return Decision{Rule: RulePerformance, Action: ActRetrain, Approval: p.Performance.Approval,
			Why: why + "; realised performance fell: " + perfWhy(perf), ActionID: key(ActRetrain, RulePerformance)}
	}
	return Decision{Rule: band.Name, Action: ActLog, Why: why}
}

func decideAlarm(p Policy, d *Diagnosis, now time.Time, key func(ActionKind, string) string) Decision {
	a := d.Trigger.Alarm
	if a.State != "ALARM" {
		return Decision{Rule: RuleAlarmResolved, Action: ActLog, Why: fmt.Sprintf("alarm %s is %s (was %s)", a.Name, a.State, orNone(a.Previous))}
	}
	why := fmt.Sprintf("alarm %s (%s) is ALARM", a.Name, a.Kind)
	if a.Reason != "" {
		why += ": " + a.Reason
	}
	switch a.Kind {
	case AlarmErrors, AlarmLatency:
		if m := d.LastMove; d.recentPromotion(p, now) {
			dec := Decision{Rule: RuleRollback, Action: ActRollback, Approval: p.Rollback.Approval, RollbackFrom: d.Champion,
				Why:      fmt.Sprintf("%s %s after v%d was promoted (within the %s rollback window)", why, roundDur(now.Sub(m.At)), m.To, p.Rollback.Window.D()),
				ActionID: ActionID(d.Model, ActRollback, fmt.Sprintf("champion-move:%d", m.Seq))}
			if dec.Approval {
				dec.Action = ActEscalate
			}
			return dec
		}
		return Decision{Rule: RuleAlarm, Action: ActNotify, Why: why + "; no recent promotion to undo", ActionID: key(ActNotify, RuleAlarm)}
	case AlarmThrottles:
		c := p.Concurrency
		to := min(max(d.Concurrency+c.Step, c.Min), c.Max)
		if to <= d.Concurrency {
			return Decision{Rule: RuleScale, Action: ActEscalate, ActionID: key(ActEscalate, RuleScale),
				Why: fmt.Sprintf("%s; provisioned concurrency is at its configured maximum %d", why, c.Max)}
		}
		return Decision{Rule: RuleScale, Action: ActScale, ScaleTo: to, ActionID: key(ActScale, RuleScale),
			Why: fmt.Sprintf("%s; sustained throttling: provisioned concurrency %d → %d (bounds %d..%d)", why, d.Concurrency, to, c.Min, c.Max)}
	case AlarmRetrainFailed:
		return Decision{Rule: RuleAlarm, Action: ActEscalate, Why: why + "; a retraining failed", ActionID: key(ActEscalate, RuleAlarm)}
	}
	return Decision{Rule: RuleAlarm, Action: ActNotify, Why: why, ActionID: key(ActNotify, RuleAlarm)}
}

// rollback decides a rollback: a realised metric of the champion fell
// clearly (its whole interval below the training value, by at least
// p.Rollback.Drop) within the rollback window after its promotion.
func rollback(p Policy, d *Diagnosis, now time.Time) (Decision, bool) {
	c := d.Check
	if c.Performance == nil || c.Version != d.Champion || !d.recentPromotion(p, now) {
		return Decision{}, false
	}
	var drops []string
	for _, m := range c.Performance.Metrics {
		if m.Training != nil && m.Degraded && *m.Training-m.Value >= p.Rollback.Drop-1e-9 {
			drops = append(drops, fmt.Sprintf("%s %.2f [%.2f, %.2f] vs %.2f in training", m.Name, m.Value, m.Lower, m.Upper, *m.Training))
		}
	}
	if len(drops) == 0 {
		return Decision{}, false
	}
	m := d.LastMove
	why := fmt.Sprintf("realised performance of v%d fell on %d labelled rows: %s, %s after it was promoted (v%d → v%d)",
		c.Version, c.Performance.Rows, strings.Join(drops, ", "), roundDur(now.Sub(m.At)), m.From, m.To)
	if pp := d.Previous; pp != nil {
		why += "; " + pp.String()
	}
	dec := Decision{Rule: RuleRollback, Action: ActRollback, Approval: p.Rollback.Approval, RollbackFrom: d.Champion, Why: why}
	if dec.Approval {
		dec.Action = ActEscalate
	}
	return dec, true
}

// recentPromotion reports whether champion's last move was a promotion
// (not a rollback) to the current champion within the rollback window,
// with an earlier champion to return to.
func (d *Diagnosis) recentPromotion(p Policy, now time.Time) bool {
	m := d.LastMove
	return m != nil && m.Kind == registry.KindMove && m.From != 0 && m.To == d.Champion &&
		p.Rollback.Window > 0 && now.Sub(m.At) <= p.Rollback.Window.D()
}

// driftWhy says what a check found: "drift score 0.62 on 8 of 13
// features (thal, ca, …)".
func driftWhy(c *monitor.Summary) string {
	s := fmt.Sprintf("drift score %.2f", c.DriftScore)
	if c.Tested == 0 {
		return s + " (no feature tested)"
	}
	s += fmt.Sprintf(" on %d of %d features", c.Drifted, c.Tested)
	if names := topDrifted(c, 3); len(names) > 0 {
		s += " (" + strings.Join(names, ", ")
		if c.Drifted > len(names) {
			s += ", …"
		}
		s += ")"
	}
	if c.Tested < c.Features {
		s += fmt.Sprintf(", %d without enough data", c.Features-c.Tested)
	}
	return s
}

// topDrifted returns up to n drifted features, largest effect first.
func topDrifted(c *monitor.Summary, n int) []string {
	var fs []monitor.FeatureVerdict
	for _, f := range c.FeatureVerdicts {
		if f.Verdict == drift.VerdictDrift {
			fs = append(fs, f)
		}
	}
	sort.SliceStable(fs, func(i, j int) bool { return effect(fs[i]) > effect(fs[j]) })
	var out []string
	for i := 0; i < len(fs) && i < n; i++ {
		out = append(out, fs[i].Name)
	}
	return out
}

func effect(f monitor.FeatureVerdict) float64 {
	if f.Effect == nil {
		return 0
	}
	return *f.Effect
}

func perfWhy(p *monitor.Performance) string {
	var parts []string
	for _, m := range p.Metrics {
		if m.Degraded && m.Training != nil {
			parts = append(parts, fmt.Sprintf("%s %.2f [%.2f, %.2f] vs %.2f in training", m.Name, m.Value, m.Lower, m.Upper, *m.Training))
		}
	}
	return strings.Join(parts, ", ")
}

func roundDur(d time.Duration) time.Duration {
	switch {
	case d >= time.Hour:
		return d.Round(time.Minute)
	case d >= time.Minute:
		return d.Round(time.Second)
	}
	return d.Round(time.Millisecond)
}

func orNone(s string) string {
	if s == "" {
		return "none"
	}
	return s
}

// MaxTransientRetries is how many retrainings in a row that failed for a
// transient reason the agent retries before the cooldown ends.
const MaxTransientRetries = 3

// RetryBackoff is how long after the n-th retraining in a row failed for
// a transient reason the agent may start the next one: 15 minutes,
// doubled for each failure before (15m, 30m, 1h).
func RetryBackoff(n int) time.Duration {
	return 15 * time.Minute << max(n-1, 0)
}

// transientRetry reports whether the cooldown gives way to a retry: the
// last retraining failed for a transient reason, fewer than
// MaxTransientRetries did so in a row, and its backoff has passed.
func transientRetry(d *Diagnosis, now time.Time) bool {
	n := d.TransientFailures
	return n > 0 && n <= MaxTransientRetries && now.Sub(d.LastRetrain.UpdatedAt) >= RetryBackoff(n)
}
