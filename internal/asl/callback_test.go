package asl_test

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stewardml/steward/internal/asl"
)

// approvals is a callback resource: it keeps the token it was given, as
// the approval handler stores it with the request.
type approvals struct {
	mu       sync.Mutex
	tokens   []string
	payloads []string
	fail     error
}

func (a *approvals) Invoke(ctx context.Context, req asl.TaskRequest) (json.RawMessage, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.fail != nil {
		return nil, a.fail
	}
	var p struct {
		Token string `json:"token"`
	}
	_ = json.Unmarshal(req.Input, &p)
	if p.Token != req.TaskToken {
		return nil, &asl.TaskError{Name: "TokenMismatch", Cause: p.Token + " != " + req.TaskToken}
	}
	a.tokens = append(a.tokens, req.TaskToken)
	a.payloads = append(a.payloads, string(req.Input))
	return json.RawMessage(`{"StatusCode":202}`), nil
}

func (a *approvals) last(t *testing.T) string {
	t.Helper()
	a.mu.Lock()
	defer a.mu.Unlock()
	if len(a.tokens) == 0 {
		t.Fatal("the callback resource was never invoked")
	}
	return a.tokens[len(a.tokens)-1]
}

// approvalMachine mirrors the shape of Steward's retrain approval step.
const approvalMachine = `{"StartAt":"RequestApproval","States":{
	"RequestApproval":{"Type":"Task","Resource":"arn:aws:states:::lambda:invoke.waitForTaskToken",
		"Parameters":{"FunctionName":"steward-request-approval","Payload":{"token.$":"$$.Task.Token","model.$":"$.model","execution.$":"$$.Execution.Id"}},
		"TimeoutSeconds":259200,"HeartbeatSeconds":3600,"ResultPath":"$.approval",
		"Catch":[{"ErrorEquals":["States.Timeout"],"ResultPath":"$.error","Next":"Escalate"},
		         {"ErrorEquals":["Rejected"],"ResultPath":"$.error","Next":"RecordRejection"}],
		"Next":"Approved?"},
	"Approved?":{"Type":"Choice","Choices":[{"Variable":"$.approval.approved","BooleanEquals":true,"Next":"Promote"}],"Default":"RecordRejection"},
	"Promote":{"Type":"Pass","Result":"promoted","ResultPath":"$.outcome","End":true},
	"RecordRejection":{"Type":"Pass","Result":"rejected","ResultPath":"$.outcome","End":true},
	"Escalate":{"Type":"Pass","Result":"escalated","ResultPath":"$.outcome","End":true}}}`

func startApproval(t *testing.T) (*env, *approvals, asl.Execution) {
	t.Helper()
	a := &approvals{}
	e := newEnv(t, map[string]asl.Invoker{"steward-request-approval": a})
	ex := e.start(approvalMachine, `{"model":"heart"}`)
	if ex.Status != asl.StatusRunning {
		t.Fatalf("status %s %s %s, want RUNNING (waiting for the callback)", ex.Status, ex.Error, ex.Cause)
	}
	if len(ex.Waiting) != 1 || ex.Waiting[0].Kind != "callback" || ex.Waiting[0].State != "RequestApproval" ||
		!ex.Waiting[0].Until.Equal(t0.Add(time.Hour)) {
		t.Fatalf("waiting %+v, want one callback on RequestApproval until the heartbeat deadline", ex.Waiting)
	}
	return e, a, ex
}

