// Package sfn adapts AWS Step Functions to Steward's workflow ports:
// starting executions of the retraining state machine and calling back a
// waiting task with its token.
package sfn

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sfn"
	"github.com/aws/aws-sdk-go-v2/service/sfn/types"

	"github.com/stewardml/steward/internal/workflow"
)

// ErrTaskGone reports a callback for a task that no longer waits (it timed
// out, was already answered, or the token is invalid).
// It wraps workflow.ErrTaskGone.
var ErrTaskGone = fmt.Errorf("sfn: %w", workflow.ErrTaskGone)

// ErrExecutionExists reports a start under a name already used by an
// execution with another input, or one that has ended (Step Functions'
// ExecutionAlreadyExists): that execution is the one the name stands for.
// It wraps workflow.ErrExecutionExists.
var ErrExecutionExists = fmt.Errorf("sfn: %w", workflow.ErrExecutionExists)

// ErrExecutionNotFound reports an execution Step Functions does not know
// (ExecutionDoesNotExist); it wraps workflow.ErrExecutionNotFound.
var ErrExecutionNotFound = fmt.Errorf("sfn: %w", workflow.ErrExecutionNotFound)

// api lists the Step Functions calls this adapter makes.
type api interface {
	StartExecution(ctx context.Context, in *sfn.StartExecutionInput, opts ...func(*sfn.Options)) (*sfn.StartExecutionOutput, error)
	SendTaskSuccess(ctx context.Context, in *sfn.SendTaskSuccessInput, opts ...func(*sfn.Options)) (*sfn.SendTaskSuccessOutput, error)
	SendTaskFailure(ctx context.Context, in *sfn.SendTaskFailureInput, opts ...func(*sfn.Options)) (*sfn.SendTaskFailureOutput, error)
	DescribeExecution(ctx context.Context, in *sfn.DescribeExecutionInput, opts ...func(*sfn.Options)) (*sfn.DescribeExecutionOutput, error)
	ListExecutions(ctx context.Context, in *sfn.ListExecutionsInput, opts ...func(*sfn.Options)) (*sfn.ListExecutionsOutput, error)
}

// Client drives one state machine. It is safe for concurrent use.
type Client struct {
	api             api
	StateMachineARN string
}

// New returns a Client for the state machine arn.
func New(client api, stateMachineARN string) *Client {
	return &Client{api: client, StateMachineARN: stateMachineARN}
}

// StartExecution starts an execution named name (idempotent on AWS for the
// same name and input while it runs) and returns its ARN. A name already
// taken otherwise is ErrExecutionExists; ExecutionARN names that
// execution.
func (c *Client) StartExecution(ctx context.Context, name string, input json.RawMessage) (string, error) {
	out, err := c.api.StartExecution(ctx, &sfn.StartExecutionInput{
		StateMachineArn: aws.String(c.StateMachineARN), Name: aws.String(name), Input: aws.String(string(input)),
	})
	if err != nil {
		var exists *types.ExecutionAlreadyExists
		if errors.As(err, &exists) {
			return "", fmt.Errorf("sfn: start %s: %w: %w", name, ErrExecutionExists, err)
		}
		return "", fmt.Errorf("sfn: start %s: %w", name, err)
	}
	return aws.ToString(out.ExecutionArn), nil
}

var _ workflow.Executions = (*Client)(nil)

// Start implements workflow.Executions: it starts the execution and
// returns it running. A name taken already returns the execution that
// holds it (its ARN and name, without a status) with ErrExecutionExists.
func (c *Client) Start(ctx context.Context, name string, input json.RawMessage) (workflow.Execution, error) {
	arn, err := c.StartExecution(ctx, name, input)
	if errors.Is(err, ErrExecutionExists) {
		held, aerr := c.ExecutionARN(name)
		if aerr != nil {
			return workflow.Execution{}, aerr
		}
		return workflow.Execution{ID: held, Name: name}, err
	}
	if err != nil {
		return workflow.Execution{}, err
	}
	return workflow.Execution{ID: arn, Name: name, Status: workflow.StatusRunning}, nil
}

