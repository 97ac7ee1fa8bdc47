package tasks

import (
	"context"
	"fmt"
	"time"

	"github.com/stewardml/steward/internal/approval"
	"github.com/stewardml/steward/internal/config"
	"github.com/stewardml/steward/internal/lambdaerr"
	"github.com/stewardml/steward/internal/registry"
	"github.com/stewardml/steward/internal/release"
)

// Decision is an approver's decision as the approval callback delivers it
// (the RequestApproval task's result).
type Decision struct {
	Approved   bool      `json:"approved"`
	Approver   string    `json:"approver"`
	Comment    string    `json:"comment"`
	ApprovalID string    `json:"approvalId"`
	DecidedAt  time.Time `json:"decidedAt"`
}

// PromoteEvent is the Promote task's input.
type PromoteEvent struct {
	Model      string     `json:"model"`
	Evaluation Evaluation `json:"evaluation"`
	// Approval is the decision when one was required, null otherwise.
	Approval    *Decision `json:"approval"`
	Trigger     string    `json:"trigger"`
	Reason      string    `json:"reason"`
	RequestedBy string    `json:"requestedBy"`
	ExecutionID string    `json:"executionId"`
}

// Promotion is the Promote task's result.
type Promotion struct {
	Model string    `json:"model"`
	From  int       `json:"from"`
	To    int       `json:"to"`
	Seq   int64     `json:"seq,omitempty"`
	At    time.Time `json:"at,omitzero"`
	Actor string    `json:"actor"`
	// AlreadyChampion is set when champion already held the candidate (a
	// repeated attempt of this step): nothing moved.
	AlreadyChampion bool `json:"alreadyChampion,omitempty"`
}

// Releaser moves aliases with an audit trail; *release.Service implements
// it. Promote returns an error wrapping registry.ErrConflict when the
// alias no longer holds r.Expected.
type Releaser interface {
	Promote(ctx context.Context, r release.Request) (registry.AliasMove, error)
}

// ApprovalReader reads approval requests; *approval.Service implements it.
type ApprovalReader interface {
	Get(ctx context.Context, id string) (approval.Request, error)
}

// Promote serves the Promote task: champion moves to the candidate by
// compare-and-set against the champion the evaluation compared it with,
// so a champion that moved meanwhile (a rollback, another promotion) is a
// Conflict rather than silently overwritten.
type Promote struct {
	Project   *config.Project
	Release   Releaser
	Registry  Registry
	Approvals ApprovalReader
}

// PromoteRules name Promote's errors.
var PromoteRules = []lambdaerr.Rule{
	{Name: lambdaerr.Conflict, Match: lambdaerr.Is(registry.ErrConflict)},
	{Name: lambdaerr.ModelNotFound, Match: lambdaerr.Is(registry.ErrNotFound)},
	{Name: lambdaerr.InvalidInput, Match: lambdaerr.Is(release.ErrRefused)},
	{Name: lambdaerr.InvalidInput, Match: lambdaerr.Is(ErrNotApproved)},
	{Name: lambdaerr.InvalidInput, Match: lambdaerr.Is(approval.ErrNotFound)},
}

// Invoke implements lambda.Handler.
func (h *Promote) Invoke(ctx context.Context, payload []byte) ([]byte, error) {
	return invoke(ctx, payload, PromoteRules, h.Handle)
}

// Handle promotes. It is idempotent: when champion already holds the
// candidate, nothing moves and the result says so.
func (h *Promote) Handle(ctx context.Context, ev PromoteEvent) (Promotion, error) {
	e := ev.Evaluation
	switch {
	case ev.Model != h.Project.Model.Name:
		return Promotion{}, fmt.Errorf("%w: %q (this deployment manages %q)", ErrUnknownModel, ev.Model, h.Project.Model.Name)
	case ev.ExecutionID == "":
		return Promotion{}, invalid("executionId is required")
	case e.CandidateVersion <= 0:
		return Promotion{}, invalid("evaluation.candidateVersion must be a registered version, got %d", e.CandidateVersion)
	case !e.Better:
		return Promotion{}, invalid("the evaluation found candidate %d not better than champion %d", e.CandidateVersion, e.ChampionVersion)
	}
	actor := Actor
	reason := fmt.Sprintf("retraining (%s", orDefault(ev.Trigger, "manual"))
	if ev.Reason != "" {
		reason += ": " + ev.Reason
	}
	reason += "); " + e.Summary
	evidence := append([]string(nil), e.Evidence...)
	if d := ev.Approval; d != nil {
		if err := h.checkDecision(ctx, ev, *d); err != nil {
			return Promotion{}, err
		}
		actor = d.Approver
		reason = "approved by " + d.Approver
		if d.Comment != "" {
			reason += " (" + d.Comment + ")"
		}
		reason += "; " + e.Summary
		evidence = append(evidence, "approval:"+d.ApprovalID)
	} else {
		reason += "; no approval required"
	}
	cur, err := h.Registry.Alias(ctx, ev.Model, registry.Champion)
	if err != nil {
		return Promotion{}, fmt.Errorf("tasks: read %s@champion: %w", ev.Model, err)
	}
	if cur.Version == e.CandidateVersion {
		return Promotion{Model: ev.Model, From: e.ChampionVersion, To: e.CandidateVersion, Actor: actor, AlreadyChampion: true}, nil
	}
	m, err := h.Release.Promote(ctx, release.Request{
		Model: ev.Model, To: e.CandidateVersion, Expected: e.ChampionVersion,
		Actor: actor, Reason: reason, Evidence: evidence,
		CorrelationID: ev.ExecutionID, Execution: ev.ExecutionID,
		Details: map[string]any{"evaluation": e, "approval": ev.Approval, "trigger": ev.Trigger, "requestedBy": ev.RequestedBy},
	})
	if err != nil {
		return Promotion{}, fmt.Errorf("tasks: promote %s:%d over %d (champion is %d now): %w", ev.Model, e.CandidateVersion, e.ChampionVersion, cur.Version, err)
	}
	return Promotion{Model: m.Model, From: m.From, To: m.To, Seq: m.Seq, At: m.At, Actor: actor}, nil
}

// checkDecision verifies a decision against the approval store, so a
// promotion cannot claim an approval that was never given.
func (h *Promote) checkDecision(ctx context.Context, ev PromoteEvent, d Decision) error {
	if !d.Approved {
		return fmt.Errorf("%w: approval %s was a rejection", ErrNotApproved, d.ApprovalID)
	}
	if d.ApprovalID == "" {
		return fmt.Errorf("%w: the approval has no approvalId", ErrNotApproved)
	}
	r, err := h.Approvals.Get(ctx, d.ApprovalID)
	if err != nil {
		return fmt.Errorf("tasks: approval %s: %w", d.ApprovalID, err)
	}
	switch {
	case r.Status != approval.Approved || r.Decision == nil:
		return fmt.Errorf("%w: approval %s is %s", ErrNotApproved, r.ID, r.Status)
	case r.Decision.By != d.Approver:
		return fmt.Errorf("%w: approval %s was given by %s, not %s", ErrNotApproved, r.ID, r.Decision.By, d.Approver)
	case r.ExecutionID != ev.ExecutionID || r.Model != ev.Model || r.CandidateVersion != ev.Evaluation.CandidateVersion:
		return fmt.Errorf("%w: approval %s is for %s:%d in another execution", ErrNotApproved, r.ID, r.Model, r.CandidateVersion)
	}
	return nil
}

func orDefault(s, def string) string {
	if s == "" {
		return def
	}
	return s
}
