package agent

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/stewardml/steward/internal/audit"
	"github.com/stewardml/steward/internal/notify"
	"github.com/stewardml/steward/internal/registry"
	"github.com/stewardml/steward/internal/release"
	"github.com/stewardml/steward/internal/store"
)

// Registry is the part of the model registry the agent reads;
// *registry.Registry implements it (errors wrap registry.ErrNotFound for
// what does not exist).
type Registry interface {
	Alias(ctx context.Context, model, alias string) (registry.Alias, error)
	Version(ctx context.Context, model string, n int) (registry.Version, error)
	History(ctx context.Context, model, alias string) ([]registry.AliasMove, error)
}

// RetrainRequest is what the agent asks of the retraining workflow.
type RetrainRequest struct {
	Model string
	// ActionID identifies the agent's action (a stable name for the
	// execution, where the starter can use one).
	ActionID      string
	CorrelationID string
	Reason        string
	// RequireApproval makes a better candidate wait for a human.
	RequireApproval bool
	RequestedBy     string
	// WindowFrom and WindowTo bound the captured traffic whose labelled
	// rows may join the training data.
	WindowFrom, WindowTo time.Time
}

// Execution is a started retraining.
type Execution struct {
	ID     string `json:"id"`
	Name   string `json:"name,omitempty"`
	Status string `json:"status,omitempty"`
	// Existed says the execution had been started before under the
	// action's name (a start repeated after a crash) and was not started
	// again.
	Existed bool `json:"existed,omitempty"`
}

// Retrainer starts the retraining state machine (Step Functions on AWS,
// the local runner locally). An error means the execution did not start.
// A start is idempotent per RetrainRequest.ActionID: asked again for the
// same action, an implementation returns the execution it started then
// (with Existed set) rather than a second one. Implementations are safe
// for concurrent use.
type Retrainer interface {
	StartRetrain(ctx context.Context, r RetrainRequest) (Execution, error)
}

// Releaser moves champion back; *release.Service implements it. Errors
// wrap registry.ErrConflict when champion moved meanwhile and
// registry.ErrNoPrevious when there is nothing to return to.
type Releaser interface {
	Rollback(ctx context.Context, r release.Request) (registry.AliasMove, error)
}

// Notifier tells people; *notify.Dispatcher implements it.
type Notifier interface {
	Notify(ctx context.Context, e notify.Event) error
}

// Scaler reads and sets the predict function's provisioned concurrency
// (AWS only; nil elsewhere, where scaling decisions are recorded as not
// applicable).
type Scaler interface {
	Concurrency(ctx context.Context, model string) (int, error)
	SetConcurrency(ctx context.Context, model string, n int) error
}

// Agent diagnoses triggers, decides by its policy, acts and records every
// decision. It is safe for concurrent use when its ports are; two
// deliveries of the same alert make one action.
type Agent struct {
	// Model is the model this agent manages; triggers about others are
	// refused. Empty accepts any.
	Model string
	// Policy decides; nil means DefaultPolicy().
	Policy    *Policy
	Registry  Registry
	Records   store.RecordStore
	Artifacts store.ArtifactStore
	Audit     audit.Log
	Retrainer Retrainer
	Releaser  Releaser
	Notifier  Notifier
	Scaler    Scaler
	// Now is the clock; nil means time.Now.
	Now func() time.Time
	// NewID makes diagnosis ids; nil means UUIDv7.
	NewID func() (string, error)
}

// Actor is the audit actor of the agent's decisions.
const Actor = "agent"

// AuditAction is the audit action of a decision.
const AuditAction = "agent.decision"

func (a *Agent) now() time.Time {
	if a.Now != nil {
		return a.Now().UTC()
	}
	return time.Now().UTC()
}

func (a *Agent) newID() (string, error) {
	if a.NewID != nil {
		return a.NewID()
	}
	u, err := uuid.NewV7()
	if err != nil {
		return "", fmt.Errorf("agent: new id: %w", err)
	}
	return u.String(), nil
}

func (a *Agent) policy() Policy {
	if a.Policy != nil {
		return *a.Policy
	}
	return DefaultPolicy()
}

