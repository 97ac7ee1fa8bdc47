package workflow

import (
	"context"
	"encoding/json"
	"errors"
	"time"
)

// Errors of an Executions implementation; adapters wrap them (and may
// wrap their own errors beside them).
var (
	// ErrExecutionExists reports a start under a name an execution holds
	// already.
	ErrExecutionExists = errors.New("workflow: execution already exists")
	// ErrExecutionNotFound reports an execution that does not exist.
	ErrExecutionNotFound = errors.New("workflow: execution does not exist")
	// ErrTaskGone reports a callback for a task that no longer waits (it
	// timed out, was answered already, or the token is invalid).
	ErrTaskGone = errors.New("workflow: task no longer waits for this token")
)

// Status is the status of an execution, as Step Functions spells it.
type Status string

// Statuses of an execution.
const (
	StatusRunning   Status = "RUNNING"
	StatusSucceeded Status = "SUCCEEDED"
	StatusFailed    Status = "FAILED"
	StatusTimedOut  Status = "TIMED_OUT"
	StatusAborted   Status = "ABORTED"
)

// Ended says whether an execution of status s is over.
func (s Status) Ended() bool { return s != "" && s != StatusRunning }

// Waiting is one thing a running execution waits for.
type Waiting struct {
	Thread string    `json:"thread,omitempty"`
	State  string    `json:"state"`
	Kind   string    `json:"kind"` // "callback", "task", "wait" or "retry"
	Since  time.Time `json:"since"`
	Until  time.Time `json:"until,omitzero"` // deadline or wake-up time; zero if none
}

// Execution describes an execution of the retraining state machine.
// Status is empty when it is not known (a start on Step Functions that
// found the name taken).
type Execution struct {
	ID        string
	Name      string
	Status    Status
	Input     json.RawMessage
	Output    json.RawMessage
	Error     string
	Cause     string
	StartTime time.Time
	StopTime  time.Time
	// Waiting lists what a running execution waits for, where the
	// implementation knows it (the local runner).
	Waiting []Waiting
}

// Executions runs executions of the retraining state machine: Step
// Functions on AWS, the local ASL runner on one machine. Implementations
// are safe for concurrent use.
type Executions interface {
	// Start starts an execution named name with input. A name taken
	// already is an error wrapping ErrExecutionExists, returned with the
	// execution that holds it (at least its ID and Name). The local
	// runner returns once the execution ends or waits; Step Functions
	// right after the start.
	Start(ctx context.Context, name string, input json.RawMessage) (Execution, error)
	// Describe returns the execution of that id or name; an error
	// wrapping ErrExecutionNotFound when there is none.
	Describe(ctx context.Context, idOrName string) (Execution, error)
	// List returns the executions of the state machine with the status
	// (all of them when status is empty), oldest first.
	List(ctx context.Context, status Status) ([]Execution, error)
	// SendTaskSuccess completes the task waiting on token with output;
	// an error wrapping ErrTaskGone when no task waits on it.
	SendTaskSuccess(ctx context.Context, token string, output json.RawMessage) error
	// SendTaskFailure fails the task waiting on token with the error
	// errName; an error wrapping ErrTaskGone when no task waits on it.
	SendTaskFailure(ctx context.Context, token, errName, cause string) error
}
