package tasks

import (
	"errors"
	"fmt"
	"testing"

	"github.com/stewardml/steward/internal/approval"
	"github.com/stewardml/steward/internal/dataset"
	"github.com/stewardml/steward/internal/lambdaerr"
	"github.com/stewardml/steward/internal/registry"
	"github.com/stewardml/steward/internal/release"
	"github.com/stewardml/steward/internal/train"
)

// Every error a handler returns reaches the state machine under a stable
// name, however deeply it is wrapped.
func TestErrorNames(t *testing.T) {
	wrap := func(err error) error { return fmt.Errorf("workflow: step: %w", fmt.Errorf("inner: %w", err)) }
	for _, tc := range []struct {
		handler string
		rules   []lambdaerr.Rule
		err     error
		want    string
	}{
		{"evaluate", EvaluateRules, invalid("no candidates"), lambdaerr.InvalidInput},
		{"evaluate", EvaluateRules, fmt.Errorf("%w: lungs", ErrUnknownModel), lambdaerr.ModelNotFound},
		{"evaluate", EvaluateRules, wrap(train.ErrInvalidConfig), lambdaerr.InvalidInput},
		{"evaluate", EvaluateRules, wrap(train.ErrTrainingFailed), lambdaerr.TrainingFailed},
		{"evaluate", EvaluateRules, wrap(ErrNotComparable), lambdaerr.DataValidationFailed},
		{"evaluate", EvaluateRules, wrap(train.ErrInvalidData), lambdaerr.DataValidationFailed},
		{"evaluate", EvaluateRules, wrap(dataset.ErrMalformed), lambdaerr.DataValidationFailed},
		{"evaluate", EvaluateRules, wrap(dataset.ErrDigest), lambdaerr.DataValidationFailed},
		{"evaluate", EvaluateRules, wrap(registry.ErrNotFound), lambdaerr.ModelNotFound},
		{"evaluate", EvaluateRules, wrap(errors.Join(train.ErrConflict, registry.ErrConflict)), lambdaerr.Conflict},
		{"evaluate", EvaluateRules, wrap(ErrHoldoutMismatch), lambdaerr.Internal},
		{"evaluate", EvaluateRules, errors.New("disk full"), lambdaerr.Internal},
		{"requestapproval", RequestApprovalRules, wrap(approval.ErrInvalid), lambdaerr.InvalidInput},
		{"requestapproval", RequestApprovalRules, wrap(ErrNotDelivered), lambdaerr.NotificationFailed},
		{"requestapproval", RequestApprovalRules, invalid("taskToken is required"), lambdaerr.InvalidInput},
		{"requestapproval", RequestApprovalRules, errors.New("throttled"), lambdaerr.Internal},
		{"promote", PromoteRules, wrap(registry.ErrConflict), lambdaerr.Conflict},
		{"promote", PromoteRules, wrap(registry.ErrNotFound), lambdaerr.ModelNotFound},
		{"promote", PromoteRules, wrap(release.ErrRefused), lambdaerr.InvalidInput},
		{"promote", PromoteRules, wrap(ErrNotApproved), lambdaerr.InvalidInput},
		{"promote", PromoteRules, wrap(approval.ErrNotFound), lambdaerr.InvalidInput},
		{"promote", PromoteRules, errors.New("timeout"), lambdaerr.Internal},
		{"record", nil, invalid("event"), lambdaerr.InvalidInput},
		{"record", nil, errors.New("audit store down"), lambdaerr.Internal},
	} {
		t.Run(tc.handler+": "+tc.err.Error()+" is "+tc.want, func(t *testing.T) {
			got := lambdaerr.Name(lambdaerr.Map(tc.err, append(append([]lambdaerr.Rule(nil), tc.rules...), commonRules...)...))
			if got != tc.want {
				t.Errorf("named %q, want %q", got, tc.want)
			}
		})
	}
}
