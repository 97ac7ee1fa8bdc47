package asl_test

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stewardml/steward/internal/asl"
)

// The specification's Map example (classic Iterator and Parameters).
func TestMapSpecExample(t *testing.T) {
	var mu sync.Mutex
	var inputs []string
	shipVal := asl.InvokerFunc(func(ctx context.Context, req asl.TaskRequest) (json.RawMessage, error) {
		mu.Lock()
		inputs = append(inputs, string(req.Input))
		mu.Unlock()
		var in struct {
			Parcel struct {
				Prod string `json:"prod"`
			} `json:"parcel"`
			Courier string `json:"courier"`
			Index   int    `json:"index"`
		}
		if err := json.Unmarshal(req.Input, &in); err != nil {
			return nil, err
		}
		return json.Marshal(map[string]any{"valid": in.Parcel.Prod, "by": in.Courier, "i": in.Index})
	})
	e := newEnv(t, map[string]asl.Invoker{"arn:aws:lambda:us-east-1:123456789012:function:ship-val": shipVal})
	ex := e.start(`{"StartAt":"Validate-All","States":{"Validate-All":{
		"Type":"Map","InputPath":"$.detail","ItemsPath":"$.shipped","MaxConcurrency":0,
		"Parameters":{"parcel.$":"$$.Map.Item.Value","courier.$":"$.delivery-partner","index.$":"$$.Map.Item.Index"},
		"Iterator":{"StartAt":"Validate","States":{"Validate":{"Type":"Task","Resource":"arn:aws:lambda:us-east-1:123456789012:function:ship-val","End":true}}},
		"ResultPath":"$.detail.shipped","End":true}}}`,
		`{"ship-date":"2016-03-14T01:59:00Z","detail":{"delivery-partner":"UQS","shipped":[
			{"prod":"R31","dest-code":9511,"quantity":1344},{"prod":"S39","dest-code":9511,"quantity":40},
			{"prod":"R31","dest-code":9833,"quantity":12},{"prod":"R40","dest-code":9860,"quantity":887},
			{"prod":"R40","dest-code":9511,"quantity":1220}]}}`)
	if ex.Status != asl.StatusSucceeded {
		t.Fatalf("%s %s %s", ex.Status, ex.Error, ex.Cause)
	}
	jsonEq(t, ex.Output, `{"ship-date":"2016-03-14T01:59:00Z","detail":{"delivery-partner":"UQS","shipped":[
		{"valid":"R31","by":"UQS","i":0},{"valid":"S39","by":"UQS","i":1},{"valid":"R31","by":"UQS","i":2},
		{"valid":"R40","by":"UQS","i":3},{"valid":"R40","by":"UQS","i":4}]}}`)
	if len(inputs) != 5 {
		t.Errorf("%d invocations, want 5", len(inputs))
	}
}

// blocker is a resource whose calls wait until released, to observe concurrency.
type blocker struct {
	mu      sync.Mutex
	active  int
	peak    int
	order   []string
	release chan struct{}
}

func (b *blocker) Invoke(ctx context.Context, req asl.TaskRequest) (json.RawMessage, error) {
	b.mu.Lock()
	b.active++
	b.peak = max(b.peak, b.active)
	b.order = append(b.order, string(req.Input))
	b.mu.Unlock()
	select {
	case <-b.release:
	case <-ctx.Done():
	}
	b.mu.Lock()
	b.active--
	b.mu.Unlock()
	return req.Input, nil
}

