package alarms

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/stewardml/steward/internal/bus"
	"github.com/stewardml/steward/internal/metrics"
)

// Source is the metrics registry; *metrics.PromRecorder implements it.
// Snapshot returns what was counted since the registry was made and is
// safe for concurrent use.
type Source interface {
	Snapshot() metrics.Snapshot
}

// The alarm names' suffixes, as the stack names its CloudWatch alarms
// (and as the agent classifies them).
const (
	SuffixErrors  = "predict-5xx"
	SuffixLatency = "predict-latency-p99"
)

// Alarm states.
const (
	StateOK    = "OK"
	StateAlarm = "ALARM"
)

// EventSource is the source of the published events: the agent takes
// alarm state changes from CloudWatch's source only.
const EventSource = "aws.cloudwatch"

// Defaults of Config.
const (
	DefaultPeriod      = time.Minute
	DefaultMinRequests = 1
)

// Config says what to evaluate and when to raise.
type Config struct {
	// Prefix starts the alarm names, as the stack's prefix does:
	// "steward-local" names "steward-local-predict-5xx". Required.
	Prefix string
	// Period is the time one datapoint covers; default DefaultPeriod.
	Period time.Duration
	// ErrorRate: a period breaches when more than this share of its
	// requests were answered with a 5xx; in (0, 1).
	ErrorRate float64
	// LatencyP99: a period breaches when the p99 of its request latencies
	// is above it (exact when it is one of metrics.LatencyBuckets; 1 s is).
	LatencyP99 time.Duration
	// MinRequests is the fewest requests a period needs for a datapoint;
	// default DefaultMinRequests.
	MinRequests int
	// Datapoints out of the last Periods datapoints must breach for ALARM;
	// default 1 of 1.
	Datapoints, Periods int
	// Now stamps the state changes; nil means time.Now.
	Now func() time.Time
	// Logger receives failed deliveries from Run; nil discards.
	Logger *slog.Logger
}

// ErrConfig reports a configuration that cannot be evaluated.
var ErrConfig = errors.New("alarms: invalid configuration")

