package tasks

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/stewardml/steward/internal/approval"
	"github.com/stewardml/steward/internal/audit"
	"github.com/stewardml/steward/internal/config"
	"github.com/stewardml/steward/internal/dataset"
	"github.com/stewardml/steward/internal/notify"
)

// Outcomes (and the start) that Record records; the ASL's Record states
// pass them as "event".
const (
	EventStarted   = "started"
	EventPromoted  = "promoted"
	EventNotBetter = "not_better"
	EventRejected  = "rejected"
	EventEscalated = "escalated"
	EventFailed    = "failed"
)

// RecordEvent is the input of the Record states: which event, and the
// execution's whole state document.
type RecordEvent struct {
	Event       string          `json:"event"`
	Input       json.RawMessage `json:"input"`
	ExecutionID string          `json:"executionId"`
}

// State is the execution's state document as Record reads it; fields it
// does not name are ignored.
type State struct {
	Model           string      `json:"model"`
	Dataset         dataset.Ref `json:"dataset"`
	Trigger         string      `json:"trigger"`
	Reason          string      `json:"reason"`
	RequestedBy     string      `json:"requestedBy"`
	RequireApproval bool        `json:"requireApproval"`
	Evaluation      *struct {
		Result *Evaluation `json:"result"`
	} `json:"evaluation"`
	Approval  *Decision `json:"approval"`
	Promotion *struct {
		Result *Promotion `json:"result"`
	} `json:"promotion"`
	// Error is what a Catch put at $.error: the failed step's error name
	// and cause.
	Error *StepError `json:"error"`
}

// StepError is the error output of a caught failure.
type StepError struct {
	Error string `json:"Error"`
	Cause string `json:"Cause"`
}

// Recorded is Record's result.
type Recorded struct {
	Event   string `json:"event"`
	AuditID string `json:"auditId"`
	// Notified is false when the notification could not be delivered; the
	// dispatcher keeps such failures (notify.ListFailed) and the step does
	// not fail for it.
	Notified    bool   `json:"notified"`
	NotifyError string `json:"notifyError,omitempty"`
	// Closed lists the approval requests of the execution marked expired
	// (escalated or failed executions leave none pending).
	Closed []string `json:"closed,omitempty"`
}

// Notifier delivers a notification; *notify.Dispatcher implements it.
type Notifier interface {
	Notify(ctx context.Context, e notify.Event) error
}

// ApprovalCloser lists and expires approval requests; *approval.Service
// implements it.
type ApprovalCloser interface {
	List(ctx context.Context, pendingOnly bool, limit int) ([]approval.Request, error)
	MarkExpired(ctx context.Context, id string) (approval.Request, error)
}

// Record serves the Record states: an audit event for the start and each
// outcome, a notification for each outcome, and for escalated and failed
// executions the closing of their pending approval requests.
type Record struct {
	Project   *config.Project
	Audit     audit.Log
	Notifier  Notifier
	Approvals ApprovalCloser
}

// Invoke implements lambda.Handler.
func (h *Record) Invoke(ctx context.Context, payload []byte) ([]byte, error) {
	return invoke(ctx, payload, nil, h.Handle)
}

