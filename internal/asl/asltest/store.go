package asltest

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/stewardml/steward/internal/asl"
)

// t0 is the suite's reference time.
var t0 = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

// rec is an execution record of the suite.
func rec(id string, version int64, status asl.Status, start time.Time) asl.ExecutionRecord {
	return asl.ExecutionRecord{
		ID: id, Version: version, StateMachine: "retrain", Name: "n-" + id, Status: status,
		StartTime: start, WakeAt: start.Add(time.Minute), Data: json.RawMessage(fmt.Sprintf(`{"v":%d}`, version)),
	}
}

// events are n history events with ids from.
func events(from, n int64) []asl.Event {
	var out []asl.Event
	for i := from; i < from+n; i++ {
		out = append(out, asl.Event{ID: i, Type: asl.EventTaskScheduled, Timestamp: t0, State: "S", Input: json.RawMessage(`{"i":1}`)})
	}
	return out
}

// TestStore runs the contract every asl.Store implementation must meet.
// newStore returns a fresh, empty store for each subtest.
func TestStore(t *testing.T, newStore func(t *testing.T) asl.Store) {
	t.Helper()
	for _, tc := range []struct {
		name string
		run  func(*testing.T, func(t *testing.T) asl.Store)
	}{
		{"create then load returns what was saved", storeCreateThenLoadReturnsWhatWasSaved},
		{"unknown execution is ErrExecutionNotFound", storeUnknownExecutionIsErrexecutionnotfound},
		{"second create is ErrExecutionExists and changes nothing", storeSecondCreateIsErrexecutionexistsAndChangesNothing},
		{"stale version is ErrVersionConflict and writes nothing", storeStaleVersionIsErrversionconflictAndWritesNothing},
		{"events come back in order and after filters", storeEventsComeBackInOrderAndAfterFilters},
		{"list filters by status and machine, oldest first", storeListFiltersByStatusAndMachineOldestFirst},
		{"concurrent saves of one version: exactly one wins", storeConcurrentSavesOfOneVersionExactlyOneWins},
	} {
		t.Run(tc.name, func(t *testing.T) { tc.run(t, newStore) })
	}
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func storeCreateThenLoadReturnsWhatWasSaved(t *testing.T, newStore func(t *testing.T) asl.Store) {
	ctx := context.Background()
	s := newStore(t)
	want := rec("a", 1, asl.StatusRunning, t0)
	if err := s.SaveExecution(ctx, want, events(1, 2)); err != nil {
		t.Fatal(err)
	}
	got, err := s.LoadExecution(ctx, "a")
	if err != nil {
		t.Fatal(err)
	}
	if got.ID != want.ID || got.Version != 1 || got.Status != want.Status || got.Name != want.Name ||
		got.StateMachine != want.StateMachine || !got.StartTime.Equal(want.StartTime) || !got.WakeAt.Equal(want.WakeAt) ||
		string(got.Data) != string(want.Data) {
		t.Errorf("got %+v, want %+v", got, want)
	}
}

func storeUnknownExecutionIsErrexecutionnotfound(t *testing.T, newStore func(t *testing.T) asl.Store) {
	ctx := context.Background()
	s := newStore(t)
	if _, err := s.LoadExecution(ctx, "missing"); !errors.Is(err, asl.ErrExecutionNotFound) {
		t.Errorf("LoadExecution: got %v, want ErrExecutionNotFound", err)
	}
	if _, err := s.LoadEvents(ctx, "missing", 0); !errors.Is(err, asl.ErrExecutionNotFound) {
		t.Errorf("LoadEvents: got %v, want ErrExecutionNotFound", err)
	}
}

func storeSecondCreateIsErrexecutionexistsAndChangesNothing(t *testing.T, newStore func(t *testing.T) asl.Store) {
	ctx := context.Background()
	s := newStore(t)
	if err := s.SaveExecution(ctx, rec("a", 1, asl.StatusRunning, t0), events(1, 1)); err != nil {
		t.Fatal(err)
	}
	other := rec("a", 1, asl.StatusFailed, t0)
	if err := s.SaveExecution(ctx, other, events(2, 1)); !errors.Is(err, asl.ErrExecutionExists) {
		t.Fatalf("got %v, want ErrExecutionExists", err)
	}
	got, _ := s.LoadExecution(ctx, "a")
	if got.Status != asl.StatusRunning {
		t.Errorf("status %s, want RUNNING", got.Status)
	}
	ev, _ := s.LoadEvents(ctx, "a", 0)
	if len(ev) != 1 {
		t.Errorf("%d events, want 1", len(ev))
	}
}

func storeStaleVersionIsErrversionconflictAndWritesNothing(t *testing.T, newStore func(t *testing.T) asl.Store) {
	ctx := context.Background()
	s := newStore(t)
	must(t, s.SaveExecution(ctx, rec("a", 1, asl.StatusRunning, t0), events(1, 1)))
	must(t, s.SaveExecution(ctx, rec("a", 2, asl.StatusRunning, t0), events(2, 1)))
	for _, v := range []int64{2, 4} {
		if err := s.SaveExecution(ctx, rec("a", v, asl.StatusSucceeded, t0), events(3, 1)); !errors.Is(err, asl.ErrVersionConflict) {
			t.Errorf("version %d: got %v, want ErrVersionConflict", v, err)
		}
	}
	if err := s.SaveExecution(ctx, rec("b", 2, asl.StatusRunning, t0), nil); !errors.Is(err, asl.ErrVersionConflict) {
		t.Errorf("update of a missing execution: got %v, want ErrVersionConflict", err)
	}
	got, _ := s.LoadExecution(ctx, "a")
	if got.Version != 2 || got.Status != asl.StatusRunning {
		t.Errorf("got version %d status %s, want 2 RUNNING", got.Version, got.Status)
	}
	ev, _ := s.LoadEvents(ctx, "a", 0)
	if len(ev) != 2 {
		t.Errorf("%d events, want 2", len(ev))
	}
}

func storeEventsComeBackInOrderAndAfterFilters(t *testing.T, newStore func(t *testing.T) asl.Store) {
	ctx := context.Background()
	s := newStore(t)
	must(t, s.SaveExecution(ctx, rec("a", 1, asl.StatusRunning, t0), events(1, 3)))
	must(t, s.SaveExecution(ctx, rec("a", 2, asl.StatusRunning, t0), nil))
	must(t, s.SaveExecution(ctx, rec("a", 3, asl.StatusSucceeded, t0), events(4, 30)))
	all, err := s.LoadEvents(ctx, "a", 0)
	if err != nil {
		t.Fatal(err)
	}
	if len(all) != 33 {
		t.Fatalf("%d events, want 33", len(all))
	}
	for i, e := range all {
		if e.ID != int64(i+1) || e.Type != asl.EventTaskScheduled || string(e.Input) != `{"i":1}` || !e.Timestamp.Equal(t0) {
			t.Fatalf("event %d = %+v", i, e)
		}
	}
	tail, _ := s.LoadEvents(ctx, "a", 31)
	if len(tail) != 2 || tail[0].ID != 32 {
		t.Errorf("after 31: got %d events starting at %v, want 2 from 32", len(tail), tail)
	}
}

func storeListFiltersByStatusAndMachineOldestFirst(t *testing.T, newStore func(t *testing.T) asl.Store) {
	ctx := context.Background()
	s := newStore(t)
	must(t, s.SaveExecution(ctx, rec("c", 1, asl.StatusRunning, t0.Add(2*time.Hour)), nil))
	must(t, s.SaveExecution(ctx, rec("a", 1, asl.StatusRunning, t0), nil))
	b := rec("b", 1, asl.StatusRunning, t0.Add(time.Hour))
	b.StateMachine = "other"
	must(t, s.SaveExecution(ctx, b, nil))
	must(t, s.SaveExecution(ctx, rec("a", 2, asl.StatusSucceeded, t0), nil))
	ids := func(recs []asl.ExecutionRecord) string {
		out := ""
		for _, r := range recs {
			out += r.ID
		}
		return out
	}
	for _, tc := range []struct {
		filter asl.ListFilter
		want   string
	}{
		{asl.ListFilter{}, "abc"},
		{asl.ListFilter{Status: asl.StatusRunning}, "bc"},
		{asl.ListFilter{StateMachine: "retrain"}, "ac"},
		{asl.ListFilter{Status: asl.StatusSucceeded, StateMachine: "retrain"}, "a"},
	} {
		got, err := s.ListExecutions(ctx, tc.filter)
		if err != nil {
			t.Fatal(err)
		}
		if ids(got) != tc.want {
			t.Errorf("filter %+v: got %q, want %q", tc.filter, ids(got), tc.want)
		}
	}
}

func storeConcurrentSavesOfOneVersionExactlyOneWins(t *testing.T, newStore func(t *testing.T) asl.Store) {
	ctx := context.Background()
	s := newStore(t)
	must(t, s.SaveExecution(ctx, rec("a", 1, asl.StatusRunning, t0), nil))
	const n = 8
	var wg sync.WaitGroup
	errs := make([]error, n)
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs[i] = s.SaveExecution(ctx, rec("a", 2, asl.StatusRunning, t0), events(1, 1))
		}()
	}
	wg.Wait()
	wins := 0
	for _, err := range errs {
		switch {
		case err == nil:
			wins++
		case !errors.Is(err, asl.ErrVersionConflict):
			t.Errorf("unexpected error %v", err)
		}
	}
	if wins != 1 {
		t.Errorf("%d saves won, want 1", wins)
	}
	ev, _ := s.LoadEvents(ctx, "a", 0)
	if len(ev) != 1 {
		t.Errorf("%d events stored, want 1", len(ev))
	}
}
