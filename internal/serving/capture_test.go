package serving

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"math"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stewardml/steward/internal/httpedge"
)

func TestCaptureKeyPartitionsByUTCHour(t *testing.T) {
	loc := time.FixedZone("X", 5*3600)
	got := CaptureKey("heart", time.Date(2026, 3, 1, 2, 30, 0, 0, loc), "f")
	if want := "captures/heart/dt=2026-02-28/hour=21/f.jsonl"; got != want {
		t.Errorf("CaptureKey = %s, want %s", got, want)
	}
}

func TestCaptureLinesRoundTrip(t *testing.T) {
	fs := heartSet(t)
	rows := []float64{63, 1, 3, 145, 233, 1, 0, 150, 0, 2.3, 0, math.NaN(), 1}
	var ids [1]UUID
	NewIDGen(nil, nil).Fill(ids[:])
	c := &Capture{Model: "heart", Version: 3, Alias: "champion", RequestID: "r\"1\n", Time: time.Date(2026, 11, 25, 10, 0, 0, 123456000, time.UTC),
		Latency: 1500 * time.Microsecond, Features: fs, Threshold: 0.5, Rows: rows, IDs: ids[:], Probs: []float64{0.75}}
	b := AppendCaptureLines(nil, c)
	if !bytes.HasSuffix(b, []byte("\n")) || bytes.Count(b, []byte("\n")) != 1 {
		t.Fatalf("want one line: %q", b)
	}
	var l CaptureLine
	if err := json.Unmarshal(b, &l); err != nil {
		t.Fatalf("%s: %v", b, err)
	}
	if l.Kind != "capture" || l.ID != ids[0].String() || l.RequestID != "r\"1\n" || l.Model != "heart" || l.Version != 3 || l.Alias != "champion" ||
		l.LatencyMs != 1.5 || l.Probability != 0.75 || l.Label != 1 || !l.Time.Equal(c.Time) {
		t.Errorf("line = %+v", l)
	}
	if *l.Inputs["age"] != 63 || *l.Inputs["oldpeak"] != 2.3 || l.Inputs["ca"] != nil || len(l.Inputs) != 13 {
		t.Errorf("inputs = %v", l.Inputs)
	}
}

// readCaptures returns every line under captures/ in st.
func readCaptures(t *testing.T, st *memArtifacts) []CaptureLine {
	t.Helper()
	infos, _ := st.List(context.Background(), "captures/")
	var out []CaptureLine
	for _, info := range infos {
		b, _, err := st.Get(context.Background(), info.Key)
		if err != nil {
			t.Fatal(err)
		}
		sc := bufio.NewScanner(bytes.NewReader(b))
		sc.Buffer(nil, 1<<20)
		for sc.Scan() {
			var l CaptureLine
			if err := json.Unmarshal(sc.Bytes(), &l); err != nil {
				t.Fatalf("%s: %v", info.Key, err)
			}
			if want := CapturePrefix(l.Model, l.Time); !strings.HasPrefix(info.Key, want) {
				t.Errorf("line of %v in %s, want under %s", l.Time, info.Key, want)
			}
			out = append(out, l)
		}
	}
	return out
}

