package cli

import (
	"context"
	"fmt"
	"log/slog"

	"github.com/stewardml/steward/internal/app"
	"github.com/stewardml/steward/internal/approval"
	"github.com/stewardml/steward/internal/local/gateway"
	"github.com/stewardml/steward/internal/web"
	"github.com/stewardml/steward/internal/web/dashboardfn"
)

// mountDashboard serves the dashboard at / of the local gateway, behind
// its own sign-in (operators, not API keys). Its cookies drop Secure only
// for plain-http requests to a loopback address (see
// web.Config.InsecureLoopback). approvals is the workflow's approval
// service, so a decision on the dashboard resumes the same runner that the
// emailed links do.
func mountDashboard(ctx context.Context, e *Env, a *app.App, gw *gateway.Gateway, base string, approvals *approval.Service, logger *slog.Logger) error {
	h, err := dashboardfn.New(ctx, a, dashboardfn.Options{InsecureLoopback: true, Logger: logger, Approvals: approvals})
	if err != nil {
		return err
	}
	gw.Mount("/", h, gateway.Public(), gateway.Function("dashboard"))
	ops, err := (&web.Operators{Records: a.Records}).List(ctx)
	if err != nil {
		return err
	}
	if len(ops) == 0 {
		fmt.Fprintf(e.Stdout, "  dashboard: %s/ (no operator yet: steward operators create NAME)\n", base)
	} else {
		fmt.Fprintf(e.Stdout, "  dashboard: %s/ (%d operators)\n", base, len(ops))
	}
	return nil
}
