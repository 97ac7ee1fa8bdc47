package asl_test

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/stewardml/steward/internal/asl"
)

// A definition with a placeholder, a Lambda task bound to an in-process
// handler, and a callback task completed by SendTaskSuccess.
func Example() {
	def, err := asl.Substitute([]byte(`{"StartAt":"Train","States":{
		"Train":{"Type":"Task","Resource":"arn:aws:states:::lambda:invoke",
			"Parameters":{"FunctionName":"${TrainFunctionArn}","Payload":{"model.$":"$.model"}},
			"ResultSelector":{"version.$":"$.Payload.version"},"ResultPath":"$.candidate","Next":"Approve"},
		"Approve":{"Type":"Task","Resource":"arn:aws:states:::lambda:invoke.waitForTaskToken",
			"Parameters":{"FunctionName":"request-approval","Payload":{"token.$":"$$.Task.Token"}},
			"TimeoutSeconds":259200,"ResultPath":"$.approval","End":true}}}`),
		map[string]string{"TrainFunctionArn": "arn:aws:lambda:eu-west-1:123456789012:function:train"})
	if err != nil {
		fmt.Println(err)
		return
	}
	sm, err := asl.Parse(def)
	if err != nil {
		fmt.Println(err)
		return
	}
	var token string
	runner, err := asl.NewRunner(asl.Config{
		Store: asl.NewMemStore(),
		Resources: map[string]asl.Invoker{
			"train": asl.InvokerFunc(func(ctx context.Context, req asl.TaskRequest) (json.RawMessage, error) {
				return json.RawMessage(`{"version":7}`), nil
			}),
			"request-approval": asl.InvokerFunc(func(ctx context.Context, req asl.TaskRequest) (json.RawMessage, error) {
				token = req.TaskToken // a real handler stores it with the approval request
				return nil, nil
			}),
		},
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	ctx := context.Background()
	ex, err := runner.Start(ctx, asl.StartInput{StateMachine: sm, StateMachineName: "retrain", Name: "run-1", Input: json.RawMessage(`{"model":"heart"}`)})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(ex.Status, ex.Waiting[0].State, ex.Waiting[0].Kind)

	if err := runner.SendTaskSuccess(ctx, token, json.RawMessage(`{"approved":true}`)); err != nil {
		fmt.Println(err)
		return
	}
	ex, _ = runner.DescribeExecution(ctx, ex.ID)
	fmt.Println(ex.Status, string(ex.Output))
	// Output:
	// RUNNING Approve callback
	// SUCCEEDED {"approval":{"approved":true},"candidate":{"version":7},"model":"heart"}
}
