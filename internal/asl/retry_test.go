package asl_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/lambda/messages"

	"github.com/stewardml/steward/internal/asl"
)

// script is a task resource that fails with the listed errors in turn (""
// means succeed) and records when it was called.
type script struct {
	mu     sync.Mutex
	errs   []string
	calls  []time.Time
	clock  interface{ Now() time.Time }
	result string
}

func (s *script) Invoke(ctx context.Context, req asl.TaskRequest) (json.RawMessage, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := len(s.calls)
	s.calls = append(s.calls, s.clock.Now())
	if n < len(s.errs) && s.errs[n] != "" {
		return nil, &asl.TaskError{Name: s.errs[n], Cause: fmt.Sprintf("call %d", n+1)}
	}
	if s.result == "" {
		return json.RawMessage(`{"ok":true}`), nil
	}
	return json.RawMessage(s.result), nil
}

func (s *script) gaps(start time.Time) []time.Duration {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []time.Duration
	prev := start
	for _, c := range s.calls {
		out = append(out, c.Sub(prev))
		prev = c
	}
	return out
}

// runTimers advances the clock second by second, ticking, until the
// execution ends or limit passes.
func (e *env) runTimers(id string, limit time.Duration) asl.Execution {
	e.t.Helper()
	for elapsed := time.Duration(0); elapsed <= limit; elapsed += 500 * time.Millisecond {
		ex := e.describe(id)
		if ex.Status != asl.StatusRunning {
			return ex
		}
		e.clock.Advance(500 * time.Millisecond)
		if err := e.runner.Tick(context.Background()); err != nil {
			e.t.Fatal(err)
		}
	}
	return e.describe(id)
}

// The specification's "complex retry scenarios" example: ErrorA, ErrorB,
// ErrorC, ErrorB waits 1, 2 and 5 seconds, then the first retrier is
// exhausted (its counter persisted across ErrorC) and the Catch fires.
func TestRetryComplexScenario(t *testing.T) {
	s := &script{errs: []string{"ErrorA", "ErrorB", "ErrorC", "ErrorB"}}
	e := newEnv(t, map[string]asl.Invoker{"arn:test:x": s})
	s.clock = e.clock
	ex := e.start(`{"StartAt":"X","States":{
		"X":{"Type":"Task","Resource":"arn:test:x","Next":"Y",
			"Retry":[{"ErrorEquals":["ErrorA","ErrorB"],"IntervalSeconds":1,"BackoffRate":2.0,"MaxAttempts":2},
			         {"ErrorEquals":["ErrorC"],"IntervalSeconds":5}],
			"Catch":[{"ErrorEquals":["States.ALL"],"Next":"Z"}]},
		"Y":{"Type":"Succeed"},
		"Z":{"Type":"Pass","End":true}}}`, `{"in":1}`)
	ex = e.runTimers(ex.ID, 20*time.Second)
	if ex.Status != asl.StatusSucceeded {
		t.Fatalf("status %s %s", ex.Status, ex.Error)
	}
	jsonEq(t, ex.Output, `{"Error":"ErrorB","Cause":"call 4"}`)
	want := []time.Duration{0, time.Second, 2 * time.Second, 5 * time.Second}
	if got := s.gaps(t0); fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("call gaps %v, want %v", got, want)
	}
	var exited []string
	for _, ev := range e.history(ex.ID) {
		if ev.Type == "PassStateExited" || ev.Type == "SucceedStateEntered" {
			exited = append(exited, ev.State)
		}
	}
	if fmt.Sprint(exited) != "[Z]" {
		t.Errorf("went through %v, want the catcher's Z only", exited)
	}
}

