package capture

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"math"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stewardml/steward/internal/jsonappend"
	"github.com/stewardml/steward/internal/local/files"
	"github.com/stewardml/steward/internal/store"
	"github.com/stewardml/steward/internal/uuidv7"
)

// heartKeys are the JSON keys of the heart-disease model's 13 features.
var heartKeys = func() []string {
	var keys []string
	for _, n := range strings.Fields("age sex cp trestbps chol fbs restecg thalach exang oldpeak slope ca thal") {
		keys = append(keys, string(jsonappend.String(nil, n))+":")
	}
	return keys
}()

// flakyStore is a directory-backed artifact store whose Put can be made
// slow (delay) or failing (fail).
type flakyStore struct {
	store.ArtifactStore
	fail  func(key string) error
	delay time.Duration
}

func newFlakyStore(tb testing.TB) *flakyStore {
	tb.Helper()
	st, err := files.New(filepath.Join(tb.TempDir(), "artifacts"))
	if err != nil {
		tb.Fatal(err)
	}
	return &flakyStore{ArtifactStore: st}
}

func (s *flakyStore) Put(ctx context.Context, key string, body []byte, ct string) (store.ObjectInfo, error) {
	if s.delay > 0 {
		time.Sleep(s.delay)
	}
	if s.fail != nil {
		if err := s.fail(key); err != nil {
			return store.ObjectInfo{}, err
		}
	}
	return s.ArtifactStore.Put(ctx, key, body, ct)
}

func TestCaptureKeyPartitionsByUTCHour(t *testing.T) {
	loc := time.FixedZone("X", 5*3600)
	got := Key("heart", time.Date(2026, 3, 1, 2, 30, 0, 0, loc), "f")
	if want := "captures/heart/dt=2026-02-28/hour=21/f.jsonl"; got != want {
		t.Errorf("Key = %s, want %s", got, want)
	}
}

func TestCaptureLinesRoundTrip(t *testing.T) {
	rows := []float64{63, 1, 3, 145, 233, 1, 0, 150, 0, 2.3, 0, math.NaN(), 1}
	var ids [1]uuidv7.UUID
	uuidv7.NewGen(nil, nil).Fill(ids[:])
	c := &Capture{Model: "heart", Version: 3, Alias: "champion", RequestID: "r\"1\n", Time: time.Date(2026, 11, 25, 10, 0, 0, 123456000, time.UTC),
		Latency: 1500 * time.Microsecond, Keys: heartKeys, Threshold: 0.5, Rows: rows, IDs: ids[:], Probs: []float64{0.75}}
	b := AppendLines(nil, c)
	if !bytes.HasSuffix(b, []byte("\n")) || bytes.Count(b, []byte("\n")) != 1 {
		t.Fatalf("want one line: %q", b)
	}
	var l Line
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
func readCaptures(t *testing.T, st *flakyStore) []Line {
	t.Helper()
	infos, _ := st.List(context.Background(), "captures/")
	var out []Line
	for _, info := range infos {
		b, _, err := st.Get(context.Background(), info.Key)
		if err != nil {
			t.Fatal(err)
		}
		sc := bufio.NewScanner(bytes.NewReader(b))
		sc.Buffer(nil, 1<<20)
		for sc.Scan() {
			var l Line
			if err := json.Unmarshal(sc.Bytes(), &l); err != nil {
				t.Fatalf("%s: %v", info.Key, err)
			}
			if want := Prefix(l.Model, l.Time); !strings.HasPrefix(info.Key, want) {
				t.Errorf("line of %v in %s, want under %s", l.Time, info.Key, want)
			}
			out = append(out, l)
		}
	}
	return out
}

func TestBatchWriterRetriesFailedWrites(t *testing.T) {
	st := newFlakyStore(t)
	var fails atomic.Int64
	fails.Store(3)
	st.fail = func(string) error {
		if fails.Add(-1) >= 0 {
			return errors.New("disk full")
		}
		return nil
	}
	w := NewBatchWriter(st, BatchWriterConfig{FlushInterval: time.Hour})
	ids := make([]uuidv7.UUID, 2)
	uuidv7.NewGen(nil, nil).Fill(ids)
	if err := w.Capture(&Capture{Model: "heart", Version: 1, Time: time.Now(), Keys: heartKeys, Rows: make([]float64, 26), IDs: ids, Probs: []float64{0.1, 0.2}}); err != nil {
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
	st := newFlakyStore(t)
	st.fail = func(string) error { return errors.New("read-only file system") }
	w := NewBatchWriter(st, BatchWriterConfig{FlushInterval: time.Hour})
	ids := make([]uuidv7.UUID, 1)
	w.Capture(&Capture{Model: "heart", Time: time.Now(), Keys: heartKeys, Rows: make([]float64, 13), IDs: ids, Probs: []float64{0.5}})
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	err := w.Close(ctx)
	if err == nil || !strings.Contains(err.Error(), "1 captured predictions not written") {
		t.Errorf("Close = %v, want the count of unwritten predictions", err)
	}
}

func TestBatchWriterAppliesBackpressureInsteadOfDropping(t *testing.T) {
	st := newFlakyStore(t)
	release := make(chan struct{})
	st.fail = func(string) error { <-release; return nil }
	w := NewBatchWriter(st, BatchWriterConfig{FlushInterval: time.Millisecond, FlushRows: 1, MaxPendingRows: 2})
	capture := func() error {
		return w.Capture(&Capture{Model: "heart", Time: time.Now(), Keys: heartKeys, Rows: make([]float64, 13), IDs: make([]uuidv7.UUID, 1), Probs: []float64{0.5}})
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
	ids := make([]uuidv7.UUID, 2)
	uuidv7.NewGen(nil, nil).Fill(ids)
	if err := l.Capture(&Capture{Model: "heart", Version: 1, Time: time.Now(), Keys: heartKeys, Rows: make([]float64, 26), IDs: ids, Probs: []float64{0.1, 0.9}, Threshold: 0.5}); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(buf.String()), "\n")
	if len(lines) != 2 {
		t.Fatalf("%d lines, want 2", len(lines))
	}
	var cl Line
	if err := json.Unmarshal([]byte(lines[1]), &cl); err != nil || cl.Kind != "capture" || cl.Label != 1 || cl.ID != ids[1].String() {
		t.Errorf("line 2 = %s (%v)", lines[1], err)
	}
}

func BenchmarkBatchWriterCapture(b *testing.B) {
	st := newFlakyStore(b)
	st.delay = 5 * time.Millisecond // a slow store must not slow the request path
	w := NewBatchWriter(st, BatchWriterConfig{FlushInterval: 10 * time.Millisecond})
	defer w.Close(context.Background())
	rows := make([]float64, 13)
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			w.Capture(&Capture{Model: "heart", Time: time.Now(), Keys: heartKeys, Rows: rows, IDs: make([]uuidv7.UUID, 1), Probs: []float64{0.5}})
		}
	})
}

// BenchmarkLogCapturer writes one capture line per call.
func BenchmarkLogCapturer(b *testing.B) {
	l := NewLogCapturer(io.Discard)
	c := &Capture{Model: "heart", Version: 1, Time: time.Now(), Keys: heartKeys, Rows: make([]float64, 13), IDs: make([]uuidv7.UUID, 1), Probs: []float64{0.5}}
	b.ReportAllocs()
	for b.Loop() {
		if err := l.Capture(c); err != nil {
			b.Fatal(err)
		}
	}
}
