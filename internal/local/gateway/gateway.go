package gateway

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/stewardml/steward/internal/httpedge"
)

// KeyChecker decides whether an API key is accepted.
//
// Implementations are safe for concurrent use.
type KeyChecker interface {
	// Check reports whether key is a live key and, if so, its id. err is
	// for failing to decide (the store is down): the gateway answers 503.
	Check(ctx context.Context, key string) (id string, ok bool, err error)
}

// Config configures a Gateway.
type Config struct {
	// Keys checks the x-api-key header of non-public routes; nil means
	// every route is public.
	Keys KeyChecker
	// Stage is the stage requests come through (httpedge.Request.Stage);
	// default "local".
	Stage string
	// MaxBodyBytes is the largest request body of a route mounted
	// without MaxBody; default 10 MiB, API Gateway's payload limit.
	MaxBodyBytes int64
	// MaxBodyReads bounds the request bodies read at once, and
	// MaxBodyMemory the bytes they may hold together (a body counts for
	// its declared length, or its route's limit when it declares none);
	// a request beyond either is answered 503 with Retry-After before its
	// body is read. Defaults 64 and 64 MiB. Bodies of at most 8 KiB, which
	// the server has read with the headers, are not counted.
	MaxBodyReads  int
	MaxBodyMemory int64
	// ReadTimeout bounds the reading of one request, headers and body,
	// so that a client trickling bytes holds a connection no longer;
	// default 10 s. IdleTimeout closes a keep-alive connection without a
	// request for that long; default 60 s.
	ReadTimeout time.Duration
	IdleTimeout time.Duration
	// Logger receives handler failures; nil discards.
	Logger *slog.Logger
	// Now is the clock; nil means time.Now.
	Now func() time.Time
	// Observe, when set, is told of every answer the gateway gives itself
	// rather than a handler (a refused key, a body over the limit, a
	// malformed request, a handler that failed), so that request metrics
	// and alarms count them as API Gateway's metrics do.
	Observe func(status int, latency time.Duration)
}

// ForbiddenMessage is the message of the 403 that refuses a missing,
// unknown or revoked API key. It names the header a client must send; the
// AWS stack sets the same message on API Gateway's INVALID_API_KEY
// response.
const ForbiddenMessage = "Forbidden: send a valid API key in the x-api-key header"

// MountOption changes how a route is mounted.
type MountOption func(*route)

// Public mounts a route that needs no API key.
func Public() MountOption { return func(r *route) { r.public = true } }

// MaxBody bounds the request bodies of a route to n bytes: a body that
// declares more is answered 413 before any of it is read (after the API
// key, so that a client without one learns nothing else).
func MaxBody(n int64) MountOption { return func(r *route) { r.maxBody = n } }

type route struct {
	prefix  string
	h       httpedge.Handler
	public  bool
	maxBody int64
}

// Gateway routes HTTP requests to Handlers. It implements http.Handler and
// is safe for concurrent use once every Mount is done.
type Gateway struct {
	cfg       Config
	mu        sync.RWMutex
	routes    []route // longest prefix first
	lastIP    atomic.Pointer[formattedIP]
	bodies    bodyBudget
	force     chan struct{} // closed by StopWaiting
	forceOnce sync.Once
}