func TestMapMaxConcurrency(t *testing.T) {
	for _, tc := range []struct {
		maxConc  string
		wantPeak int
	}{{`"MaxConcurrency":1`, 1}, {`"MaxConcurrency":2`, 2}, {`"MaxConcurrency":0`, 5}, {`"ItemSelector":{"v.$":"$$.Map.Item.Value"}`, 5}} {
		t.Run(tc.maxConc, func(t *testing.T) {
			b := &blocker{release: make(chan struct{})}
			e := newEnv(t, map[string]asl.Invoker{"arn:test:b": b})
			done := make(chan asl.Execution)
			go func() {
				done <- e.start(`{"StartAt":"M","States":{"M":{"Type":"Map",`+tc.maxConc+`,"ItemProcessor":{
					"ProcessorConfig":{"Mode":"INLINE"},"StartAt":"T","States":{"T":{"Type":"Task","Resource":"arn:test:b","End":true}}},"End":true}}}`,
					`[1,2,3,4,5]`)
			}()
			deadline := time.After(10 * time.Second)
			for finished := false; !finished; {
				select {
				case ex := <-done:
					if ex.Status != asl.StatusSucceeded {
						t.Fatalf("%s %s", ex.Status, ex.Error)
					}
					if strings.Contains(tc.maxConc, "ItemSelector") {
						jsonEq(t, ex.Output, `[{"v":1},{"v":2},{"v":3},{"v":4},{"v":5}]`)
					} else {
						jsonEq(t, ex.Output, `[1,2,3,4,5]`)
					}
					finished = true
				case <-deadline:
					t.Fatal("the Map did not finish")
				case <-time.After(20 * time.Millisecond):
					b.mu.Lock()
					full := b.active == min(tc.wantPeak, 5-len(b.order)+b.active)
					b.mu.Unlock()
					if full {
						b.release <- struct{}{}
					}
				}
			}
			if b.peak != tc.wantPeak {
				t.Errorf("peak concurrency %d, want %d", b.peak, tc.wantPeak)
			}
			if tc.wantPeak == 1 && fmt.Sprint(b.order) != "[1 2 3 4 5]" {
				t.Errorf("MaxConcurrency 1 ran %v, want items in order", b.order)
			}
		})
	}
}

func TestMapEmptyAndFailures(t *testing.T) {
	failOn3 := fn(func(in map[string]any) (any, error) {
		if in["v"] == 3.0 {
			return nil, &asl.TaskError{Name: "BadItem", Cause: "three"}
		}
		return in["v"], nil
	})
	e := newEnv(t, map[string]asl.Invoker{"arn:test:f": failOn3})
	const def = `{"StartAt":"M","States":{"M":{"Type":"Map","ItemsPath":"$.items","ItemSelector":{"v.$":"$$.Map.Item.Value"},
		"Iterator":{"StartAt":"T","States":{"T":{"Type":"Task","Resource":"arn:test:f","End":true}}},
		"ResultPath":"$.out","Catch":[{"ErrorEquals":["BadItem"],"ResultPath":"$.error","Next":"Caught"}],"End":true},
		"Caught":{"Type":"Pass","End":true}}}`
	ex := e.start(def, `{"items":[]}`)
	jsonEq(t, ex.Output, `{"items":[],"out":[]}`)
	ex = e.start(def, `{"items":[1,2]}`)
	jsonEq(t, ex.Output, `{"items":[1,2],"out":[1,2]}`)
	ex = e.start(def, `{"items":[1,3,2]}`)
	if ex.Status != asl.StatusSucceeded {
		t.Fatal(ex.Status, ex.Error)
	}
	jsonEq(t, ex.Output, `{"items":[1,3,2],"error":{"Error":"BadItem","Cause":"three"}}`)
	ex = e.start(def, `{"items":{"not":"array"}}`)
	if ex.Status != asl.StatusFailed || ex.Error != asl.ErrorRuntime {
		t.Errorf("ItemsPath to an object: got %s %s, want FAILED States.Runtime", ex.Status, ex.Error)
	}
}

func TestParallel(t *testing.T) {
	add := fn(func(in map[string]any) (any, error) { return in["a"].(float64) + in["b"].(float64), nil })
	mul := fn(func(in map[string]any) (any, error) { return in["a"].(float64) * in["b"].(float64), nil })
	e := newEnv(t, map[string]asl.Invoker{"arn:test:add": add, "arn:test:mul": mul})
	ex := e.start(`{"StartAt":"P","States":{"P":{"Type":"Parallel","InputPath":"$.nums","ResultPath":"$.results",
		"ResultSelector":{"sum.$":"$[0]","product.$":"$[1].v","both.$":"$"},"Next":"Done","Branches":[
		{"StartAt":"Add","States":{"Add":{"Type":"Task","Resource":"arn:test:add","End":true}}},
		{"StartAt":"Mul","States":{"Mul":{"Type":"Task","Resource":"arn:test:mul","ResultPath":"$.v","Next":"Wrap"},
		                            "Wrap":{"Type":"Pass","OutputPath":"$","End":true}}}]},
		"Done":{"Type":"Succeed"}}}`, `{"nums":{"a":3,"b":4}}`)
	if ex.Status != asl.StatusSucceeded {
		t.Fatal(ex.Status, ex.Error, ex.Cause)
	}
	jsonEq(t, ex.Output, `{"nums":{"a":3,"b":4},"results":{"sum":7,"product":12,"both":[7,{"a":3,"b":4,"v":12}]}}`)
}

