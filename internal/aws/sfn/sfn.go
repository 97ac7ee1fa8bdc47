// Package sfn adapts AWS Step Functions to Steward's workflow ports:
// starting executions of the retraining state machine and calling back a
// waiting task with its token.
package sfn

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sfn"
	"github.com/aws/aws-sdk-go-v2/service/sfn/types"
)

// ErrTaskGone reports a callback for a task that no longer waits (it timed
// out, was already answered, or the token is invalid).
var ErrTaskGone = errors.New("sfn: task no longer waits for this token")

// ErrExecutionExists reports a start under a name already used by an
// execution with another input, or one that has ended (Step Functions'
// ExecutionAlreadyExists): that execution is the one the name stands for.
var ErrExecutionExists = errors.New("sfn: execution already exists")

// api lists the Step Functions calls this adapter makes.
type api interface {
	StartExecution(ctx context.Context, in *sfn.StartExecutionInput, opts ...func(*sfn.Options)) (*sfn.StartExecutionOutput, error)
	SendTaskSuccess(ctx context.Context, in *sfn.SendTaskSuccessInput, opts ...func(*sfn.Options)) (*sfn.SendTaskSuccessOutput, error)
	SendTaskFailure(ctx context.Context, in *sfn.SendTaskFailureInput, opts ...func(*sfn.Options)) (*sfn.SendTaskFailureOutput, error)
}

// Client drives one state machine.
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
