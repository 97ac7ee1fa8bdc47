package app_test

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
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

func startEdgeServer(t *testing.T, configure ...func(*config.Project)) *edgeServer {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	p, err := config.Load("../../steward.yaml")
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range configure {
		c(p)
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
		{"a control character in a query parameter", "GET", "/approvals?request=%00", nil, "", 400, "control character"},
		{"a DEL in a query parameter", "GET", "/v1/models?x=%7f", map[string]string{"x-api-key": s.key}, "", 400, "control character"},
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
	if _, _, body := s.send(t, "GET", "/metrics", nil, ""); !strings.Contains(body, "steward_approval_links_refused_total 2") {
		t.Errorf("/metrics does not count the 2 refused links:\n%s", body)
	}
}

// hostileCount is how many hostile connections a test opens: def unless
// STEWARD_HOSTILE_CONNS says otherwise (make soak runs the full count).
func hostileCount(t *testing.T, def int) int {
	t.Helper()
	if v := os.Getenv("STEWARD_HOSTILE_CONNS"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 {
			t.Fatalf("STEWARD_HOSTILE_CONNS=%q: want a positive number", v)
		}
		return n
	}
	return def
}

// rssBytes is the resident set of this process, which holds the server.
func rssBytes(t *testing.T) int64 {
	t.Helper()
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		t.Skip("no /proc/self/status to read the resident set from")
	}
	for _, line := range strings.Split(string(b), "\n") {
		if rest, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			kb, _ := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(rest), "kB")), 10, 64)
			return kb << 10
		}
	}
	t.Fatal("no VmRSS in /proc/self/status")
	return 0
}

// TestBodiesWithoutAKeyHoldNoMemory opens many connections without an API
// key that declare 10 MiB bodies and trickle a little of them, as an
// attacker would; the server must stay small and a keyed prediction fast.
// Clients with a key that declare more than the route's limit are refused
// with 413 before their body is read.
func TestBodiesWithoutAKeyHoldNoMemory(t *testing.T) {
	s := startEdgeServer(t)
	n := hostileCount(t, 100)
	addr := strings.TrimPrefix(s.Base, "http://")
	runtime.GC()
	before := rssBytes(t)

	conns := make([]net.Conn, 0, n)
	defer func() {
		for _, c := range conns {
			c.Close()
		}
	}()
	head := func(key string) string {
		h := "POST /v1/models/heart/predict HTTP/1.1\r\nHost: " + addr + "\r\nContent-Type: application/json\r\nContent-Length: 10485760\r\n"
		if key != "" {
			h += "x-api-key: " + key + "\r\n"
		}
		return h + "\r\n"
	}
	trickle := strings.Repeat("[", 1024)
	for i := range n {
		c, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatalf("connection %d: %v", i, err)
		}
		conns = append(conns, c)
		body := trickle
		if i%2 == 0 {
			body = strings.Repeat(trickle, 9) // past what the server reads with the headers
		}
		if _, err := io.WriteString(c, head("")+body); err != nil {
			t.Fatalf("connection %d: %v", i, err)
		}
	}
	maxRSS := rssBytes(t)
	var lat []time.Duration
	predict := map[string]string{"x-api-key": s.key, "Content-Type": "application/json"}
	for range 200 {
		t0 := time.Now()
		code, _, body := s.send(t, "POST", "/v1/models/heart/predict", predict, `{"instances":[`+servingtest.Row+`]}`)
		lat = append(lat, time.Since(t0))
		if code != 200 {
			t.Fatalf("keyed predict under attack = %d %s", code, body)
		}
		maxRSS = max(maxRSS, rssBytes(t))
	}
	slices.Sort(lat)
	p99 := lat[len(lat)*99/100]
	t.Logf("%d hostile connections: RSS %d MB before, %d MB at most; keyed predict p99 %v", n, before>>20, maxRSS>>20, p99)
	if maxRSS > 150<<20 {
		t.Errorf("RSS reached %d MB with %d connections declaring 10 MiB, want under 150 MB", maxRSS>>20, n)
	}
	if p99 > 50*time.Millisecond {
		t.Errorf("keyed predict p99 %v under attack, want under 50 ms", p99)
	}

	// The connections that sent more than the server reads with the
	// headers were answered 403 without their body.
	for i := 0; i < len(conns); i += 2 {
		conns[i].SetReadDeadline(time.Now().Add(5 * time.Second))
		line, err := bufio.NewReader(conns[i]).ReadString('\n')
		if err != nil || !strings.HasPrefix(line, "HTTP/1.1 403") {
			t.Fatalf("connection %d without a key: %q %v, want 403", i, line, err)
		}
	}

	// With a key, a declared length over the route's limit is 413 at once.
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	io.WriteString(c, head(s.key)+trickle)
	c.SetReadDeadline(time.Now().Add(5 * time.Second))
	if line, err := bufio.NewReader(c).ReadString('\n'); err != nil || !strings.HasPrefix(line, "HTTP/1.1 413") {
		t.Errorf("keyed 10 MiB declaration: %q %v, want 413", line, err)
	}
}

func TestMetricsCanAskForAKey(t *testing.T) {
	for _, public := range []bool{true, false} {
		t.Run(fmt.Sprintf("metrics_public %v", public), func(t *testing.T) {
			s := startEdgeServer(t, func(p *config.Project) { p.Serving.MetricsPublic = &public })
			wantNoKey := 200
			if !public {
				wantNoKey = 403
			}
			if code, _, body := s.send(t, "GET", "/metrics", nil, ""); code != wantNoKey {
				t.Errorf("/metrics without a key = %d %s, want %d", code, body, wantNoKey)
			}
			if code, _, body := s.send(t, "GET", "/metrics", map[string]string{"x-api-key": s.key}, ""); code != 200 || !strings.Contains(body, "steward_") {
				t.Errorf("/metrics with a key = %d %s, want 200", code, body)
			}
		})
	}
}
