package workflow

import (
	"errors"
	"fmt"
)

// Sentinel errors of the retraining domain.
var (
	// ErrInvalidEvent reports a retraining input or task event that cannot
	// be acted on (named InvalidInput at the Lambda boundary).
	ErrInvalidEvent = errors.New("workflow: invalid event")
	// ErrUnknownModel reports a model this deployment does not manage
	// (ModelNotFound).
	ErrUnknownModel = errors.New("workflow: unknown model")
	// ErrNoExecutions reports a start where nothing runs executions: on
	// AWS, no state machine is configured.
	ErrNoExecutions = errors.New("workflow: no state machine runs retraining executions (on AWS, set STEWARD_STATE_MACHINE_ARN)")
)

func invalid(format string, a ...any) error {
	return fmt.Errorf("%w: "+format, append([]any{ErrInvalidEvent}, a...)...)
}