// New returns a gateway with no routes.
func New(cfg Config) *Gateway {
	if cfg.Stage == "" {
		cfg.Stage = "local"
	}
	if cfg.MaxBodyBytes <= 0 {
		cfg.MaxBodyBytes = 10 << 20
	}
	if cfg.ReadTimeout <= 0 {
		cfg.ReadTimeout = 10 * time.Second
	}
	if cfg.IdleTimeout <= 0 {
		cfg.IdleTimeout = 60 * time.Second
	}
	if cfg.MaxBodyReads <= 0 {
		cfg.MaxBodyReads = 64
	}
	if cfg.MaxBodyMemory <= 0 {
		cfg.MaxBodyMemory = 64 << 20
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	return &Gateway{cfg: cfg, force: make(chan struct{}), bodies: bodyBudget{reads: cfg.MaxBodyReads, bytes: cfg.MaxBodyMemory}}
}

// Mount routes requests whose path is prefix, or starts with prefix when
// it ends in "/" (or with prefix + "/" otherwise), to h. The longest
// matching prefix wins. Mounting the same prefix twice panics: that is a
// wiring mistake.
func (g *Gateway) Mount(prefix string, h httpedge.Handler, opts ...MountOption) {
	if !strings.HasPrefix(prefix, "/") {
		panic(fmt.Sprintf("gateway: prefix %q must start with /", prefix))
	}
	r := route{prefix: prefix, h: h}
	for _, o := range opts {
		o(&r)
	}
	if r.maxBody <= 0 || r.maxBody > g.cfg.MaxBodyBytes {
		r.maxBody = g.cfg.MaxBodyBytes
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	for _, old := range g.routes {
		if old.prefix == prefix {
			panic(fmt.Sprintf("gateway: prefix %q mounted twice", prefix))
		}
	}
	g.routes = append(g.routes, r)
	sort.SliceStable(g.routes, func(i, j int) bool { return len(g.routes[i].prefix) > len(g.routes[j].prefix) })
}

func (g *Gateway) match(path string) (route, bool) {
	g.mu.RLock()
	defer g.mu.RUnlock()
	for _, r := range g.routes {
		p := r.prefix
		if path == p || strings.HasSuffix(p, "/") && strings.HasPrefix(path, p) ||
			!strings.HasSuffix(p, "/") && strings.HasPrefix(path, p+"/") {
			return r, true
		}
	}
	return route{}, false
}

// request is what the gateway needs of one HTTP request, whichever server
// read it: net/http for ServeHTTP, fasthttp for Serve.
type request struct {
	ctx        context.Context
	method     string
	path       string // decoded, as url.URL.Path
	rawQuery   string
	host       string
	remoteAddr string
	apiKey     string
}

// source gives the parts of a request the gateway reads only when the
// route and the key let it through.
type source interface {
	// headers fills h: canonical names, every line, Host left out.
	headers(h httpedge.Header)
	// headerCount bounds the number of header lines, to size the maps.
	headerCount() int
	// contentLength is the declared length of the body, -1 when the
	// request declares none (a chunked body).
	contentLength() int64
	// body returns at most limit+1 bytes of the body.
	body(limit int64) ([]byte, error)
	// unread tells the server that the body may be left unread, so that
	// the connection closes after the answer rather than reading it.
	unread()
}

// sink writes the answer.
type sink interface {
	set(k, v string)
	add(k, v string)
	// write sends the status and, unless the request is HEAD, body.
	write(status int, body []byte)
}

// ServeHTTP checks the API key, turns the request into an httpedge.Request,
// calls the route's handler and writes its response. Serve answers the
// same way, over fasthttp.
func (g *Gateway) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	req := request{
		ctx:        r.Context(),
		method:     r.Method,
		path:       r.URL.Path,
		rawQuery:   r.URL.RawQuery,
		host:       r.Host,
		remoteAddr: r.RemoteAddr,
		apiKey:     r.Header.Get("X-Api-Key"),
	}
	hs := &httpSide{w: w, r: r}
	g.serve(&req, hs, hs)
}

// serve answers one request: the core of ServeHTTP and Serve.
func (g *Gateway) serve(req *request, src source, out sink) {
	start := g.cfg.Now()
	reqID := newRequestID()
	out.set("X-Amzn-Requestid", reqID)
	rt, ok := g.match(req.path)
	if !ok {
		src.unread()
		g.answer(out, start, http.StatusNotFound, "Not Found", "")
		return
	}
	if !rt.public && g.cfg.Keys != nil {
		if req.apiKey == "" {
			src.unread()
			g.answer(out, start, http.StatusForbidden, ForbiddenMessage, "ForbiddenException")
			return
		}
		_, ok, err := g.cfg.Keys.Check(req.ctx, req.apiKey)
		if err != nil {
			src.unread()
			g.cfg.Logger.Error("gateway: cannot check the API key", "requestId", reqID, "err", err)
			g.answer(out, start, http.StatusServiceUnavailable, "Service Unavailable", "")
			return
		}
		if !ok {
			src.unread()
			g.answer(out, start, http.StatusForbidden, ForbiddenMessage, "ForbiddenException")
			return
		}
	}
	declared := src.contentLength()
	if declared > rt.maxBody {
		src.unread()
		g.answer(out, start, http.StatusRequestEntityTooLarge, "Request Too Long", "RequestTooLongException")
		return
	}
	if declared < 0 || declared > preRead {
		need := declared
		if need < 0 {
			need = rt.maxBody
		}
		if !g.bodies.acquire(need) {
			src.unread()
			out.set("Retry-After", "1")
			g.answer(out, start, http.StatusServiceUnavailable, "Too many request bodies in flight; retry shortly", "")
			return
		}
		defer g.bodies.release(need)
	}
	body, err := src.body(rt.maxBody)
	if err != nil {
		src.unread()
		g.answer(out, start, http.StatusBadRequest, "Could not read the request body", "BadRequestException")
		return
	}
	if int64(len(body)) > rt.maxBody {
		src.unread()
		g.answer(out, start, http.StatusRequestEntityTooLarge, "Request Too Long", "RequestTooLongException")
		return
	}
	var query url.Values
	if req.rawQuery != "" {
		// A malformed pair is refused, not dropped: dropping ?version=2;x
		// would serve the default model to a client that asked for another.
		q, err := url.ParseQuery(req.rawQuery)
		if err != nil {
			g.answer(out, start, http.StatusBadRequest, "Malformed query string: "+err.Error(), "BadRequestException")
			return
		}
		for k, vs := range q {
			for _, v := range append(vs, k) {
				if hasControl(v) {
					g.answer(out, start, http.StatusBadRequest, fmt.Sprintf("Malformed query string: parameter %q has a control character", k), "BadRequestException")
					return
				}
			}
		}
		query = q
	}
	hd := make(httpedge.Header, src.headerCount()+1)
	src.headers(hd)
	if req.host != "" {
		hd["Host"] = []string{req.host}
	}
	in := &httpedge.Request{
		Method:    req.method,
		Path:      req.path,
		Query:     query,
		Header:    hd,
		Body:      body,
		RequestID: reqID,
		Stage:     g.cfg.Stage,
		SourceIP:  sourceIP(req.remoteAddr),
	}
	resp, herr := g.call(req.ctx, rt.h, in)
	if herr != nil {
		g.cfg.Logger.Error("gateway: handler failed", "requestId", reqID, "path", req.path, "err", herr)
		g.answer(out, start, http.StatusBadGateway, "Internal server error", "")
		return
	}
	if resp == nil || resp.Status < 100 || resp.Status > 599 {
		status := 0
		if resp != nil {
			status = resp.Status
		}
		g.cfg.Logger.Error("gateway: malformed handler response", "requestId", reqID, "status", status)
		g.answer(out, start, http.StatusBadGateway, "Internal server error", "")
		return
	}
	for k, vs := range resp.Header {
		for i, v := range vs {
			if i == 0 {
				out.set(k, v)
			} else {
				out.add(k, v)
			}
		}
	}
	if resp.ContentType != "" {
		out.set("Content-Type", resp.ContentType)
	}
	out.write(resp.Status, resp.Body)
}

// hasControl reports whether s has an ASCII control character: no
// parameter of Steward's takes one, and handlers need not each defend
// against them.
func hasControl(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < 0x20 || s[i] == 0x7f {
			return true
		}
	}
	return false
}

