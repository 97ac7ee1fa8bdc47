package asl_test

import (
	"context"
	"encoding/json"
	"fmt"
	"testing"

	"github.com/stewardml/steward/internal/asl"
)

// resultOf is a task resource that returns a fixed result and records its input.
func resultOf(result string, got *json.RawMessage) asl.Invoker {
	return asl.InvokerFunc(func(ctx context.Context, req asl.TaskRequest) (json.RawMessage, error) {
		*got = req.Input
		return json.RawMessage(result), nil
	})
}

// Input and output processing, from the specification's and the Step
// Functions developer guide's examples. Each case runs one Task state.
func TestInputOutputProcessing(t *testing.T) {
	const helloInput = `{"comment":"This is a test of the input and output of a Task state.","details":"Default example","who":"AWS Step Functions"}`
	for _, tc := range []struct {
		name       string
		fields     string // extra fields of the Task state
		input      string
		result     string // what the resource returns
		wantEffect string // what the resource received
		wantOutput string
	}{
		{
			name:   "spec: InputPath selects the numbers, ResultPath adds the sum to the raw input",
			fields: `"InputPath":"$.numbers","ResultPath":"$.sum"`,
			input:  `{"title":"Numbers to add","numbers":{"val1":3,"val2":4}}`, result: `7`,
			wantEffect: `{"val1":3,"val2":4}`,
			wantOutput: `{"title":"Numbers to add","numbers":{"val1":3,"val2":4},"sum":7}`,
		},
		{
			name:   "guide: InputPath, ResultPath into a nested object, OutputPath",
			fields: `"InputPath":"$.lambda","ResultPath":"$.data.lambdaresult","OutputPath":"$.data"`,
			input:  `{"comment":"An input comment.","data":{"val1":23,"val2":17},"extra":"foo","lambda":{"who":"AWS Step Functions"}}`,
			result: `"Hello, AWS Step Functions!"`, wantEffect: `{"who":"AWS Step Functions"}`,
			wantOutput: `{"val1":23,"val2":17,"lambdaresult":"Hello, AWS Step Functions!"}`,
		},
		{
			name: "guide: default ResultPath replaces the input", input: helloInput,
			result: `"Hello, AWS Step Functions!"`, wantEffect: helloInput, wantOutput: `"Hello, AWS Step Functions!"`,
		},
		{
			name: "guide: ResultPath adds the result to the input", fields: `"ResultPath":"$.taskresult"`, input: helloInput,
			result: `"Hello, AWS Step Functions!"`, wantEffect: helloInput,
			wantOutput: `{"comment":"This is a test of the input and output of a Task state.","details":"Default example","who":"AWS Step Functions","taskresult":"Hello, AWS Step Functions!"}`,
		},
		{
			name: "guide: null ResultPath discards the result", fields: `"ResultPath":null`, input: helloInput,
			result: `"Hello, AWS Step Functions!"`, wantEffect: helloInput, wantOutput: helloInput,
		},
		{
			name: "guide: ResultPath overwrites an existing field", fields: `"ResultPath":"$.who"`, input: helloInput,
			result: `"Hello"`, wantEffect: helloInput,
			wantOutput: `{"comment":"This is a test of the input and output of a Task state.","details":"Default example","who":"Hello"}`,
		},
		{
			name: "guide: ResultPath creates intermediate objects", fields: `"ResultPath":"$.strings.lambdaresult"`,
			input: `{"who":"AWS Step Functions"}`, result: `"Hello"`, wantEffect: `{"who":"AWS Step Functions"}`,
			wantOutput: `{"who":"AWS Step Functions","strings":{"lambdaresult":"Hello"}}`,
		},
		{
			name:   "ResultPath merges into the RAW input, not the InputPath/Parameters result",
			fields: `"InputPath":"$.a","Parameters":{"x.$":"$.b"},"ResultPath":"$.r"`,
			input:  `{"a":{"b":1},"keep":true}`, result: `{"ok":1}`, wantEffect: `{"x":1}`,
			wantOutput: `{"a":{"b":1},"keep":true,"r":{"ok":1}}`,
		},
		{
			name: "null InputPath gives {} to the task", fields: `"InputPath":null`, input: `{"a":1}`,
			result: `1`, wantEffect: `{}`, wantOutput: `1`,
		},
		{
			name: "null OutputPath gives {}", fields: `"OutputPath":null`, input: `{"a":1}`,
			result: `2`, wantEffect: `{"a":1}`, wantOutput: `{}`,
		},
		{
			name:       "spec: ResultSelector picks fields of the result, ResultPath places them",
			fields:     `"ResultSelector":{"ClusterId.$":"$.output.ClusterId","ResourceType.$":"$.resourceType"},"ResultPath":"$.EMROutput"`,
			input:      `{"data":1}`,
			result:     `{"resourceType":"elasticmapreduce","resource":"createCluster.sync","output":{"SdkHttpMetadata":{"HttpStatusCode":200},"SdkResponseMetadata":{"RequestId":"1234-5678-9012"},"ClusterId":"AKIAIOSFODNN7EXAMPLE"}}`,
			wantEffect: `{"data":1}`,
			wantOutput: `{"data":1,"EMROutput":{"ClusterId":"AKIAIOSFODNN7EXAMPLE","ResourceType":"elasticmapreduce"}}`,
		},
		{
			name:   "guide: InputPath, Parameters, ResultSelector, ResultPath and OutputPath together",
			fields: `"InputPath":"$.dataset2","Parameters":{"val1.$":"$.val1","val3.$":"$.val3","static":"s"},"ResultSelector":{"modified.$":"$.val1"},"ResultPath":"$.result","OutputPath":"$.result"`,
			input:  `{"comment":"Example for InputPath.","dataset1":{"val1":1,"val2":2,"val3":3},"dataset2":{"val1":"a","val2":"b","val3":"c"}}`,
			result: `{"val1":"A","val2":"B"}`, wantEffect: `{"val1":"a","val3":"c","static":"s"}`,
			wantOutput: `{"modified":"A"}`,
		},
		{
			name: "multiple InputPath matches are gathered into an array", fields: `"InputPath":"$.a[0,2]"`,
			input: `{"a":[10,20,30]}`, result: `1`, wantEffect: `[10,30]`, wantOutput: `1`,
		},
		{
			name: "context object in Parameters", fields: `"Parameters":{"name.$":"$$.Execution.Name","state.$":"$$.State.Name","retries.$":"$$.State.RetryCount","input.$":"$$.Execution.Input.x",
				"id.$":"$$.Execution.Id","start.$":"$$.Execution.StartTime","entered.$":"$$.State.EnteredTime","sm.$":"$$.StateMachine.Name","smId.$":"$$.StateMachine.Id"}`,
			input: `{"x":5}`, result: `1`, wantOutput: `1`,
			wantEffect: `{"name":"exec","state":"T","retries":0,"input":5,"id":"arn:aws:states:local:000000000000:execution:io:exec",
				"start":"2026-03-14T09:00:00.000Z","entered":"2026-03-14T09:00:00.000Z","sm":"io","smId":"arn:aws:states:local:000000000000:stateMachine:io"}`,
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var got json.RawMessage
			e := newEnv(t, map[string]asl.Invoker{"arn:test:task": resultOf(tc.result, &got)})
			def := fmt.Sprintf(`{"StartAt":"T","States":{"T":{"Type":"Task","Resource":"arn:test:task",%s"End":true}}}`, withComma(tc.fields))
			ex, err := e.runner.Start(context.Background(), asl.StartInput{StateMachine: mustParse(t, def), StateMachineName: "io", Name: "exec", Input: json.RawMessage(tc.input)})
			if err != nil {
				t.Fatal(err)
			}
			if ex.Status != asl.StatusSucceeded {
				t.Fatalf("status %s: %s: %s", ex.Status, ex.Error, ex.Cause)
			}
			jsonEq(t, got, tc.wantEffect)
			jsonEq(t, ex.Output, tc.wantOutput)
		})
	}
}

