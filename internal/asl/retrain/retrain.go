package retrain

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"sort"
	"strings"
	"time"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-lambda-go/lambda/messages"

	"github.com/stewardml/steward/internal/approval"
	"github.com/stewardml/steward/internal/asl"
	"github.com/stewardml/steward/internal/store"
	"github.com/stewardml/steward/internal/workflow"
	"github.com/stewardml/steward/statemachines"
)

// StateMachineName names the retraining machine in execution ids.
const StateMachineName = "steward-retrain"

// ResourcePrefix starts the value each placeholder is filled with:
// "local:train" stands for functions/train.
const ResourcePrefix = "local:"

// ErrUnbound reports functions of the state machine without a handler.
var ErrUnbound = errors.New("retrain: function without a handler")

// Config configures a Runner.
type Config struct {
	// Records keeps executions and their histories.
	Records store.RecordStore
	// Functions binds each function name of statemachines.Functions
	// ("validate", "train", ...) to its handler.
	Functions map[string]lambda.Handler
	// Clock drives timeouts, retries and waits; nil is the system clock.
	Clock asl.Clock
	// Owner names this runner in execution leases (random by default).
	Owner string
	// PollInterval paces Run and AwaitExecution (default 1 s).
	PollInterval time.Duration
	Logger       *slog.Logger
}

// Runner runs retraining executions. It embeds the asl.Runner, so
// DescribeExecution, ListExecutions, History, Tick, AwaitExecution and
// SendTaskHeartbeat are at hand; it is safe for
// concurrent use, and runners of several processes may share one store.
type Runner struct {
	*asl.Runner
	machine *asl.StateMachine
}

var (
	_ approval.Callback   = (*Runner)(nil)
	_ workflow.Executions = (*Runner)(nil)
)

// New builds a runner of the retraining machine. Every function the
// machine invokes must have a handler.
func New(cfg Config) (*Runner, error) {
	if cfg.Records == nil {
		return nil, errors.New("retrain: Config.Records is required")
	}
	def, err := statemachines.Definition(statemachines.Retrain)
	if err != nil {
		return nil, err
	}
	values := map[string]string{}
	resources := map[string]asl.Invoker{}
	var missing []string
	for _, p := range statemachines.Placeholders(def) {
		fn, ok := statemachines.Functions[p]
		if !ok {
			return nil, fmt.Errorf("retrain: placeholder ${%s} names no function", p)
		}
		values[p] = ResourcePrefix + fn
		h := cfg.Functions[fn]
		if h == nil {
			missing = append(missing, fn)
			continue
		}
		resources[ResourcePrefix+fn] = Invoker(h)
	}
	if len(missing) > 0 {
		sort.Strings(missing)
		return nil, fmt.Errorf("%w: %s", ErrUnbound, strings.Join(missing, ", "))
	}
	sub, err := statemachines.Substitute(def, values)
	if err != nil {
		return nil, err
	}
	sm, err := asl.Parse([]byte(sub))
	if err != nil {
		return nil, fmt.Errorf("retrain: %s: %w", statemachines.Retrain, err)
	}
	r, err := asl.NewRunner(asl.Config{
		Store: asl.NewRecordStoreBackend(cfg.Records), Resources: resources, Clock: cfg.Clock,
		Owner: cfg.Owner, PollInterval: cfg.PollInterval, Logger: cfg.Logger,
	})
	if err != nil {
		return nil, err
	}
	if err := r.CheckBindings(sm); err != nil {
		return nil, err
	}
	return &Runner{Runner: r, machine: sm}, nil
}

// Invoker calls h as Lambda would: the payload is the task's input JSON,
// the result is the handler's JSON (the runner wraps a lambda:invoke
// result as {"Payload": ...}), and an error keeps the name the handler
// gave it (lambdaerr), or else the Go type name the Lambda runtime
// reports.
func Invoker(h lambda.Handler) asl.Invoker {
	lh := lambda.NewHandler(h)
	return asl.InvokerFunc(func(ctx context.Context, req asl.TaskRequest) (json.RawMessage, error) {
		out, err := lh.Invoke(ctx, req.Input)
		if err == nil {
			return out, nil
		}
		var named messages.InvokeResponse_Error
		if errors.As(err, &named) {
			return nil, &asl.TaskError{Name: named.Type, Cause: named.Message}
		}
		return nil, err
	})
}

// Execute starts an execution named name with input and runs it until it
// ends or waits (for an approval, a retry delay...). Errors wrap
// asl.ErrExecutionExists for a name already used.
func (r *Runner) Execute(ctx context.Context, name string, input json.RawMessage) (asl.Execution, error) {
	return r.Runner.Start(ctx, asl.StartInput{StateMachine: r.machine, StateMachineName: StateMachineName, Name: name, Input: input})
}