// Entry is one decision as the audit log keeps it (the Details of its
// audit event): trigger → diagnosis → rule → action → outcome.
type Entry struct {
	Trigger   Trigger      `json:"trigger"`
	Diagnosis DiagnosisRef `json:"diagnosis"`
	Decision  Decision     `json:"decision"`
	Outcome   Outcome      `json:"outcome"`
	// Summary is the decision in one line of plain language.
	Summary string `json:"summary"`
	// AuditID is the audit event's id (not stored in it).
	AuditID string `json:"auditId,omitempty"`
}

// DiagnosisRef points at the stored diagnosis and repeats its findings.
type DiagnosisRef struct {
	ID       string   `json:"id"`
	Key      string   `json:"key,omitempty"`
	Champion int      `json:"champion"`
	Findings []string `json:"findings"`
}

// Outcome statuses.
const (
	OutcomeLogged        = "logged"         // the rule only logs
	OutcomeSuppressed    = "suppressed"     // an action was due but not carried out (Decision.Suppressed says why)
	OutcomeStarted       = "started"        // a retraining was started
	OutcomeDone          = "done"           // the action was carried out
	OutcomeFailed        = "failed"         // the action failed; it is retried at the next trigger
	OutcomeNotApplicable = "not_applicable" // the action does not exist here
	OutcomeDryRun        = "dry_run"        // nothing was done: a dry run
)

// Outcome is what came of a decision.
type Outcome struct {
	Status  string `json:"status"`
	Attempt int    `json:"attempt,omitempty"`
	// Execution is the retraining started (its outcome is in the audit
	// log under this correlation id).
	Execution       string `json:"execution,omitempty"`
	ExecutionStatus string `json:"executionStatus,omitempty"`
	// From and To are the versions of a rollback, or the concurrency of a
	// scaling.
	From  int    `json:"from,omitempty"`
	To    int    `json:"to,omitempty"`
	Error string `json:"error,omitempty"`
	// Notified lists the notification kinds sent; NotifyErrors those that
	// failed (each kept in NOTIFY#FAILED by the dispatcher).
	Notified     []string `json:"notified,omitempty"`
	NotifyErrors []string `json:"notifyErrors,omitempty"`
}

// Options of one Handle call.
type Options struct {
	// DryRun decides and returns the entry without acting or recording.
	DryRun bool
}

// Handle diagnoses trig, decides, acts and records the decision in one
// audit event. A failed action is recorded as failed (and retried at the
// next trigger) and is not an error; errors mean the decision could not be
// made or recorded (a bad trigger wraps ErrEvent, and then nothing is
// done).
func (a *Agent) Handle(ctx context.Context, trig Trigger, opts Options) (*Entry, error) {
	if err := a.checkTrigger(trig); err != nil {
		return nil, err
	}
	p := a.policy()
	if err := p.Validate(); err != nil {
		return nil, err
	}
	d, err := a.Diagnose(ctx, trig)
	if err != nil {
		return nil, err
	}
	dec := Decide(p, d, d.At)
	e := &Entry{Trigger: trig, Diagnosis: DiagnosisRef{ID: d.ID, Champion: d.Champion, Findings: d.Findings}, Decision: dec}
	if opts.DryRun {
		e.Outcome = Outcome{Status: OutcomeDryRun}
		e.Summary = Summarize(e)
		return e, nil
	}
	if a.Artifacts != nil {
		key := DiagnosisKey(d.Model, d.ID)
		b, err := json.MarshalIndent(d, "", "  ")
		if err != nil {
			return nil, fmt.Errorf("agent: encode diagnosis: %w", err)
		}
		if _, err := a.Artifacts.Put(ctx, key, b, "application/json"); err != nil {
			return nil, fmt.Errorf("agent: store diagnosis: %w", err)
		}
		e.Diagnosis.Key = key
	}
	// The decision's audit id is taken now, before acting, so that the
	// decision sorts before the events of what it starts at the same time.
	auditID, err := a.newID()
	if err != nil {
		return nil, err
	}
	e.Outcome, err = a.act(ctx, p, d, &e.Decision)
	if err != nil {
		return nil, err
	}
	e.Summary = Summarize(e)
	if err := a.record(ctx, d, e, auditID); err != nil {
		return e, err
	}
	e.AuditID = auditID
	return e, nil
}