func (c *Config) check() error {
	if c.Period == 0 {
		c.Period = DefaultPeriod
	}
	if c.MinRequests == 0 {
		c.MinRequests = DefaultMinRequests
	}
	if c.Periods == 0 {
		c.Periods = max(c.Datapoints, 1)
	}
	if c.Datapoints == 0 {
		c.Datapoints = 1
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	var errs []error
	bad := func(field, format string, args ...any) {
		errs = append(errs, fmt.Errorf("%w: %s: %s", ErrConfig, field, fmt.Sprintf(format, args...)))
	}
	if c.Prefix == "" {
		bad("Prefix", "is required (the alarms are named <prefix>-%s and so on)", SuffixErrors)
	}
	if c.Period < 0 {
		bad("Period", "expected a positive duration, got %s", c.Period)
	}
	if !(c.ErrorRate > 0 && c.ErrorRate < 1) {
		bad("ErrorRate", "expected a share in (0, 1), got %g", c.ErrorRate)
	}
	if c.LatencyP99 < time.Millisecond {
		bad("LatencyP99", "expected at least 1ms, got %s", c.LatencyP99)
	}
	if c.MinRequests < 1 {
		bad("MinRequests", "expected at least 1, got %d", c.MinRequests)
	}
	if c.Datapoints < 1 || c.Periods < c.Datapoints {
		bad("Datapoints", "expected 1 <= datapoints <= periods, got %d of %d", c.Datapoints, c.Periods)
	}
	return errors.Join(errs...)
}

// Evaluator evaluates the alarms over a Source and publishes their state
// changes. It is safe for concurrent use.
type Evaluator struct {
	src Source
	pub bus.Publisher
	cfg Config

	mu     sync.Mutex
	prev   metrics.Snapshot
	alarms []*alarm
}

// alarm is one alarm's definition and state.
type alarm struct {
	name, description string
	threshold         float64
	format            func(float64) string
	measure           func(w metrics.Snapshot, minRequests int) (float64, bool)

	points  []point // the last Periods datapoints, oldest first
	state   string
	pending *change // a state change the bus did not take yet
}

// point is one period's datapoint; ok is false for a period without one.
type point struct {
	at     time.Time
	value  float64
	ok     bool
	breach bool
}

type change struct {
	Change
	event bus.Event
}

// Change is a state change of an alarm.
type Change struct {
	Alarm  string
	From   string
	To     string
	Reason string
	At     time.Time
}

// New returns an evaluator of the error-rate and latency alarms over src,
// publishing to pub. Both alarms start OK; the figures counted so far are
// the baseline of the first period.
func New(src Source, pub bus.Publisher, cfg Config) (*Evaluator, error) {
	if src == nil || pub == nil {
		return nil, fmt.Errorf("%w: a metrics source and a publisher are required", ErrConfig)
	}
	if err := cfg.check(); err != nil {
		return nil, err
	}
	e := &Evaluator{src: src, pub: pub, cfg: cfg, prev: src.Snapshot()}
	e.alarms = []*alarm{
		{name: cfg.Prefix + "-" + SuffixErrors, description: "Share of API requests answered with a 5xx",
			threshold: cfg.ErrorRate, format: formatRate, measure: errorRate, state: StateOK},
		{name: cfg.Prefix + "-" + SuffixLatency, description: "p99 API latency in milliseconds",
			threshold: float64(cfg.LatencyP99) / float64(time.Millisecond), format: formatMillis, measure: latencyP99, state: StateOK},
	}
	return e, nil
}

// Names returns the alarm names.
func (e *Evaluator) Names() []string {
	out := make([]string, len(e.alarms))
	for i, a := range e.alarms {
		out[i] = a.name
	}
	return out
}

// State returns the state of the alarm named name ("" for none).
func (e *Evaluator) State(name string) string {
	e.mu.Lock()
	defer e.mu.Unlock()
	for _, a := range e.alarms {
		if a.name == name {
			return a.state
		}
	}
	return ""
}

// Run evaluates once every period until ctx ends.
func (e *Evaluator) Run(ctx context.Context) {
	t := time.NewTicker(e.cfg.Period)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			if _, err := e.Evaluate(ctx); err != nil {
				e.cfg.Logger.Error("alarms: state change not delivered; it is published again at the next evaluation", "err", err)
			}
		}
	}
}

// Evaluate closes a period: it takes each alarm's datapoint from the
// figures counted since the previous call, decides its state, and
// publishes the changes, returning those the bus took. A change the bus
// refused is an error; it stays pending and is published again, with its
// first timestamp, by the next call while the condition holds.
func (e *Evaluator) Evaluate(ctx context.Context) ([]Change, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	cur := e.src.Snapshot()
	window := cur.Sub(e.prev)
	e.prev = cur
	at := e.cfg.Now().UTC()
	var done []Change
	var errs []error
	for _, a := range e.alarms {
		v, ok := a.measure(window, e.cfg.MinRequests)
		a.points = append(a.points, point{at: at, value: v, ok: ok, breach: ok && v > a.threshold})
		if len(a.points) > e.cfg.Periods {
			a.points = a.points[len(a.points)-e.cfg.Periods:]
		}
		to := StateOK
		if a.breaches() >= e.cfg.Datapoints {
			to = StateAlarm
		}
		switch {
		case to == a.state:
			a.pending = nil
			continue
		case a.pending == nil || a.pending.To != to:
			c, err := e.newChange(a, to, at)
			if err != nil {
				return done, err
			}
			a.pending = c
		}
		if err := e.pub.Publish(ctx, a.pending.event); err != nil {
			errs = append(errs, fmt.Errorf("alarms: %s %s → %s: %w", a.name, a.pending.From, a.pending.To, err))
			continue
		}
		a.state = to
		done = append(done, a.pending.Change)
		a.pending = nil
	}
	return done, errors.Join(errs...)
}

func (a *alarm) breaches() int {
	n := 0
	for _, p := range a.points {
		if p.breach {
			n++
		}
	}
	return n
}

