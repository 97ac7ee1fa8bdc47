package app_test

import (
	"context"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stewardml/steward/internal/app"
	"github.com/stewardml/steward/internal/approval"
	"github.com/stewardml/steward/internal/config"
	"github.com/stewardml/steward/internal/serving/servingtest"
)

// edgeServer is `steward serve` assembled over a data directory with a
// champion, listening on loopback.
type edgeServer struct {
	*app.Server
	key string
}

func startEdgeServer(t *testing.T) *edgeServer {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	p, err := config.Load("../../steward.yaml")
	if err != nil {
		t.Fatal(err)
	}
	a, err := app.New(ctx, app.Options{Runtime: config.Runtime{DataDir: t.TempDir(), Stage: "local"}, Project: p})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { a.Close() })
	root, _ := filepath.Abs("../..")
	if _, err := servingtest.Heart(ctx, a.Artifacts, a.Records, servingtest.Spec{DataPath: filepath.Join(root, "testdata/heart/processed.cleveland.data"), Family: "logreg", Seed: 1}); err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s, err := a.NewServer(ctx, app.ServerOptions{Listener: ln, RefreshInterval: time.Hour, FlushInterval: 10 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Close)
	done := make(chan error, 1)
	go func() { done <- s.Serve(ctx, time.Second) }()
	t.Cleanup(func() { cancel(); <-done; _ = s.WriteCaptures(time.Second) })
	key, _, err := s.Keys.Create(ctx, "edge-test")
	if err != nil {
		t.Fatal(err)
	}
	return &edgeServer{Server: s, key: key}
}

// send makes one request, never following redirects.
func (s *edgeServer) send(t *testing.T, method, path string, header map[string]string, body string) (int, http.Header, string) {
	t.Helper()
	req, err := http.NewRequest(method, s.Base+path, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range header {
		req.Header.Set(k, v)
	}
	c := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, resp.Header, string(b)
}

// TestServerAnswersAPIClientsInJSONAndRefusesWhatItNeverIssued walks the
// edges of the API through the assembled server: unknown routes, missing
// and wrong keys, feedback for ids never issued, and an approval link of
// another data directory.
func TestServerAnswersAPIClientsInJSONAndRefusesWhatItNeverIssued(t *testing.T) {
	s := startEdgeServer(t)
	ctx := context.Background()
	predict := map[string]string{"x-api-key": s.key, "Content-Type": "application/json"}
	code, _, body := s.send(t, "POST", "/v1/models/heart/predict", predict, `{"instances":[`+servingtest.Row+`]}`)
	var pr struct{ Predictions []struct{ ID string } }
	if code != 200 || json.Unmarshal([]byte(body), &pr) != nil || len(pr.Predictions) != 1 {
		t.Fatalf("predict = %d %s", code, body)
	}
	issued := pr.Predictions[0].ID
	neverIssued := issued[:30] + "000000"
	if neverIssued == issued {
		neverIssued = issued[:30] + "111111"
	}

	_, links, err := s.Approvals.Create(ctx, approval.Request{Model: "heart", CandidateVersion: 2, ChampionVersion: 1,
		Trigger: "agent", Approvers: []string{"ana@example.com"}}, "token", time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	own := links[0]
	other := approval.Signer{Key: []byte("another data directory's key....")}.Link(own.ID, own.Approver, time.Unix(own.Exp, 0))
	tampered := own
	tampered.Approver = "mallory@example.com"
	path := func(l approval.Link) string { return l.URL("") }

	const forbidden = `{"message":"Forbidden: send a valid API key in the x-api-key header"}`
	tests := []struct {
		name         string
		method, path string
		header       map[string]string
		body         string
		status       int
		says         string // in the body, or the Location of a redirect
	}{
		{"unknown route with an API key", "GET", "/nope", map[string]string{"x-api-key": s.key}, "", 404, `{"message":"Not Found"}`},
		{"unknown route asking for JSON", "GET", "/nope", map[string]string{"Accept": "application/json"}, "", 404, `{"message":"Not Found"}`},
		{"unknown route under /v1", "GET", "/v1/nope", map[string]string{"x-api-key": s.key}, "", 404, `"code":"NotFound"`},
		{"unknown route from a browser", "GET", "/nope", map[string]string{"Accept": "text/html,application/xhtml+xml,*/*;q=0.8"}, "", 303, "/signin?next="},
		{"a dashboard page from a browser", "GET", "/models", map[string]string{"Accept": "text/html"}, "", 303, "/signin?next="},
		{"no API key", "POST", "/v1/models/heart/predict", map[string]string{"Content-Type": "application/json"}, `{"instances":[` + servingtest.Row + `]}`, 403, forbidden},
		{"wrong API key", "POST", "/v1/models/heart/predict", map[string]string{"x-api-key": "stw_wrong", "Content-Type": "application/json"}, `{"instances":[` + servingtest.Row + `]}`, 403, forbidden},
		{"feedback for an issued id", "POST", "/v1/feedback", predict, `{"id":"` + issued + `","label":1}`, 200, `"recorded":true`},
		{"feedback for an id never issued", "POST", "/v1/feedback", predict, `{"id":"` + neverIssued + `","label":1}`, 404, "was issued by this service"},
		{"approval link of this data directory", "GET", path(own), nil, "", 200, "Approve heart version 2?"},
		{"approval link of another data directory", "GET", path(other), nil, "", 403, "another Steward installation or data directory"},
		{"approval link changed", "GET", path(tampered), nil, "", 403, "changed or not issued by Steward"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, h, body := s.send(t, tt.method, tt.path, tt.header, tt.body)
			got := body
			if code/100 == 3 {
				got = h.Get("Location")
			}
			if code != tt.status || !strings.Contains(got, tt.says) {
				t.Errorf("%s %s = %d %s, want %d with %q", tt.method, tt.path, code, got, tt.status, tt.says)
			}
			if tt.status == 404 && strings.HasPrefix(tt.says, "{") && !strings.HasPrefix(h.Get("Content-Type"), "application/json") {
				t.Errorf("Content-Type = %q, want application/json", h.Get("Content-Type"))
			}
		})
	}
}
