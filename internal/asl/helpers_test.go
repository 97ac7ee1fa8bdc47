package asl_test

import (
	"bytes"
	"context"
	"encoding/json"
	"math/rand/v2"
	"sync"
	"testing"
	"time"

	"github.com/stewardml/steward/internal/asl"
	"github.com/stewardml/steward/internal/asl/asltest"
)

var t0 = time.Date(2026, 3, 14, 9, 0, 0, 0, time.UTC)

// env is a runner over a memory store with a manual clock and fixed randomness.
type env struct {
	t      *testing.T
	store  asl.Store
	clock  *asltest.Clock
	runner *asl.Runner
	res    map[string]asl.Invoker
}

func newEnv(t *testing.T, res map[string]asl.Invoker) *env {
	t.Helper()
	e := &env{t: t, store: asl.NewMemStore(), clock: asltest.NewClock(t0), res: res}
	e.runner = e.newRunner("runner-1")
	return e
}

// newRunner makes another runner over the same store, as another process would.
func (e *env) newRunner(owner string) *asl.Runner {
	e.t.Helper()
	seed := uint64(len(owner))
	r, err := asl.NewRunner(asl.Config{
		Store: e.store, Resources: e.res, Clock: e.clock, Owner: owner,
		Rand:    rand.New(rand.NewPCG(1, seed)).Float64,
		Entropy: &lockedReader{r: rand.NewChaCha8([32]byte{byte(seed)})},
	})
	if err != nil {
		e.t.Fatal(err)
	}
	return r
}

type lockedReader struct {
	mu sync.Mutex
	r  *rand.ChaCha8
}

func (l *lockedReader) Read(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.r.Read(p)
}

func mustParse(t testing.TB, def string) *asl.StateMachine {
	t.Helper()
	sm, err := asl.Parse([]byte(def))
	if err != nil {
		t.Fatalf("Parse: %v", err)
	}
	return sm
}

func (e *env) start(def, input string) asl.Execution {
	e.t.Helper()
	ex, err := e.runner.Start(context.Background(), asl.StartInput{
		StateMachine: mustParse(e.t, def), StateMachineName: "test", Input: json.RawMessage(input),
	})
	if err != nil {
		e.t.Fatalf("Start: %v", err)
	}
	return ex
}

func (e *env) describe(id string) asl.Execution {
	e.t.Helper()
	ex, err := e.runner.DescribeExecution(context.Background(), id)
	if err != nil {
		e.t.Fatal(err)
	}
	return ex
}

func (e *env) history(id string) []asl.Event {
	e.t.Helper()
	h, err := e.runner.History(context.Background(), id)
	if err != nil {
		e.t.Fatal(err)
	}
	return h
}

// jsonEq compares two JSON documents semantically.
func jsonEq(t testing.TB, got json.RawMessage, want string) {
	t.Helper()
	var g, w any
	if err := json.Unmarshal(got, &g); err != nil {
		t.Fatalf("got invalid JSON %q: %v", got, err)
	}
	if err := json.Unmarshal([]byte(want), &w); err != nil {
		t.Fatalf("want invalid JSON %q: %v", want, err)
	}
	gb, _ := json.Marshal(g)
	wb, _ := json.Marshal(w)
	if !bytes.Equal(gb, wb) {
		t.Errorf("got  %s\nwant %s", gb, wb)
	}
}

// fn is an invoker from a function of the input.
func fn(f func(in map[string]any) (any, error)) asl.Invoker {
	return asl.InvokerFunc(func(ctx context.Context, req asl.TaskRequest) (json.RawMessage, error) {
		var in map[string]any
		_ = json.Unmarshal(req.Input, &in)
		out, err := f(in)
		if err != nil {
			return nil, err
		}
		return json.Marshal(out)
	})
}

func echo() asl.Invoker {
	return asl.InvokerFunc(func(ctx context.Context, req asl.TaskRequest) (json.RawMessage, error) {
		return req.Input, nil
	})
}

func stringsReader(s string) *bytes.Reader { return bytes.NewReader([]byte(s)) }

func must(t testing.TB, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}