// Describe implements workflow.Executions: idOrName is an execution ARN
// or the name of an execution of this state machine.
func (c *Client) Describe(ctx context.Context, idOrName string) (workflow.Execution, error) {
	arn := idOrName
	if !strings.HasPrefix(arn, "arn:") {
		var err error
		if arn, err = c.ExecutionARN(idOrName); err != nil {
			return workflow.Execution{}, err
		}
	}
	out, err := c.api.DescribeExecution(ctx, &sfn.DescribeExecutionInput{ExecutionArn: aws.String(arn)})
	if err != nil {
		var missing *types.ExecutionDoesNotExist
		if errors.As(err, &missing) {
			return workflow.Execution{}, fmt.Errorf("sfn: describe %s: %w", idOrName, ErrExecutionNotFound)
		}
		return workflow.Execution{}, fmt.Errorf("sfn: describe %s: %w", idOrName, err)
	}
	ex := workflow.Execution{
		ID: aws.ToString(out.ExecutionArn), Name: aws.ToString(out.Name), Status: workflow.Status(out.Status),
		Error: aws.ToString(out.Error), Cause: aws.ToString(out.Cause), StartTime: aws.ToTime(out.StartDate), StopTime: aws.ToTime(out.StopDate),
	}
	if out.Input != nil {
		ex.Input = json.RawMessage(*out.Input)
	}
	if out.Output != nil {
		ex.Output = json.RawMessage(*out.Output)
	}
	return ex, nil
}

// List implements workflow.Executions; Step Functions lists newest
// first, List returns oldest first.
func (c *Client) List(ctx context.Context, status workflow.Status) ([]workflow.Execution, error) {
	in := &sfn.ListExecutionsInput{StateMachineArn: aws.String(c.StateMachineARN), StatusFilter: types.ExecutionStatus(status)}
	var out []workflow.Execution
	for {
		page, err := c.api.ListExecutions(ctx, in)
		if err != nil {
			return nil, fmt.Errorf("sfn: list executions: %w", err)
		}
		for _, e := range page.Executions {
			out = append(out, workflow.Execution{
				ID: aws.ToString(e.ExecutionArn), Name: aws.ToString(e.Name), Status: workflow.Status(e.Status),
				StartTime: aws.ToTime(e.StartDate), StopTime: aws.ToTime(e.StopDate),
			})
		}
		if page.NextToken == nil {
			break
		}
		in.NextToken = page.NextToken
	}
	slices.Reverse(out)
	return out, nil
}

// SendTaskSuccess completes the waiting task with output.
func (c *Client) SendTaskSuccess(ctx context.Context, token string, output json.RawMessage) error {
	_, err := c.api.SendTaskSuccess(ctx, &sfn.SendTaskSuccessInput{TaskToken: aws.String(token), Output: aws.String(string(output))})
	return mapTaskErr("send task success", err)
}

// SendTaskFailure fails the waiting task with a named error.
func (c *Client) SendTaskFailure(ctx context.Context, token, errName, cause string) error {
	_, err := c.api.SendTaskFailure(ctx, &sfn.SendTaskFailureInput{TaskToken: aws.String(token), Error: aws.String(errName), Cause: aws.String(cause)})
	return mapTaskErr("send task failure", err)
}

func mapTaskErr(op string, err error) error {
	if err == nil {
		return nil
	}
	var gone *types.TaskDoesNotExist
	var timedOut *types.TaskTimedOut
	var invalid *types.InvalidToken
	if errors.As(err, &gone) || errors.As(err, &timedOut) || errors.As(err, &invalid) {
		// Never include the token itself in the message.
		return fmt.Errorf("sfn: %s: %w", op, ErrTaskGone)
	}
	return fmt.Errorf("sfn: %s: %w", op, err)
}

// ExecutionARN returns the ARN of the execution named name of the state
// machine (Step Functions derives it: the machine's ARN with
// ":execution:" for ":stateMachine:", then ":" and the name).
func (c *Client) ExecutionARN(name string) (string, error) {
	prefix, machine, ok := strings.Cut(c.StateMachineARN, ":stateMachine:")
	if !ok || machine == "" || strings.Contains(machine, ":") {
		return "", fmt.Errorf("sfn: %q is not a state machine ARN", c.StateMachineARN)
	}
	return prefix + ":execution:" + machine + ":" + name, nil
}
