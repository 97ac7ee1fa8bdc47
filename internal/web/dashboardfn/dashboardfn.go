// Package dashboardfn holds what the dashboard function adds to package
// web at its edge: the approval callback of a dashboard that no retraining
// workflow stands behind. Package app builds the dashboard (web.Handler)
// over the application's stores, the one constructor behind
// functions/dashboard on Lambda and behind the dashboard that `steward
// serve` mounts at /.
package dashboardfn

import (
	"context"
	"encoding/json"
	"errors"
)

// ErrNoWorkflow is what deciding reports when no workflow waits.
var ErrNoWorkflow = errors.New("dashboardfn: no retraining workflow is wired to resume")

// NoWorkflow is the approval callback of a dashboard without a project
// configuration, hence without a retraining workflow: decisions are
// recorded, and resuming an execution fails with ErrNoWorkflow. It is safe
// for concurrent use.
type NoWorkflow struct{}

// SendTaskSuccess returns ErrNoWorkflow.
func (NoWorkflow) SendTaskSuccess(context.Context, string, json.RawMessage) error {
	return ErrNoWorkflow
}