// TestGracefulShutdownLosesNoCapture makes N predictions from concurrent
// clients, closes the writer and finds exactly the N acknowledged ids in
// the artifact store.
func TestGracefulShutdownLosesNoCapture(t *testing.T) {
	st := newMemArtifacts()
	w := NewBatchWriter(st, BatchWriterConfig{FlushInterval: 5 * time.Millisecond, FlushRows: 64})
	src := newFakeSource()
	src.add(newLinear("heart", 1))
	src.set("heart", "champion", 1)
	h := NewHandler(DefaultConfig(), Deps{Models: NewCache(src, CacheConfig{}), Capturer: w})
	const clients, perClient = 8, 250
	var mu sync.Mutex
	acked := map[string]bool{}
	var wg sync.WaitGroup
	for c := range clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range perClient {
				n := 1 + (c+i)%3
				body := `{"instances":[` + strings.TrimSuffix(strings.Repeat(heartRow+",", n), ",") + `]}`
				r, _ := h.Serve(context.Background(), &httpedge.Request{Method: "POST", Path: "/v1/models/heart/predict", Header: jsonHeader, Body: []byte(body)})
				var pr predictResponse
				if r.Status != 200 || json.Unmarshal(r.Body, &pr) != nil {
					t.Errorf("status %d: %s", r.Status, r.Body)
					return
				}
				mu.Lock()
				for _, p := range pr.Predictions {
					acked[p.ID] = true
				}
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	if err := w.Close(context.Background()); err != nil {
		t.Fatal(err)
	}
	lines := readCaptures(t, st)
	got := map[string]bool{}
	for _, l := range lines {
		if got[l.ID] {
			t.Errorf("id %s captured twice", l.ID)
		}
		got[l.ID] = true
		if !acked[l.ID] {
			t.Errorf("captured %s, which was never acknowledged", l.ID)
		}
	}
	if len(got) != len(acked) {
		t.Errorf("%d predictions acknowledged, %d captured", len(acked), len(got))
	}
	if s := w.Stats(); s.Pending != 0 || s.Written != uint64(len(acked)) || s.Accepted != s.Written {
		t.Errorf("stats = %+v, want %d written and none pending", s, len(acked))
	}
	t.Logf("%d predictions in %d files", len(acked), w.Stats().Files)
	// After Close, captures are refused (and so not acknowledged).
	r, _ := h.Serve(context.Background(), &httpedge.Request{Method: "POST", Path: "/v1/models/heart/predict", Header: jsonHeader, Body: []byte(`{"instances":[` + heartRow + `]}`)})
	if r.Status != 503 {
		t.Errorf("predict after capture Close = %d, want 503", r.Status)
	}
}

func TestBatchWriterRetriesFailedWrites(t *testing.T) {
	st := newMemArtifacts()
	var fails atomic.Int64
	fails.Store(3)
	st.fail = func(string) error {
		if fails.Add(-1) >= 0 {
			return errors.New("disk full")
		}
		return nil
	}
	w := NewBatchWriter(st, BatchWriterConfig{FlushInterval: time.Hour})
	fs := heartSet(t)
	ids := make([]UUID, 2)
	NewIDGen(nil, nil).Fill(ids)
	if err := w.Capture(&Capture{Model: "heart", Version: 1, Time: time.Now(), Features: fs, Rows: make([]float64, 26), IDs: ids, Probs: []float64{0.1, 0.2}}); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	err := w.Flush(ctx) // fails: retries go past the deadline
	cancel()
	if err == nil || w.Stats().Pending != 2 {
		t.Fatalf("Flush = %v with pending %d; want an error and 2 pending", err, w.Stats().Pending)
	}
	if err := w.Close(context.Background()); err != nil {
		t.Fatalf("Close after the store recovered: %v", err)
	}
	if n := len(readCaptures(t, st)); n != 2 {
		t.Errorf("%d lines written, want 2", n)
	}
	if s := w.Stats(); s.Failures < 3 || s.Pending != 0 {
		t.Errorf("stats %+v, want >= 3 failures and nothing pending", s)
	}
}

func TestBatchWriterCloseReportsWhatItCouldNotWrite(t *testing.T) {
	st := newMemArtifacts()
	st.fail = func(string) error { return errors.New("read-only file system") }
	w := NewBatchWriter(st, BatchWriterConfig{FlushInterval: time.Hour})
	ids := make([]UUID, 1)
	w.Capture(&Capture{Model: "heart", Time: time.Now(), Features: heartSet(t), Rows: make([]float64, 13), IDs: ids, Probs: []float64{0.5}})
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	err := w.Close(ctx)
	if err == nil || !strings.Contains(err.Error(), "1 captured predictions not written") {
		t.Errorf("Close = %v, want the count of unwritten predictions", err)
	}
}

func TestBatchWriterAppliesBackpressureInsteadOfDropping(t *testing.T) {
	st := newMemArtifacts()
	release := make(chan struct{})
	st.fail = func(string) error { <-release; return nil }
	w := NewBatchWriter(st, BatchWriterConfig{FlushInterval: time.Millisecond, FlushRows: 1, MaxPendingRows: 2})
	fs := heartSet(t)
	capture := func() error {
		return w.Capture(&Capture{Model: "heart", Time: time.Now(), Features: fs, Rows: make([]float64, 13), IDs: make([]UUID, 1), Probs: []float64{0.5}})
	}
	capture()
	capture()
	blocked := make(chan error)
	go func() { blocked <- capture() }()
	select {
	case err := <-blocked:
		t.Fatalf("third capture returned %v while 2 were pending, want it to wait", err)
	case <-time.After(50 * time.Millisecond):
	}
	close(release)
	if err := <-blocked; err != nil {
		t.Fatal(err)
	}
	if err := w.Close(context.Background()); err != nil {
		t.Fatal(err)
	}
	if w.Stats().Written != 3 {
		t.Errorf("written %d, want 3", w.Stats().Written)
	}
}

func TestLogCapturerWritesOneLinePerPrediction(t *testing.T) {
	var buf bytes.Buffer
	l := NewLogCapturer(&buf)
	ids := make([]UUID, 2)
	NewIDGen(nil, nil).Fill(ids)
	if err := l.Capture(&Capture{Model: "heart", Version: 1, Time: time.Now(), Features: heartSet(t), Rows: make([]float64, 26), IDs: ids, Probs: []float64{0.1, 0.9}, Threshold: 0.5}); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(buf.String()), "\n")
	if len(lines) != 2 {
		t.Fatalf("%d lines, want 2", len(lines))
	}
	var cl CaptureLine
	if err := json.Unmarshal([]byte(lines[1]), &cl); err != nil || cl.Kind != "capture" || cl.Label != 1 || cl.ID != ids[1].String() {
		t.Errorf("line 2 = %s (%v)", lines[1], err)
	}
}