func TestCallbackSuccess(t *testing.T) {
	e, a, ex := startApproval(t)
	token := a.last(t)
	if !strings.Contains(a.payloads[0], `"model":"heart"`) || !strings.Contains(a.payloads[0], `"execution":"`+ex.ID+`"`) {
		t.Errorf("payload %s lacks the model or execution id", a.payloads[0])
	}
	if err := e.runner.SendTaskSuccess(context.Background(), token, json.RawMessage(`{"approved":true,"approver":"ana"}`)); err != nil {
		t.Fatal(err)
	}
	ex = e.describe(ex.ID)
	if ex.Status != asl.StatusSucceeded {
		t.Fatalf("%s %s", ex.Status, ex.Error)
	}
	jsonEq(t, ex.Output, `{"model":"heart","approval":{"approved":true,"approver":"ana"},"outcome":"promoted"}`)
	// The token is single-use.
	err := e.runner.SendTaskSuccess(context.Background(), token, json.RawMessage(`{}`))
	if !errors.Is(err, asl.ErrTaskTimedOut) {
		t.Errorf("second SendTaskSuccess: got %v, want ErrTaskTimedOut", err)
	}
	var types []string
	for _, ev := range e.history(ex.ID) {
		types = append(types, string(ev.Type))
	}
	want := "ExecutionStarted TaskStateEntered TaskScheduled TaskStarted TaskSubmitted TaskSucceeded TaskStateExited ChoiceStateEntered ChoiceStateExited PassStateEntered PassStateExited ExecutionSucceeded"
	if got := strings.Join(types, " "); got != want {
		t.Errorf("history\n got %s\nwant %s", got, want)
	}
}

func TestCallbackFailureIsCaught(t *testing.T) {
	e, a, ex := startApproval(t)
	if err := e.runner.SendTaskFailure(context.Background(), a.last(t), "Rejected", "not convincing"); err != nil {
		t.Fatal(err)
	}
	ex = e.describe(ex.ID)
	jsonEq(t, ex.Output, `{"model":"heart","error":{"Error":"Rejected","Cause":"not convincing"},"outcome":"rejected"}`)
}

func TestCallbackHeartbeatKeepsTaskAlive(t *testing.T) {
	e, a, ex := startApproval(t)
	token := a.last(t)
	ctx := context.Background()
	for range 3 {
		e.clock.Advance(50 * time.Minute)
		must(t, e.runner.Tick(ctx))
		must(t, e.runner.SendTaskHeartbeat(ctx, token))
	}
	e.clock.Advance(59 * time.Minute)
	must(t, e.runner.Tick(ctx))
	if got := e.describe(ex.ID); got.Status != asl.StatusRunning {
		t.Fatalf("status %s after heartbeats, want RUNNING", got.Status)
	}
	e.clock.Advance(time.Minute)
	must(t, e.runner.Tick(ctx))
	ex = e.describe(ex.ID)
	jsonEq(t, ex.Output, `{"model":"heart","error":{"Error":"States.Timeout","Cause":"no heartbeat within HeartbeatSeconds (3600 s)"},"outcome":"escalated"}`)
	if err := e.runner.SendTaskSuccess(ctx, token, json.RawMessage(`{}`)); !errors.Is(err, asl.ErrTaskTimedOut) {
		t.Errorf("late SendTaskSuccess: got %v, want ErrTaskTimedOut", err)
	}
	if err := e.runner.SendTaskHeartbeat(ctx, token); !errors.Is(err, asl.ErrTaskTimedOut) {
		t.Errorf("late SendTaskHeartbeat: got %v, want ErrTaskTimedOut", err)
	}
}

func TestCallbackTimeout(t *testing.T) {
	a := &approvals{}
	e := newEnv(t, map[string]asl.Invoker{"steward-request-approval": a})
	def := strings.Replace(approvalMachine, `"HeartbeatSeconds":3600,`, ``, 1)
	ex := e.start(def, `{"model":"heart"}`)
	ctx := context.Background()
	e.clock.Advance(72*time.Hour - time.Second)
	must(t, e.runner.Tick(ctx))
	if got := e.describe(ex.ID); got.Status != asl.StatusRunning {
		t.Fatalf("status %s before the timeout, want RUNNING", got.Status)
	}
	e.clock.Advance(time.Second)
	must(t, e.runner.Tick(ctx))
	ex = e.describe(ex.ID)
	jsonEq(t, ex.Output, `{"model":"heart","error":{"Error":"States.Timeout","Cause":"the task did not finish within its TimeoutSeconds"},"outcome":"escalated"}`)
	var timedOut bool
	for _, ev := range e.history(ex.ID) {
		timedOut = timedOut || ev.Type == asl.EventTaskTimedOut
	}
	if !timedOut {
		t.Error("no TaskTimedOut event")
	}
}