// preRead is how much of a body the server reads with the headers
// (fasthttp's pre-read of a streamed body): bodies that small are already
// in memory and are not counted against the body budget.
const preRead = 8 << 10

// bodyBudget bounds the request bodies read at once and the bytes they
// hold together.
type bodyBudget struct {
	mu      sync.Mutex
	reads   int
	bytes   int64
	inReads int
	inBytes int64
}

// acquire reserves n bytes for one body, or reports false when the
// budget has no room.
func (b *bodyBudget) acquire(n int64) bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.inReads >= b.reads || b.inBytes+n > b.bytes {
		return false
	}
	b.inReads++
	b.inBytes += n
	return true
}

func (b *bodyBudget) release(n int64) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.inReads--
	b.inBytes -= n
}

// call runs the handler, turning a panic into an error as the Lambda
// runtime does.
func (g *Gateway) call(ctx context.Context, h httpedge.Handler, r *httpedge.Request) (resp *httpedge.Response, err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("gateway: handler panicked: %v", p)
		}
	}()
	return h.Serve(ctx, r)
}

// httpSide is a net/http request and its response writer.
type httpSide struct {
	w http.ResponseWriter
	r *http.Request
}

func (s *httpSide) headerCount() int { return len(s.r.Header) }

func (s *httpSide) headers(h httpedge.Header) {
	for k, vs := range s.r.Header {
		h[k] = vs
	}
}

