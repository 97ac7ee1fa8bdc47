package workflow

import (
	"cmp"
	"context"
	"encoding/json"
	"fmt"

	"github.com/stewardml/steward/internal/approval"
	"github.com/stewardml/steward/internal/audit"
)

// AuditRecorder writes the approval service's events (requested, approved,
// rejected, expired, link refused) to the audit log, correlated with the
// execution that asked for the approval.
type AuditRecorder struct {
	Log audit.Log
	// Lookup, when set, finds the request of a refused link that carries
	// only an id, so the refusal joins its execution's chain.
	Lookup func(ctx context.Context, id string) (approval.Request, error)
}

var _ approval.Recorder = AuditRecorder{}

// RecordApproval implements approval.Recorder.
func (a AuditRecorder) RecordApproval(ctx context.Context, action string, r approval.Request, actor, detail string) error {
	if r.ExecutionID == "" && r.ID != "" && a.Lookup != nil {
		if full, err := a.Lookup(ctx, r.ID); err == nil {
			r = full
		}
	}
	evidence := []string{"approval:" + r.ID}
	if r.ID == "" {
		evidence = nil
	}
	details, _ := json.Marshal(map[string]any{
		"approvalId": r.ID, "status": r.Status, "approvers": r.Approvers, "expiresAt": r.ExpiresAt,
		"candidateVersion": r.CandidateVersion, "championVersion": r.ChampionVersion,
		"candidateMetrics": r.Candidate, "championMetrics": r.Champion,
	})
	_, err := a.Log.Append(ctx, audit.Event{
		Actor: cmp.Or(actor, "anonymous"), Action: action,
		Subject:       audit.Subject{Model: r.Model, Version: r.CandidateVersion, Execution: r.ExecutionID},
		Reason:        detail,
		Evidence:      evidence,
		CorrelationID: r.ExecutionID,
		Details:       details,
	})
	if err != nil {
		return fmt.Errorf("workflow: audit %s: %w", action, err)
	}
	return nil
}