func (a *Agent) checkTrigger(t Trigger) error {
	switch {
	case t.Model == "":
		return fmt.Errorf("%w: the trigger names no model", ErrEvent)
	case a.Model != "" && t.Model != a.Model:
		return fmt.Errorf("%w: model %q, but this agent manages %q", ErrEvent, t.Model, a.Model)
	case t.ID == "":
		return fmt.Errorf("%w: the trigger has no id", ErrEvent)
	}
	switch t.Kind {
	case TriggerDrift:
		if t.Check == nil {
			return fmt.Errorf("%w: a drift trigger without its check", ErrEvent)
		}
		return CheckSummary(*t.Check)
	case TriggerAlarm:
		if t.Alarm == nil {
			return fmt.Errorf("%w: an alarm trigger without its alarm", ErrEvent)
		}
	case TriggerValidation, TriggerManual, TriggerSchedule:
	default:
		return fmt.Errorf("%w: trigger kind %q", ErrEvent, t.Kind)
	}
	return nil
}

// DiagnosisKey is the artifact key of a stored diagnosis.
func DiagnosisKey(model, id string) string { return "reports/agent/" + model + "/" + id + ".json" }

// record writes the decision's audit event.
func (a *Agent) record(ctx context.Context, d *Diagnosis, e *Entry, id string) error {
	if a.Audit == nil {
		return errors.New("agent: no audit log to record the decision in")
	}
	details, err := json.Marshal(e)
	if err != nil {
		return fmt.Errorf("agent: encode decision: %w", err)
	}
	var evidence []string
	if e.Diagnosis.Key != "" {
		evidence = append(evidence, e.Diagnosis.Key)
	}
	if d.Check != nil && d.Check.ReportKey != "" {
		evidence = append(evidence, d.Check.ReportKey)
	}
	version := d.Champion
	if e.Decision.Action == ActRollback && e.Outcome.Status == OutcomeDone {
		version = e.Outcome.To
	}
	_, err = a.Audit.Append(ctx, audit.Event{
		ID: id, Time: d.At, Actor: Actor, Action: AuditAction,
		Subject:       audit.Subject{Model: d.Model, Version: version, Execution: e.Outcome.Execution},
		Reason:        e.Summary,
		Evidence:      evidence,
		CorrelationID: e.Trigger.ID,
		Details:       details,
	})
	if err != nil {
		return fmt.Errorf("agent: record decision (outcome %s): %w", e.Outcome.Status, err)
	}
	return nil
}

// act carries out the decision once per action id.
func (a *Agent) act(ctx context.Context, p Policy, d *Diagnosis, dec *Decision) (Outcome, error) {
	switch {
	case dec.Action == ActLog:
		return Outcome{Status: OutcomeLogged}, nil
	case dec.Suppressed == SuppressedNotApplicable:
		return Outcome{Status: OutcomeNotApplicable}, nil
	case dec.Suppressed != "":
		return Outcome{Status: OutcomeSuppressed}, nil
	}
	rec, claimed, err := a.claim(ctx, d, dec)
	if err != nil {
		return Outcome{}, err
	}
	if !claimed {
		dec.Suppressed = SuppressedDuplicate
		dec.Why += fmt.Sprintf("; the same action %s was already %s", rec.ID, rec.State)
		if rec.Execution != "" {
			dec.Why += " (execution " + rec.Execution + ")"
		}
		return Outcome{Status: OutcomeSuppressed, Execution: rec.Execution}, nil
	}
	out := Outcome{Attempt: rec.Attempts}
	runErr := a.run(ctx, d, dec, &rec, &out)
	rec.UpdatedAt = a.now()
	if runErr != nil {
		rec.State, rec.Error = StateFailed, runErr.Error()
		out.Status, out.Error = OutcomeFailed, runErr.Error()
		if rec.Attempts >= p.EscalateAfter && dec.Action != ActEscalate {
			a.tell(ctx, &out, notify.Event{Kind: notify.Escalated, Model: d.Model, Subject: rec.ID,
				Title: fmt.Sprintf("%s: %s failed %d times", d.Model, dec.Action, rec.Attempts),
				Text:  fmt.Sprintf("The agent's action %s (rule %s) failed %d times; it is retried at the next trigger.\n\nWhy it was decided: %s\n\nLast error: %s", rec.ID, dec.Rule, rec.Attempts, dec.Why, runErr)})
		}
	} else {
		rec.State, rec.Error = StateSucceeded, ""
		if out.Status == "" {
			out.Status = OutcomeDone
		}
	}
	if err := a.save(ctx, &rec); err != nil {
		return out, fmt.Errorf("agent: action %s %s, but its record was not saved: %w", rec.ID, out.Status, err)
	}
	return out, nil
}