func (s *httpSide) contentLength() int64 { return s.r.ContentLength }

func (s *httpSide) body(limit int64) ([]byte, error) {
	return io.ReadAll(io.LimitReader(s.r.Body, limit+1))
}

// unread does nothing: net/http closes a connection whose body was left
// unread beyond a small amount.
func (s *httpSide) unread() {}

func (s *httpSide) set(k, v string) { s.w.Header().Set(k, v) }
func (s *httpSide) add(k, v string) { s.w.Header().Add(k, v) }

func (s *httpSide) write(status int, body []byte) {
	h := s.w.Header()
	if _, ok := h["Content-Type"]; !ok && len(body) > 0 {
		h.Set("Content-Type", http.DetectContentType(body))
	}
	h.Set("Content-Length", strconv.Itoa(len(body)))
	s.w.WriteHeader(status)
	if s.r.Method != http.MethodHead {
		s.w.Write(body)
	}
}

func sourceIP(remote string) string {
	host, _, err := net.SplitHostPort(remote)
	if err != nil {
		return remote
	}
	return host
}

// answer writes an answer the gateway gives itself (not a handler's) and
// reports it to Config.Observe; start is when the request began, zero
// when unknown (the latency is then reported as 0).
func (g *Gateway) answer(out sink, start time.Time, status int, msg, errorType string) {
	message(out, status, msg, errorType)
	if g.cfg.Observe != nil {
		var d time.Duration
		if !start.IsZero() {
			d = g.cfg.Now().Sub(start)
		}
		g.cfg.Observe(status, d)
	}
}

// message writes an API Gateway style answer: {"message": "..."}.
func message(out sink, status int, msg, errorType string) {
	out.set("Content-Type", "application/json")
	if errorType != "" {
		out.set("X-Amzn-Errortype", errorType)
	}
	b, _ := json.Marshal(struct {
		Message string `json:"message"`
	}{msg}) // a string always marshals
	out.write(status, b)
}

// newRequestID returns a random UUID (version 4), as API Gateway's request
// ids are.
func newRequestID() string {
	var b [16]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read never fails
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	var s [36]byte
	hex.Encode(s[0:8], b[0:4])
	s[8] = '-'
	hex.Encode(s[9:13], b[4:6])
	s[13] = '-'
	hex.Encode(s[14:18], b[6:8])
	s[18] = '-'
	hex.Encode(s[19:23], b[8:10])
	s[23] = '-'
	hex.Encode(s[24:], b[10:])
	return string(s[:])
}