// Handle records one event.
func (h *Record) Handle(ctx context.Context, ev RecordEvent) (Recorded, error) {
	if ev.ExecutionID == "" {
		return Recorded{}, invalid("executionId is required")
	}
	var st State
	decodeErr := json.Unmarshal(ev.Input, &st)
	if len(bytes.TrimSpace(ev.Input)) == 0 {
		decodeErr = fmt.Errorf("input is missing")
	}
	if decodeErr != nil && ev.Event != EventFailed {
		// A failure is recorded whatever its input looks like; anything
		// else needs a readable state.
		return Recorded{}, invalid("input: %v", decodeErr)
	}
	if st.Model == "" {
		st.Model = h.Project.Model.Name
	}
	var eval Evaluation
	if st.Evaluation != nil && st.Evaluation.Result != nil {
		eval = *st.Evaluation.Result
	}
	e := audit.Event{
		Actor: Actor, Action: "retrain." + ev.Event,
		Subject:       audit.Subject{Model: st.Model, Version: eval.CandidateVersion, Execution: ev.ExecutionID},
		Evidence:      eval.Evidence,
		CorrelationID: ev.ExecutionID,
	}
	n := notify.Event{Model: st.Model, Subject: ev.ExecutionID, Version: eval.CandidateVersion, Fields: fields(st, eval)}
	if eval.CandidateVersion > 0 {
		// Every outcome of a decision is told with the deployment report of
		// the champion it leaves in place (the promoted version, or the
		// one that stays) and the candidate's training report.
		n.Reports = append(n.Reports, notify.Report{Kind: notify.DeploymentReport, ID: st.Model})
		if eval.Run != "" {
			n.Reports = append(n.Reports, notify.Report{Kind: notify.TrainingReport, ID: eval.Run})
		}
	}
	out := Recorded{Event: ev.Event}
	switch ev.Event {
	case EventStarted:
		if st.Model != h.Project.Model.Name {
			return Recorded{}, fmt.Errorf("%w: %q (this deployment manages %q)", ErrUnknownModel, st.Model, h.Project.Model.Name)
		}
		if st.Dataset.Digest == "" && st.Dataset.Key == "" {
			return Recorded{}, invalid("input.dataset needs a digest or a key")
		}
		e.Action = "retrain.start"
		e.Actor = orDefault(st.RequestedBy, "unknown")
		e.Reason = fmt.Sprintf("%s retraining of %s requested by %s", orDefault(st.Trigger, "manual"), st.Model, e.Actor)
		if st.Reason != "" {
			e.Reason += ": " + st.Reason
		}
		if st.RequireApproval {
			e.Reason += " (approval required)"
		}
		e.Evidence = []string{dataset.KeyFor(st.Dataset.Digest)}
		if st.Dataset.Digest == "" {
			e.Evidence = []string{st.Dataset.Key}
		}
	case EventPromoted:
		if eval.CandidateVersion == 0 {
			return Recorded{}, invalid("input.evaluation.result is required to record a promotion")
		}
		from := eval.ChampionVersion
		if st.Promotion != nil && st.Promotion.Result != nil {
			from = st.Promotion.Result.From
		}
		if d := st.Approval; d != nil && d.Approved {
			e.Actor = d.Approver
			e.Evidence = append(e.Evidence, "approval:"+d.ApprovalID)
		}
		e.Reason = fmt.Sprintf("%s:%d is champion (was %s); %s", st.Model, eval.CandidateVersion, versionOrNone(from), eval.Summary)
		n.Kind, n.Title = notify.Promoted, fmt.Sprintf("%s:%d is champion (was %s)", st.Model, eval.CandidateVersion, versionOrNone(from))
	case EventNotBetter:
		e.Reason = "not promoted: " + eval.Summary
		n.Kind, n.Title = notify.Rejected, fmt.Sprintf("%s:%d not promoted: not better than champion %s by the margin", st.Model, eval.CandidateVersion, versionOrNone(eval.ChampionVersion))
	case EventRejected:
		d := st.Approval
		if d == nil {
			return Recorded{}, invalid("input.approval is required to record a rejection")
		}
		e.Actor = orDefault(d.Approver, "unknown")
		e.Reason = fmt.Sprintf("rejected by %s", e.Actor)
		if d.Comment != "" {
			e.Reason += ": " + d.Comment
		}
		e.Evidence = append(e.Evidence, "approval:"+d.ApprovalID)
		n.Kind, n.Title = notify.Rejected, fmt.Sprintf("%s:%d rejected by %s", st.Model, eval.CandidateVersion, e.Actor)
	case EventEscalated:
		closed, err := h.close(ctx, ev.ExecutionID)
		if err != nil {
			return Recorded{}, err
		}
		out.Closed = closed
		e.Reason = fmt.Sprintf("nobody decided on %s:%d in time; nothing was promoted", st.Model, eval.CandidateVersion)
		for _, id := range closed {
			e.Evidence = append(e.Evidence, "approval:"+id)
		}
		n.Kind, n.Title = notify.Escalated, fmt.Sprintf("%s:%d: approval not given in time, nothing promoted", st.Model, eval.CandidateVersion)
	case EventFailed:
		closed, err := h.close(ctx, ev.ExecutionID)
		if err != nil {
			return Recorded{}, err
		}
		out.Closed = closed
		what := "unknown error"
		if st.Error != nil {
			what = st.Error.Error
			if c := firstLine(st.Error.Cause); c != "" {
				what += ": " + c
			}
		}
		if decodeErr != nil {
			what += fmt.Sprintf(" (the execution state could not be read: %v)", decodeErr)
		}
		e.Reason = "retraining failed: " + what
		n.Kind, n.Title = notify.Failure, fmt.Sprintf("retraining of %s failed: %s", st.Model, oneLine(what, 120))
	default:
		return Recorded{}, invalid("event %q, want one of %s", ev.Event, strings.Join([]string{EventStarted, EventPromoted, EventNotBetter, EventRejected, EventEscalated, EventFailed}, ", "))
	}
	details, _ := json.Marshal(map[string]any{
		"event": ev.Event, "trigger": st.Trigger, "requestedBy": st.RequestedBy, "reason": st.Reason,
		"evaluation": st.Evaluation, "approval": st.Approval, "promotion": st.Promotion, "error": st.Error,
	})
	e.Details = details
	stored, err := h.Audit.Append(ctx, e)
	if err != nil {
		return Recorded{}, fmt.Errorf("tasks: audit %s: %w", e.Action, err)
	}
	out.AuditID = stored.ID
	if n.Kind == "" {
		return out, nil
	}
	n.Text = e.Reason
	if err := h.Notifier.Notify(ctx, n); err != nil {
		out.NotifyError = err.Error()
		return out, nil
	}
	out.Notified = true
	return out, nil
}

