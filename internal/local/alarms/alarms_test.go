package alarms

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stewardml/steward/internal/agent"
	"github.com/stewardml/steward/internal/bus"
	"github.com/stewardml/steward/internal/metrics"
)

var t0 = time.Date(2026, 3, 14, 9, 0, 0, 0, time.UTC)

// recorder is a bus subscriber that keeps the alarm events, and can be
// made to refuse them.
type recorder struct {
	mu     sync.Mutex
	events []bus.Event
	refuse error
}

func (r *recorder) handle(_ context.Context, e bus.Event) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.refuse != nil {
		return r.refuse
	}
	r.events = append(r.events, e)
	return nil
}

func (r *recorder) take() []bus.Event {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := r.events
	r.events = nil
	return out
}

type fixture struct {
	m     *metrics.PromRecorder
	e     *Evaluator
	rec   *recorder
	clock time.Time
}

func newFixture(t *testing.T, cfg Config) *fixture {
	t.Helper()
	f := &fixture{m: metrics.NewPromRecorder(), rec: &recorder{}, clock: t0}
	var b bus.Local
	b.Subscribe(bus.AlarmStateChange, f.rec.handle)
	if cfg.Prefix == "" {
		cfg.Prefix = "steward-local"
	}
	if cfg.ErrorRate == 0 {
		cfg.ErrorRate = 0.01
	}
	if cfg.LatencyP99 == 0 {
		cfg.LatencyP99 = time.Second
	}
	cfg.Now = func() time.Time { return f.clock }
	e, err := New(f.m, &b, cfg)
	if err != nil {
		t.Fatal(err)
	}
	f.e = e
	return f
}

func (f *fixture) serve(route string, status int, latency time.Duration, n int) {
	for range n {
		f.m.Observe(&metrics.Observation{Route: route, Status: status, Latency: latency})
	}
}