func withComma(s string) string {
	if s == "" {
		return ""
	}
	return s + ","
}

// Path failures are named as Step Functions names them.
func TestInputOutputFailures(t *testing.T) {
	for _, tc := range []struct{ name, fields, input, wantError string }{
		{"ResultPath into a string input", `"ResultPath":"$.x"`, `"foo"`, asl.ErrorResultPathMatchFailure},
		{"ResultPath through a scalar", `"ResultPath":"$.a.b"`, `{"a":1}`, asl.ErrorResultPathMatchFailure},
		{"Parameters path missing", `"Parameters":{"x.$":"$.nope"}`, `{}`, asl.ErrorParameterPathFailure},
		{"ResultSelector path missing", `"ResultSelector":{"x.$":"$.nope"}`, `{}`, asl.ErrorParameterPathFailure},
		{"intrinsic failure", `"Parameters":{"x.$":"States.StringToJson('{')"}`, `{}`, asl.ErrorIntrinsicFailure},
		{"InputPath missing", `"InputPath":"$.nope"`, `{}`, asl.ErrorRuntime},
		{"OutputPath missing", `"OutputPath":"$.nope"`, `{}`, asl.ErrorRuntime},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var got json.RawMessage
			e := newEnv(t, map[string]asl.Invoker{"arn:test:task": resultOf(`{"r":1}`, &got)})
			def := fmt.Sprintf(`{"StartAt":"T","States":{"T":{"Type":"Task","Resource":"arn:test:task",%s,"End":true}}}`, tc.fields)
			ex := e.start(def, tc.input)
			if ex.Status != asl.StatusFailed || ex.Error != tc.wantError {
				t.Errorf("got %s %s (%s), want FAILED %s", ex.Status, ex.Error, ex.Cause, tc.wantError)
			}
		})
	}
}