func TestCallbackTokenErrors(t *testing.T) {
	e, a, _ := startApproval(t)
	ctx := context.Background()
	token := a.last(t)
	for _, tc := range []struct {
		name  string
		token string
		want  error
	}{
		{"empty", "", asl.ErrInvalidToken},
		{"garbage", "not-a-token", asl.ErrInvalidToken},
		{"tampered nonce", token[:len(token)-32] + strings.Repeat("0", 32), asl.ErrTaskTimedOut},
		{"bad nonce", token[:len(token)-1] + "z", asl.ErrInvalidToken},
		{"unknown execution", "asl1.bm8tc3VjaA." + strings.Repeat("ab", 16), asl.ErrTaskDoesNotExist},
	} {
		if err := e.runner.SendTaskSuccess(ctx, tc.token, json.RawMessage(`{}`)); !errors.Is(err, tc.want) {
			t.Errorf("%s: got %v, want %v", tc.name, err, tc.want)
		}
	}
	if err := e.runner.SendTaskSuccess(ctx, token, json.RawMessage(`{nope`)); !errors.Is(err, asl.ErrInvalidOutput) {
		t.Errorf("invalid output: got %v, want ErrInvalidOutput", err)
	}
}

// A failing callback resource fails the task at once, before any callback.
func TestCallbackResourceFailure(t *testing.T) {
	a := &approvals{fail: &asl.TaskError{Name: "EmailFailed", Cause: "smtp down"}}
	e := newEnv(t, map[string]asl.Invoker{"steward-request-approval": a})
	ex := e.start(approvalMachine, `{"model":"heart"}`)
	if ex.Status != asl.StatusFailed || ex.Error != "EmailFailed" {
		t.Fatalf("got %s %s, want FAILED EmailFailed", ex.Status, ex.Error)
	}
	jsonEq(t, json.RawMessage(ex.Cause), `{"errorMessage":"smtp down","errorType":"EmailFailed"}`)
}

// The callback may arrive while the resource is still running (the
// handler itself, or a very fast approver): the task completes once.
func TestCallbackBeforeResourceReturns(t *testing.T) {
	var e *env
	quick := asl.InvokerFunc(func(ctx context.Context, req asl.TaskRequest) (json.RawMessage, error) {
		if err := e.runner.SendTaskSuccess(ctx, req.TaskToken, json.RawMessage(`{"approved":true}`)); err != nil {
			return nil, err
		}
		return json.RawMessage(`{}`), nil
	})
	e = newEnv(t, map[string]asl.Invoker{"steward-request-approval": quick})
	ex := e.start(approvalMachine, `{"model":"heart"}`)
	if ex.Status != asl.StatusSucceeded {
		t.Fatalf("%s %s %s", ex.Status, ex.Error, ex.Cause)
	}
	jsonEq(t, ex.Output, `{"model":"heart","approval":{"approved":true},"outcome":"promoted"}`)
}

