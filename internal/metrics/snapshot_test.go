package metrics

import (
	"math"
	"testing"
	"time"
)

func TestSnapshotCountsAndSubtracts(t *testing.T) {
	p := NewPromRecorder()
	obs := func(route string, status int, lat time.Duration, n int) {
		for range n {
			p.Observe(&Observation{Route: route, Status: status, Latency: lat})
		}
	}
	obs(RoutePredict, 200, 3*time.Millisecond, 5)
	obs(RoutePredict, 503, 2*time.Second, 2)
	first := p.Snapshot()
	if got := first.Requests[RouteStatus{RoutePredict, 200}]; got != 5 {
		t.Errorf("200s = %d, want 5", got)
	}
	if got := first.Requests[RouteStatus{RoutePredict, 503}]; got != 2 {
		t.Errorf("503s = %d, want 2", got)
	}
	h := first.Latency[RoutePredict]
	if h.Total() != 7 || len(h.Counts) != len(LatencyBuckets)+1 {
		t.Fatalf("histogram %+v", h)
	}
	if got, want := h.Sum, 5*0.003+2*2.0; math.Abs(got-want) > 1e-9 {
		t.Errorf("sum %g, want %g", got, want)
	}

	obs(RoutePredict, 503, 20*time.Second, 3)
	obs(RouteHealth, 200, time.Millisecond, 1)
	d := p.Snapshot().Sub(first)
	if got := d.Requests[RouteStatus{RoutePredict, 503}]; got != 3 {
		t.Errorf("503s since the first snapshot = %d, want 3", got)
	}
	if _, ok := d.Requests[RouteStatus{RoutePredict, 200}]; ok {
		t.Errorf("no 200 since the first snapshot, got %d", d.Requests[RouteStatus{RoutePredict, 200}])
	}
	if got := d.Latency[RoutePredict]; got.Total() != 3 || got.Counts[len(got.Counts)-1] != 3 || math.Abs(got.Sum-60) > 1e-9 {
		t.Errorf("predict latency since the first snapshot %+v, want 3 above every bound summing 60 s", got)
	}
	if got := d.Latency[RouteHealth]; got.Total() != 1 {
		t.Errorf("health latency %+v: a new route counts from zero", got)
	}
	// Against a later snapshot (a restarted recorder) counts start over.
	if got := first.Sub(p.Snapshot()).Requests[RouteStatus{RoutePredict, 503}]; got != 2 {
		t.Errorf("after a reset 503s = %d, want 2", got)
	}
}

func TestHistogramQuantile(t *testing.T) {
	bounds := []float64{0.1, 0.5, 1, 2.5}
	h := func(counts ...uint64) HistogramSnapshot { return HistogramSnapshot{Bounds: bounds, Counts: counts} }
	for _, c := range []struct {
		name string
		h    HistogramSnapshot
		q    float64
		want float64
	}{
		{"all in the first bucket interpolate from 0", h(10, 0, 0, 0, 0), 0.5, 0.05},
		{"rank at a bucket's top is its bound", h(99, 0, 1, 0, 0), 0.99, 0.1},
		{"rank past the bound moves to the next bucket", h(98, 0, 2, 0, 0), 0.99, 0.5 + 0.5*0.5},
		{"empty buckets are skipped", h(0, 0, 0, 4, 0), 0.5, 1 + 1.5*0.5},
		{"above every bound is +Inf", h(90, 0, 0, 0, 10), 0.99, math.Inf(1)},
		{"p100 is the highest bucket's bound", h(1, 1, 0, 0, 0), 1, 0.5},
		{"no observations", h(0, 0, 0, 0, 0), 0.99, math.NaN()},
		{"q out of range", h(1, 0, 0, 0, 0), 0, math.NaN()},
		{"counts of the wrong length", HistogramSnapshot{Bounds: bounds, Counts: []uint64{1}}, 0.5, math.NaN()},
	} {
		t.Run(c.name, func(t *testing.T) {
			got := c.h.Quantile(c.q)
			if math.IsNaN(c.want) != math.IsNaN(got) || (!math.IsNaN(c.want) && math.Abs(got-c.want) > 1e-12 && got != c.want) {
				t.Errorf("got %g, want %g", got, c.want)
			}
		})
	}
}