// run carries out one action.
func (a *Agent) run(ctx context.Context, d *Diagnosis, dec *Decision, rec *ActionRecord, out *Outcome) error {
	why := dec.Why
	findings := strings.Join(d.Findings, "\n- ")
	switch dec.Action {
	case ActRetrain:
		if a.Retrainer == nil {
			return errors.New("agent: no retraining workflow configured")
		}
		req := RetrainRequest{Model: d.Model, ActionID: rec.ID, CorrelationID: rec.CorrelationID, RequireApproval: dec.Approval, RequestedBy: Actor,
			Reason: fmt.Sprintf("rule %s: %s (action %s, decided on %s)", dec.Rule, why, rec.ID, rec.TriggerID)}
		if c := d.Check; c != nil {
			req.WindowFrom, req.WindowTo = c.WindowFrom, c.WindowTo
		}
		ex, err := a.Retrainer.StartRetrain(ctx, req)
		if err != nil {
			return fmt.Errorf("agent: start retraining: %w", err)
		}
		rec.Execution = ex.ID
		out.Status, out.Execution, out.ExecutionStatus = OutcomeStarted, ex.ID, ex.Status
		if ex.Existed {
			dec.Why += fmt.Sprintf("; execution %s had already been started for action %s and was not started again", ex.ID, rec.ID)
		}
		kind := notify.DriftDetected
		if dec.Rule == RulePerformance || dec.Rule == RuleSchedule {
			kind = notify.AgentAction
		}
		approval := "a better candidate is promoted automatically"
		if dec.Approval {
			approval = "promotion waits for approval"
		}
		e := notify.Event{Kind: kind, Model: d.Model, Subject: ex.ID,
			Title:  fmt.Sprintf("%s: retraining started (rule %s)", d.Model, dec.Rule),
			Text:   fmt.Sprintf("%s.\n\nThe agent started retraining execution %s; %s.\n\nFindings:\n- %s", why, ex.ID, approval, findings),
			Fields: map[string]string{"rule": dec.Rule, "action": rec.ID, "execution": ex.ID}}
		if c := d.Check; c != nil && c.CheckID != "" {
			e.Reports = []notify.Report{{Kind: notify.DriftReport, ID: d.Model + "/" + c.CheckID}}
			e.Version = c.Version
			e.Fields["drift score"] = fmt.Sprintf("%.2f", c.DriftScore)
			e.Fields["drifted features"] = fmt.Sprintf("%d of %d", c.Drifted, c.Tested)
		}
		a.tell(ctx, out, e)
		if dec.Escalate {
			// Nothing is pending yet: the candidate is still training, and
			// an approval is asked only if it beats the champion.
			next := "if the candidate beats the champion it is promoted automatically; nobody is asked to approve"
			if dec.Approval {
				next = "if the candidate beats the champion, the approvers will be asked to approve it; no approval is pending yet"
			}
			a.tell(ctx, out, notify.Event{Kind: notify.Escalated, Model: d.Model, Subject: ex.ID, Reports: e.Reports, Version: e.Version,
				Title: fmt.Sprintf("%s: severe drift, retraining %s started", d.Model, ex.ID),
				Text:  fmt.Sprintf("%s.\n\nRule %s escalates: a person should look at the data now. Retraining execution %s is running; %s.\n\nFindings:\n- %s", why, dec.Rule, ex.ID, next, findings)})
		}
		return nil
	case ActRollback:
		if a.Releaser == nil {
			return errors.New("agent: no release service configured")
		}
		cur, err := a.Registry.Alias(ctx, d.Model, registry.Champion)
		if err != nil {
			return fmt.Errorf("agent: rollback: %w", err)
		}
		if cur.Version != dec.RollbackFrom {
			return fmt.Errorf("agent: rollback: champion is v%d now, not v%d as diagnosed; not moving it", cur.Version, dec.RollbackFrom)
		}
		var evidence []string
		if d.Check != nil && d.Check.ReportKey != "" {
			evidence = append(evidence, d.Check.ReportKey)
		}
		m, err := a.Releaser.Rollback(ctx, release.Request{Model: d.Model, Actor: Actor, Reason: "rule " + dec.Rule + ": " + why,
			Evidence: append(evidence, DiagnosisKey(d.Model, d.ID)), CorrelationID: rec.CorrelationID,
			Details: map[string]any{"action": rec.ID, "trigger": rec.TriggerID}})
		if err != nil && m.To == 0 {
			return fmt.Errorf("agent: rollback: %w", err)
		}
		out.From, out.To = m.From, m.To
		if err != nil {
			// The move happened; only its audit entry failed.
			out.Error = err.Error()
		}
		a.tell(ctx, out, notify.Event{Kind: notify.RolledBack, Model: d.Model, Subject: rec.ID, Version: m.To,
			Reports: []notify.Report{{Kind: notify.DeploymentReport, ID: d.Model}},
			Title:   fmt.Sprintf("%s rolled back: v%d → v%d", d.Model, m.From, m.To),
			Text:    fmt.Sprintf("%s.\n\nThe agent moved champion back from v%d to v%d (rule %s).\n\nFindings:\n- %s", why, m.From, m.To, dec.Rule, findings)})
		return nil
	case ActScale:
		if a.Scaler == nil {
			return errors.New("agent: no scaler configured")
		}
		if err := a.Scaler.SetConcurrency(ctx, d.Model, dec.ScaleTo); err != nil {
			return fmt.Errorf("agent: set provisioned concurrency to %d: %w", dec.ScaleTo, err)
		}
		out.From, out.To = d.Concurrency, dec.ScaleTo
		a.tell(ctx, out, notify.Event{Kind: notify.AgentAction, Model: d.Model, Subject: rec.ID,
			Title: fmt.Sprintf("%s: provisioned concurrency %d → %d", d.Model, d.Concurrency, dec.ScaleTo), Text: why})
		return nil
	case ActEscalate, ActNotify:
		kind, title := notify.AgentAction, fmt.Sprintf("%s: %s", d.Model, dec.Rule)
		if dec.Action == ActEscalate {
			kind = notify.Escalated
			title = fmt.Sprintf("%s needs a person: %s", d.Model, dec.Rule)
		}
		text := why + "."
		if dec.Rule == RuleRollback {
			text += fmt.Sprintf("\n\nThe policy asks for approval before a rollback. To roll back now:\n\n    steward rollback --model %s --reason %q\n", d.Model, "agent "+rec.ID)
		}
		if a.Notifier == nil {
			return errors.New("agent: no notifier configured")
		}
		if err := a.Notifier.Notify(ctx, notify.Event{Kind: kind, Model: d.Model, Subject: rec.ID, Title: title,
			Text: text + "\n\nFindings:\n- " + findings, Fields: map[string]string{"rule": dec.Rule, "action": rec.ID}}); err != nil {
			return fmt.Errorf("agent: %s: %w", kind, err)
		}
		out.Notified = append(out.Notified, kind)
		return nil
	}
	return fmt.Errorf("agent: unknown action %q", dec.Action)
}

// tell sends a notification that goes with an action; its failure does not
// fail the action (the dispatcher keeps failed deliveries).
func (a *Agent) tell(ctx context.Context, out *Outcome, e notify.Event) {
	if a.Notifier == nil {
		return
	}
	if err := a.Notifier.Notify(ctx, e); err != nil {
		out.NotifyErrors = append(out.NotifyErrors, e.Kind+": "+err.Error())
		return
	}
	out.Notified = append(out.Notified, e.Kind)
}