func TestLambdaInvokeResultShape(t *testing.T) {
	e := newEnv(t, map[string]asl.Invoker{"arn:aws:lambda:eu-west-1:123456789012:function:steward-train": fn(func(in map[string]any) (any, error) {
		return map[string]any{"candidate": in["family"]}, nil
	})})
	ex := e.start(`{"StartAt":"Train","States":{"Train":{"Type":"Task","Resource":"arn:aws:states:::lambda:invoke",
		"Parameters":{"FunctionName":"arn:aws:lambda:eu-west-1:123456789012:function:steward-train:$LATEST","Payload":{"family.$":"$.family"}},
		"ResultSelector":{"status.$":"$.StatusCode","result.$":"$.Payload"},"End":true}}}`, `{"family":"gbdt"}`)
	if ex.Status != asl.StatusSucceeded {
		t.Fatal(ex.Status, ex.Error, ex.Cause)
	}
	jsonEq(t, ex.Output, `{"status":200,"result":{"candidate":"gbdt"}}`)
	var raw map[string]any
	for _, ev := range e.history(ex.ID) {
		if ev.Type == asl.EventTaskSucceeded {
			must(t, json.Unmarshal(ev.Output, &raw))
		}
	}
	for _, k := range []string{"ExecutedVersion", "Payload", "SdkHttpMetadata", "SdkResponseMetadata", "StatusCode"} {
		if _, ok := raw[k]; !ok {
			t.Errorf("lambda:invoke result lacks %s: %v", k, raw)
		}
	}
}

func TestUnboundResources(t *testing.T) {
	e := newEnv(t, map[string]asl.Invoker{"known": echo()})
	_, err := e.runner.Start(context.Background(), asl.StartInput{StateMachineName: "m", StateMachine: mustParse(t, `{"StartAt":"A","States":{
		"A":{"Type":"Task","Resource":"arn:aws:states:::lambda:invoke","Parameters":{"FunctionName":"missing-fn"},"Next":"B"},
		"B":{"Type":"Task","Resource":"arn:test:nothing","Next":"C"},
		"C":{"Type":"Task","Resource":"arn:aws:states:::lambda:invoke","Parameters":{"FunctionName":"known"},"End":true}}}`)})
	if !errors.Is(err, asl.ErrUnboundResource) || !strings.Contains(err.Error(), "function missing-fn") || !strings.Contains(err.Error(), "arn:test:nothing") || strings.Contains(err.Error(), "known") {
		t.Errorf("got %v, want ErrUnboundResource naming missing-fn and arn:test:nothing only", err)
	}
	// A dynamic FunctionName is looked up when the task runs.
	ex := e.start(`{"StartAt":"A","States":{"A":{"Type":"Task","Resource":"arn:aws:states:::lambda:invoke","Parameters":{"FunctionName.$":"$.fn"},"End":true}}}`, `{"fn":"nope"}`)
	if ex.Error != "Lambda.ResourceNotFoundException" {
		t.Errorf("got %s %s, want Lambda.ResourceNotFoundException", ex.Status, ex.Error)
	}
}

// States.HeartbeatTimeout matches only a missed heartbeat; States.Timeout
// matches both kinds.
func TestHeartbeatTimeoutMatcher(t *testing.T) {
	for _, tc := range []struct {
		name, timing string
		advance      time.Duration
		want         string
	}{
		{"missed heartbeat", `"HeartbeatSeconds":10,"TimeoutSeconds":100`, 10 * time.Second, "heartbeat"},
		{"overall timeout", `"TimeoutSeconds":10`, 10 * time.Second, "timeout"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			a := &approvals{}
			e := newEnv(t, map[string]asl.Invoker{"steward-request-approval": a})
			ex := e.start(`{"StartAt":"A","States":{"A":{"Type":"Task","Resource":"arn:aws:states:::lambda:invoke.waitForTaskToken",`+tc.timing+`,
				"Parameters":{"FunctionName":"steward-request-approval","Payload":{"token.$":"$$.Task.Token"}},"End":true,
				"Catch":[{"ErrorEquals":["States.HeartbeatTimeout"],"Next":"HB"},{"ErrorEquals":["States.Timeout"],"Next":"TO"}]},
				"HB":{"Type":"Pass","Result":"heartbeat","End":true},"TO":{"Type":"Pass","Result":"timeout","End":true}}}`, `{}`)
			e.clock.Advance(tc.advance)
			must(t, e.runner.Tick(context.Background()))
			jsonEq(t, e.describe(ex.ID).Output, `"`+tc.want+`"`)
		})
	}
}
