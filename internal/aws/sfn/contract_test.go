package sfn

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sfn"
	"github.com/aws/aws-sdk-go-v2/service/sfn/types"

	"github.com/stewardml/steward/internal/workflow"
	"github.com/stewardml/steward/internal/workflow/workflowtest"
)

// fakeAPI plays Step Functions behind the adapter's private seam: every
// execution it starts waits on one task token, as the retraining machine
// waits for an approval, and it answers with the SDK's typed errors.
type fakeAPI struct {
	mu      sync.Mutex
	now     time.Time
	byARN   map[string]*types.ExecutionListItem
	inputs  map[string]string
	order   []string          // ARNs, oldest first
	tokens  map[string]string // token → ARN of the execution waiting on it
	answers map[string]bool
}

func newFakeAPI() *fakeAPI {
	return &fakeAPI{now: time.Date(2026, 3, 14, 9, 0, 0, 0, time.UTC), byARN: map[string]*types.ExecutionListItem{},
		inputs: map[string]string{}, tokens: map[string]string{}, answers: map[string]bool{}}
}

func (f *fakeAPI) StartExecution(ctx context.Context, in *sfn.StartExecutionInput, _ ...func(*sfn.Options)) (*sfn.StartExecutionOutput, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	c := New(nil, aws.ToString(in.StateMachineArn))
	arn, err := c.ExecutionARN(aws.ToString(in.Name))
	if err != nil {
		return nil, err
	}
	if _, ok := f.byARN[arn]; ok {
		return nil, &types.ExecutionAlreadyExists{Message: aws.String("Execution Already Exists: '" + arn + "'")}
	}
	f.now = f.now.Add(time.Second)
	f.byARN[arn] = &types.ExecutionListItem{ExecutionArn: aws.String(arn), Name: in.Name, StateMachineArn: in.StateMachineArn,
		Status: types.ExecutionStatusRunning, StartDate: aws.Time(f.now)}
	f.inputs[arn] = aws.ToString(in.Input)
	f.order = append(f.order, arn)
	f.tokens[fmt.Sprintf("token-%d", len(f.order))] = arn
	return &sfn.StartExecutionOutput{ExecutionArn: aws.String(arn), StartDate: aws.Time(f.now)}, nil
}

func (f *fakeAPI) answer(token string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if _, ok := f.tokens[token]; !ok {
		return &types.InvalidToken{Message: aws.String("Invalid token")}
	}
	if f.answers[token] {
		return &types.TaskTimedOut{Message: aws.String("Task Timed Out")}
	}
	f.answers[token] = true
	return nil
}

func (f *fakeAPI) SendTaskSuccess(ctx context.Context, in *sfn.SendTaskSuccessInput, _ ...func(*sfn.Options)) (*sfn.SendTaskSuccessOutput, error) {
	if err := f.answer(aws.ToString(in.TaskToken)); err != nil {
		return nil, err
	}
	return &sfn.SendTaskSuccessOutput{}, nil
}

func (f *fakeAPI) SendTaskFailure(ctx context.Context, in *sfn.SendTaskFailureInput, _ ...func(*sfn.Options)) (*sfn.SendTaskFailureOutput, error) {
	if err := f.answer(aws.ToString(in.TaskToken)); err != nil {
		return nil, err
	}
	return &sfn.SendTaskFailureOutput{}, nil
}

func (f *fakeAPI) DescribeExecution(ctx context.Context, in *sfn.DescribeExecutionInput, _ ...func(*sfn.Options)) (*sfn.DescribeExecutionOutput, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	arn := aws.ToString(in.ExecutionArn)
	e, ok := f.byARN[arn]
	if !ok {
		return nil, &types.ExecutionDoesNotExist{Message: aws.String("Execution Does Not Exist: '" + arn + "'")}
	}
	return &sfn.DescribeExecutionOutput{ExecutionArn: e.ExecutionArn, Name: e.Name, StateMachineArn: e.StateMachineArn,
		Status: e.Status, StartDate: e.StartDate, Input: aws.String(f.inputs[arn])}, nil
}

// ListExecutions answers newest first, one execution a page, so that the
// adapter must follow NextToken.
func (f *fakeAPI) ListExecutions(ctx context.Context, in *sfn.ListExecutionsInput, _ ...func(*sfn.Options)) (*sfn.ListExecutionsOutput, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	var match []types.ExecutionListItem
	for i := len(f.order) - 1; i >= 0; i-- {
		e := f.byARN[f.order[i]]
		if aws.ToString(e.StateMachineArn) == aws.ToString(in.StateMachineArn) && (in.StatusFilter == "" || e.Status == in.StatusFilter) {
			match = append(match, *e)
		}
	}
	from := 0
	if in.NextToken != nil {
		fmt.Sscan(*in.NextToken, &from)
	}
	out := &sfn.ListExecutionsOutput{}
	if from < len(match) {
		out.Executions = match[from : from+1]
		if from+1 < len(match) {
			out.NextToken = aws.String(fmt.Sprint(from + 1))
		}
	}
	return out, nil
}

func TestClientKeepsTheExecutionsContract(t *testing.T) {
	workflowtest.Run(t, func(t *testing.T) workflowtest.Subject {
		api := newFakeAPI()
		c := New(api, "arn:aws:states:us-east-1:1:stateMachine:retrain")
		return workflowtest.Subject{Executions: c, Token: func(t *testing.T, ex workflow.Execution) string {
			api.mu.Lock()
			defer api.mu.Unlock()
			for tok, arn := range api.tokens {
				if arn == ex.ID {
					return tok
				}
			}
			t.Fatalf("no task of %s waits", ex.ID)
			return ""
		}}
	})
}