func TestPassState(t *testing.T) {
	for _, tc := range []struct{ name, fields, input, want string }{
		{"no Result passes the input", ``, `{"a":1}`, `{"a":1}`},
		{"Result replaces", `"Result":{"x":[1,2]}`, `{"a":1}`, `{"x":[1,2]}`},
		{"spec: Result placed by ResultPath", `"Result":{"x-datum":0.381018,"y-datum":622.2269926397355},"ResultPath":"$.coords"`,
			`{"georefOf":"Home"}`, `{"georefOf":"Home","coords":{"x-datum":0.381018,"y-datum":622.2269926397355}}`},
		{"Parameters build the output", `"Parameters":{"b.$":"$.a","c":"lit"}`, `{"a":1}`, `{"b":1,"c":"lit"}`},
		{"Parameters then ResultPath into raw input", `"Parameters":{"b.$":"$.a"},"ResultPath":"$.p"`, `{"a":1}`, `{"a":1,"p":{"b":1}}`},
		{"InputPath then OutputPath", `"InputPath":"$.a","OutputPath":"$.b"`, `{"a":{"b":[1]}}`, `[1]`},
		{"Result with ResultPath null", `"Result":1,"ResultPath":null`, `{"a":1}`, `{"a":1}`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t, nil)
			ex := e.start(fmt.Sprintf(`{"StartAt":"P","States":{"P":{"Type":"Pass",%s"End":true}}}`, withComma(tc.fields)), tc.input)
			if ex.Status != asl.StatusSucceeded {
				t.Fatalf("status %s %s %s", ex.Status, ex.Error, ex.Cause)
			}
			jsonEq(t, ex.Output, tc.want)
		})
	}
}

func TestSucceedAndFailStates(t *testing.T) {
	e := newEnv(t, nil)
	ex := e.start(`{"StartAt":"S","States":{"S":{"Type":"Succeed","InputPath":"$.a","OutputPath":"$.b"}}}`, `{"a":{"b":2}}`)
	if ex.Status != asl.StatusSucceeded {
		t.Fatal(ex.Status)
	}
	jsonEq(t, ex.Output, `2`)

	ex = e.start(`{"StartAt":"F","States":{"F":{"Type":"Fail","Error":"ModelRejected","Cause":"not better"}}}`, `{}`)
	if ex.Status != asl.StatusFailed || ex.Error != "ModelRejected" || ex.Cause != "not better" {
		t.Errorf("got %s %q %q", ex.Status, ex.Error, ex.Cause)
	}
	ex = e.start(`{"StartAt":"F","States":{"F":{"Type":"Fail","ErrorPath":"$.err","CausePath":"States.Format('model {} failed', $.model)"}}}`, `{"err":"TrainFailed","model":"heart"}`)
	if ex.Status != asl.StatusFailed || ex.Error != "TrainFailed" || ex.Cause != "model heart failed" {
		t.Errorf("got %s %q %q", ex.Status, ex.Error, ex.Cause)
	}
	ex = e.start(`{"StartAt":"F","States":{"F":{"Type":"Fail","ErrorPath":"$.err"}}}`, `{"err":1}`)
	if ex.Status != asl.StatusFailed || ex.Error != asl.ErrorRuntime {
		t.Errorf("ErrorPath to a number: got %s %q, want States.Runtime", ex.Status, ex.Error)
	}
}