// period closes a period a minute after the last.
func (f *fixture) period(t *testing.T) []Change {
	t.Helper()
	f.clock = f.clock.Add(time.Minute)
	ch, err := f.e.Evaluate(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return ch
}

// parse reads an event as the agent does.
func parse(t *testing.T, e bus.Event) agent.Trigger {
	t.Helper()
	raw, err := json.Marshal(e)
	if err != nil {
		t.Fatal(err)
	}
	tr, err := agent.ParseEvent(raw, "heart")
	if err != nil {
		t.Fatalf("the agent refuses the event: %v\n%s", err, raw)
	}
	return tr
}

func TestErrorBurstRaisesOnceAndRecoveryClears(t *testing.T) {
	f := newFixture(t, Config{MinRequests: 10})
	f.serve(metrics.RoutePredict, 200, time.Millisecond, 90)
	f.serve(metrics.RoutePredict, 503, time.Millisecond, 10)
	if ch := f.period(t); len(ch) != 1 || ch[0].To != StateAlarm || ch[0].Alarm != "steward-local-predict-5xx" {
		t.Fatalf("changes %+v, want the 5xx alarm raised", ch)
	}
	evs := f.rec.take()
	if len(evs) != 1 {
		t.Fatalf("%d events, want 1", len(evs))
	}
	tr := parse(t, evs[0])
	if tr.Kind != agent.TriggerAlarm || tr.Alarm.Kind != agent.AlarmErrors || tr.Alarm.State != "ALARM" || tr.Alarm.Previous != "OK" || !tr.Alarm.At.Equal(t0.Add(time.Minute)) {
		t.Errorf("trigger %+v alarm %+v", tr, tr.Alarm)
	}
	if !strings.Contains(tr.Alarm.Reason, "1 out of the last 1 datapoints [0.1 (14/03/26 09:01:00)] were greater than the threshold (0.01)") {
		t.Errorf("reason %q", tr.Alarm.Reason)
	}

	// Still failing: the state holds, nothing is published.
	f.serve(metrics.RoutePredict, 500, time.Millisecond, 20)
	if ch := f.period(t); len(ch) != 0 {
		t.Errorf("changes %+v while the alarm holds", ch)
	}
	if evs := f.rec.take(); len(evs) != 0 {
		t.Errorf("%d events while the alarm holds", len(evs))
	}
	if got := f.e.State("steward-local-predict-5xx"); got != StateAlarm {
		t.Errorf("state %q", got)
	}

	// Recovery: 4xx are the client's, not errors.
	f.serve(metrics.RoutePredict, 200, time.Millisecond, 50)
	f.serve(metrics.RoutePredict, 422, time.Millisecond, 50)
	if ch := f.period(t); len(ch) != 1 || ch[0].To != StateOK || ch[0].From != StateAlarm {
		t.Fatalf("changes %+v, want the 5xx alarm cleared", ch)
	}
	evs = f.rec.take()
	if len(evs) != 1 {
		t.Fatalf("%d events, want 1", len(evs))
	}
	if tr := parse(t, evs[0]); tr.Alarm.State != "OK" || tr.Alarm.Previous != "ALARM" || tr.Alarm.Kind != agent.AlarmErrors {
		t.Errorf("recovery %+v", tr.Alarm)
	}
	if f.e.State("steward-local-predict-latency-p99") != StateOK {
		t.Error("the latency alarm moved without slow requests")
	}
}

func TestLatencyP99AgainstItsThreshold(t *testing.T) {
	for _, c := range []struct {
		name       string
		slow, fast int
		want       int
	}{
		// 1 s is a bucket bound, so the comparison is exact: the 99th of
		// 100 requests is fast with one slow request, slow with two.
		{"one slow request in 100 stays OK", 1, 99, 0},
		{"two slow requests in 100 raise", 2, 98, 1},
		{"a slow minority of one request in 50 raises", 1, 49, 1},
	} {
		t.Run(c.name, func(t *testing.T) {
			f := newFixture(t, Config{})
			f.serve(metrics.RoutePredict, 200, 2*time.Second, c.slow)
			f.serve(metrics.RoutePredict, 200, 800*time.Millisecond, c.fast)
			ch := f.period(t)
			if len(ch) != c.want {
				t.Fatalf("changes %+v, want %d", ch, c.want)
			}
			if c.want == 1 {
				tr := parse(t, f.rec.take()[0])
				if tr.Alarm.Kind != agent.AlarmLatency || tr.Alarm.Name != "steward-local-predict-latency-p99" {
					t.Errorf("alarm %+v", tr.Alarm)
				}
				if !strings.Contains(tr.Alarm.Reason, "greater than the threshold (1000.0)") {
					t.Errorf("reason %q", tr.Alarm.Reason)
				}
			}
		})
	}
	t.Run("above every bucket", func(t *testing.T) {
		f := newFixture(t, Config{LatencyP99: 20 * time.Second})
		f.serve(metrics.RoutePredict, 200, 30*time.Second, 5)
		if ch := f.period(t); len(ch) != 1 || !strings.Contains(ch[0].Reason, "[> 10000 (") {
			t.Fatalf("changes %+v", ch)
		}
	})
}

func TestDatapointsOutOfPeriods(t *testing.T) {
	f := newFixture(t, Config{Datapoints: 2, Periods: 3})
	bad := func() { f.serve(metrics.RoutePredict, 503, time.Millisecond, 5) }
	good := func() { f.serve(metrics.RoutePredict, 200, time.Millisecond, 5) }
	steps := []struct {
		traffic func()
		want    string
	}{
		{bad, StateOK},    // B: 1 of 1
		{good, StateOK},   // BG: 1 of 2
		{bad, StateAlarm}, // BGB: 2 of 3
		{bad, StateAlarm}, // GBB
		{nil, StateAlarm}, // BB-: a period without requests does not breach
		{nil, StateOK},    // B--: 1 of 3
		{bad, StateOK},    // --B
		{bad, StateAlarm}, // -BB
	}
	var states []string
	for _, s := range steps {
		if s.traffic != nil {
			s.traffic()
		}
		f.period(t)
		states = append(states, f.e.State("steward-local-predict-5xx"))
	}
	for i, s := range steps {
		if states[i] != s.want {
			t.Fatalf("states %v, step %d want %s", states, i, s.want)
		}
	}
	if n := len(f.rec.take()); n != 3 {
		t.Errorf("%d events for 3 state changes", n)
	}
}

func TestTooFewRequestsAndMetricsScrapesAreNoData(t *testing.T) {
	f := newFixture(t, Config{MinRequests: 10})
	f.serve(metrics.RoutePredict, 503, 5*time.Second, 9)
	f.serve(metrics.RouteMetrics, 200, time.Millisecond, 100)
	if ch := f.period(t); len(ch) != 0 {
		t.Errorf("changes %+v from 9 requests (and scrapes of /metrics)", ch)
	}
	f.serve(metrics.RouteMetrics, 503, 5*time.Second, 100)
	f.serve(metrics.RouteHealth, 200, time.Millisecond, 10)
	if ch := f.period(t); len(ch) != 0 {
		t.Errorf("changes %+v from failing scrapes of /metrics", ch)
	}
}

func TestARefusedChangeIsPublishedAgainUnchanged(t *testing.T) {
	f := newFixture(t, Config{Datapoints: 1, Periods: 3})
	f.rec.refuse = errors.New("the agent's record store is down")
	f.serve(metrics.RoutePredict, 503, time.Millisecond, 5)
	f.clock = f.clock.Add(time.Minute)
	ch, err := f.e.Evaluate(context.Background())
	if err == nil || len(ch) != 0 || !strings.Contains(err.Error(), "record store is down") {
		t.Fatalf("changes %+v, err %v: want the refusal", ch, err)
	}
	if got := f.e.State("steward-local-predict-5xx"); got != StateOK {
		t.Errorf("state %q after a refused change, want OK still", got)
	}
	f.rec.refuse = nil
	ch = f.period(t) // no requests: the breach is still within the last 3
	if len(ch) != 1 || ch[0].To != StateAlarm {
		t.Fatalf("changes %+v, want the pending ALARM", ch)
	}
	evs := f.rec.take()
	if len(evs) != 1 {
		t.Fatalf("%d events", len(evs))
	}
	if tr := parse(t, evs[0]); !tr.Alarm.At.Equal(t0.Add(time.Minute)) || evs[0].ID != "steward-local-predict-5xx:ALARM:"+itoa(t0.Add(time.Minute).UnixMilli()) {
		t.Errorf("the retried change is stamped %s (id %s), want the first time %s", tr.Alarm.At, evs[0].ID, t0.Add(time.Minute))
	}
}

func TestRunEvaluatesEveryPeriod(t *testing.T) {
	f := newFixture(t, Config{Period: 5 * time.Millisecond})
	f.serve(metrics.RoutePredict, 500, time.Millisecond, 3)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); f.e.Run(ctx) }()
	deadline := time.Now().Add(5 * time.Second)
	for f.e.State("steward-local-predict-5xx") != StateAlarm {
		if time.Now().After(deadline) {
			t.Fatal("Run raised nothing in 5 s")
		}
		time.Sleep(time.Millisecond)
	}
	cancel()
	<-done
}

func TestConfigErrorsNameTheField(t *testing.T) {
	m := metrics.NewPromRecorder()
	_, err := New(m, &bus.Local{}, Config{ErrorRate: 1.5, LatencyP99: time.Microsecond, Datapoints: 3, Periods: 2, MinRequests: -1})
	if !errors.Is(err, ErrConfig) {
		t.Fatalf("err %v", err)
	}
	for _, field := range []string{"Prefix", "ErrorRate", "LatencyP99", "Datapoints", "MinRequests"} {
		if !strings.Contains(err.Error(), field+":") {
			t.Errorf("error does not name %s: %v", field, err)
		}
	}
	if _, err := New(nil, &bus.Local{}, Config{Prefix: "p", ErrorRate: 0.1, LatencyP99: time.Second}); !errors.Is(err, ErrConfig) {
		t.Errorf("no source: %v", err)
	}
	e, err := New(m, &bus.Local{}, Config{Prefix: "steward-dev", ErrorRate: 0.1, LatencyP99: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(e.Names(), " "); got != "steward-dev-predict-5xx steward-dev-predict-latency-p99" {
		t.Errorf("names %q", got)
	}
}

func itoa(n int64) string { b, _ := json.Marshal(n); return string(b) }
