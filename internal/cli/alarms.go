package cli

import (
	"context"
	"fmt"
	"log/slog"

	"github.com/stewardml/steward/internal/app"
	"github.com/stewardml/steward/internal/serving"
)

// serveAlarms starts the local operational alarms of `steward serve` over
// the prediction service's metrics; their state changes reach the agent
// that serveMonitor subscribed. stop ends them.
func serveAlarms(ctx context.Context, e *Env, a *app.App, metrics *serving.PromRecorder, logger *slog.Logger) (stop func(), err error) {
	if a.Project == nil || metrics == nil {
		return func() {}, nil
	}
	ev, err := a.Alarms(metrics, logger)
	if err != nil {
		return nil, WithCode(ExitUsage, err)
	}
	if ev == nil {
		fmt.Fprintln(e.Stdout, "  alarms: off (alarms.disabled)")
		return func() {}, nil
	}
	c := a.Project.Alarms
	fmt.Fprintf(e.Stdout, "  alarms: 5xx share > %g, p99 latency > %s, %d of %d periods of %s; the agent acts on each change\n",
		c.ErrorRate, c.LatencyP99, c.Datapoints, c.Periods, c.Every)
	ctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() {
		defer close(done)
		ev.Run(ctx)
	}()
	return func() {
		cancel()
		<-done
	}, nil
}
