package web

import (
	"math"
	"testing"
	"time"
)

func TestScanCapturesReadsTheFieldsItNeeds(t *testing.T) {
	data := []byte(`{"kind":"capture","id":"a","latencyMs":2.5,"inputs":{"age":63,"chol":null},"probability":0.8,"label":1}
{"kind":"capture","id":"b","latencyMs":40,"inputs":{},"probability":0.1,"label":0}

{"kind":"capture","id":"c","latencyMs":"slow","probability":0.5,"label":0}
{"kind":"capture","id":"d","latencyMs":1,"probability":1.5,"label":1}
not json at all
{"kind":"capture","id":"e","latencyMs":1e1,"probability":0,"label":0}`)
	a := newAgg(testTime)
	scanCaptures(data, a)
	if a.Count != 3 || a.Bad != 3 || a.Positives != 1 {
		t.Fatalf("count %d, bad %d, positives %d; want 3, 3, 1", a.Count, a.Bad, a.Positives)
	}
	if got := a.MeanProb(); math.Abs(got-0.3) > 1e-12 {
		t.Errorf("mean probability %v, want 0.3", got)
	}
	if a.Prob[16] != 1 || a.Prob[2] != 1 || a.Prob[0] != 1 {
		t.Errorf("probability bins %v", a.Prob)
	}
}

func TestQuantileIsTheUpperEdgeOfItsBin(t *testing.T) {
	a := newAgg(testTime)
	for i := 1; i <= 100; i++ {
		a.add(float64(i), 0.5, 0) // 1..100 ms
	}
	for _, tt := range []struct{ q, want float64 }{{0.5, 50}, {0.95, 95}, {0.99, 99}} {
		got := a.Quantile(tt.q)
		// A bin is 10^(7/84) ≈ 1.21 wide: the upper edge is at most 21 % above.
		if got < tt.want || got > tt.want*1.22 {
			t.Errorf("q%.2f = %.2f, want within [%v, %v]", tt.q, got, tt.want, tt.want*1.22)
		}
	}
	if !math.IsNaN(newAgg(testTime).Quantile(0.5)) {
		t.Error("the quantile of nothing is not NaN")
	}
	b := newAgg(testTime)
	b.add(1000, 0.9, 1)
	a.Merge(b)
	if a.Count != 101 || a.Quantile(1) < 1000 {
		t.Errorf("after merge: count %d, max %v", a.Count, a.Quantile(1))
	}
}

// FuzzScanCaptures: whatever a capture file holds, scanning it counts
// every non-blank line as read or bad and never panics.
func FuzzScanCaptures(f *testing.F) {
	f.Add([]byte(`{"kind":"capture","latencyMs":2.5,"probability":0.8,"label":1}` + "\n"))
	f.Add([]byte(`{"latencyMs":-1,"probability":NaN,"label":1}`))
	f.Add([]byte(`"latencyMs":1e400,"probability":0.5,"label":`))
	f.Add([]byte("\n\n\r\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		a := newAgg(testTime)
		scanCaptures(data, a)
		var sum int64
		for _, n := range a.Latency {
			sum += n
		}
		if sum != a.Count || a.Count < 0 || a.Bad < 0 {
			t.Fatalf("latency bins hold %d, count %d, bad %d", sum, a.Count, a.Bad)
		}
		if a.Count > 0 && (a.MeanProb() < 0 || a.MeanProb() > 1) {
			t.Fatalf("mean probability %v", a.MeanProb())
		}
	})
}

var testTime = mustTime("2026-01-01T05:00:00Z")

func mustTime(s string) time.Time {
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		panic(err)
	}
	return t
}
