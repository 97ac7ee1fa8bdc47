package asl

import (
	"encoding/json"
	"time"
)

// EventType names a history event the way Step Functions does.
type EventType string

// History event types.
const (
	EventExecutionStarted   EventType = "ExecutionStarted"
	EventExecutionSucceeded EventType = "ExecutionSucceeded"
	EventExecutionFailed    EventType = "ExecutionFailed"
	EventExecutionTimedOut  EventType = "ExecutionTimedOut"
	EventExecutionAborted   EventType = "ExecutionAborted"

	EventTaskScheduled EventType = "TaskScheduled"
	EventTaskStarted   EventType = "TaskStarted"
	EventTaskSubmitted EventType = "TaskSubmitted" // a .waitForTaskToken task's resource returned; the callback is awaited
	EventTaskSucceeded EventType = "TaskSucceeded"
	EventTaskFailed    EventType = "TaskFailed"
	EventTaskTimedOut  EventType = "TaskTimedOut"

	EventParallelStateStarted   EventType = "ParallelStateStarted"
	EventParallelStateSucceeded EventType = "ParallelStateSucceeded"
	EventParallelStateFailed    EventType = "ParallelStateFailed"
	EventMapStateStarted        EventType = "MapStateStarted"
	EventMapStateSucceeded      EventType = "MapStateSucceeded"
	EventMapStateFailed         EventType = "MapStateFailed"
	EventMapIterationStarted    EventType = "MapIterationStarted"
	EventMapIterationSucceeded  EventType = "MapIterationSucceeded"
	EventMapIterationFailed     EventType = "MapIterationFailed"

	EventRetryScheduled EventType = "RetryScheduled" // a Retry clause matched; Details holds the delay
)

// stateEntered and stateExited build "TaskStateEntered", "PassStateExited"...
func stateEntered(typ string) EventType { return EventType(typ + "StateEntered") }
func stateExited(typ string) EventType  { return EventType(typ + "StateExited") }

// Event is one entry of an execution's history.
type Event struct {
	ID        int64           `json:"id"`
	Type      EventType       `json:"type"`
	Timestamp time.Time       `json:"timestamp"`
	Thread    string          `json:"thread,omitempty"` // "" at top level, "Train[2]" in the third Map iteration, "Both[0]/Inner[1]"...
	State     string          `json:"state,omitempty"`
	Resource  string          `json:"resource,omitempty"`
	Input     json.RawMessage `json:"input,omitempty"`
	Output    json.RawMessage `json:"output,omitempty"`
	Error     string          `json:"error,omitempty"`
	Cause     string          `json:"cause,omitempty"`
	Details   string          `json:"details,omitempty"`
}

func (e Event) clone() Event {
	e.Input = append(json.RawMessage(nil), e.Input...)
	e.Output = append(json.RawMessage(nil), e.Output...)
	if len(e.Input) == 0 {
		e.Input = nil
	}
	if len(e.Output) == 0 {
		e.Output = nil
	}
	return e
}
