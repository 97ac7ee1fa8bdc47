package app

import (
	"time"

	"github.com/stewardml/steward/internal/report"
	"github.com/stewardml/steward/internal/report/reportfn"
)

// ReportLinkExpiry is how long a presigned report link works: long enough
// for an approver to open the report from the email that asks for a
// decision.
const ReportLinkExpiry = 7 * 24 * time.Hour

// Reports returns the report service of the application: its loader over
// the application's stores, and links that are presigned S3 URLs on AWS
// and dashboard addresses (STEWARD_PUBLIC_URL, else the local serving
// address) locally.
func (a *App) Reports() (*report.Service, error) {
	links, err := a.reportLinks()
	if err != nil {
		return nil, err
	}
	return &report.Service{
		Loader: &report.Loader{
			Artifacts: a.Artifacts, Registry: a.Registry(), Audit: a.Audit(),
			Approvals: a.Approvals(nil, nil),
		},
		Artifacts: a.Artifacts, Links: links, Now: a.Now,
	}, nil
}

// reportLinks returns the Linker of the application's runtime.
func (a *App) reportLinks() (report.Linker, error) {
	if a.aws != nil {
		return a.aws.Presigner(ReportLinkExpiry)
	}
	base := a.Runtime.PublicURL
	if base == "" {
		base = "http://127.0.0.1:8080"
		if a.Project != nil && a.Project.Serving.Addr != "" {
			base = "http://" + a.Project.Serving.Addr
		}
	}
	return report.DashboardLinks{Base: base}, nil
}

// ReportHandler is the report Lambda's handler (functions/report) over
// Reports.
func (a *App) ReportHandler() (*reportfn.Handler, error) {
	svc, err := a.Reports()
	if err != nil {
		return nil, err
	}
	return &reportfn.Handler{Reports: svc}, nil
}
