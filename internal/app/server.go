package app

import (
	"context"
	"io"
	"log/slog"
	"net"
	"time"

	"github.com/stewardml/steward/internal/apikeys"
	"github.com/stewardml/steward/internal/approval"
	"github.com/stewardml/steward/internal/local/gateway"
	"github.com/stewardml/steward/internal/local/scheduler"
	"github.com/stewardml/steward/internal/metrics"
	"github.com/stewardml/steward/internal/serving"
	"github.com/stewardml/steward/internal/web"
)

// ServerOptions say how to run the local server of `steward serve`.
type ServerOptions struct {
	// Listener is where the server listens; Serve closes it.
	Listener net.Listener
	// RefreshInterval, Detail and FlushInterval are the prediction
	// service's (see ServingOptions).
	RefreshInterval time.Duration
	Detail          serving.Detail
	FlushInterval   time.Duration
	// Log receives the scheduler's line per run and per failure.
	Log    io.Writer
	Logger *slog.Logger
}

// ScheduledRun is the next run of one of the server's scheduled jobs.
type ScheduledRun struct {
	Name string
	At   time.Time
}

// ConfigError is a start-up failure of the server that the project
// configuration causes (a drift.schedule that does not parse, alarms on a
// platform without a local bus). Its message is Err's.
type ConfigError struct{ Err error }

func (e *ConfigError) Error() string { return e.Err.Error() }

// Unwrap returns Err.
func (e *ConfigError) Unwrap() error { return e.Err }

// Server is `steward serve` assembled: the local API gateway with the
// prediction routes (behind API keys), the approval links, the dashboard,
// and the background work AWS does in its own services: the retraining
// workflow's timers, the scheduled drift check with the agent subscribed
// to the local bus, and the operational alarms.
type Server struct {
	// Base is the server's address, http://host:port.
	Base string
	// Serving is the prediction service.
	Serving *Serving
	// Keys holds the API keys the gateway checks.
	Keys *apikeys.Store
	// Approvals is the workflow's approval service; nil without a project.
	Approvals *approval.Service
	// DriftRuns are the next scheduled drift checks; none without a project.
	DriftRuns []ScheduledRun
	// AlarmsRunning says whether the local alarms watch the service: false
	// without a project or when the project turns them off.
	AlarmsRunning bool
	// Operators is how many operators can sign in to the dashboard.
	Operators int

	ln    net.Listener
	gw    *gateway.Gateway
	stops []func()
}

// NewServer assembles the server over the application and starts its
// background work; Serve serves requests and Close stops the background
// work. Approval and report links point at the listener's address unless
// STEWARD_PUBLIC_URL or approval.public_url say otherwise.
func (a *App) NewServer(ctx context.Context, opts ServerOptions) (_ *Server, err error) {
	s := &Server{ln: opts.Listener, Base: "http://" + opts.Listener.Addr().String()}
	defer func() {
		if err != nil {
			s.Close()
		}
	}()
	if a.Runtime.PublicURL == "" && (a.Project == nil || a.Project.Approval.PublicURL == "") {
		a.Runtime.PublicURL = s.Base
	}
	logger := opts.Logger
	s.Serving = a.Serving(ServingOptions{RefreshInterval: opts.RefreshInterval, Detail: opts.Detail, FlushInterval: opts.FlushInterval, Logger: logger})
	s.Keys = apikeys.New(a.Records, a.Now, nil)
	rec := s.Serving.Metrics
	s.gw = gateway.New(gateway.Config{Keys: apikeys.NewChecker(s.Keys, 5*time.Second), Logger: logger, Now: a.Now,
		Observe: func(status int, d time.Duration) {
			rec.Observe(&metrics.Observation{Route: metrics.RouteGateway, Status: status, Latency: d})
		}})
	api := s.Serving.Handler
	s.gw.Mount("/v1", api, gateway.MaxBody(api.MaxBodyBytes())) // /v1 and /v1/...: JSON answers, never the dashboard
	s.gw.Mount("/health", api, gateway.Public(), gateway.MaxBody(formBytes))
	metricsOpts := []gateway.MountOption{gateway.MaxBody(formBytes)}
	if a.Project == nil || a.Project.Serving.MetricsArePublic() {
		metricsOpts = append(metricsOpts, gateway.Public())
	}
	s.gw.Mount("/metrics", api, metricsOpts...)
	if a.Project != nil {
		if err := s.startWorkflow(ctx, a, logger); err != nil {
			return nil, err
		}
		if err := s.startMonitor(ctx, a, opts.Log, logger); err != nil {
			return nil, err
		}
		if err := s.startAlarms(ctx, a, logger); err != nil {
			return nil, err
		}
	}
	if err := s.mountDashboard(ctx, a, logger); err != nil {
		return nil, err
	}
	return s, nil
}