// close marks the execution's pending approval requests expired.
func (h *Record) close(ctx context.Context, executionID string) ([]string, error) {
	pending, err := h.Approvals.List(ctx, true, 0)
	if err != nil {
		return nil, fmt.Errorf("tasks: pending approvals: %w", err)
	}
	var ids []string
	for _, r := range pending {
		if r.ExecutionID != executionID {
			continue
		}
		if _, err := h.Approvals.MarkExpired(ctx, r.ID); err != nil {
			return ids, fmt.Errorf("tasks: expire approval %s: %w", r.ID, err)
		}
		ids = append(ids, r.ID)
	}
	return ids, nil
}

// fields are the notification's key facts.
func fields(st State, e Evaluation) map[string]string {
	f := map[string]string{"trigger": orDefault(st.Trigger, "manual"), "requested by": orDefault(st.RequestedBy, "unknown")}
	if e.CandidateVersion > 0 {
		f["candidate"] = fmt.Sprintf("%s:%d (%s)", st.Model, e.CandidateVersion, e.Family)
		f["champion"] = versionOrNone(e.ChampionVersion)
		if m := e.Metric; m != "" {
			f[m] = fmt.Sprintf("%.4f vs %s", e.CandidateMetrics[m], metricOrNone(e.ChampionMetrics, m))
		}
	}
	if d := st.Approval; d != nil {
		verb := "rejected"
		if d.Approved {
			verb = "approved"
		}
		f["decision"] = fmt.Sprintf("%s by %s at %s", verb, d.Approver, d.DecidedAt.UTC().Format(time.RFC3339))
	}
	return f
}

func metricOrNone(m map[string]float64, k string) string {
	v, ok := m[k]
	if !ok {
		return "-"
	}
	return fmt.Sprintf("%.4f", v)
}

func versionOrNone(v int) string {
	if v == 0 {
		return "none"
	}
	return fmt.Sprintf("v%d", v)
}

func firstLine(s string) string {
	s = strings.TrimSpace(s)
	// A Lambda error cause is {"errorMessage": ..., "errorType": ...}.
	var le struct {
		ErrorMessage string `json:"errorMessage"`
	}
	if json.Unmarshal([]byte(s), &le) == nil && le.ErrorMessage != "" {
		s = le.ErrorMessage
	}
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		s = s[:i]
	}
	return s
}

func oneLine(s string, n int) string {
	s = strings.Join(strings.Fields(s), " ")
	if len(s) > n {
		return s[:n-1] + "…"
	}
	return s
}