// newChange makes the state change and its event.
func (e *Evaluator) newChange(a *alarm, to string, at time.Time) (*change, error) {
	var vals []string
	for i := len(a.points) - 1; i >= 0; i-- {
		p := a.points[i]
		if (to == StateAlarm) != p.breach {
			continue
		}
		v := "no data"
		if p.ok {
			v = a.format(p.value)
		}
		vals = append(vals, v+" ("+p.at.Format("02/01/06 15:04:05")+")")
	}
	var reason string
	if to == StateAlarm {
		reason = fmt.Sprintf("Threshold Crossed: %d out of the last %d datapoints [%s] were greater than the threshold (%s) (minimum %d datapoints for OK -> ALARM transition).",
			len(vals), len(a.points), strings.Join(vals, ", "), a.format(a.threshold), e.cfg.Datapoints)
	} else {
		reason = fmt.Sprintf("Threshold Crossed: %d out of the last %d datapoints [%s] were not greater than the threshold (%s), fewer than %d breaching.",
			len(vals), len(a.points), strings.Join(vals, ", "), a.format(a.threshold), e.cfg.Datapoints)
	}
	c := Change{Alarm: a.name, From: a.state, To: to, Reason: reason, At: at}
	detail := alarmDetail{AlarmName: a.name,
		State:         stateDetail{Value: to, Reason: reason, Timestamp: at.Format(timestampLayout)},
		PreviousState: stateDetail{Value: a.state},
		Configuration: configuration{Description: a.description},
	}
	b, err := json.Marshal(detail)
	if err != nil {
		return nil, fmt.Errorf("alarms: encode %s: %w", a.name, err)
	}
	ev := bus.Event{ID: a.name + ":" + to + ":" + strconv.FormatInt(at.UnixMilli(), 10), Source: EventSource,
		DetailType: bus.AlarmStateChange, Time: at, Detail: b}
	return &change{Change: c, event: ev}, nil
}

// timestampLayout is CloudWatch's state timestamp ("2026-03-14T09:00:00.000+0000").
const timestampLayout = "2006-01-02T15:04:05.000-0700"

// alarmDetail is the detail of a "CloudWatch Alarm State Change" event,
// with the fields the agent reads.
type alarmDetail struct {
	AlarmName     string        `json:"alarmName"`
	State         stateDetail   `json:"state"`
	PreviousState stateDetail   `json:"previousState"`
	Configuration configuration `json:"configuration"`
}

type stateDetail struct {
	Value     string `json:"value"`
	Reason    string `json:"reason,omitempty"`
	Timestamp string `json:"timestamp,omitempty"`
}

type configuration struct {
	Description string `json:"description"`
}

// counted reports whether a route's requests count: the API's, not the
// scrapes of /metrics.
func counted(route string) bool { return route != metrics.RouteMetrics }

// errorRate is the share of the window's requests answered with a 5xx.
func errorRate(w metrics.Snapshot, minRequests int) (float64, bool) {
	var total, failed uint64
	for k, n := range w.Requests {
		if !counted(k.Route) {
			continue
		}
		total += n
		if k.Status >= 500 && k.Status <= 599 {
			failed += n
		}
	}
	if total == 0 || total < uint64(minRequests) {
		return 0, false
	}
	return float64(failed) / float64(total), true
}

// latencyP99 is the p99 of the window's request latencies, in
// milliseconds.
func latencyP99(w metrics.Snapshot, minRequests int) (float64, bool) {
	var all metrics.HistogramSnapshot
	for route, h := range w.Latency {
		if !counted(route) {
			continue
		}
		if all.Counts == nil {
			all = metrics.HistogramSnapshot{Bounds: h.Bounds, Counts: make([]uint64, len(h.Counts))}
		}
		if len(h.Counts) != len(all.Counts) {
			continue // another bucket layout; the recorder has one
		}
		for i, c := range h.Counts {
			all.Counts[i] += c
		}
		all.Sum += h.Sum
	}
	if n := all.Total(); n == 0 || n < uint64(minRequests) {
		return 0, false
	}
	return all.Quantile(0.99) * 1000, true
}

func formatRate(v float64) string { return strconv.FormatFloat(v, 'g', 4, 64) }

func formatMillis(v float64) string {
	if math.IsInf(v, 1) {
		return fmt.Sprintf("> %g", metrics.LatencyBuckets[len(metrics.LatencyBuckets)-1]*1000)
	}
	return strconv.FormatFloat(v, 'f', 1, 64)
}