// startWorkflow serves the approval links at /approvals/ (no API key: the
// signed link is the credential) and resumes the local runner's due
// timers (approval timeouts, retry delays) every second.
func (s *Server) startWorkflow(ctx context.Context, a *App, logger *slog.Logger) error {
	wf, err := a.WorkflowWith(WorkflowOptions{Logger: logger})
	if err != nil {
		return err
	}
	wf.Mount(s.gw)
	s.Approvals = wf.Approvals
	if m := s.Serving.Metrics; m != nil && wf.Approvals != nil {
		m.AddCounterFunc("steward_approval_links_refused_total", "Approval link checks refused (audited at most once per link id and minute).",
			func() float64 { return float64(wf.Approvals.Refused()) })
	}
	if wf.Runner != nil {
		s.background(ctx, func(ctx context.Context) { wf.Runner.Run(ctx) })
	}
	return nil
}

// startMonitor runs the project's drift check on its drift.schedule and
// its retraining on training.schedule, and subscribes the agent to the
// local bus, so that a scheduled check reaches the agent as DriftChecked
// does on AWS, and a scheduled retraining as RetrainScheduled.
func (s *Server) startMonitor(ctx context.Context, a *App, log io.Writer, logger *slog.Logger) error {
	if err := a.SubscribeAgent(logger); err != nil {
		return err
	}
	sch := &scheduler.Scheduler{Now: a.Now, Log: log}
	if err := a.ScheduleDrift(sch); err != nil {
		return &ConfigError{Err: err}
	}
	if err := a.ScheduleRetraining(sch); err != nil {
		return &ConfigError{Err: err}
	}
	for _, r := range sch.NextRuns() {
		s.DriftRuns = append(s.DriftRuns, ScheduledRun{Name: r.Name, At: r.At})
	}
	s.background(ctx, sch.Run)
	return nil
}

// startAlarms starts the local operational alarms over the prediction
// service's metrics; their state changes reach the agent startMonitor
// subscribed.
func (s *Server) startAlarms(ctx context.Context, a *App, logger *slog.Logger) error {
	if s.Serving.Metrics == nil {
		return nil
	}
	ev, err := a.Alarms(s.Serving.Metrics, logger)
	if err != nil {
		return &ConfigError{Err: err}
	}
	if ev == nil {
		return nil
	}
	s.AlarmsRunning = true
	s.background(ctx, ev.Run)
	return nil
}

// mountDashboard serves the dashboard at /, behind its own sign-in
// (operators, not API keys). Its cookies drop Secure only for plain-http
// requests to a loopback address (see web.Config.InsecureLoopback). It
// decides approvals with the workflow's service, so a decision on the
// dashboard resumes the same runner that the emailed links do.
func (s *Server) mountDashboard(ctx context.Context, a *App, logger *slog.Logger) error {
	h, err := a.Dashboard(DashboardOptions{InsecureLoopback: true, Logger: logger, Approvals: s.Approvals})
	if err != nil {
		return err
	}
	s.gw.Mount("/", h, gateway.Public(), gateway.MaxBody(formBytes))
	ops, err := (&web.Operators{Records: a.Records}).List(ctx)
	if err != nil {
		return err
	}
	s.Operators = len(ops)
	return nil
}

// formBytes bounds the bodies of the dashboard and the approval links:
// their forms are a few hundred bytes (their handlers refuse more than
// 16 KiB).
const formBytes = 64 << 10

// background runs run until Close.
func (s *Server) background(ctx context.Context, run func(context.Context)) {
	ctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() {
		defer close(done)
		run(ctx)
	}()
	s.stops = append(s.stops, func() {
		cancel()
		<-done
	})
}

// Serve serves requests until ctx ends, then waits up to grace for the
// requests in flight (StopWaiting cuts the wait short). Call
// WriteCaptures after it.
func (s *Server) Serve(ctx context.Context, grace time.Duration) error {
	runCtx, stop := context.WithCancel(ctx)
	defer stop()
	go s.Serving.Models.Run(runCtx)
	return s.gw.Serve(ctx, s.ln, grace)
}

// WriteCaptures writes what the capture buffer still holds, taking at
// most grace: once Serve has returned, every request in flight has
// finished.
func (s *Server) WriteCaptures(grace time.Duration) error {
	ctx, cancel := context.WithTimeout(context.Background(), grace)
	defer cancel()
	return s.Serving.Captures.Close(ctx)
}

// StopWaiting makes a stopping Serve return without waiting further for
// the requests in flight.
func (s *Server) StopWaiting() { s.gw.StopWaiting() }

// Close stops the background work, the last started first, and waits for
// it.
func (s *Server) Close() {
	for i := len(s.stops) - 1; i >= 0; i-- {
		s.stops[i]()
	}
	s.stops = nil
}
