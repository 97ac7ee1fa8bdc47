package asl_test

import (
	"context"
	"encoding/json"
	"errors"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stewardml/steward/internal/asl"
)

// An execution waiting for a callback survives the loss of its runner: a
// fresh runner over the same store, which never saw the execution, takes
// the callback and finishes it.
func TestRestartResumesCallbackInAnotherRunner(t *testing.T) {
	for _, backend := range []string{"memory", "record store"} {
		t.Run(backend, func(t *testing.T) {
			a := &approvals{}
			var promoted atomic.Int32
			res := map[string]asl.Invoker{
				"steward-request-approval": a,
				"arn:test:promote": asl.InvokerFunc(func(ctx context.Context, req asl.TaskRequest) (json.RawMessage, error) {
					promoted.Add(1)
					return json.RawMessage(`"champion=v2"`), nil
				}),
			}
			e := newEnv(t, res)
			if backend == "record store" {
				e.store = asl.NewRecordStoreBackend(openSQLite(t, filepath.Join(t.TempDir(), "records.db")))
				e.runner = e.newRunner("cli")
			}
			def := `{"StartAt":"Wait","States":{
				"Wait":{"Type":"Task","Resource":"arn:aws:states:::lambda:invoke.waitForTaskToken","TimeoutSeconds":600,
					"Parameters":{"FunctionName":"steward-request-approval","Payload":{"token.$":"$$.Task.Token"}},"ResultPath":"$.decision","Next":"Promote"},
				"Promote":{"Type":"Task","Resource":"arn:test:promote","ResultPath":"$.promoted","End":true}}}`
			ex := e.start(def, `{"model":"heart"}`)
			token := a.last(t)

			// "steward serve" starts later, in another process.
			serve := e.newRunner("serve")
			e.clock.Advance(5 * time.Minute)
			must(t, serve.Tick(context.Background())) // nothing due yet
			if err := serve.SendTaskSuccess(context.Background(), token, json.RawMessage(`{"approved":true}`)); err != nil {
				t.Fatal(err)
			}
			got, err := serve.DescribeExecution(context.Background(), ex.ID)
			must(t, err)
			if got.Status != asl.StatusSucceeded || promoted.Load() != 1 {
				t.Fatalf("status %s, promoted %d times; want SUCCEEDED once", got.Status, promoted.Load())
			}
			jsonEq(t, got.Output, `{"model":"heart","decision":{"approved":true},"promoted":"champion=v2"}`)
			// The history is one sequence across both runners.
			h, err := serve.History(context.Background(), ex.ID)
			must(t, err)
			for i, ev := range h {
				if ev.ID != int64(i+1) {
					t.Fatalf("event %d has ID %d", i, ev.ID)
				}
			}
			if h[len(h)-1].Type != asl.EventExecutionSucceeded {
				t.Errorf("last event %s", h[len(h)-1].Type)
			}
		})
	}
}

// A Wait state started by one runner is finished by another's Tick.
func TestRestartResumesWaitAndTimeouts(t *testing.T) {
	e := newEnv(t, nil)
	ex := e.start(`{"StartAt":"W","States":{"W":{"Type":"Wait","Timestamp":"2026-03-14T10:00:00Z","Next":"Done"},"Done":{"Type":"Pass","Result":"woke","End":true}}}`, `{}`)
	other := e.newRunner("after-restart")
	e.clock.Advance(59 * time.Minute)
	must(t, other.Tick(context.Background()))
	if got := e.describe(ex.ID); got.Status != asl.StatusRunning {
		t.Fatalf("status %s before the timestamp, want RUNNING", got.Status)
	}
	e.clock.Advance(time.Minute)
	must(t, other.Tick(context.Background()))
	got := e.describe(ex.ID)
	if got.Status != asl.StatusSucceeded {
		t.Fatalf("status %s", got.Status)
	}
	jsonEq(t, got.Output, `"woke"`)
}

