// Package dashboardfn wires the dashboard to an application: the one
// constructor behind functions/dashboard on Lambda and behind the
// dashboard that `steward serve` mounts at /.
package dashboardfn

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"

	"github.com/stewardml/steward/internal/app"
	"github.com/stewardml/steward/internal/approval"
	"github.com/stewardml/steward/internal/report/reportfn"
	"github.com/stewardml/steward/internal/web"
)

// Options change how the dashboard is wired.
type Options struct {
	// Approvals decides approval requests; nil wires the application's
	// retraining workflow (Step Functions on AWS, the local runner
	// otherwise) or, without a project, a service that records decisions
	// and reports that no workflow can be resumed.
	Approvals *approval.Service
	// InsecureLoopback: see web.Config.InsecureLoopback. Set it for the
	// local `steward serve` only.
	InsecureLoopback bool
	Logger           *slog.Logger
}

// ErrNoWorkflow is what deciding reports when no workflow waits.
var ErrNoWorkflow = errors.New("dashboardfn: no retraining workflow is wired to resume")

type noWorkflow struct{}

func (noWorkflow) SendTaskSuccess(context.Context, string, json.RawMessage) error {
	return ErrNoWorkflow
}

// New builds the dashboard over the application's stores.
func New(ctx context.Context, a *app.App, opts Options) (*web.Handler, error) {
	approvals := opts.Approvals
	if approvals == nil {
		if a.Project != nil {
			wf, err := a.WorkflowWith(app.WorkflowOptions{Logger: opts.Logger})
			if err != nil {
				return nil, err
			}
			approvals = wf.Approvals
		} else {
			approvals = a.Approvals(noWorkflow{}, nil)
		}
	}
	reports, err := reportfn.NewService(ctx, a)
	if err != nil {
		return nil, err
	}
	model := ""
	if a.Project != nil {
		model = a.Project.Model.Name
	}
	return web.New(web.Config{
		Records: a.Records, Artifacts: a.Artifacts, Registry: a.Registry(), Audit: a.Audit(),
		Approvals: approvals, Reports: reports, SigningKey: a.SigningKey, DefaultModel: model,
		InsecureLoopback: opts.InsecureLoopback, Now: a.Now, Logger: opts.Logger,
	})
}
