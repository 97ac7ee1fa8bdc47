package app

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"time"

	"github.com/aws/aws-lambda-go/lambda"

	"github.com/stewardml/steward/internal/approval"
	"github.com/stewardml/steward/internal/asl"
	"github.com/stewardml/steward/internal/aws/sfn"
	"github.com/stewardml/steward/internal/dataset"
	"github.com/stewardml/steward/internal/local/gateway"
	"github.com/stewardml/steward/internal/train/trainfn"
	"github.com/stewardml/steward/internal/validation"
	"github.com/stewardml/steward/internal/validation/validatefn"
	"github.com/stewardml/steward/internal/workflow"
	"github.com/stewardml/steward/internal/workflow/local"
)

// ErrNoProject reports a workflow wanted without a project configuration.
var ErrNoProject = errors.New("app: no project configuration (steward.yaml): the workflow needs the model's schema, training and approval settings")

// WorkflowHandlers are the task handlers of the retraining state machine,
// one per functions/<name>.
type WorkflowHandlers struct {
	Validate        *validatefn.Handler
	Train           *trainfn.Handler
	Evaluate        *workflow.Evaluate
	RequestApproval *workflow.RequestApproval
	Promote         *workflow.Promote
	Record          *workflow.Record
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
// handlers, the local runner (nil on AWS, where Step Functions runs it),
// and the approval service that calls the waiting execution back.
type Workflow struct {
	app       *App
	Handlers  *WorkflowHandlers
	Runner    *local.Runner
	Approvals *approval.Service
}

// Workflow wires the retraining workflow with default options.
func (a *App) Workflow() (*Workflow, error) { return a.WorkflowWith(WorkflowOptions{}) }

// Runner returns a local runner of the retraining workflow. Several
// runners (in one process or several) may share the data directory.
func (a *App) Runner() (*local.Runner, error) {
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
func (a *App) ValidateHandler() (*validatefn.Handler, error) {
	h := &validatefn.Handler{Artifacts: a.Artifacts, Bucket: a.Runtime.Bucket, Now: a.Now, Events: a.Events}
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
	proj := workflow.ProjectOf(p)
	val, err := a.ValidateHandler()
	if err != nil {
		return nil, err
	}
	approvals := a.ApprovalService(nil)
	return &WorkflowHandlers{
		Validate: val,
		Train:    &trainfn.Handler{Project: trainfn.ProjectOf(p), Artifacts: a.Artifacts, Service: a.TrainService("workflow")},
		Evaluate: &workflow.Evaluate{Project: proj, Artifacts: a.Artifacts, Registry: a.Registry(), Train: a.TrainService("workflow"), Audit: a.Audit()},
		RequestApproval: &workflow.RequestApproval{
			Project: proj, Approvals: approvals, Signer: approvals.Signer, Mailer: a.Mailer,
			Approvers: a.Approvers(), Expiry: p.Approval.Expiry.D(), BaseURL: a.LinkBase(), From: a.Notifier.From,
		},
		Promote: &workflow.Promote{Project: proj, Release: a.Release(), Registry: a.Registry(), Approvals: approvals},
		Record:  &workflow.Record{Project: proj, Audit: a.Audit(), Notifier: a.Notifier, Approvals: approvals},
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
	w := &Workflow{app: a, Handlers: h}
	if a.Runtime.AWS() {
		var cb approval.Callback
		if a.StepFunctions != nil {
			cb = a.StepFunctions
		}
		w.Approvals = a.ApprovalService(cb)
		return w, nil
	}
	clock := opts.Clock
	if clock == nil {
		clock = appClock{a.Now}
	}
	r, err := local.New(local.Config{
		Records: a.Records, Functions: h.Functions(), Clock: clock,
		Owner: opts.Owner, PollInterval: opts.PollInterval, Logger: opts.Logger,
	})
	if err != nil {
		return nil, err
	}
	w.Runner = r
	w.Approvals = a.ApprovalService(r)
	return w, nil
}

// appClock is the runner's clock over the app's Now.
type appClock struct{ now func() time.Time }

func (c appClock) Now() time.Time                         { return c.now() }
func (c appClock) After(d time.Duration) <-chan time.Time { return time.After(d) }

// Start starts a retraining execution under a new name. Missing fields
// take defaults: the project's model, trigger manual, the project's
// approval.expiry as the approval timeout. The dataset must be stored
// already (dataset.Store).
func (w *Workflow) Start(ctx context.Context, in workflow.RetrainInput) (workflow.Started, error) {
	st, _, err := w.StartNamed(ctx, "", in)
	return st, err
}

// StartNamed starts a retraining execution named name (a new name when
// empty), as Start does. The name makes the start idempotent: when an
// execution of that name exists already — the same start repeated after
// a crash — Step Functions (ExecutionAlreadyExists) and the local runner
// (asl.ErrExecutionExists) refuse a second one, and StartNamed returns the
// existing execution with existed true (on AWS its ARN and name, without
// a status). name must follow Step Functions' rules as ExecutionNameOf
// writes them.
func (w *Workflow) StartNamed(ctx context.Context, name string, in workflow.RetrainInput) (st workflow.Started, existed bool, err error) {
	if name != "" && ExecutionNameOf(name) != name {
		return workflow.Started{}, false, fmt.Errorf("%w: execution name %q: expected 1 to 80 letters, digits, '-' or '_'", workflow.ErrInvalidEvent, name)
	}
	a := w.app
	if in.Model == "" {
		in.Model = a.Project.Model.Name
	}
	if in.Trigger == "" {
		in.Trigger = workflow.TriggerManual
	}
	if in.ApprovalTimeoutSeconds == 0 {
		in.ApprovalTimeoutSeconds = int(a.Project.Approval.Expiry.D() / time.Second)
	}
	if in.Model != a.Project.Model.Name {
		return workflow.Started{}, false, fmt.Errorf("%w: %q (the project's model is %q)", workflow.ErrUnknownModel, in.Model, a.Project.Model.Name)
	}
	if in.Dataset.Key == "" && in.Dataset.Digest != "" {
		in.Dataset.Key = dataset.KeyFor(in.Dataset.Digest)
	}
	if err := in.Validate(); err != nil {
		return workflow.Started{}, false, err
	}
	if ok, err := a.Artifacts.Exists(ctx, in.Dataset.Key); err != nil {
		return workflow.Started{}, false, fmt.Errorf("app: dataset %s: %w", in.Dataset.Key, err)
	} else if !ok {
		return workflow.Started{}, false, fmt.Errorf("%w: dataset %s is not stored", workflow.ErrInvalidEvent, in.Dataset.Key)
	}
	if name == "" {
		if name, err = workflow.ExecutionName(in.Model, a.Now(), rand.Reader); err != nil {
			return workflow.Started{}, false, err
		}
	}
	body, err := json.Marshal(in)
	if err != nil {
		return workflow.Started{}, false, fmt.Errorf("app: encode input: %w", err)
	}
	if w.Runner != nil {
		ex, err := w.Runner.Start(ctx, name, body)
		if errors.Is(err, asl.ErrExecutionExists) {
			id, rerr := w.Runner.Resolve(ctx, name)
			if rerr == nil {
				ex, rerr = w.Runner.DescribeExecution(ctx, id)
			}
			if rerr != nil {
				return workflow.Started{}, false, fmt.Errorf("app: execution %s exists, but: %w", name, rerr)
			}
			return workflow.StartedOf(ex), true, nil
		}
		if err != nil {
			return workflow.Started{}, false, err
		}
		return workflow.StartedOf(ex), false, nil
	}
	if a.StepFunctions == nil {
		return workflow.Started{}, false, errors.New("app: STEWARD_STATE_MACHINE_ARN is not set: cannot start the retraining workflow on AWS")
	}
	arn, err := a.StepFunctions.StartExecution(ctx, name, body)
	if errors.Is(err, sfn.ErrExecutionExists) {
		if arn, err = a.StepFunctions.ExecutionARN(name); err != nil {
			return workflow.Started{}, false, err
		}
		return workflow.Started{ExecutionID: arn, Name: name}, true, nil
	}
	if err != nil {
		return workflow.Started{}, false, err
	}
	return workflow.Started{ExecutionID: arn, Name: name, Status: string(asl.StatusRunning)}, false, nil
}

// maxExecutionName is the longest execution name Step Functions takes.
const maxExecutionName = 80

// ExecutionNameOf makes an execution name of id that Step Functions and
// the local runner take: letters, digits, '-' and '_', at most 80 of
// them. An id that already is one is kept as it is; any other is cut,
// its other characters made '-', and ends with 8 hex digits of its
// SHA-256, so that different ids keep different names.
func ExecutionNameOf(id string) string {
	clean := []byte(id)
	changed := len(clean) == 0 || len(clean) > maxExecutionName
	for i, c := range clean {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_') {
			clean[i], changed = '-', true
		}
	}
	if !changed {
		return id
	}
	sum := sha256.Sum256([]byte(id))
	const keep = maxExecutionName - 9
	if len(clean) > keep {
		clean = clean[:keep]
	}
	return string(clean) + "-" + hex.EncodeToString(sum[:4])
}

// ApprovalHandler is the approval-link handler (GET page, POST decision).
func (w *Workflow) ApprovalHandler() *approval.Handler {
	return &approval.Handler{Service: w.Approvals}
}

// Mount serves the approval links on the local gateway at /approvals/,
// without an API key: the signed link is the credential.
func (w *Workflow) Mount(gw *gateway.Gateway) {
	gw.Mount("/approvals/", gateway.HandlerFunc(w.ApprovalHandler().Handle), gateway.Public(), gateway.Function("approval"))
}
