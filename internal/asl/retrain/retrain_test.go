package retrain_test

import (
	"context"
	"encoding/json"
	"errors"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/lambda"

	"github.com/stewardml/steward/internal/asl"
	"github.com/stewardml/steward/internal/asl/asltest"
	"github.com/stewardml/steward/internal/asl/retrain"
	"github.com/stewardml/steward/internal/lambdaerr"
	"github.com/stewardml/steward/internal/local/sqlite"
	"github.com/stewardml/steward/internal/workflow"
	"github.com/stewardml/steward/internal/workflow/workflowtest"
)

// fn is a fake function: it decodes the payload and answers.
type fn func(in map[string]any) (any, error)

func (f fn) Invoke(ctx context.Context, payload []byte) ([]byte, error) {
	var in map[string]any
	if err := json.Unmarshal(payload, &in); err != nil {
		return nil, lambdaerr.New(lambdaerr.InvalidInput, err.Error())
	}
	out, err := f(in)
	if err != nil {
		return nil, err
	}
	return json.Marshal(out)
}

// fakes are the six functions, recording what they receive.
type fakes struct {
	mu       sync.Mutex
	calls    map[string][]map[string]any
	token    string
	validate error
	evaluate func(n int) (any, error)
}

func (f *fakes) record(name string, in map[string]any) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls[name] = append(f.calls[name], in)
}

func (f *fakes) got(name string) []map[string]any {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.calls[name]
}

func evaluation(better bool, registeredAs string) map[string]any {
	return map[string]any{"better": better, "registeredAs": registeredAs, "candidateVersion": 2, "championVersion": 1, "summary": "test"}
}

func (f *fakes) functions() map[string]lambda.Handler {
	return map[string]lambda.Handler{
		"validate": fn(func(in map[string]any) (any, error) {
			f.record("validate", in)
			if f.validate != nil {
				return nil, f.validate
			}
			return map[string]any{"success": true}, nil
		}),
		"train": fn(func(in map[string]any) (any, error) {
			f.record("train:"+in["action"].(string), in)
			if in["action"] == "plan" {
				return map[string]any{"candidates": []any{map[string]any{"id": "a"}, map[string]any{"id": "b"}, map[string]any{"id": "c"}}}, nil
			}
			c := in["candidate"].(map[string]any)
			return map[string]any{"id": "run-" + c["id"].(string), "index": in["index"]}, nil
		}),
		"evaluate": fn(func(in map[string]any) (any, error) {
			f.record("evaluate", in)
			return f.evaluate(len(f.got("evaluate")))
		}),
		"requestapproval": fn(func(in map[string]any) (any, error) {
			f.record("requestapproval", in)
			f.mu.Lock()
			f.token = in["taskToken"].(string)
			f.mu.Unlock()
			return map[string]any{"approvalId": "x"}, nil
		}),
		"promote": fn(func(in map[string]any) (any, error) {
			f.record("promote", in)
			return map[string]any{"from": 1, "to": 2}, nil
		}),
		"record": fn(func(in map[string]any) (any, error) {
			f.record("record", in)
			return map[string]any{"event": in["event"]}, nil
		}),
	}
}

var t0 = time.Date(2026, 3, 14, 9, 0, 0, 0, time.UTC)

func newRunner(t *testing.T, f *fakes, clock *asltest.Clock) *retrain.Runner {
	t.Helper()
	return newRunnerWith(t, f.functions(), clock)
}