func TestRetryDelays(t *testing.T) {
	for _, tc := range []struct {
		name    string
		retrier string
		fails   int
		jitter  bool
		want    []time.Duration
	}{
		{"defaults: 1 s, 3 attempts, backoff 2", `{"ErrorEquals":["E"]}`, 4, false, []time.Duration{0, 1 * time.Second, 2 * time.Second, 4 * time.Second}},
		{"spec: interval 3, backoff 1.5", `{"ErrorEquals":["E"],"IntervalSeconds":3,"MaxAttempts":2,"BackoffRate":1.5}`, 3, false, []time.Duration{0, 3 * time.Second, 4500 * time.Millisecond}},
		{"spec: MaxDelaySeconds caps the interval", `{"ErrorEquals":["E"],"IntervalSeconds":3,"MaxAttempts":2,"BackoffRate":2,"MaxDelaySeconds":4}`, 3, false, []time.Duration{0, 3 * time.Second, 4 * time.Second}},
		{"MaxAttempts 0 never retries", `{"ErrorEquals":["E"],"MaxAttempts":0}`, 1, false, []time.Duration{0}},
		{"States.TaskFailed matches a named error", `{"ErrorEquals":["States.TaskFailed"],"MaxAttempts":1}`, 2, false, []time.Duration{0, time.Second}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			errs := make([]string, tc.fails)
			for i := range errs {
				errs[i] = "E"
			}
			s := &script{errs: errs}
			e := newEnv(t, map[string]asl.Invoker{"arn:test:x": s})
			s.clock = e.clock
			ex := e.start(`{"StartAt":"X","States":{"X":{"Type":"Task","Resource":"arn:test:x","End":true,"Retry":[`+tc.retrier+`]}}}`, `{}`)
			ex = e.runTimers(ex.ID, time.Minute)
			if ex.Status != asl.StatusFailed || ex.Error != "E" {
				t.Errorf("got %s %s, want FAILED E after the retries", ex.Status, ex.Error)
			}
			if got := s.gaps(t0); fmt.Sprint(got) != fmt.Sprint(tc.want) {
				t.Errorf("call gaps %v, want %v", got, tc.want)
			}
		})
	}
}

func TestRetryFullJitterUsesInjectedRandomness(t *testing.T) {
	s := &script{errs: []string{"E"}}
	store := asl.NewMemStore()
	e := newEnv(t, map[string]asl.Invoker{"arn:test:x": s})
	s.clock = e.clock
	r, err := asl.NewRunner(asl.Config{Store: store, Clock: e.clock, Resources: e.res, Rand: func() float64 { return 0.25 }})
	if err != nil {
		t.Fatal(err)
	}
	e.runner, e.store = r, store
	ex := e.start(`{"StartAt":"X","States":{"X":{"Type":"Task","Resource":"arn:test:x","End":true,
		"Retry":[{"ErrorEquals":["E"],"IntervalSeconds":8,"JitterStrategy":"FULL"}]}}}`, `{}`)
	e.runTimers(ex.ID, time.Minute)
	if got, want := s.gaps(t0), []time.Duration{0, 2 * time.Second}; fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("call gaps %v, want %v (8 s × 0.25)", got, want)
	}
}

// Retrier counters reset when the state is left: a second visit to X gets
// its own retry even though MaxAttempts is 1.
func TestRetryCountersResetOnNewVisit(t *testing.T) {
	s := &script{errs: []string{"E", "", "E", ""}}
	e := newEnv(t, map[string]asl.Invoker{"arn:test:x": s})
	s.clock = e.clock
	ex := e.start(`{"StartAt":"X","States":{
		"X":{"Type":"Task","Resource":"arn:test:x","ResultPath":null,"Next":"Count","Retry":[{"ErrorEquals":["E"],"MaxAttempts":1}]},
		"Count":{"Type":"Pass","Parameters":{"n.$":"States.MathAdd($.n, 1)"},"Next":"Again"},
		"Again":{"Type":"Choice","Choices":[{"Variable":"$.n","NumericLessThan":2,"Next":"X"}],"Default":"Done"},
		"Done":{"Type":"Succeed"}}}`, `{"n":0}`)
	ex = e.runTimers(ex.ID, time.Minute)
	if ex.Status != asl.StatusSucceeded {
		t.Fatalf("got %s %s: the second visit must retry again", ex.Status, ex.Error)
	}
	jsonEq(t, ex.Output, `{"n":2}`)
}

