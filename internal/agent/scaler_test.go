package agent

import (
	"context"
	"errors"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
)

// fakeScaler keeps a provisioned concurrency; readErr fails its reads.
type fakeScaler struct {
	mu      sync.Mutex
	n       int
	sets    []int
	readErr error
	setErr  error
}

func (f *fakeScaler) Concurrency(context.Context, string) (int, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.n, f.readErr
}

func (f *fakeScaler) SetConcurrency(_ context.Context, _ string, n int) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.sets = append(f.sets, n)
	if f.setErr != nil {
		return f.setErr
	}
	f.n = n
	return nil
}

// throttles is the sample throttle alarm at another time.
func throttles(t *testing.T, at time.Time) Trigger {
	t.Helper()
	tr, err := ParseEvent(readEvent(t, "alarm-throttles.json"), "heart")
	if err != nil {
		t.Fatal(err)
	}
	tr.Alarm.At, tr.Time = at, at
	tr.ID = "alarm:" + tr.Alarm.Name + ":ALARM:" + at.Format(time.RFC3339Nano)
	return tr
}

func TestSustainedThrottlingScalesWithinBoundsAndRetriesAFailedScale(t *testing.T) {
	h := newHarness(t)
	sc := &fakeScaler{n: 3}
	h.a.Scaler = sc
	h.a.Policy = &Policy{}
	*h.a.Policy = DefaultPolicy()
	h.a.Policy.Concurrency = ConcurrencyPolicy{Min: 2, Max: 6, Step: 2}

	e := h.handle(t, throttles(t, now))
	if e.Decision.Rule != RuleScale || e.Decision.ScaleTo != 5 || e.Outcome.Status != OutcomeDone || e.Outcome.From != 3 || e.Outcome.To != 5 {
		t.Fatalf("first alarm: %+v %+v", e.Decision, e.Outcome)
	}
	// Lambda refuses the next raise: recorded as failed, retried by the
	// next trigger, even one that only logs.
	sc.setErr = errors.New("ResourceConflictException")
	e = h.handle(t, throttles(t, now.Add(10*time.Minute)))
	if e.Outcome.Status != OutcomeFailed || e.Decision.ScaleTo != 6 {
		t.Fatalf("refused raise: %+v %+v", e.Decision, e.Outcome)
	}
	sc.setErr = nil
	e = h.handle(t, testDrift(t, "c-quiet", 0.1))
	if e.Decision.Rule != RuleRetryFailed || e.Decision.Action != ActScale || e.Outcome.Status != OutcomeDone || e.Outcome.To != 6 {
		t.Errorf("retry: %+v %+v", e.Decision, e.Outcome)
	}
	// At the maximum: escalated, not raised.
	e = h.handle(t, throttles(t, now.Add(20*time.Minute)))
	if e.Decision.Action != ActEscalate || !strings.Contains(e.Decision.Why, "configured maximum 6") {
		t.Errorf("at the maximum: %+v %+v", e.Decision, e.Outcome)
	}
	if !slices.Equal(sc.sets, []int{5, 6, 6}) {
		t.Errorf("sets %v, want [5 6 6]", sc.sets)
	}
}

func TestAnUnreadableConcurrencyFailsOnlyAThrottleDiagnosis(t *testing.T) {
	h := newHarness(t)
	h.a.Scaler = &fakeScaler{readErr: errors.New("lambda: AccessDeniedException")}
	e := h.handle(t, testDrift(t, "c1", 0.6))
	if e.Outcome.Status != OutcomeStarted {
		t.Errorf("drift decision without the concurrency: %+v %+v", e.Decision, e.Outcome)
	}
	if !slices.ContainsFunc(e.Diagnosis.Findings, func(f string) bool {
		return strings.Contains(f, "provisioned concurrency unknown: lambda: AccessDeniedException")
	}) {
		t.Errorf("findings %q", e.Diagnosis.Findings)
	}
	if _, err := h.a.Handle(context.Background(), throttles(t, now), Options{}); err == nil || !strings.Contains(err.Error(), "AccessDeniedException") {
		t.Errorf("throttle alarm: %v, want the read error", err)
	}
}
