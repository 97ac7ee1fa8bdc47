package tasks

import (
	"context"
	"errors"
	"fmt"

	"github.com/stewardml/steward/internal/lambdaerr"
	"github.com/stewardml/steward/internal/workflow"
)

// Sentinel errors of the handlers, named at the Lambda boundary.
var (
	// ErrInvalidEvent reports an event that cannot be acted on
	// (InvalidInput). It is the retraining domain's error, so that an
	// input refused by workflow.RetrainInput.Validate is named alike.
	ErrInvalidEvent = workflow.ErrInvalidEvent
	// ErrUnknownModel reports a model this deployment does not manage
	// (ModelNotFound); the retraining domain's error too.
	ErrUnknownModel = workflow.ErrUnknownModel
	// ErrNotComparable reports a champion that cannot be scored on the
	// candidate's hold-out, for example because the data lacks one of its
	// features (DataValidationFailed).
	ErrNotComparable = errors.New("tasks: champion and candidate cannot be compared")
	// ErrHoldoutMismatch reports hold-out rows on which the candidate does
	// not reproduce the score its training run recorded: the comparison
	// would not be on the rows the candidate was held out from
	// (InternalError).
	ErrHoldoutMismatch = errors.New("tasks: hold-out rows do not reproduce the candidate's score")
	// ErrNotApproved reports a promotion whose approval does not check out
	// against the approval store (InvalidInput).
	ErrNotApproved = errors.New("tasks: the approval does not authorise this promotion")
	// ErrNotDelivered reports approval emails of which none could be sent
	// (NotificationFailed).
	ErrNotDelivered = errors.New("tasks: no approval email could be sent")
)

// commonRules name the errors every handler may return.
var commonRules = []lambdaerr.Rule{
	{Name: lambdaerr.InvalidInput, Match: lambdaerr.Is(ErrInvalidEvent)},
	{Name: lambdaerr.ModelNotFound, Match: lambdaerr.Is(ErrUnknownModel)},
}

func invalid(format string, a ...any) error {
	return fmt.Errorf("%w: "+format, append([]any{ErrInvalidEvent}, a...)...)
}

// invoke is the Lambda JSON path of every handler (lambdaerr.Handler):
// payload is decoded strictly into E (unknown fields and trailing data are
// InvalidInput), handle runs, its error is renamed by rules and then
// commonRules (unmatched errors become InternalError) and its result is
// encoded.
func invoke[E, R any](ctx context.Context, payload []byte, rules []lambdaerr.Rule, handle func(context.Context, E) (R, error)) ([]byte, error) {
	return lambdaerr.Handler("tasks", handle, append(append([]lambdaerr.Rule(nil), rules...), commonRules...)...)(ctx, payload)
}
