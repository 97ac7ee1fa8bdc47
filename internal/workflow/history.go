package workflow

import (
	"encoding/json"
	"time"
)

// HistoryEvent is one event of an execution's history, as a runner of the
// state machine records it: a state entered or exited, a task scheduled,
// failed or retried, the execution started or ended.
type HistoryEvent struct {
	ID        int64     `json:"id"`
	Type      string    `json:"type"`
	Timestamp time.Time `json:"timestamp"`
	// Thread names the Map or Parallel branch ("" at top level,
	// "Train[2]" in the third Map iteration).
	Thread   string          `json:"thread,omitempty"`
	State    string          `json:"state,omitempty"`
	Resource string          `json:"resource,omitempty"`
	Input    json.RawMessage `json:"input,omitempty"`
	Output   json.RawMessage `json:"output,omitempty"`
	Error    string          `json:"error,omitempty"`
	Cause    string          `json:"cause,omitempty"`
	Details  string          `json:"details,omitempty"`
	// Notable marks the events worth showing beside the states: a retry
	// scheduled, a callback task submitted, the execution's own events.
	Notable bool `json:"notable,omitempty"`
}