func TestParallelRetryRerunsEveryBranch(t *testing.T) {
	s := &script{errs: []string{"Flaky"}}
	e := newEnv(t, map[string]asl.Invoker{"arn:test:s": s})
	s.clock = e.clock
	ex := e.start(`{"StartAt":"P","States":{"P":{"Type":"Parallel","End":true,
		"Retry":[{"ErrorEquals":["Flaky"],"MaxAttempts":1}],
		"Branches":[
		{"StartAt":"S","States":{"S":{"Type":"Task","Resource":"arn:test:s","End":true}}},
		{"StartAt":"C","States":{"C":{"Type":"Pass","Parameters":{"entered.$":"$$.State.EnteredTime"},"End":true}}}]}}}`, `{}`)
	ex = e.runTimers(ex.ID, time.Minute)
	if ex.Status != asl.StatusSucceeded {
		t.Fatal(ex.Status, ex.Error)
	}
	jsonEq(t, ex.Output, `[{"ok":true},{"entered":"2026-03-14T09:00:01.000Z"}]`)
	var entered int
	for _, ev := range e.history(ex.ID) {
		if ev.Type == "PassStateEntered" && ev.State == "C" {
			entered++
		}
	}
	if entered != 2 {
		t.Errorf("branch C ran %d times, want 2 (a retry reruns every branch)", entered)
	}
}

func TestParallelBranchFailureIsCaught(t *testing.T) {
	b := &blocker{release: make(chan struct{})}
	e := newEnv(t, map[string]asl.Invoker{"arn:test:b": b})
	ex := e.start(`{"StartAt":"P","States":{"P":{"Type":"Parallel","End":true,
		"Catch":[{"ErrorEquals":["States.ALL"],"ResultPath":"$.err","Next":"Caught"}],
		"Branches":[
		{"StartAt":"F","States":{"F":{"Type":"Fail","Error":"BranchBroke","Cause":"why"}}},
		{"StartAt":"B","States":{"B":{"Type":"Task","Resource":"arn:test:b","End":true}}}]},
		"Caught":{"Type":"Pass","End":true}}}`, `{"in":1}`)
	if ex.Status != asl.StatusSucceeded {
		t.Fatal(ex.Status, ex.Error)
	}
	jsonEq(t, ex.Output, `{"in":1,"err":{"Error":"BranchBroke","Cause":"why"}}`)
}

func TestNestedMapInParallelWithWait(t *testing.T) {
	e := newEnv(t, map[string]asl.Invoker{"arn:test:echo": echo()})
	ex := e.start(`{"StartAt":"P","States":{"P":{"Type":"Parallel","End":true,"Branches":[
		{"StartAt":"M","States":{"M":{"Type":"Map","ItemsPath":"$.xs","End":true,
			"Iterator":{"StartAt":"W","States":{
				"W":{"Type":"Wait","SecondsPath":"$","Next":"E"},
				"E":{"Type":"Task","Resource":"arn:test:echo","End":true}}}}}},
		{"StartAt":"N","States":{"N":{"Type":"Pass","Result":"n","End":true}}}]}}}`, `{"xs":[3,1,2]}`)
	if ex.Status != asl.StatusRunning {
		t.Fatalf("status %s, want RUNNING while the waits run", ex.Status)
	}
	if n := len(ex.Waiting); n != 3 {
		t.Errorf("%d waits reported, want 3: %+v", n, ex.Waiting)
	}
	e.clock.Advance(2 * time.Second)
	if err := e.runner.Tick(context.Background()); err != nil {
		t.Fatal(err)
	}
	if ex = e.describe(ex.ID); ex.Status != asl.StatusRunning || len(ex.Waiting) != 1 {
		t.Fatalf("after 2 s: %s with %d waits, want RUNNING with 1", ex.Status, len(ex.Waiting))
	}
	e.clock.Advance(time.Second)
	if err := e.runner.Tick(context.Background()); err != nil {
		t.Fatal(err)
	}
	ex = e.describe(ex.ID)
	if ex.Status != asl.StatusSucceeded {
		t.Fatal(ex.Status, ex.Error, ex.Cause)
	}
	jsonEq(t, ex.Output, `[[3,1,2],"n"]`)
}
