package metrics

import (
	"math"
	"sync/atomic"
)

// RouteStatus keys the request counts of a Snapshot.
type RouteStatus struct {
	Route  string
	Status int
}

// HistogramSnapshot is a histogram read at one moment. Counts has one entry
// per bound and a last one for the observations above every bound; the
// counts are per bucket (not cumulative), so that two snapshots subtract
// bucket by bucket.
type HistogramSnapshot struct {
	Bounds []float64
	Counts []uint64
	Sum    float64
}

// Total returns the number of observations.
func (h HistogramSnapshot) Total() uint64 {
	var n uint64
	for _, c := range h.Counts {
		n += c
	}
	return n
}

// Snapshot is what a PromRecorder has counted since it was made:
// the figures GET /metrics shows, readable in Go. Two snapshots taken a
// period apart give that period's figures (see Sub).
type Snapshot struct {
	// Requests counts the requests answered, by route template and status.
	Requests map[RouteStatus]uint64
	// Latency is the request latency histogram (seconds, LatencyBuckets)
	// of each route template.
	Latency map[string]HistogramSnapshot
}

// Snapshot reads the request counts and latency histograms. Each figure
// is read atomically, the set of them is not: a request observed during
// the call may be in its count and not yet in its histogram. It is safe
// for concurrent use with Observe.
func (p *PromRecorder) Snapshot() Snapshot {
	s := Snapshot{Requests: map[RouteStatus]uint64{}, Latency: map[string]HistogramSnapshot{}}
	p.requests.Range(func(k, v any) bool {
		rk := k.(reqKey)
		s.Requests[RouteStatus{rk.route, rk.status}] = v.(*atomic.Uint64).Load()
		return true
	})
	p.latency.Range(func(k, v any) bool {
		h := v.(*histogram)
		hs := HistogramSnapshot{Bounds: h.bounds, Counts: make([]uint64, len(h.counts)), Sum: math.Float64frombits(h.sum.Load())}
		for i := range h.counts {
			hs.Counts[i] = h.counts[i].Load()
		}
		s.Latency[k.(string)] = hs
		return true
	})
	return s
}

// Sub returns the figures counted since prev, an earlier snapshot of the
// same recorder. A figure smaller than in prev (another recorder, a
// restart) counts from zero.
func (s Snapshot) Sub(prev Snapshot) Snapshot {
	out := Snapshot{Requests: make(map[RouteStatus]uint64, len(s.Requests)), Latency: make(map[string]HistogramSnapshot, len(s.Latency))}
	for k, n := range s.Requests {
		if p := prev.Requests[k]; p <= n {
			n -= p
		}
		if n > 0 {
			out.Requests[k] = n
		}
	}
	for route, h := range s.Latency {
		p, ok := prev.Latency[route]
		d := HistogramSnapshot{Bounds: h.Bounds, Counts: append([]uint64(nil), h.Counts...), Sum: h.Sum}
		if ok && len(p.Counts) == len(h.Counts) && !fewer(h.Counts, p.Counts) {
			for i := range d.Counts {
				d.Counts[i] -= p.Counts[i]
			}
			d.Sum -= p.Sum
		}
		out.Latency[route] = d
	}
	return out
}

// fewer reports whether any count of a is below b's.
func fewer(a, b []uint64) bool {
	for i := range a {
		if a[i] < b[i] {
			return true
		}
	}
	return false
}

// Quantile estimates the q-quantile (0 < q <= 1) of the observations as
// Prometheus' histogram_quantile does: it finds the bucket holding the
// observation of rank q×Total and interpolates linearly inside it (from 0
// in the first bucket). The estimate is in the right bucket, so comparing
// it with one of the bounds is exact. It is +Inf when that observation is
// above every bound, and NaN without observations or for q outside (0, 1].
func (h HistogramSnapshot) Quantile(q float64) float64 {
	total := h.Total()
	if total == 0 || !(q > 0 && q <= 1) || len(h.Counts) != len(h.Bounds)+1 {
		return math.NaN()
	}
	rank := q * float64(total)
	var cum uint64
	for i, c := range h.Counts {
		if c == 0 || float64(cum+c) < rank {
			cum += c
			continue
		}
		if i == len(h.Bounds) {
			return math.Inf(1)
		}
		lo := 0.0
		if i > 0 {
			lo = h.Bounds[i-1]
		}
		return lo + (h.Bounds[i]-lo)*(rank-float64(cum))/float64(c)
	}
	return math.Inf(1)
}