// A runner that dies while a task runs leaves a lease; once it expires,
// another runner's Tick runs the task again and finishes the execution.
func TestCrashedRunnerIsTakenOver(t *testing.T) {
	var calls atomic.Int32
	started := make(chan struct{}, 1)
	res := map[string]asl.Invoker{"arn:test:train": asl.InvokerFunc(func(ctx context.Context, req asl.TaskRequest) (json.RawMessage, error) {
		if calls.Add(1) == 1 {
			started <- struct{}{}
			<-ctx.Done() // the first process dies during the task
			return nil, ctx.Err()
		}
		return json.RawMessage(`"trained"`), nil
	})}
	e := newEnv(t, res)
	ctx, crash := context.WithCancel(context.Background())
	done := make(chan error)
	go func() {
		_, err := e.runner.Start(ctx, asl.StartInput{StateMachine: mustParse(t, `{"StartAt":"T","States":{"T":{"Type":"Task","Resource":"arn:test:train","End":true}}}`), StateMachineName: "m", Name: "x"})
		done <- err
	}()
	<-started
	crash()
	if err := <-done; !errors.Is(err, context.Canceled) {
		t.Fatalf("Start after the crash: %v", err)
	}
	id := "arn:aws:states:local:000000000000:execution:m:x"
	other := e.newRunner("survivor")
	e.clock.Advance(time.Minute)
	must(t, other.Tick(context.Background()))
	if calls.Load() != 1 {
		t.Fatalf("the task ran again while the lease held (%d calls)", calls.Load())
	}
	e.clock.Advance(5 * time.Minute)
	must(t, other.Tick(context.Background()))
	got := e.describe(id)
	if got.Status != asl.StatusSucceeded || calls.Load() != 2 {
		t.Fatalf("status %s after %d calls, want SUCCEEDED after 2", got.Status, calls.Load())
	}
	jsonEq(t, got.Output, `"trained"`)
}

// Concurrent SendTaskSuccess calls for one token, from two runners: exactly
// one wins, the others get TaskTimedOut, and the next task runs once.
func TestConcurrentSendTaskSuccess(t *testing.T) {
	for round := range 5 {
		a := &approvals{}
		var promoted atomic.Int32
		e := newEnv(t, map[string]asl.Invoker{
			"steward-request-approval": a,
			"arn:test:promote": asl.InvokerFunc(func(context.Context, asl.TaskRequest) (json.RawMessage, error) {
				promoted.Add(1)
				return json.RawMessage(`1`), nil
			}),
		})
		ex := e.start(`{"StartAt":"A","States":{
			"A":{"Type":"Task","Resource":"arn:aws:states:::lambda:invoke.waitForTaskToken","Parameters":{"FunctionName":"steward-request-approval","Payload":{"token.$":"$$.Task.Token"}},"Next":"P"},
			"P":{"Type":"Task","Resource":"arn:test:promote","End":true}}}`, `{}`)
		token := a.last(t)
		runners := []*asl.Runner{e.runner, e.newRunner("second")}
		const n = 8
		errs := make([]error, n)
		var wg sync.WaitGroup
		startGate := make(chan struct{})
		for i := range n {
			wg.Add(1)
			go func() {
				defer wg.Done()
				<-startGate
				errs[i] = runners[i%2].SendTaskSuccess(context.Background(), token, json.RawMessage(`{"by":`+string(rune('0'+i))+`}`))
			}()
		}
		close(startGate)
		wg.Wait()
		wins := 0
		for _, err := range errs {
			switch {
			case err == nil:
				wins++
			case !errors.Is(err, asl.ErrTaskTimedOut):
				t.Errorf("round %d: unexpected error %v", round, err)
			}
		}
		if wins != 1 {
			t.Errorf("round %d: %d callbacks won, want 1", round, wins)
		}
		if got := e.describe(ex.ID); got.Status != asl.StatusSucceeded || promoted.Load() != 1 {
			t.Errorf("round %d: status %s, promote ran %d times; want SUCCEEDED, once", round, got.Status, promoted.Load())
		}
	}
}

// A synchronous task that outlives TimeoutSeconds fails with States.Timeout
// and its context is cancelled.
func TestTaskTimeoutCancelsInvocation(t *testing.T) {
	cancelled := make(chan struct{})
	res := map[string]asl.Invoker{"arn:test:slow": asl.InvokerFunc(func(ctx context.Context, req asl.TaskRequest) (json.RawMessage, error) {
		<-ctx.Done()
		close(cancelled)
		return nil, ctx.Err()
	})}
	e := newEnv(t, res)
	done := make(chan asl.Execution)
	go func() {
		done <- e.start(`{"StartAt":"T","States":{"T":{"Type":"Task","Resource":"arn:test:slow","TimeoutSecondsPath":"$.timeout","End":true,
			"Catch":[{"ErrorEquals":["States.Timeout"],"Next":"TimedOut"}]},"TimedOut":{"Type":"Pass","End":true}}}`, `{"timeout":30}`)
	}()
	if !e.clock.WaitForTimers(1, 5*time.Second) {
		t.Fatal("the driver never armed a timer")
	}
	e.clock.Advance(29 * time.Second)
	select {
	case ex := <-done:
		t.Fatalf("ended early: %s", ex.Status)
	case <-time.After(20 * time.Millisecond):
	}
	e.clock.WaitForTimers(1, 5*time.Second)
	e.clock.Advance(time.Second)
	select {
	case ex := <-done:
		if ex.Status != asl.StatusSucceeded {
			t.Fatalf("%s %s", ex.Status, ex.Error)
		}
		jsonEq(t, ex.Output, `{"Error":"States.Timeout","Cause":"the task did not finish within its TimeoutSeconds"}`)
	case <-time.After(5 * time.Second):
		t.Fatal("the timeout never fired")
	}
	select {
	case <-cancelled:
	case <-time.After(5 * time.Second):
		t.Fatal("the invocation's context was not cancelled")
	}
}

