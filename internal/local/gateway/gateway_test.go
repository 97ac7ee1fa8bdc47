package gateway

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stewardml/steward/internal/httpedge"
)

// keys accepts "good" and fails on "down".
type keys struct{}

func (keys) Check(ctx context.Context, key string) (string, bool, error) {
	switch key {
	case "good":
		return "key_1", true, nil
	case "down":
		return "", false, errors.New("store unreachable")
	}
	return "", false, nil
}

// handlerFunc adapts a function to httpedge.Handler.
type handlerFunc func(ctx context.Context, r *httpedge.Request) (*httpedge.Response, error)

func (f handlerFunc) Serve(ctx context.Context, r *httpedge.Request) (*httpedge.Response, error) {
	return f(ctx, r)
}

// echo answers with what it received.
func echo(name string) handlerFunc {
	return func(ctx context.Context, req *httpedge.Request) (*httpedge.Response, error) {
		return &httpedge.Response{Status: 200, Header: httpedge.Header{"X-Route": {name}}, Body: []byte(req.Path)}, nil
	}
}

// sender runs a request through a gateway.
type sender struct {
	name     string
	sourceIP string // the client address the gateway sees
	send     func(t *testing.T, r *http.Request) *http.Response
}

// senders returns the two ways in: straight into ServeHTTP, and over
// loopback to Serve (fasthttp), which the tests hold to the same answers.
// Mount every route before calling it.
func senders(t *testing.T, g *Gateway) []sender {
	t.Helper()
	return []sender{
		{"ServeHTTP", "192.0.2.1", func(t *testing.T, r *http.Request) *http.Response {
			w := httptest.NewRecorder()
			g.ServeHTTP(w, r)
			return w.Result()
		}},
		{"Serve", "127.0.0.1", serveOnLoopback(t, g)},
	}
}

// startServe runs g.Serve on a new loopback listener; cancel ends its
// context, and done yields what Serve returned.
func startServe(t *testing.T, g *Gateway, grace time.Duration) (addr string, cancel context.CancelFunc, done <-chan error) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	served := make(chan error, 1)
	go func() { served <- g.Serve(ctx, ln, grace) }()
	return ln.Addr().String(), cancel, served
}

// serveOnLoopback starts g.Serve until the test ends and returns a sender
// to it.
func serveOnLoopback(t *testing.T, g *Gateway) func(t *testing.T, r *http.Request) *http.Response {
	t.Helper()
	addr, cancel, done := startServe(t, g, 5*time.Second)
	client := &http.Client{Transport: &http.Transport{},
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	t.Cleanup(func() {
		client.CloseIdleConnections()
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Serve = %v, want nil", err)
		}
	})
	base := "http://" + addr
	return func(t *testing.T, r *http.Request) *http.Response {
		t.Helper()
		out := r.Clone(context.Background())
		out.RequestURI = ""
		u, err := url.Parse(base + r.URL.RequestURI())
		if err != nil {
			t.Fatal(err)
		}
		out.URL, out.Host = u, ""
		resp, err := client.Do(out)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { resp.Body.Close() })
		return resp
	}
}

func newRequest(method, target, key, body string) *http.Request {
	r := httptest.NewRequest(method, target, strings.NewReader(body))
	if key != "" {
		r.Header.Set("x-api-key", key)
	}
	return r
}

