package serving

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stewardml/steward/internal/capture"
	"github.com/stewardml/steward/internal/httpedge"
)

// readCaptures returns every line under captures/ in st.
func readCaptures(t *testing.T, st *memArtifacts) []capture.Line {
	t.Helper()
	infos, _ := st.List(context.Background(), "captures/")
	var out []capture.Line
	for _, info := range infos {
		b, _, err := st.Get(context.Background(), info.Key)
		if err != nil {
			t.Fatal(err)
		}
		sc := bufio.NewScanner(bytes.NewReader(b))
		sc.Buffer(nil, 1<<20)
		for sc.Scan() {
			var l capture.Line
			if err := json.Unmarshal(sc.Bytes(), &l); err != nil {
				t.Fatalf("%s: %v", info.Key, err)
			}
			if want := capture.Prefix(l.Model, l.Time); !strings.HasPrefix(info.Key, want) {
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
	w := capture.NewBatchWriter(st, capture.BatchWriterConfig{FlushInterval: 5 * time.Millisecond, FlushRows: 64})
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