// $$.State.RetryCount counts the retries of the current visit.
func TestRetryCountInContext(t *testing.T) {
	var seen []string
	var mu sync.Mutex
	inv := asl.InvokerFunc(func(ctx context.Context, req asl.TaskRequest) (json.RawMessage, error) {
		mu.Lock()
		defer mu.Unlock()
		seen = append(seen, string(req.Input))
		if len(seen) < 3 {
			return nil, &asl.TaskError{Name: "E"}
		}
		return json.RawMessage(`1`), nil
	})
	e := newEnv(t, map[string]asl.Invoker{"arn:test:x": inv})
	ex := e.start(`{"StartAt":"X","States":{"X":{"Type":"Task","Resource":"arn:test:x","End":true,
		"Parameters":{"n.$":"$$.State.RetryCount"},"Retry":[{"ErrorEquals":["E"]}]}}}`, `{}`)
	e.runTimers(ex.ID, time.Minute)
	if got := strings.Join(seen, " "); got != `{"n":0} {"n":1} {"n":2}` {
		t.Errorf("inputs %s", got)
	}
}

func TestCatch(t *testing.T) {
	for _, tc := range []struct {
		name, catch, err, wantState, wantOutput string
	}{
		{"catcher ResultPath merges the error into the raw input",
			`[{"ErrorEquals":["ModelNotFound"],"ResultPath":"$.error","Next":"Recover"}]`, "ModelNotFound",
			"Recover", `{"model":"heart","error":{"Error":"ModelNotFound","Cause":"call 1"}}`},
		{"default catcher ResultPath replaces the input with the error output",
			`[{"ErrorEquals":["States.ALL"],"Next":"Recover"}]`, "Anything",
			"Recover", `{"Error":"Anything","Cause":"call 1"}`},
		{"null catcher ResultPath keeps the input",
			`[{"ErrorEquals":["States.ALL"],"ResultPath":null,"Next":"Recover"}]`, "Anything", "Recover", `{"model":"heart"}`},
		{"first matching catcher wins",
			`[{"ErrorEquals":["Other"],"Next":"Other"},{"ErrorEquals":["States.TaskFailed"],"Next":"Recover"},{"ErrorEquals":["States.ALL"],"Next":"Other"}]`,
			"DataValidationFailed", "Recover", `{"Error":"DataValidationFailed","Cause":"call 1"}`},
		{"unmatched error fails the execution", `[{"ErrorEquals":["Other"],"Next":"Other"}]`, "Boom", "", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := &script{errs: []string{tc.err}}
			e := newEnv(t, map[string]asl.Invoker{"arn:test:x": s})
			s.clock = e.clock
			ex := e.start(`{"StartAt":"X","States":{
				"X":{"Type":"Task","Resource":"arn:test:x","End":true,"Catch":`+withCatchers(tc.catch)+`},
				"Recover":{"Type":"Pass","End":true},"Other":{"Type":"Fail","Error":"WrongCatcher"}}}`, `{"model":"heart"}`)
			if tc.wantState == "" {
				if ex.Status != asl.StatusFailed || ex.Error != tc.err || ex.Cause != "call 1" {
					t.Errorf("got %s %s %s, want FAILED %s", ex.Status, ex.Error, ex.Cause, tc.err)
				}
				return
			}
			if ex.Status != asl.StatusSucceeded {
				t.Fatalf("got %s %s", ex.Status, ex.Error)
			}
			jsonEq(t, ex.Output, tc.wantOutput)
		})
	}
}

func TestErrorMatchingSemantics(t *testing.T) {
	for _, tc := range []struct {
		name, errorEquals, err string
		caught                 bool
	}{
		{"States.ALL catches a task error", `["States.ALL"]`, "X", true},
		{"States.ALL catches States.Timeout", `["States.ALL"]`, asl.ErrorTimeout, true},
		{"States.TaskFailed does not catch States.Timeout", `["States.TaskFailed"]`, asl.ErrorTimeout, false},
		{"States.TaskFailed catches itself", `["States.TaskFailed"]`, asl.ErrorTaskFailed, true},
		{"exact name", `["A","B"]`, "B", true},
		{"names are case-sensitive", `["b"]`, "B", false},
		{"States.ALL does not catch States.DataLimitExceeded", `["States.ALL"]`, asl.ErrorDataLimitExceeded, false},
		{"States.DataLimitExceeded caught by name", `["States.DataLimitExceeded"]`, asl.ErrorDataLimitExceeded, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := &script{errs: []string{tc.err}}
			e := newEnv(t, map[string]asl.Invoker{"arn:test:x": s})
			s.clock = e.clock
			ex := e.start(`{"StartAt":"X","States":{"X":{"Type":"Task","Resource":"arn:test:x","End":true,
				"Catch":[{"ErrorEquals":`+tc.errorEquals+`,"Next":"C"}]},"C":{"Type":"Succeed"}}}`, `{}`)
			if caught := ex.Status == asl.StatusSucceeded; caught != tc.caught {
				t.Errorf("caught=%v (%s %s), want %v", caught, ex.Status, ex.Error, tc.caught)
			}
		})
	}
}