func TestExecutionTimeout(t *testing.T) {
	a := &approvals{}
	e := newEnv(t, map[string]asl.Invoker{"steward-request-approval": a})
	ex := e.start(`{"TimeoutSeconds":3600,"StartAt":"A","States":{"A":{"Type":"Task","Resource":"arn:aws:states:::lambda:invoke.waitForTaskToken",
		"Parameters":{"FunctionName":"steward-request-approval","Payload":{"token.$":"$$.Task.Token"}},
		"Catch":[{"ErrorEquals":["States.ALL"],"Next":"C"}],"End":true},"C":{"Type":"Succeed"}}}`, `{}`)
	e.clock.Advance(time.Hour)
	must(t, e.runner.Tick(context.Background()))
	got := e.describe(ex.ID)
	if got.Status != asl.StatusTimedOut || got.Error != asl.ErrorTimeout {
		t.Fatalf("got %s %s, want TIMED_OUT States.Timeout (not caught)", got.Status, got.Error)
	}
	if err := e.runner.SendTaskSuccess(context.Background(), a.last(t), json.RawMessage(`{}`)); !errors.Is(err, asl.ErrTaskTimedOut) {
		t.Errorf("callback after the execution timed out: got %v, want ErrTaskTimedOut", err)
	}
	h := e.history(ex.ID)
	if h[len(h)-1].Type != asl.EventExecutionTimedOut {
		t.Errorf("last event %s, want ExecutionTimedOut", h[len(h)-1].Type)
	}
}

func TestStopExecution(t *testing.T) {
	e, a, ex := startApproval(t)
	must(t, e.runner.StopExecution(context.Background(), ex.ID, "Cancelled", "by operator"))
	got := e.describe(ex.ID)
	if got.Status != asl.StatusAborted || got.Error != "Cancelled" {
		t.Errorf("got %s %s", got.Status, got.Error)
	}
	if err := e.runner.SendTaskSuccess(context.Background(), a.last(t), json.RawMessage(`{}`)); !errors.Is(err, asl.ErrTaskTimedOut) {
		t.Errorf("callback after stop: got %v, want ErrTaskTimedOut", err)
	}
	if err := e.runner.StopExecution(context.Background(), ex.ID, "", ""); !errors.Is(err, asl.ErrExecutionNotRunning) {
		t.Errorf("second stop: got %v, want ErrExecutionNotRunning", err)
	}
}

func TestWaitStates(t *testing.T) {
	for _, tc := range []struct {
		name, wait, input string
		want              time.Duration
	}{
		{"Seconds", `"Seconds":10`, `{}`, 10 * time.Second},
		{"Seconds 0", `"Seconds":0`, `{}`, 0},
		{"SecondsPath", `"SecondsPath":"$.s"`, `{"s":7}`, 7 * time.Second},
		{"Timestamp", `"Timestamp":"2026-03-14T09:00:30Z"`, `{}`, 30 * time.Second},
		{"Timestamp in the past", `"Timestamp":"2020-01-01T00:00:00Z"`, `{}`, 0},
		{"TimestampPath", `"TimestampPath":"$.at"`, `{"at":"2026-03-14T10:00:00+01:00"}`, 0},
		{"TimestampPath later", `"TimestampPath":"$.at"`, `{"at":"2026-03-14T09:01:00.5Z"}`, 60500 * time.Millisecond},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t, nil)
			ex := e.start(`{"StartAt":"W","States":{"W":{"Type":"Wait",`+tc.wait+`,"End":true}}}`, tc.input)
			if tc.want == 0 {
				if ex.Status != asl.StatusSucceeded {
					t.Fatalf("status %s, want SUCCEEDED at once", ex.Status)
				}
				jsonEq(t, ex.Output, tc.input)
				return
			}
			if ex.Status != asl.StatusRunning || len(ex.Waiting) != 1 || !ex.Waiting[0].Until.Equal(t0.Add(tc.want)) {
				t.Fatalf("got %s waiting %+v, want a wait until +%s", ex.Status, ex.Waiting, tc.want)
			}
			e.clock.Advance(tc.want - time.Millisecond)
			must(t, e.runner.Tick(context.Background()))
			if e.describe(ex.ID).Status != asl.StatusRunning {
				t.Fatal("woke early")
			}
			e.clock.Advance(time.Millisecond)
			must(t, e.runner.Tick(context.Background()))
			if got := e.describe(ex.ID); got.Status != asl.StatusSucceeded {
				t.Fatalf("status %s after the wait", got.Status)
			}
		})
	}
	e := newEnv(t, nil)
	ex := e.start(`{"StartAt":"W","States":{"W":{"Type":"Wait","SecondsPath":"$.s","End":true}}}`, `{"s":"ten"}`)
	if ex.Status != asl.StatusFailed || ex.Error != asl.ErrorRuntime {
		t.Errorf("SecondsPath to a string: got %s %s, want FAILED States.Runtime", ex.Status, ex.Error)
	}
}