func readBody(t *testing.T, r *http.Response) string {
	t.Helper()
	b, err := io.ReadAll(r.Body)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestRoutesByLongestPrefix(t *testing.T) {
	g := New(Config{})
	g.Mount("/v1/", echo("v1"))
	g.Mount("/v1/admin/", echo("admin"))
	g.Mount("/health", echo("health"))
	tests := []struct{ path, want string }{
		{"/v1/models", "v1"}, {"/v1/admin/x", "admin"}, {"/health", "health"}, {"/health/deep", "health"},
		{"/healthz", ""}, {"/v1", ""}, {"/", ""},
	}
	for _, s := range senders(t, g) {
		for _, tt := range tests {
			r := s.send(t, newRequest("GET", tt.path, "", ""))
			got := r.Header.Get("X-Route")
			if got != tt.want {
				t.Errorf("%s: %s routed to %q, want %q", s.name, tt.path, got, tt.want)
			}
			if tt.want == "" && (r.StatusCode != 404 || readBody(t, r) != `{"message":"Not Found"}`) {
				t.Errorf("%s: %s = %d, want 404 Not Found", s.name, tt.path, r.StatusCode)
			}
		}
	}
}

func TestMountTwicePanics(t *testing.T) {
	defer func() {
		if recover() == nil {
			t.Error("second Mount of /v1/ did not panic")
		}
	}()
	g := New(Config{})
	g.Mount("/v1/", echo("a"))
	g.Mount("/v1/", echo("b"))
}

func TestAPIKeysAnswerLikeAPIGateway(t *testing.T) {
	g := New(Config{Keys: keys{}})
	g.Mount("/v1/", echo("v1"))
	g.Mount("/health", echo("health"), Public())
	tests := []struct {
		name, path, key string
		status          int
		body, errType   string
	}{
		{"missing key", "/v1/models", "", 403, `{"message":"Forbidden: send a valid API key in the x-api-key header"}`, "ForbiddenException"},
		{"unknown key", "/v1/models", "bad", 403, `{"message":"Forbidden: send a valid API key in the x-api-key header"}`, "ForbiddenException"},
		{"good key", "/v1/models", "good", 200, "/v1/models", ""},
		{"store down", "/v1/models", "down", 503, `{"message":"Service Unavailable"}`, ""},
		{"public route", "/health", "", 200, "/health", ""},
	}
	for _, s := range senders(t, g) {
		for _, tt := range tests {
			t.Run(s.name+"/"+tt.name, func(t *testing.T) {
				r := s.send(t, newRequest("GET", tt.path, tt.key, ""))
				if b := readBody(t, r); r.StatusCode != tt.status || b != tt.body {
					t.Errorf("= %d %s, want %d %s", r.StatusCode, b, tt.status, tt.body)
				}
				if got := r.Header.Get("X-Amzn-Errortype"); got != tt.errType {
					t.Errorf("x-amzn-ErrorType = %q, want %q", got, tt.errType)
				}
				if r.Header.Get("X-Amzn-Requestid") == "" {
					t.Error("no x-amzn-RequestId")
				}
			})
		}
	}
}

func TestRequestCarriesTheRequest(t *testing.T) {
	var got *httpedge.Request
	g := New(Config{Keys: keys{}, Stage: "dev"})
	g.Mount("/v1/", handlerFunc(func(ctx context.Context, req *httpedge.Request) (*httpedge.Response, error) {
		got = req
		return &httpedge.Response{Status: 201}, nil
	}))
	for _, s := range senders(t, g) {
		t.Run(s.name, func(t *testing.T) {
			r := httptest.NewRequest("POST", "/v1/models/heart/predict?alias=challenger&x=1&x=2", strings.NewReader(`{"a":1}`))
			r.Header.Set("x-api-key", "good")
			r.Header.Set("Content-Type", "application/json")
			r.Header.Add("X-Multi", "one")
			r.Header.Add("X-Multi", "two")
			resp := s.send(t, r)
			if resp.StatusCode != 201 {
				t.Fatalf("status %d", resp.StatusCode)
			}
			checks := []struct {
				what      string
				got, want any
			}{
				{"method", got.Method, "POST"},
				{"path", got.Path, "/v1/models/heart/predict"},
				{"body", string(got.Body), `{"a":1}`},
				{"query", got.Query.Get("alias"), "challenger"},
				{"multi query", strings.Join(got.Query["x"], ","), "1,2"},
				{"content type", got.Header.Get("Content-Type"), "application/json"},
				{"content type in any case", got.Header.Get("content-type"), "application/json"},
				{"multi header", strings.Join(got.Header["X-Multi"], ","), "one,two"},
				{"single value is the last", got.Header.Get("X-Multi"), "two"},
				{"api key header", got.Header.Get("X-Api-Key"), "good"},
				{"stage", got.Stage, "dev"},
				{"source ip", got.SourceIP, s.sourceIP},
				{"request id header", resp.Header.Get("X-Amzn-Requestid"), got.RequestID},
			}
			for _, c := range checks {
				if c.got != c.want {
					t.Errorf("%s = %v, want %v", c.what, c.got, c.want)
				}
			}
			if len(got.RequestID) != 36 {
				t.Errorf("request id %q is not a UUID", got.RequestID)
			}
			if got.Header.Get("Host") == "" {
				t.Error("no Host header")
			}
		})
	}
}

func TestBinaryBodiesPassAsTheyAre(t *testing.T) {
	var got *httpedge.Request
	g := New(Config{})
	g.Mount("/", handlerFunc(func(ctx context.Context, req *httpedge.Request) (*httpedge.Response, error) {
		got = req
		return &httpedge.Response{Status: 200, Body: []byte{0xff, 0x00}}, nil
	}))
	for _, s := range senders(t, g) {
		got = nil
		r := s.send(t, newRequest("POST", "/x", "", "\xff\xfe"))
		if got == nil || string(got.Body) != "\xff\xfe" {
			t.Errorf("%s: request body %v", s.name, got)
		}
		if b := readBody(t, r); b != "\xff\x00" {
			t.Errorf("%s: response body %q, want the bytes", s.name, b)
		}
	}
}

func TestFailuresBecomeAPIGatewayAnswers(t *testing.T) {
	g := New(Config{MaxBodyBytes: 10})
	g.Mount("/error", handlerFunc(func(context.Context, *httpedge.Request) (*httpedge.Response, error) {
		return nil, errors.New("boom")
	}))
	g.Mount("/panic", handlerFunc(func(context.Context, *httpedge.Request) (*httpedge.Response, error) {
		panic("boom")
	}))
	g.Mount("/nostatus", handlerFunc(func(context.Context, *httpedge.Request) (*httpedge.Response, error) {
		return &httpedge.Response{Body: []byte("x")}, nil
	}))
	g.Mount("/noresponse", handlerFunc(func(context.Context, *httpedge.Request) (*httpedge.Response, error) {
		return nil, nil
	}))
	g.Mount("/ok", echo("ok"))
	tests := []struct {
		path, body string
		status     int
		want       string
	}{
		{"/error", "", 502, `{"message":"Internal server error"}`},
		{"/panic", "", 502, `{"message":"Internal server error"}`},
		{"/nostatus", "", 502, `{"message":"Internal server error"}`},
		{"/noresponse", "", 502, `{"message":"Internal server error"}`},
		{"/ok", strings.Repeat("x", 11), 413, `{"message":"Request Too Long"}`},
		{"/ok", strings.Repeat("x", 10), 200, "/ok"},
	}
	for _, s := range senders(t, g) {
		for _, tt := range tests {
			r := s.send(t, newRequest("POST", tt.path, "", tt.body))
			if b := readBody(t, r); r.StatusCode != tt.status || b != tt.want {
				t.Errorf("%s: %s = %d %s, want %d %s", s.name, tt.path, r.StatusCode, b, tt.status, tt.want)
			}
		}
	}
}

func TestHeadHasNoBody(t *testing.T) {
	g := New(Config{})
	g.Mount("/health", echo("h"))
	for _, s := range senders(t, g) {
		r := s.send(t, newRequest("HEAD", "/health", "", ""))
		if b := readBody(t, r); r.StatusCode != 200 || b != "" || r.ContentLength != 7 {
			t.Errorf("%s: HEAD = %d %q length %d", s.name, r.StatusCode, b, r.ContentLength)
		}
	}
}

// TestServeShutsDownGracefully cancels the server while a slow request is
// in flight: the request completes and Serve returns nil.
func TestServeShutsDownGracefully(t *testing.T) {
	started := make(chan struct{})
	var finished atomic.Bool
	g := New(Config{})
	g.Mount("/slow", handlerFunc(func(context.Context, *httpedge.Request) (*httpedge.Response, error) {
		close(started)
		time.Sleep(200 * time.Millisecond)
		finished.Store(true)
		return &httpedge.Response{Status: 200, Body: []byte("done")}, nil
	}))
	addr, cancel, served := startServe(t, g, 5*time.Second)
	resp := make(chan string, 1)
	go func() {
		r, err := http.Get("http://" + addr + "/slow")
		if err != nil {
			resp <- err.Error()
			return
		}
		b, _ := io.ReadAll(r.Body)
		r.Body.Close()
		resp <- string(b)
	}()
	<-started
	cancel()
	if got := <-resp; got != "done" {
		t.Errorf("in-flight request got %q, want done", got)
	}
	if err := <-served; err != nil {
		t.Errorf("Serve = %v, want nil", err)
	}
	if !finished.Load() {
		t.Error("Serve returned before the request finished")
	}
	if _, err := http.Get("http://" + addr + "/slow"); err == nil {
		t.Error("server still accepts after shutdown")
	}
}

// TestTargetsAreReadAsNetHTTPReadsThem holds both ways in to the decoded
// path and the raw query of url.ParseRequestURI.
func TestTargetsAreReadAsNetHTTPReadsThem(t *testing.T) {
	var got *httpedge.Request
	g := New(Config{})
	g.Mount("/v1/", handlerFunc(func(ctx context.Context, req *httpedge.Request) (*httpedge.Response, error) {
		got = req
		return &httpedge.Response{Status: 200, Body: []byte("ok")}, nil
	}))
	tests := []struct {
		target, path, query string
	}{
		{"/v1/models/heart/predict", "/v1/models/heart/predict", ""},
		{"/v1/models/he%61rt/predict?alias=%63hallenger", "/v1/models/heart/predict", "challenger"},
		{"/v1/a%20b?alias=x&alias=y", "/v1/a b", "x,y"},
		{"/v1/x?alias", "/v1/x", ""},
	}
	for _, s := range senders(t, g) {
		for _, tt := range tests {
			got = nil
			r := s.send(t, newRequest("GET", tt.target, "", ""))
			if r.StatusCode != 200 {
				t.Errorf("%s: %s = %d, want 200", s.name, tt.target, r.StatusCode)
				continue
			}
			if alias := strings.Join(got.Query["alias"], ","); got.Path != tt.path || alias != tt.query {
				t.Errorf("%s: %s read as path %q alias %q, want %q %q", s.name, tt.target, got.Path, alias, tt.path, tt.query)
			}
			if ct := r.Header.Get("Content-Type"); ct != "text/plain; charset=utf-8" {
				t.Errorf("%s: untyped body sent as %q, want it sniffed as text/plain", s.name, ct)
			}
		}
	}
}

// TestResponseHeadersReachTheClient holds both ways out to the handler's
// headers: several Set-Cookie lines, a custom header, a status without a
// body.
func TestResponseHeadersReachTheClient(t *testing.T) {
	g := New(Config{})
	g.Mount("/login", handlerFunc(func(context.Context, *httpedge.Request) (*httpedge.Response, error) {
		return &httpedge.Response{Status: 303, Header: httpedge.Header{
			"Location": {"/home"}, "X-Custom": {"a b"},
			"Set-Cookie": {"session=abc; Path=/; HttpOnly", "csrf=xyz; Path=/; SameSite=Strict"},
		}}, nil
	}), Public())
	for _, s := range senders(t, g) {
		r := s.send(t, newRequest("POST", "/login", "", "user=x"))
		got := r.Header.Values("Set-Cookie")
		if r.StatusCode != 303 || r.Header.Get("Location") != "/home" || r.Header.Get("X-Custom") != "a b" ||
			strings.Join(got, "|") != "session=abc; Path=/; HttpOnly|csrf=xyz; Path=/; SameSite=Strict" {
			t.Errorf("%s: %d Location %q X-Custom %q Set-Cookie %q", s.name, r.StatusCode, r.Header.Get("Location"), r.Header.Get("X-Custom"), got)
		}
		if b := readBody(t, r); b != "" {
			t.Errorf("%s: body %q, want none", s.name, b)
		}
	}
}

func TestMalformedQueryIsRefusedNotDropped(t *testing.T) {
	g := New(Config{Keys: keys{}})
	var called atomic.Int32
	g.Mount("/v1/", handlerFunc(func(ctx context.Context, req *httpedge.Request) (*httpedge.Response, error) {
		called.Add(1)
		return &httpedge.Response{Status: 200}, nil
	}))
	for _, s := range senders(t, g) {
		for _, q := range []string{"version=2;x", "version=%zz", "alias=chal%zzlenger", "version=2&version=%zz"} {
			resp := s.send(t, newRequest("POST", "/v1/models/heart/predict?"+q, "good", "{}"))
			b, _ := io.ReadAll(resp.Body)
			if resp.StatusCode != 400 || !strings.HasPrefix(string(b), `{"message":"Malformed query string: `) {
				t.Errorf("%s ?%s: %d %s", s.name, q, resp.StatusCode, b)
			}
		}
	}
	if n := called.Load(); n != 0 {
		t.Errorf("the handler ran %d times for malformed queries", n)
	}
}

func TestServeReturnsWhenStoppedBeforeItStarts(t *testing.T) {
	for i := range 20 {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithCancel(context.Background())
		cancel() // ended before fasthttp registers the listener
		done := make(chan error, 1)
		go func() { done <- New(Config{}).Serve(ctx, ln, 5*time.Second) }()
		select {
		case err := <-done:
			if err != nil {
				t.Fatalf("round %d: Serve = %v", i, err)
			}
		case <-time.After(5 * time.Second):
			t.Fatalf("round %d: Serve still running 5 s after its context ended", i)
		}
	}
}

func TestStopWaitingAbandonsAStalledUpload(t *testing.T) {
	g := New(Config{})
	g.Mount("/", handlerFunc(func(context.Context, *httpedge.Request) (*httpedge.Response, error) {
		return &httpedge.Response{Status: 200}, nil
	}))
	addr, cancel, done := startServe(t, g, time.Minute)
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	// Promise 500 bytes, send 13, and stall.
	io.WriteString(c, "POST /x HTTP/1.1\r\nHost: x\r\nContent-Length: 500\r\n\r\n{\"instances\":")
	time.Sleep(100 * time.Millisecond)
	cancel()
	select {
	case <-done:
		t.Fatal("Serve returned while a request was still uploading, before the grace period or StopWaiting")
	case <-time.After(300 * time.Millisecond):
	}
	start := time.Now()
	g.StopWaiting()
	g.StopWaiting() // twice is fine
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("Serve = %v, want nil", err)
		}
		if d := time.Since(start); d > 2*time.Second {
			t.Errorf("Serve took %v after StopWaiting", d)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Serve still waiting 10 s after StopWaiting")
	}
}