// States.Runtime is never caught, not even by States.ALL.
func TestRuntimeErrorIsNotCatchable(t *testing.T) {
	e := newEnv(t, map[string]asl.Invoker{"arn:test:x": echo()})
	ex := e.start(`{"StartAt":"X","States":{"X":{"Type":"Task","Resource":"arn:test:x","InputPath":"$.missing","End":true,
		"Retry":[{"ErrorEquals":["States.ALL"]}],"Catch":[{"ErrorEquals":["States.ALL"],"Next":"C"}]},"C":{"Type":"Succeed"}}}`, `{}`)
	if ex.Status != asl.StatusFailed || ex.Error != asl.ErrorRuntime {
		t.Errorf("got %s %s, want FAILED States.Runtime", ex.Status, ex.Error)
	}
}

// Errors from Go invokers are named the way the Lambda Go runtime names them.
func TestGoErrorNames(t *testing.T) {
	type custom struct{ error }
	for _, tc := range []struct {
		err  error
		want string
	}{
		{errors.New("plain"), "errorString"},
		{fmt.Errorf("wrapped: %w", &asl.TaskError{Name: "ModelNotFound"}), "wrapError"},
		{&asl.TaskError{Name: "ModelNotFound", Cause: "heart"}, "ModelNotFound"},
		{custom{errors.New("x")}, "custom"},
		{context.DeadlineExceeded, "deadlineExceededError"},
		{messages.InvokeResponse_Error{Type: "DataValidationFailed", Message: "3 expectations failed"}, "DataValidationFailed"},
		{&messages.InvokeResponse_Error{Type: "ModelNotFound"}, "ModelNotFound"},
	} {
		if got := asl.ErrorName(tc.err); got != tc.want {
			t.Errorf("ErrorName(%#v) = %q, want %q", tc.err, got, tc.want)
		}
	}
	inv := asl.InvokerFunc(func(context.Context, asl.TaskRequest) (json.RawMessage, error) {
		return nil, errors.New("disk full")
	})
	e := newEnv(t, map[string]asl.Invoker{"arn:test:x": inv})
	ex := e.start(`{"StartAt":"X","States":{"X":{"Type":"Task","Resource":"arn:test:x","End":true}}}`, `{}`)
	if ex.Error != "errorString" || ex.Cause != "disk full" {
		t.Errorf("got %q %q", ex.Error, ex.Cause)
	}
	// What a handler returns through lambdaerr reaches Catch under its name,
	// with the message as errorMessage, as on AWS.
	e = newEnv(t, map[string]asl.Invoker{"validate": asl.InvokerFunc(func(context.Context, asl.TaskRequest) (json.RawMessage, error) {
		return nil, messages.InvokeResponse_Error{Type: "DataValidationFailed", Message: "3 expectations failed"}
	})})
	ex = e.start(`{"StartAt":"X","States":{"X":{"Type":"Task","Resource":"arn:aws:states:::lambda:invoke","Parameters":{"FunctionName":"validate"},"End":true,
		"Catch":[{"ErrorEquals":["DataValidationFailed"],"Next":"C"}]},"C":{"Type":"Pass","End":true}}}`, `{}`)
	jsonEq(t, ex.Output, `{"Error":"DataValidationFailed","Cause":"{\"errorMessage\":\"3 expectations failed\",\"errorType\":\"DataValidationFailed\"}"}`)
}

// withCatchers makes both catch targets reachable whatever the case tests.
func withCatchers(catch string) string {
	return `[{"ErrorEquals":["NeverA"],"Next":"Other"},{"ErrorEquals":["NeverB"],"Next":"Recover"},` + strings.TrimPrefix(catch, "[")
}