func TestAwaitExecutionAndRun(t *testing.T) {
	e := newEnv(t, nil)
	ex := e.start(`{"StartAt":"W","States":{"W":{"Type":"Wait","Seconds":3,"End":true}}}`, `{"x":1}`)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	runErr := make(chan error, 1)
	go func() { runErr <- e.newRunner("loop").Run(ctx) }()
	go func() { // time passes until the test ends
		for ctx.Err() == nil {
			if e.clock.WaitForTimers(1, 10*time.Millisecond) {
				e.clock.Advance(time.Second)
			}
		}
	}()
	got, err := e.runner.AwaitExecution(ctx, ex.ID)
	must(t, err)
	if got.Status != asl.StatusSucceeded {
		t.Fatalf("status %s", got.Status)
	}
	cancel()
	if err := <-runErr; !errors.Is(err, context.Canceled) {
		t.Errorf("Run returned %v", err)
	}
}

func TestStartErrors(t *testing.T) {
	e := newEnv(t, nil)
	sm := mustParse(t, `{"StartAt":"P","States":{"P":{"Type":"Pass","End":true}}}`)
	ctx := context.Background()
	if _, err := e.runner.Start(ctx, asl.StartInput{StateMachine: sm, StateMachineName: "m", Name: "dup"}); err != nil {
		t.Fatal(err)
	}
	if _, err := e.runner.Start(ctx, asl.StartInput{StateMachine: sm, StateMachineName: "m", Name: "dup"}); !errors.Is(err, asl.ErrExecutionExists) {
		t.Errorf("duplicate name: got %v, want ErrExecutionExists", err)
	}
	for _, in := range []asl.StartInput{
		{StateMachine: sm, StateMachineName: "m", Input: json.RawMessage(`{nope`)},
		{StateMachine: sm, StateMachineName: "bad name"},
		{StateMachine: sm, StateMachineName: "m", Name: "a/b"},
		{StateMachineName: "m"},
	} {
		if _, err := e.runner.Start(ctx, in); err == nil {
			t.Errorf("Start(%+v) succeeded, want an error", in)
		}
	}
	list, err := e.runner.ListExecutions(ctx, asl.ListFilter{StateMachine: "m"})
	must(t, err)
	if len(list) != 1 || list[0].Name != "dup" || list[0].Status != asl.StatusSucceeded {
		t.Errorf("list %+v", list)
	}
	if _, err := e.runner.DescribeExecution(ctx, "nope"); !errors.Is(err, asl.ErrExecutionNotFound) {
		t.Errorf("describe unknown: %v", err)
	}
}

// HeartbeatSeconds does not time out a synchronous task, which has no
// token to send heartbeats with.
func TestHeartbeatDoesNotApplyToSynchronousTasks(t *testing.T) {
	release := make(chan struct{})
	res := map[string]asl.Invoker{"arn:test:slow": asl.InvokerFunc(func(ctx context.Context, req asl.TaskRequest) (json.RawMessage, error) {
		select {
		case <-release:
			return json.RawMessage(`"done"`), nil
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	})}
	e := newEnv(t, res)
	done := make(chan asl.Execution)
	go func() {
		done <- e.start(`{"StartAt":"T","States":{"T":{"Type":"Task","Resource":"arn:test:slow","HeartbeatSeconds":1,"TimeoutSeconds":10,"End":true}}}`, `{}`)
	}()
	if !e.clock.WaitForTimers(1, 5*time.Second) {
		t.Fatal("the driver never armed a timer")
	}
	e.clock.Advance(5 * time.Second)
	e.clock.WaitForTimers(1, 5*time.Second)
	close(release)
	select {
	case ex := <-done:
		if ex.Status != asl.StatusSucceeded {
			t.Fatalf("got %s %s, want SUCCEEDED", ex.Status, ex.Error)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("the execution did not finish")
	}
}
