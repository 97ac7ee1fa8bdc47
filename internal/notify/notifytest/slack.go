package notifytest

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
)

// Webhook is a local HTTP endpoint standing for a Slack incoming webhook:
// it keeps every body posted to it and answers 200.
type Webhook struct {
	// URL is the webhook's address.
	URL string

	mu     sync.Mutex
	bodies []map[string]any
}

// StartWebhook starts a webhook endpoint closed when the test ends.
func StartWebhook(t testing.TB) *Webhook {
	t.Helper()
	w := &Webhook{}
	srv := httptest.NewServer(http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		var m map[string]any
		if r.Method != http.MethodPost || json.Unmarshal(b, &m) != nil {
			http.Error(rw, "invalid_payload", http.StatusBadRequest)
			return
		}
		w.mu.Lock()
		w.bodies = append(w.bodies, m)
		w.mu.Unlock()
		io.WriteString(rw, "ok")
	}))
	t.Cleanup(srv.Close)
	w.URL = srv.URL + "/services/T000/B000/XXXX"
	return w
}

// Posts returns the bodies posted so far.
func (w *Webhook) Posts() []map[string]any {
	w.mu.Lock()
	defer w.mu.Unlock()
	return append([]map[string]any(nil), w.bodies...)
}

// Links returns the URLs of a payload's link buttons (an accessory and
// the elements of actions blocks), in order.
func Links(payload map[string]any) []string {
	var out []string
	blocks, _ := payload["blocks"].([]any)
	for _, b := range blocks {
		b, _ := b.(map[string]any)
		if acc, ok := b["accessory"].(map[string]any); ok {
			if u, ok := acc["url"].(string); ok {
				out = append(out, u)
			}
		}
		if b["type"] != "actions" {
			continue
		}
		els, _ := b["elements"].([]any)
		for _, e := range els {
			if u, ok := e.(map[string]any)["url"].(string); ok {
				out = append(out, u)
			}
		}
	}
	return out
}