func TestConnectionErrorsDoNotLogTheKey(t *testing.T) {
	var logs strings.Builder
	var mu sync.Mutex
	g := New(Config{Logger: slog.New(slog.NewTextHandler(lockedWriter{&mu, &logs}, nil))})
	g.Mount("/", echo("root"))
	addr, cancel, done := startServe(t, g, 5*time.Second)
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	io.WriteString(c, "GET /a b c HTTP/1.1\r\nHost: x\r\nx-api-key: stw_secretsecret\r\nContent-Length: abc\r\n\r\n")
	c.SetReadDeadline(time.Now().Add(10 * time.Second)) // the server closes it after the 400
	b, _ := io.ReadAll(c)
	c.Close()
	cancel()
	<-done
	mu.Lock()
	defer mu.Unlock()
	if !strings.Contains(string(b), " 400 ") {
		t.Errorf("malformed request answered %q", b)
	}
	if strings.Contains(logs.String(), "stw_secret") {
		t.Errorf("the log holds the API key:\n%s", logs.String())
	}
}

type lockedWriter struct {
	mu *sync.Mutex
	w  io.Writer
}

func (l lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}

func TestObserveCountsTheGatewaysOwnAnswers(t *testing.T) {
	var mu sync.Mutex
	seen := map[int]int{}
	g := New(Config{Keys: keys{}, Observe: func(status int, d time.Duration) {
		mu.Lock()
		seen[status]++
		mu.Unlock()
	}})
	g.Mount("/ok", echo("ok"))
	g.Mount("/fail", handlerFunc(func(context.Context, *httpedge.Request) (*httpedge.Response, error) {
		return nil, errors.New("boom")
	}))
	for _, s := range senders(t, g) {
		for _, tc := range []struct {
			path, key string
			status    int
		}{{"/ok", "good", 200}, {"/ok", "", 403}, {"/ok", "bad", 403}, {"/fail", "good", 502}, {"/nowhere", "good", 404}} {
			if resp := s.send(t, newRequest("GET", tc.path, tc.key, "")); resp.StatusCode != tc.status {
				t.Errorf("%s %s: %d, want %d", s.name, tc.path, resp.StatusCode, tc.status)
			}
		}
	}
	mu.Lock()
	defer mu.Unlock()
	// Two senders; the handler's own 200s are the handler's to count.
	if want := map[int]int{403: 4, 502: 2, 404: 2}; len(seen) != len(want) || seen[403] != 4 || seen[502] != 2 || seen[404] != 2 {
		t.Errorf("observed %v, want %v", seen, want)
	}
}

