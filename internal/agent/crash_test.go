package agent

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stewardml/steward/internal/store"
)

// onceRetrainer starts one execution per action id, as the workflow does
// with the action's id as the execution name: a repeated start returns
// the execution with Existed set.
type onceRetrainer struct {
	mu    sync.Mutex
	calls []RetrainRequest
	execs map[string]Execution
}

func (f *onceRetrainer) StartRetrain(_ context.Context, r RetrainRequest) (Execution, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls = append(f.calls, r)
	if ex, ok := f.execs[r.ActionID]; ok {
		ex.Existed = true
		return ex, nil
	}
	ex := Execution{ID: fmt.Sprintf("local:steward-retrain:heart-%s", r.ActionID), Name: "heart-" + r.ActionID, Status: "RUNNING"}
	f.execs[r.ActionID] = ex
	return ex, nil
}

// crashingRecords fails the write that would record an action's success,
// as a process dying right after the start would leave it.
type crashingRecords struct {
	store.RecordStore
	crash bool
}

func (c *crashingRecords) Write(ctx context.Context, ws ...store.Write) error {
	for _, w := range ws {
		if c.crash && strings.HasPrefix(w.Record.SK, actionPrefix) && strings.Contains(string(w.Record.Body), `"state":"succeeded"`) {
			return errors.New("the process died")
		}
	}
	return c.RecordStore.Write(ctx, ws...)
}

// TestARetrainingStartedBeforeACrashIsNotStartedTwice: the start went
// through but its action record still says started; the same alert
// delivered again within staleAfter is a duplicate, and after it the
// retried start finds the execution the first one made.
func TestARetrainingStartedBeforeACrashIsNotStartedTwice(t *testing.T) {
	h := newHarness(t)
	rt := &onceRetrainer{execs: map[string]Execution{}}
	h.a.Retrainer = rt
	recs := &crashingRecords{RecordStore: h.a.Records, crash: true}
	h.a.Records = recs
	tr := testDrift(t, "c1", 0.6)
	if _, err := h.a.Handle(context.Background(), tr, Options{}); err == nil || !strings.Contains(err.Error(), "record was not saved") {
		t.Fatalf("crash: %v", err)
	}
	recs.crash = false
	if len(rt.calls) != 1 {
		t.Fatalf("%d starts", len(rt.calls))
	}
	actionID := rt.calls[0].ActionID

	e := h.handle(t, tr)
	if e.Outcome.Status != OutcomeSuppressed || e.Decision.Suppressed != SuppressedDuplicate || len(rt.calls) != 1 {
		t.Errorf("redelivered at once: %+v %+v, %d starts", e.Decision, e.Outcome, len(rt.calls))
	}

	h.clock = h.clock.Add(DefaultPolicy().StaleAfter.D() + time.Minute)
	e = h.handle(t, tr)
	if len(rt.calls) != 2 || rt.calls[1].ActionID != actionID {
		t.Fatalf("%d starts, the second for %v; want the same action %s", len(rt.calls), rt.calls[len(rt.calls)-1].ActionID, actionID)
	}
	want := "local:steward-retrain:heart-" + actionID
	if e.Outcome.Status != OutcomeStarted || e.Outcome.Execution != want || !strings.Contains(e.Decision.Why, "had already been started for action "+actionID) {
		t.Errorf("retried: %+v %+v", e.Decision, e.Outcome)
	}
	if len(rt.execs) != 1 {
		t.Errorf("%d executions, want 1", len(rt.execs))
	}
	if rec := h.action(t, actionID); rec.State != StateSucceeded || rec.Execution != want || rec.Attempts != 2 {
		t.Errorf("action record %+v", rec)
	}
}