// newRunnerWith builds a runner over a fresh store with these functions.
func newRunnerWith(t *testing.T, fns map[string]lambda.Handler, clock asl.Clock) *retrain.Runner {
	t.Helper()
	db, err := sqlite.Open(filepath.Join(t.TempDir(), "steward.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	r, err := retrain.New(retrain.Config{Records: db, Functions: fns, Clock: clock, Owner: "test"})
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// states lists the top-level states an execution entered, in order.
func states(t *testing.T, r *retrain.Runner, id string) []string {
	t.Helper()
	h, err := r.History(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, ev := range h {
		if ev.Thread == "" && strings.HasSuffix(string(ev.Type), "StateEntered") {
			out = append(out, ev.State)
		}
	}
	return out
}

const input = `{"model":"heart","dataset":{"digest":"d","key":"datasets/sha256/d"},"trigger":"agent","reason":"drift","requestedBy":"agent","requireApproval":%s,"approvalTimeoutSeconds":600}`

func TestRoutes(t *testing.T) {
	head := []string{"Defaults", "ApplyDefaults", "RecordStart", "ValidateData", "PlanCandidates", "TrainCandidates", "EvaluateBest", "IsBetter"}
	for _, tc := range []struct {
		name     string
		approval string // require approval
		eval     any
		decide   func(t *testing.T, r *retrain.Runner, f *fakes, clock *asltest.Clock)
		want     []string
		records  []string
		status   asl.Status
	}{
		{name: "better and approved is promoted", approval: "true", eval: evaluation(true, "challenger"),
			decide: approve(true),
			want:   []string{"RequestApproval", "IsApproved", "Promote", "RecordPromoted", "Promoted"}, records: []string{"started", "promoted"}, status: asl.StatusSucceeded},
		{name: "better and rejected is recorded", approval: "true", eval: evaluation(true, "challenger"),
			decide: approve(false),
			want:   []string{"RequestApproval", "IsApproved", "RecordRejected", "NotPromoted"}, records: []string{"started", "rejected"}, status: asl.StatusSucceeded},
		{name: "better without approval is promoted at once", approval: "false", eval: evaluation(true, "challenger"),
			want: []string{"Promote", "RecordPromoted", "Promoted"}, records: []string{"started", "promoted"}, status: asl.StatusSucceeded},
		{name: "not better is recorded", approval: "true", eval: evaluation(false, "challenger"),
			want: []string{"RecordNotBetter", "NotPromoted"}, records: []string{"started", "not_better"}, status: asl.StatusSucceeded},
		{name: "a first version needs no approval", approval: "true", eval: evaluation(true, "champion"),
			want: []string{"RecordPromoted", "Promoted"}, records: []string{"started", "promoted"}, status: asl.StatusSucceeded},
		{name: "an approval not given in time escalates", approval: "true", eval: evaluation(true, "challenger"),
			decide: func(t *testing.T, r *retrain.Runner, f *fakes, clock *asltest.Clock) {
				clock.Advance(599 * time.Second)
				must(t, r.Tick(context.Background()))
				clock.Advance(time.Second)
				must(t, r.Tick(context.Background()))
			},
			want: []string{"RequestApproval", "Escalate", "NotPromoted"}, records: []string{"started", "escalated"}, status: asl.StatusSucceeded},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := &fakes{calls: map[string][]map[string]any{}, evaluate: func(int) (any, error) { return tc.eval, nil }}
			clock := asltest.NewClock(t0)
			r := newRunner(t, f, clock)
			ex, err := r.Execute(context.Background(), "heart-1", json.RawMessage(strings.Replace(input, "%s", tc.approval, 1)))
			must(t, err)
			if tc.decide != nil {
				if ex.Status != asl.StatusRunning || ex.Waiting[0].State != "RequestApproval" {
					t.Fatalf("%s waiting %v, want RequestApproval", ex.Status, ex.Waiting)
				}
				tc.decide(t, r, f, clock)
			}
			ex, err = r.DescribeExecution(context.Background(), ex.ID)
			must(t, err)
			if ex.Status != tc.status {
				t.Fatalf("status %s (%s: %s), want %s", ex.Status, ex.Error, ex.Cause, tc.status)
			}
			if got, want := states(t, r, ex.ID), append(append([]string(nil), head...), tc.want...); !slices.Equal(got, want) {
				t.Errorf("states\n got %v\nwant %v", got, want)
			}
			var recs []string
			for _, in := range f.got("record") {
				recs = append(recs, in["event"].(string))
			}
			if !slices.Equal(recs, tc.records) {
				t.Errorf("records %v, want %v", recs, tc.records)
			}
		})
	}
}

func approve(ok bool) func(t *testing.T, r *retrain.Runner, f *fakes, clock *asltest.Clock) {
	return func(t *testing.T, r *retrain.Runner, f *fakes, clock *asltest.Clock) {
		out, _ := json.Marshal(map[string]any{"approved": ok, "approver": "ana@example.com", "approvalId": "x"})
		must(t, r.SendTaskSuccess(context.Background(), f.token, out))
	}
}

// What each function receives is what the handlers expect: the Lambda
// result unwrapped from {"Payload": ...}, the Map's results in order, the
// defaults filled in.
func TestPayloadsReachTheHandlers(t *testing.T) {
	f := &fakes{calls: map[string][]map[string]any{}, evaluate: func(int) (any, error) { return evaluation(true, "challenger"), nil }}
	r := newRunner(t, f, asltest.NewClock(t0))
	ex, err := r.Execute(context.Background(), "heart-2", json.RawMessage(`{"model":"heart","dataset":{"digest":"d"}}`))
	must(t, err)
	start := f.got("record")[0]
	in := start["input"].(map[string]any)
	if in["trigger"] != "manual" || in["requestedBy"] != "unknown" || in["requireApproval"] != true || in["approvalTimeoutSeconds"] != float64(259200) || start["executionId"] != ex.ID {
		t.Errorf("started with %v", start)
	}
	if v := f.got("validate")[0]; v["dataset"].(map[string]any)["digest"] != "d" || v["executionId"] != ex.ID || len(v) != 2 {
		t.Errorf("validate got %v", v)
	}
	if n := len(f.got("train:candidate")); n != 3 {
		t.Fatalf("%d candidate trainings, want one per planned candidate", n)
	}
	ev := f.got("evaluate")[0]
	cands := ev["candidates"].([]any)
	for i, c := range cands {
		m := c.(map[string]any)
		if m["id"] != "run-"+string(rune('a'+i)) || m["index"] != float64(i) {
			t.Errorf("candidates[%d] = %v: the Map's results are not the function outputs in order", i, m)
		}
	}
	ra := f.got("requestapproval")[0]
	if ra["timeoutSeconds"] != float64(259200) || ra["evaluation"].(map[string]any)["better"] != true || !strings.HasPrefix(f.token, "asl1.") {
		t.Errorf("requestapproval got %v", ra)
	}
	waiting := ex.Waiting[0]
	if waiting.Kind != "callback" || !waiting.Until.Equal(t0.Add(259200*time.Second)) {
		t.Errorf("waiting %+v, want a callback due in 72 h", waiting)
	}
	id, err := r.Resolve(context.Background(), "heart-2")
	if err != nil || id != ex.ID {
		t.Errorf("Resolve by name: %q, %v", id, err)
	}
	if _, err := r.Resolve(context.Background(), "heart-9"); !errors.Is(err, asl.ErrExecutionNotFound) {
		t.Errorf("Resolve of an unknown name: %v", err)
	}
}

// A handler's named error reaches the Catch under its name; a transient
// InternalError is retried.
func TestErrorsKeepTheirNames(t *testing.T) {
	t.Run("DataValidationFailed ends in RecordFailure", func(t *testing.T) {
		f := &fakes{calls: map[string][]map[string]any{}, validate: lambdaerr.New(lambdaerr.DataValidationFailed, "chol out of range")}
		r := newRunner(t, f, asltest.NewClock(t0))
		ex, err := r.Execute(context.Background(), "heart-3", json.RawMessage(strings.Replace(input, "%s", "true", 1)))
		must(t, err)
		if ex.Status != asl.StatusFailed || ex.Error != "RetrainFailed" {
			t.Fatalf("status %s error %s", ex.Status, ex.Error)
		}
		rec := f.got("record")
		failed := rec[len(rec)-1]
		e := failed["input"].(map[string]any)["error"].(map[string]any)
		if failed["event"] != "failed" || e["Error"] != "DataValidationFailed" || !strings.Contains(e["Cause"].(string), `"errorMessage":"chol out of range"`) {
			t.Errorf("recorded %v", failed)
		}
		if len(f.got("validate")) != 1 {
			t.Error("DataValidationFailed was retried")
		}
	})
	t.Run("an unnamed error arrives under its Go type name", func(t *testing.T) {
		f := &fakes{calls: map[string][]map[string]any{}, validate: errors.New("boom")}
		r := newRunner(t, f, asltest.NewClock(t0))
		_, err := r.Execute(context.Background(), "heart-4", json.RawMessage(strings.Replace(input, "%s", "true", 1)))
		must(t, err)
		rec := f.got("record")
		if e := rec[len(rec)-1]["input"].(map[string]any)["error"].(map[string]any); e["Error"] != "errorString" {
			t.Errorf("error %v, want errorString", e)
		}
	})
	t.Run("InternalError is retried", func(t *testing.T) {
		f := &fakes{calls: map[string][]map[string]any{}, evaluate: func(n int) (any, error) {
			if n == 1 {
				return nil, lambdaerr.New(lambdaerr.Internal, "registry busy")
			}
			return evaluation(false, "challenger"), nil
		}}
		clock := asltest.NewClock(t0)
		r := newRunner(t, f, clock)
		ex, err := r.Execute(context.Background(), "heart-5", json.RawMessage(strings.Replace(input, "%s", "true", 1)))
		must(t, err)
		if ex.Status != asl.StatusRunning || ex.Waiting[0].Kind != "retry" {
			t.Fatalf("after a transient failure: %s %v, want waiting to retry", ex.Status, ex.Waiting)
		}
		clock.Advance(30 * time.Second)
		must(t, r.Tick(context.Background()))
		ex, _ = r.DescribeExecution(context.Background(), ex.ID)
		if ex.Status != asl.StatusSucceeded || len(f.got("evaluate")) != 2 {
			t.Errorf("status %s after %d evaluations", ex.Status, len(f.got("evaluate")))
		}
	})
}

func TestEveryFunctionNeedsAHandler(t *testing.T) {
	f := &fakes{calls: map[string][]map[string]any{}}
	fns := f.functions()
	delete(fns, "promote")
	delete(fns, "evaluate")
	db, err := sqlite.Open(filepath.Join(t.TempDir(), "steward.db"))
	must(t, err)
	defer db.Close()
	_, err = retrain.New(retrain.Config{Records: db, Functions: fns})
	if !errors.Is(err, retrain.ErrUnbound) || !strings.Contains(err.Error(), "evaluate, promote") {
		t.Errorf("error %v, want ErrUnbound naming evaluate and promote", err)
	}
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// tickingClock moves on a millisecond each time it is read, so that
// executions started one after the other have distinct start times.
type tickingClock struct{ *asltest.Clock }

func (c tickingClock) Now() time.Time {
	c.Advance(time.Millisecond)
	return c.Clock.Now()
}

func TestRunnerKeepsTheExecutionsContract(t *testing.T) {
	workflowtest.Run(t, func(t *testing.T) workflowtest.Subject {
		f := &fakes{calls: map[string][]map[string]any{}, evaluate: func(int) (any, error) { return evaluation(true, "challenger"), nil }}
		db, err := sqlite.Open(filepath.Join(t.TempDir(), "steward.db"))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { db.Close() })
		r, err := retrain.New(retrain.Config{Records: db, Functions: f.functions(), Clock: tickingClock{asltest.NewClock(t0)}, Owner: "test"})
		if err != nil {
			t.Fatal(err)
		}
		return workflowtest.Subject{Executions: r, Token: func(t *testing.T, ex workflow.Execution) string {
			f.mu.Lock()
			defer f.mu.Unlock()
			if f.token == "" {
				t.Fatalf("execution %s asked for no approval", ex.Name)
			}
			return f.token
		}}
	})
}