func TestBodiesAreReadOnlyAfterTheKeyAndWithinTheRoutesLimit(t *testing.T) {
	g := New(Config{Keys: keys{}})
	g.Mount("/v1/", handlerFunc(func(ctx context.Context, req *httpedge.Request) (*httpedge.Response, error) {
		return &httpedge.Response{Status: 200, Body: []byte(strconv.Itoa(len(req.Body)))}, nil
	}), MaxBody(1000))
	big, small := strings.Repeat("x", 2000), strings.Repeat("x", 999)
	tests := []struct {
		name, key, body string
		status          int
		answer          string
	}{
		{"no key and a large body", "", big, 403, ForbiddenMessage},
		{"a wrong key and a large body", "bad", big, 403, ForbiddenMessage},
		{"a key and a body over the route's limit", "good", big, 413, "Request Too Long"},
		{"a key and a body within it", "good", small, 200, "999"},
	}
	for _, s := range senders(t, g) {
		for _, tt := range tests {
			t.Run(s.name+"/"+tt.name, func(t *testing.T) {
				r := s.send(t, newRequest("POST", "/v1/predict", tt.key, tt.body))
				if b := readBody(t, r); r.StatusCode != tt.status || !strings.Contains(b, tt.answer) {
					t.Errorf("= %d %s, want %d %s", r.StatusCode, b, tt.status, tt.answer)
				}
			})
		}
	}
}