func BenchmarkBatchWriterCapture(b *testing.B) {
	st := newMemArtifacts()
	st.delay = 5 * time.Millisecond // a slow store must not slow the request path
	w := NewBatchWriter(st, BatchWriterConfig{FlushInterval: 10 * time.Millisecond})
	defer w.Close(context.Background())
	fs := heartSet(b)
	rows := make([]float64, 13)
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			w.Capture(&Capture{Model: "heart", Time: time.Now(), Features: fs, Rows: rows, IDs: make([]UUID, 1), Probs: []float64{0.5}})
		}
	})
}

// TestAppendJSONFloatMatchesStrconv holds the whole-number shortcut to the
// digits of strconv's shortest 'g' format, around every boundary.
func TestAppendJSONFloatMatchesStrconv(t *testing.T) {
	vals := []float64{0, 1, -1, 2.5, 0.1, 1e-7, 63, 145, 999999, -999999, 1e6, -1e6, 1e6 + 1, 123456.5,
		1e21, 1e300, 5e-324, math.MaxFloat64, math.Nextafter(1e6, 0), math.Nextafter(1e6, 2e6)}
	for i := -2000; i <= 2000; i++ {
		vals = append(vals, float64(i), float64(i)*499.99, float64(i)*500)
	}
	for _, v := range vals {
		if got, want := string(appendJSONFloat(nil, v)), strconv.FormatFloat(v, 'g', -1, 64); got != want {
			t.Errorf("appendJSONFloat(%v) = %s, want %s", v, got, want)
		}
	}
	special := []struct {
		v    float64
		want string
	}{{math.Copysign(0, -1), "-0"}, {math.NaN(), "null"}, {math.Inf(1), "null"}, {math.Inf(-1), "null"}}
	for _, s := range special {
		if got := string(appendJSONFloat(nil, s.v)); got != s.want {
			t.Errorf("appendJSONFloat(%v) = %s, want %s", s.v, got, s.want)
		}
	}
}
