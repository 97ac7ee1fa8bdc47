package app

import (
	"log/slog"

	"github.com/stewardml/steward/internal/approval"
	"github.com/stewardml/steward/internal/web"
	"github.com/stewardml/steward/internal/web/dashboardfn"
)

// DashboardOptions change how the dashboard is wired.
type DashboardOptions struct {
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

// Dashboard builds the dashboard over the application's stores.
func (a *App) Dashboard(opts DashboardOptions) (*web.Handler, error) {
	approvals := opts.Approvals
	if approvals == nil {
		if a.Project != nil {
			wf, err := a.WorkflowWith(WorkflowOptions{Logger: opts.Logger})
			if err != nil {
				return nil, err
			}
			approvals = wf.Approvals
		} else {
			approvals = a.Approvals(dashboardfn.NoWorkflow{}, nil)
		}
	}
	reports, err := a.Reports()
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
