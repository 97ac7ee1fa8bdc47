package slack

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/stewardml/steward/internal/local/sqlite"
	"github.com/stewardml/steward/internal/notify"
)

type hook struct {
	mu       sync.Mutex
	bodies   []map[string]any
	statuses []int // answered in order; 200 after they run out
}

func (h *hook) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	b, _ := io.ReadAll(r.Body)
	var m map[string]any
	json.Unmarshal(b, &m)
	h.mu.Lock()
	defer h.mu.Unlock()
	h.bodies = append(h.bodies, m)
	status := 200
	if len(h.statuses) > 0 {
		status, h.statuses = h.statuses[0], h.statuses[1:]
	}
	w.WriteHeader(status)
	io.WriteString(w, "ok")
}

var event = notify.Event{Kind: notify.Promoted, Model: "heart", Title: "heart v2 promoted", Text: "champion moved 1 → 2 <after approval>",
	Link: "https://steward.example.com/dashboard/models/heart", Fields: map[string]string{"approver": "ana@example.com"},
	Links: []notify.Link{{Label: "Deployment report", URL: "https://steward.example.com/dashboard/models/heart/versions/2/report"}}}

func TestPayloadShape(t *testing.T) {
	h := &hook{}
	srv := httptest.NewServer(h)
	defer srv.Close()
	if err := New().Post(context.Background(), srv.URL+"/services/T/B/X", event); err != nil {
		t.Fatal(err)
	}
	got := h.bodies[0]
	if got["unfurl_links"] != false || got["unfurl_media"] != false {
		t.Errorf("unfurl flags = %v/%v, want false/false", got["unfurl_links"], got["unfurl_media"])
	}
	blocks := got["blocks"].([]any)
	if blocks[0].(map[string]any)["type"] != "header" || len(blocks) != 5 {
		t.Errorf("blocks = %v", blocks)
	}
	sec := blocks[1].(map[string]any)
	if sec["text"].(map[string]any)["text"] != "champion moved 1 → 2 &lt;after approval&gt;" {
		t.Errorf("section text not escaped: %v", sec["text"])
	}
	if sec["accessory"].(map[string]any)["url"] != event.Link {
		t.Errorf("button url = %v", sec["accessory"])
	}
}

func TestDispatcherRetriesAfter500AndRecordsFailures(t *testing.T) {
	db, err := sqlite.Open(filepath.Join(t.TempDir(), "s.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	flaky := &hook{statuses: []int{500, 503}}
	dead := &hook{statuses: []int{500, 500, 500, 500}}
	gone := &hook{statuses: []int{404}}
	s1, s2, s3 := httptest.NewServer(flaky), httptest.NewServer(dead), httptest.NewServer(gone)
	defer s1.Close()
	defer s2.Close()
	defer s3.Close()
	var waits []time.Duration
	d := &notify.Dispatcher{
		Routes:   notify.Routes{notify.Promoted: {notify.SlackChannel: []string{"flaky", "dead", "gone"}}},
		Channels: []notify.ChannelKind{notify.Slack(New(), map[string]string{"flaky": s1.URL, "dead": s2.URL, "gone": s3.URL})},
		Records:  db,
		Sleep:    func(ctx context.Context, d time.Duration) error { waits = append(waits, d); return nil },
	}
	err = d.Notify(context.Background(), event)
	if err == nil {
		t.Fatal("Notify succeeded with a dead and a gone webhook")
	}
	if len(flaky.bodies) != 3 {
		t.Errorf("flaky hook got %d posts, want 3 (two 5xx then success)", len(flaky.bodies))
	}
	if len(dead.bodies) != 4 || len(gone.bodies) != 1 {
		t.Errorf("dead hook %d posts (want 4), gone hook %d (want 1: a 404 is not retried)", len(dead.bodies), len(gone.bodies))
	}
	want := []time.Duration{200 * time.Millisecond, 400 * time.Millisecond, 200 * time.Millisecond, 400 * time.Millisecond, 800 * time.Millisecond}
	if len(waits) != len(want) {
		t.Fatalf("waits = %v, want %v", waits, want)
	}
	for i := range want {
		if waits[i] != want[i] {
			t.Errorf("wait %d = %v, want %v", i, waits[i], want[i])
		}
	}
	failed, err := notify.ListFailed(context.Background(), db, 0)
	if err != nil || len(failed) != 2 {
		t.Fatalf("recorded failures = %d, %v; want 2", len(failed), err)
	}
	for _, f := range failed {
		if f.Event.Title != event.Title || f.Channel != "slack" || (f.Target != "dead" && f.Target != "gone") {
			t.Errorf("failure record %+v", f)
		}
	}
}
