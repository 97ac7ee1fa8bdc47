package app

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"strings"
	"time"

	"github.com/aws/aws-lambda-go/lambda"

	"github.com/stewardml/steward/internal/approval"
	"github.com/stewardml/steward/internal/asl"
	"github.com/stewardml/steward/internal/asl/retrain"
	"github.com/stewardml/steward/internal/local/gateway"
	"github.com/stewardml/steward/internal/validation"
	"github.com/stewardml/steward/internal/workflow"
	"github.com/stewardml/steward/internal/workflow/tasks"
)

// ErrNoProject reports a workflow wanted without a project configuration.
var ErrNoProject = errors.New("app: no project configuration (steward.yaml): the workflow needs the model's schema, training and approval settings")

// WorkflowHandlers are the task handlers of the retraining state machine,
// one per functions/<name>.
type WorkflowHandlers struct {
	Validate        *tasks.Validate
	Train           *tasks.Train
	Evaluate        *tasks.Evaluate
	RequestApproval *tasks.RequestApproval
	Promote         *tasks.Promote
	Record          *tasks.Record
}

// Functions maps each function name of statemachines.Functions to its
// handler.
func (h *WorkflowHandlers) Functions() map[string]lambda.Handler {
	return map[string]lambda.Handler{
		"validate": h.Validate, "train": h.Train, "evaluate": h.Evaluate,
		"requestapproval": h.RequestApproval, "promote": h.Promote, "record": h.Record,
	}
}

// WorkflowOptions say how the local runner runs; the zero value is right
// for the CLI and `steward serve`.
type WorkflowOptions struct {
	// Clock drives the runner's timers; nil reads the app's Now (and
	// sleeps in real time).
	Clock asl.Clock
	// Owner names the runner in execution leases; random by default.
	Owner string
	// PollInterval paces Runner.Run and AwaitExecution; default 1 s.
	PollInterval time.Duration
	Logger       *slog.Logger
}

// Workflow is the retraining workflow wired to the application: its
// handlers, the retraining service over the executions (the local runner,
// or Step Functions on AWS), the local runner (nil on AWS), and the
// approval service that calls the waiting execution back.
type Workflow struct {
	Handlers  *WorkflowHandlers
	Service   *workflow.Service
	Runner    *retrain.Runner
	Approvals *approval.Service
}

// Local reports whether the executions run on the local runner (not on
// Step Functions).
func (w *Workflow) Local() bool { return w.Runner != nil }

// History resolves a local execution by name or id and returns its
// description and history. An unknown execution is
// workflow.ErrExecutionNotFound.
func (w *Workflow) History(ctx context.Context, nameOrID string) (workflow.Execution, []workflow.HistoryEvent, error) {
	if w.Runner == nil {
		return workflow.Execution{}, nil, errors.New("app: on AWS, Step Functions keeps the history")
	}
	id, err := w.Runner.Resolve(ctx, nameOrID)
	if errors.Is(err, asl.ErrExecutionNotFound) {
		return workflow.Execution{}, nil, fmt.Errorf("%w: %s", workflow.ErrExecutionNotFound, nameOrID)
	}
	if err != nil {
		return workflow.Execution{}, nil, err
	}
	ex, err := w.Runner.Describe(ctx, id)
	if err != nil {
		return workflow.Execution{}, nil, err
	}
	events, err := w.Runner.History(ctx, id)
	if err != nil {
		return workflow.Execution{}, nil, err
	}
	out := make([]workflow.HistoryEvent, len(events))
	for i, ev := range events {
		out[i] = workflow.HistoryEvent{
			ID: ev.ID, Type: string(ev.Type), Timestamp: ev.Timestamp, Thread: ev.Thread, State: ev.State, Resource: ev.Resource,
			Input: ev.Input, Output: ev.Output, Error: ev.Error, Cause: ev.Cause, Details: ev.Details,
			Notable: ev.Type == asl.EventRetryScheduled || ev.Type == asl.EventTaskSubmitted || strings.HasPrefix(string(ev.Type), "Execution"),
		}
	}
	return ex, out, nil
}

// Await follows a local execution until it ends or waits for a callback.
func (w *Workflow) Await(ctx context.Context, id string) error {
	if w.Runner == nil {
		return errors.New("app: on AWS, Step Functions runs the workflow")
	}
	_, err := w.Runner.AwaitExecution(ctx, id)
	return err
}

// Workflow wires the retraining workflow with default options.
func (a *App) Workflow() (*Workflow, error) { return a.WorkflowWith(WorkflowOptions{}) }

// Runner returns a local runner of the retraining workflow. Several
// runners (in one process or several) may share the data directory.
func (a *App) Runner() (*retrain.Runner, error) {
	w, err := a.Workflow()
	if err != nil {
		return nil, err
	}
	if w.Runner == nil {
		return nil, errors.New("app: on AWS, Step Functions runs the workflow: there is no local runner")
	}
	return w.Runner, nil
}

// StartRetrain starts a retraining execution: on Step Functions on AWS,
// on the local runner otherwise (returning once it ends or waits).
func (a *App) StartRetrain(ctx context.Context, in workflow.RetrainInput) (workflow.Started, error) {
	w, err := a.Workflow()
	if err != nil {
		return workflow.Started{}, err
	}
	return w.Start(ctx, in)
}

// LinkBase returns the base URL of approval links: STEWARD_PUBLIC_URL,
// else approval.public_url, else (locally) the address `steward serve`
// listens on.
func (a *App) LinkBase() string {
	switch {
	case a.Runtime.PublicURL != "":
		return a.Runtime.PublicURL
	case a.Project != nil && a.Project.Approval.PublicURL != "":
		return a.Project.Approval.PublicURL
	case a.Runtime.AWS():
		return ""
	case a.Project != nil && a.Project.Serving.Addr != "":
		return "http://" + a.Project.Serving.Addr
	}
	return "http://127.0.0.1:8080"
}