func TestBodiesBeyondTheBudgetAreAskedToRetry(t *testing.T) {
	release := make(chan struct{})
	entered := make(chan struct{}, 1)
	g := New(Config{MaxBodyReads: 1})
	g.Mount("/v1/", handlerFunc(func(ctx context.Context, req *httpedge.Request) (*httpedge.Response, error) {
		entered <- struct{}{}
		<-release
		return &httpedge.Response{Status: 200}, nil
	}))
	body := strings.Repeat("x", 20<<10) // more than the server reads with the headers
	for _, s := range senders(t, g) {
		t.Run(s.name, func(t *testing.T) {
			done := make(chan int, 1)
			go func() {
				r := s.send(t, newRequest("POST", "/v1/predict", "", body))
				readBody(t, r)
				done <- r.StatusCode
			}()
			<-entered
			r := s.send(t, newRequest("POST", "/v1/predict", "", body))
			if b := readBody(t, r); r.StatusCode != 503 || r.Header.Get("Retry-After") == "" {
				t.Errorf("second body = %d %s (Retry-After %q), want 503 with Retry-After", r.StatusCode, b, r.Header.Get("Retry-After"))
			}
			release <- struct{}{}
			if code := <-done; code != 200 {
				t.Errorf("first body = %d, want 200", code)
			}
			// The budget is back: a body is read again.
			go func() { <-entered; release <- struct{}{} }()
			if r := s.send(t, newRequest("POST", "/v1/predict", "", body)); r.StatusCode != 200 {
				t.Errorf("after the first = %d, want 200", r.StatusCode)
			}
		})
	}
}