// Start implements workflow.Executions: it runs the execution as Execute
// does; a name already used returns the execution that holds it with an
// error wrapping workflow.ErrExecutionExists and asl.ErrExecutionExists.
func (r *Runner) Start(ctx context.Context, name string, input json.RawMessage) (workflow.Execution, error) {
	ex, err := r.Execute(ctx, name, input)
	if errors.Is(err, asl.ErrExecutionExists) {
		held, derr := r.Describe(ctx, name)
		if derr != nil {
			return workflow.Execution{}, fmt.Errorf("retrain: execution %s exists, but: %w", name, derr)
		}
		return held, fmt.Errorf("%w: %w", workflow.ErrExecutionExists, err)
	}
	if err != nil {
		return workflow.Execution{}, err
	}
	return ExecutionOf(ex), nil
}

// Describe implements workflow.Executions: the execution of that id or
// name.
func (r *Runner) Describe(ctx context.Context, idOrName string) (workflow.Execution, error) {
	id, err := r.Resolve(ctx, idOrName)
	if err != nil {
		return workflow.Execution{}, notFound(err)
	}
	ex, err := r.DescribeExecution(ctx, id)
	if err != nil {
		return workflow.Execution{}, notFound(err)
	}
	return ExecutionOf(ex), nil
}

// List implements workflow.Executions.
func (r *Runner) List(ctx context.Context, status workflow.Status) ([]workflow.Execution, error) {
	list, err := r.ListExecutions(ctx, asl.ListFilter{Status: asl.Status(status), StateMachine: StateMachineName})
	if err != nil {
		return nil, err
	}
	out := make([]workflow.Execution, len(list))
	for i, ex := range list {
		out[i] = ExecutionOf(ex)
	}
	return out, nil
}

// SendTaskSuccess implements workflow.Executions and approval.Callback.
func (r *Runner) SendTaskSuccess(ctx context.Context, token string, output json.RawMessage) error {
	return taskGone(r.Runner.SendTaskSuccess(ctx, token, output))
}

// SendTaskFailure implements workflow.Executions.
func (r *Runner) SendTaskFailure(ctx context.Context, token, errName, cause string) error {
	return taskGone(r.Runner.SendTaskFailure(ctx, token, errName, cause))
}

// taskGone adds workflow.ErrTaskGone to the runner's errors for a token
// that no task waits on.
func taskGone(err error) error {
	if errors.Is(err, asl.ErrTaskDoesNotExist) || errors.Is(err, asl.ErrTaskTimedOut) {
		return fmt.Errorf("%w: %w", workflow.ErrTaskGone, err)
	}
	return err
}

// notFound adds workflow.ErrExecutionNotFound to asl.ErrExecutionNotFound.
func notFound(err error) error {
	if errors.Is(err, asl.ErrExecutionNotFound) {
		return fmt.Errorf("%w: %w", workflow.ErrExecutionNotFound, err)
	}
	return err
}

// ExecutionOf returns the retraining domain's view of a local execution.
func ExecutionOf(ex asl.Execution) workflow.Execution {
	var waiting []workflow.Waiting
	for _, w := range ex.Waiting {
		waiting = append(waiting, workflow.Waiting{Thread: w.Thread, State: w.State, Kind: w.Kind, Since: w.Since, Until: w.Until})
	}
	return workflow.Execution{
		ID: ex.ID, Name: ex.Name, Status: workflow.Status(ex.Status), Input: ex.Input, Output: ex.Output,
		Error: ex.Error, Cause: ex.Cause, StartTime: ex.StartTime, StopTime: ex.StopTime, Waiting: waiting,
	}
}

// Resolve returns the id of the execution named by its id or by its name.
// Error: asl.ErrExecutionNotFound.
func (r *Runner) Resolve(ctx context.Context, idOrName string) (string, error) {
	if _, err := r.DescribeExecution(ctx, idOrName); err == nil {
		return idOrName, nil
	} else if !errors.Is(err, asl.ErrExecutionNotFound) {
		return "", err
	}
	list, err := r.ListExecutions(ctx, asl.ListFilter{StateMachine: StateMachineName})
	if err != nil {
		return "", err
	}
	for _, ex := range list {
		if ex.Name == idOrName {
			return ex.ID, nil
		}
	}
	return "", fmt.Errorf("retrain: %q: %w", idOrName, asl.ErrExecutionNotFound)
}