// ValidateHandler builds the validate function's handler: the project's
// schema, suite and result format when there is a project, and the
// platform's events, so that a failed validation reaches the agent.
func (a *App) ValidateHandler() (*tasks.Validate, error) {
	h := &tasks.Validate{Artifacts: a.Artifacts, Bucket: a.Runtime.Bucket, Now: a.Now, Events: a.Events}
	p := a.Project
	if p == nil {
		return h, nil
	}
	h.Model, h.Schema, h.ResultFormat = p.Model.Name, p.Schema(), p.Validation.ResultFormat
	if path := p.SuitePath(); path != "" {
		raw, err := os.ReadFile(path)
		if err != nil {
			return nil, fmt.Errorf("app: project suite: %w", err)
		}
		if h.Suite, err = validation.ParseSuite(raw); err != nil {
			return nil, fmt.Errorf("app: project suite %s: %w", path, err)
		}
	}
	return h, nil
}

// WorkflowHandlers builds the task handlers over the application's stores.
func (a *App) WorkflowHandlers() (*WorkflowHandlers, error) {
	p := a.Project
	if p == nil {
		return nil, ErrNoProject
	}
	val, err := a.ValidateHandler()
	if err != nil {
		return nil, err
	}
	approvals := a.ApprovalService(nil)
	notes := a.Notifications()
	return &WorkflowHandlers{
		Validate: val,
		Train:    &tasks.Train{Project: p, Artifacts: a.Artifacts, Service: a.TrainService("workflow")},
		Evaluate: &tasks.Evaluate{Project: p, Artifacts: a.Artifacts, Registry: a.Registry(), Train: a.TrainService("workflow"), Audit: a.Audit()},
		RequestApproval: &tasks.RequestApproval{
			Project: p, Approvals: approvals, Signer: approvals.Signer, Mailer: a.Mailer,
			Approvers: a.Approvers(), Expiry: p.Approval.Expiry.D(), BaseURL: a.LinkBase(), From: a.Notifier.From,
			SubjectPrefix: p.Notify.SubjectPrefix, Reports: notes, Notifier: notes,
		},
		Promote: &tasks.Promote{Project: p, Release: a.Release(), Registry: a.Registry(), Approvals: approvals},
		Record:  &tasks.Record{Project: p, Audit: a.Audit(), Notifier: notes, Approvals: approvals},
	}, nil
}

// ApprovalService is the approval service with audit events correlated
// to their executions, calling back through cb (nil: a callback that
// fails, for processes that only create or read requests).
func (a *App) ApprovalService(cb approval.Callback) *approval.Service {
	if cb == nil {
		cb = noCallback{}
	}
	rec := &workflow.AuditRecorder{Log: a.Audit()}
	svc := a.Approvals(cb, rec)
	rec.Lookup = svc.Get
	return svc
}

// noCallback stands for a callback this process cannot make.
type noCallback struct{}

func (noCallback) SendTaskSuccess(ctx context.Context, token string, output json.RawMessage) error {
	return errors.New("app: no workflow to call back: set STEWARD_STATE_MACHINE_ARN on AWS")
}

// WorkflowWith wires the retraining workflow.
func (a *App) WorkflowWith(opts WorkflowOptions) (*Workflow, error) {
	h, err := a.WorkflowHandlers()
	if err != nil {
		return nil, err
	}
	w := &Workflow{Handlers: h, Service: &workflow.Service{
		Project: a.Project, Artifacts: a.Artifacts, Records: a.Records, Registry: a.Registry(), Now: a.Now,
	}}
	if a.Runtime.AWS() {
		var cb approval.Callback
		if a.StepFunctions != nil {
			cb = a.StepFunctions
			w.Service.Executions = a.StepFunctions
		}
		w.Approvals = a.ApprovalService(cb)
		return w, nil
	}
	clock := opts.Clock
	if clock == nil {
		clock = appClock{a.Now}
	}
	r, err := retrain.New(retrain.Config{
		Records: a.Records, Functions: h.Functions(), Clock: clock,
		Owner: opts.Owner, PollInterval: opts.PollInterval, Logger: opts.Logger,
	})
	if err != nil {
		return nil, err
	}
	w.Runner = r
	w.Service.Executions = r
	w.Approvals = a.ApprovalService(r)
	return w, nil
}

// appClock is the runner's clock over the app's Now.
type appClock struct{ now func() time.Time }

func (c appClock) Now() time.Time                         { return c.now() }
func (c appClock) After(d time.Duration) <-chan time.Time { return time.After(d) }

// Start starts a retraining execution under a new name; see
// workflow.Service.Start.
func (w *Workflow) Start(ctx context.Context, in workflow.RetrainInput) (workflow.Started, error) {
	return w.Service.Start(ctx, in)
}

// StartNamed starts a retraining execution named name; see
// workflow.Service.StartNamed.
func (w *Workflow) StartNamed(ctx context.Context, name string, in workflow.RetrainInput) (workflow.Started, bool, error) {
	return w.Service.StartNamed(ctx, name, in)
}

// ApprovalHandler is the approval-link handler (GET page, POST decision).
func (w *Workflow) ApprovalHandler() *approval.Handler {
	return &approval.Handler{Service: w.Approvals, Aliases: w.Service.Registry}
}

// Mount serves the approval links on the local gateway at /approvals/,
// without an API key: the signed link is the credential.
func (w *Workflow) Mount(gw *gateway.Gateway) {
	gw.Mount("/approvals/", w.ApprovalHandler(), gateway.Public(), gateway.MaxBody(formBytes))
}
