package workflow

import (
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/stewardml/steward/internal/dataset"
)

// Triggers of a retraining.
const (
	TriggerManual   = "manual"
	TriggerSchedule = "schedule"
	TriggerAgent    = "agent"
)

// RetrainInput is the input of a retraining execution.
type RetrainInput struct {
	// Model is the registered model to retrain.
	Model string `json:"model"`
	// Dataset names the stored dataset version to validate and train on.
	Dataset DatasetRef `json:"dataset"`
	// Trigger is manual, schedule or agent; Reason says why.
	Trigger     string `json:"trigger"`
	Reason      string `json:"reason,omitempty"`
	RequestedBy string `json:"requestedBy"`
	// RequireApproval makes a better candidate wait for a human decision
	// before it is promoted.
	RequireApproval bool `json:"requireApproval"`
	// ApprovalTimeoutSeconds is how long the approval may take before the
	// execution escalates (the project's approval.expiry when 0).
	ApprovalTimeoutSeconds int `json:"approvalTimeoutSeconds,omitempty"`
}

// DatasetRef names a stored dataset version: by digest (checked against
// the bytes) and artifact-store key.
type DatasetRef struct {
	Digest string `json:"digest"`
	Key    string `json:"key,omitempty"`
}

// RefOf returns the DatasetRef of a stored dataset.
func RefOf(r dataset.Ref) DatasetRef { return DatasetRef{Digest: r.Digest, Key: r.Key} }

// MaxApprovalTimeout is Step Functions' longest task timeout (one year), in
// seconds.
const MaxApprovalTimeout = 365 * 24 * 3600

// Validate checks the input, naming the field at fault.
func (in RetrainInput) Validate() error {
	switch {
	case in.Model == "":
		return invalid("model is required")
	case in.Dataset.Digest == "" && in.Dataset.Key == "":
		return invalid("dataset needs a digest or a key")
	case in.Dataset.Digest != "" && !dataset.ValidDigest(in.Dataset.Digest):
		return invalid("dataset.digest %q is not a SHA-256 hex digest", in.Dataset.Digest)
	case in.Trigger != TriggerManual && in.Trigger != TriggerSchedule && in.Trigger != TriggerAgent:
		return invalid("trigger %q, want manual, schedule or agent", in.Trigger)
	case strings.TrimSpace(in.RequestedBy) == "":
		return invalid("requestedBy is required: who asks for the retraining")
	case in.ApprovalTimeoutSeconds < 0 || in.ApprovalTimeoutSeconds > MaxApprovalTimeout:
		return invalid("approvalTimeoutSeconds %d, want 1 to %d", in.ApprovalTimeoutSeconds, MaxApprovalTimeout)
	case len(in.Reason) > 2000:
		return invalid("reason has %d characters, at most 2000", len(in.Reason))
	}
	return nil
}

// ExecutionName names an execution of model started at now: the model
// (its first 56 characters), the UTC time and 6 random hex digits
// ("heart-20260314T090000Z-3fa2c1"): at most 80 characters, as Step
// Functions allows, and sortable by start for one model.
func ExecutionName(model string, now time.Time, entropy io.Reader) (string, error) {
	b := make([]byte, 3)
	if _, err := io.ReadFull(entropy, b); err != nil {
		return "", fmt.Errorf("workflow: execution name: %w", err)
	}
	if len(model) > maxNameModel {
		model = model[:maxNameModel]
	}
	return fmt.Sprintf("%s-%s-%s", model, now.UTC().Format("20060102T150405Z"), hex.EncodeToString(b)), nil
}

// maxNameModel leaves room in an 80-character name for "-<time>-<hex>".
const maxNameModel = 80 - len("-20060102T150405Z-000000")

// Started describes an execution after it was started: locally once it
// ends or waits, on AWS right after StartExecution.
type Started struct {
	ExecutionID string `json:"executionId"`
	Name        string `json:"name"`
	Status      string `json:"status"`
	// Waiting says what a running execution waits for.
	Waiting []Waiting       `json:"waiting,omitempty"`
	Output  json.RawMessage `json:"output,omitempty"`
	Error   string          `json:"error,omitempty"`
	Cause   string          `json:"cause,omitempty"`
}

// StartedOf describes an execution.
func StartedOf(ex Execution) Started {
	return Started{ExecutionID: ex.ID, Name: ex.Name, Status: string(ex.Status), Waiting: ex.Waiting, Output: ex.Output, Error: ex.Error, Cause: ex.Cause}
}
