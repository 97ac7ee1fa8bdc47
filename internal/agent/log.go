package agent

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/stewardml/steward/internal/audit"
)

// Summarize says a decision in one line: trigger → rule → action →
// outcome, e.g. "drift score 0.62 on 8 of 13 features (thal, ca, …) → rule
// `retrain-auto` → execution heart-20260314T090000Z-3fa2c1 started".
func Summarize(e *Entry) string {
	var b strings.Builder
	b.WriteString(triggerPhrase(e.Trigger))
	fmt.Fprintf(&b, " → rule `%s`", e.Decision.Rule)
	d, o := e.Decision, e.Outcome
	switch o.Status {
	case OutcomeLogged:
		b.WriteString(" → logged")
	case OutcomeDryRun:
		if d.Action == ActLog || d.Suppressed != "" {
			b.WriteString(" → would only log")
			if d.Suppressed != "" {
				fmt.Fprintf(&b, " (%s suppressed: %s)", d.Action, d.Suppressed)
			}
		} else {
			fmt.Fprintf(&b, " → would %s%s (dry run)", d.Action, approvalNote(d))
		}
	case OutcomeSuppressed:
		fmt.Fprintf(&b, " → %s suppressed (%s)", d.Action, d.Suppressed)
	case OutcomeNotApplicable:
		fmt.Fprintf(&b, " → %s not applicable here", d.Action)
	case OutcomeStarted:
		fmt.Fprintf(&b, " → execution %s started%s", o.Execution, approvalNote(d))
	case OutcomeDone:
		switch d.Action {
		case ActRollback:
			fmt.Fprintf(&b, " → champion rolled back v%d → v%d", o.From, o.To)
		case ActScale:
			fmt.Fprintf(&b, " → provisioned concurrency %d → %d", o.From, o.To)
		case ActEscalate:
			b.WriteString(" → escalated")
		default:
			b.WriteString(" → notified")
		}
	case OutcomeFailed:
		fmt.Fprintf(&b, " → %s failed (attempt %d, retried at the next trigger): %s", d.Action, o.Attempt, oneLine(o.Error, 160))
	default:
		fmt.Fprintf(&b, " → %s", o.Status)
	}
	if d.Retry && o.Status != OutcomeFailed {
		fmt.Fprintf(&b, " (retry of %s)", d.ActionID)
	}
	return b.String()
}

func approvalNote(d Decision) string {
	switch {
	case d.Action == ActRetrain && d.Approval && d.Escalate:
		return " (approval required, escalated)"
	case d.Action == ActRetrain && d.Approval:
		return " (approval required)"
	}
	return ""
}

func triggerPhrase(t Trigger) string {
	switch t.Kind {
	case TriggerDrift:
		s := driftWhy(t.Check)
		switch t.Check.Verdict {
		case "insufficient_data":
			s = fmt.Sprintf("insufficient data (%d rows)", t.Check.Rows)
		}
		if p := t.Check.Performance; p != nil && p.Verdict == "drift" {
			s += "; performance fell: " + perfWhy(p)
		}
		return s
	case TriggerAlarm:
		return fmt.Sprintf("alarm %s %s", t.Alarm.Name, t.Alarm.State)
	case TriggerValidation:
		return "failed validation of incoming data"
	case TriggerManual:
		return "manual diagnosis by " + orNone(t.RequestedBy)
	}
	return string(t.Kind)
}

func oneLine(s string, n int) string {
	s = strings.Join(strings.Fields(s), " ")
	if len(s) > n {
		return s[:n-1] + "…"
	}
	return s
}

// LogEntry is a recorded decision with what came of it since.
type LogEntry struct {
	AuditID string    `json:"auditId"`
	Time    time.Time `json:"time"`
	Model   string    `json:"model"`
	Entry   Entry     `json:"entry"`
	// Result is what the retraining it started came to ("version 4
	// promoted"), when it has ended; ResultEvent is that audit event.
	Result      string       `json:"result,omitempty"`
	ResultEvent *audit.Event `json:"resultEvent,omitempty"`
	// Line is the whole chain in plain language.
	Line string `json:"line"`
}

// ReadLog returns the recorded decisions matching f (a model and a time
// range), each joined with the outcome of the retraining it started.
func ReadLog(ctx context.Context, log audit.Log, f audit.Filter) ([]LogEntry, error) {
	evs, err := log.List(ctx, f)
	if err != nil {
		return nil, fmt.Errorf("agent: read log: %w", err)
	}
	results := map[string]audit.Event{}
	var out []LogEntry
	var earliest time.Time
	open := 0
	for _, ev := range evs {
		if terminal[ev.Action] && ev.CorrelationID != "" {
			results[ev.CorrelationID] = ev
		}
		if ev.Action != AuditAction {
			continue
		}
		var e Entry
		if err := json.Unmarshal(ev.Details, &e); err != nil {
			return nil, fmt.Errorf("agent: read log: decision %s: %w", ev.ID, err)
		}
		e.AuditID = ev.ID
		out = append(out, LogEntry{AuditID: ev.ID, Time: ev.Time, Model: ev.Model, Entry: e})
		if e.Outcome.Execution != "" {
			open++
			if earliest.IsZero() || ev.Time.Before(earliest) {
				earliest = ev.Time
			}
		}
	}
	if open > 0 && !f.To.IsZero() {
		// Outcomes may come after the range asked for.
		later, err := log.List(ctx, audit.Filter{Model: f.Model, From: earliest})
		if err != nil {
			return nil, fmt.Errorf("agent: read log: %w", err)
		}
		for _, ev := range later {
			if terminal[ev.Action] && ev.CorrelationID != "" {
				results[ev.CorrelationID] = ev
			}
		}
	}
	for i := range out {
		le := &out[i]
		le.Line = le.Entry.Summary
		if x := le.Entry.Outcome.Execution; x != "" {
			if r, ok := results[x]; ok {
				r := r
				le.ResultEvent = &r
				le.Result = resultPhrase(r)
				le.Line += " → " + le.Result
			} else if le.Entry.Outcome.Status == OutcomeStarted {
				le.Line += " → in flight"
			}
		}
	}
	return out, nil
}

// resultPhrase says how a retraining ended.
func resultPhrase(ev audit.Event) string {
	switch ev.Action {
	case "retrain.promoted":
		s := fmt.Sprintf("version %d promoted", ev.Version)
		if strings.Contains(ev.Actor, "@") {
			s += " (approved by " + ev.Actor + ")"
		}
		return s
	case "retrain.not_better":
		return fmt.Sprintf("version %d not promoted: not better than the champion", ev.Version)
	case "retrain.rejected":
		return fmt.Sprintf("version %d rejected by %s", ev.Version, ev.Actor)
	case "retrain.escalated":
		return fmt.Sprintf("version %d: nobody approved in time", ev.Version)
	case "retrain.failed":
		return "retraining failed: " + oneLine(ev.Reason, 120)
	}
	return ev.Action
}
