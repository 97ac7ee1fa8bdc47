package gateway

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-lambda-go/lambdacontext"
)

// Handler answers API Gateway proxy events: the signature of an API
// Gateway Lambda.
type Handler interface {
	Handle(ctx context.Context, req events.APIGatewayProxyRequest) (events.APIGatewayProxyResponse, error)
}

// HandlerFunc adapts a function to Handler.
type HandlerFunc func(ctx context.Context, req events.APIGatewayProxyRequest) (events.APIGatewayProxyResponse, error)

// Handle calls f.
func (f HandlerFunc) Handle(ctx context.Context, req events.APIGatewayProxyRequest) (events.APIGatewayProxyResponse, error) {
	return f(ctx, req)
}

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
	// Stage is the stage name in the events' request context; default "local".
	Stage string
	// MaxBodyBytes is the largest request body; default 10 MiB, API
	// Gateway's payload limit.
	MaxBodyBytes int64
	// Logger receives handler failures; nil discards.
	Logger *slog.Logger
	// Now is the clock; nil means time.Now.
	Now func() time.Time
}

// MountOption changes how a route is mounted.
type MountOption func(*route)

// Public mounts a route that needs no API key.
func Public() MountOption { return func(r *route) { r.public = true } }

// Function names the Lambda function the route stands for, as it appears
// in the invoked ARN of the handler's lambdacontext.
func Function(name string) MountOption { return func(r *route) { r.function = name } }

type route struct {
	prefix   string
	h        Handler
	public   bool
	function string
}

// Gateway routes HTTP requests to Handlers. It implements http.Handler and
// is safe for concurrent use once every Mount is done.
type Gateway struct {
	cfg    Config
	mu     sync.RWMutex
	routes []route // longest prefix first
}

// New returns a gateway with no routes.
func New(cfg Config) *Gateway {
	if cfg.Stage == "" {
		cfg.Stage = "local"
	}
	if cfg.MaxBodyBytes <= 0 {
		cfg.MaxBodyBytes = 10 << 20
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	return &Gateway{cfg: cfg}
}

// Mount routes requests whose path is prefix, or starts with prefix when
// it ends in "/" (or with prefix + "/" otherwise), to h. The longest
// matching prefix wins. Mounting the same prefix twice panics: that is a
// wiring mistake.
func (g *Gateway) Mount(prefix string, h Handler, opts ...MountOption) {
	if !strings.HasPrefix(prefix, "/") {
		panic(fmt.Sprintf("gateway: prefix %q must start with /", prefix))
	}
	r := route{prefix: prefix, h: h, function: "steward"}
	for _, o := range opts {
		o(&r)
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

// ServeHTTP turns the request into a proxy event, checks the API key,
// calls the route's handler and writes its response.
func (g *Gateway) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	start := g.cfg.Now()
	reqID := newRequestID()
	w.Header().Set("X-Amzn-Requestid", reqID)
	rt, ok := g.match(r.URL.Path)
	if !ok {
		message(w, http.StatusNotFound, "Not Found", "")
		return
	}
	var keyID string
	apiKey := r.Header.Get("X-Api-Key")
	if !rt.public && g.cfg.Keys != nil {
		if apiKey == "" {
			message(w, http.StatusForbidden, "Forbidden", "ForbiddenException")
			return
		}
		id, ok, err := g.cfg.Keys.Check(r.Context(), apiKey)
		if err != nil {
			g.cfg.Logger.Error("gateway: cannot check the API key", "requestId", reqID, "err", err)
			message(w, http.StatusServiceUnavailable, "Service Unavailable", "")
			return
		}
		if !ok {
			message(w, http.StatusForbidden, "Forbidden", "ForbiddenException")
			return
		}
		keyID = id
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, g.cfg.MaxBodyBytes+1))
	if err != nil {
		message(w, http.StatusBadRequest, "Could not read the request body", "BadRequestException")
		return
	}
	if int64(len(body)) > g.cfg.MaxBodyBytes {
		message(w, http.StatusRequestEntityTooLarge, "Request Too Long", "RequestTooLongException")
		return
	}
	ev := g.event(r, body, reqID, apiKey, keyID, start)
	ctx := lambdacontext.NewContext(r.Context(), &lambdacontext.LambdaContext{
		AwsRequestID:       reqID,
		InvokedFunctionArn: "arn:aws:lambda:local:000000000000:function:" + rt.function,
	})
	resp, herr := g.call(ctx, rt.h, ev)
	if herr != nil {
		g.cfg.Logger.Error("gateway: handler failed", "requestId", reqID, "path", r.URL.Path, "err", herr)
		message(w, http.StatusBadGateway, "Internal server error", "")
		return
	}
	if resp.StatusCode < 100 || resp.StatusCode > 599 {
		g.cfg.Logger.Error("gateway: malformed handler response", "requestId", reqID, "status", resp.StatusCode)
		message(w, http.StatusBadGateway, "Internal server error", "")
		return
	}
	out := []byte(resp.Body)
	if resp.IsBase64Encoded {
		if out, err = base64.StdEncoding.DecodeString(resp.Body); err != nil {
			g.cfg.Logger.Error("gateway: handler response is not base64", "requestId", reqID, "err", err)
			message(w, http.StatusBadGateway, "Internal server error", "")
			return
		}
	}
	h := w.Header()
	for k, vs := range resp.MultiValueHeaders {
		for _, v := range vs {
			h.Add(k, v)
		}
	}
	for k, v := range resp.Headers {
		h.Set(k, v)
	}
	h.Set("Content-Length", strconv.Itoa(len(out)))
	w.WriteHeader(resp.StatusCode)
	if r.Method != http.MethodHead {
		w.Write(out)
	}
}

// call runs the handler, turning a panic into an error as the Lambda
// runtime does.
func (g *Gateway) call(ctx context.Context, h Handler, ev events.APIGatewayProxyRequest) (resp events.APIGatewayProxyResponse, err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("gateway: handler panicked: %v", p)
		}
	}()
	return h.Handle(ctx, ev)
}

// event builds the REST API proxy event of r.
func (g *Gateway) event(r *http.Request, body []byte, reqID, apiKey, keyID string, start time.Time) events.APIGatewayProxyRequest {
	ev := events.APIGatewayProxyRequest{
		Resource:          "/{proxy+}",
		Path:              r.URL.Path,
		HTTPMethod:        r.Method,
		Headers:           make(map[string]string, len(r.Header)+1),
		MultiValueHeaders: make(map[string][]string, len(r.Header)+1),
		PathParameters:    map[string]string{"proxy": strings.TrimPrefix(r.URL.Path, "/")},
		RequestContext: events.APIGatewayProxyRequestContext{
			AccountID:        "000000000000",
			ResourceID:       "local",
			Stage:            g.cfg.Stage,
			RequestID:        reqID,
			ResourcePath:     "/{proxy+}",
			HTTPMethod:       r.Method,
			APIID:            "local",
			Path:             "/" + g.cfg.Stage + r.URL.Path,
			Protocol:         r.Proto,
			DomainName:       r.Host,
			RequestTime:      start.UTC().Format("02/Jan/2006:15:04:05 -0700"),
			RequestTimeEpoch: start.UnixMilli(),
			Identity: events.APIGatewayRequestIdentity{
				SourceIP:  sourceIP(r.RemoteAddr),
				UserAgent: r.UserAgent(),
				APIKey:    apiKey,
				APIKeyID:  keyID,
			},
		},
	}
	for k, vs := range r.Header {
		ev.MultiValueHeaders[k] = vs
		ev.Headers[k] = vs[len(vs)-1]
	}
	if r.Host != "" {
		ev.Headers["Host"] = r.Host
		ev.MultiValueHeaders["Host"] = []string{r.Host}
	}
	if r.URL.RawQuery != "" {
		q := r.URL.Query()
		ev.MultiValueQueryStringParameters = q
		ev.QueryStringParameters = make(map[string]string, len(q))
		for k, vs := range q {
			ev.QueryStringParameters[k] = vs[len(vs)-1]
		}
	}
	if utf8.Valid(body) {
		ev.Body = string(body)
	} else {
		ev.Body = base64.StdEncoding.EncodeToString(body)
		ev.IsBase64Encoded = true
	}
	return ev
}

func sourceIP(remote string) string {
	host, _, err := net.SplitHostPort(remote)
	if err != nil {
		return remote
	}
	return host
}

// message writes an API Gateway style answer: {"message": "..."}.
func message(w http.ResponseWriter, status int, msg, errorType string) {
	h := w.Header()
	h.Set("Content-Type", "application/json")
	if errorType != "" {
		h.Set("X-Amzn-Errortype", errorType)
	}
	w.WriteHeader(status)
	fmt.Fprintf(w, `{"message":%q}`, msg)
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

// Serve answers on ln until ctx is done, then shuts down gracefully:
// it stops accepting, waits up to grace for requests in flight, and
// returns. It returns nil after a graceful shutdown.
func (g *Gateway) Serve(ctx context.Context, ln net.Listener, grace time.Duration) error {
	srv := &http.Server{
		Handler:           g,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       60 * time.Second,
		WriteTimeout:      60 * time.Second,
		IdleTimeout:       120 * time.Second,
		ErrorLog:          slog.NewLogLogger(g.cfg.Logger.Handler(), slog.LevelWarn),
	}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		return fmt.Errorf("gateway: serve: %w", err)
	case <-ctx.Done():
	}
	sctx, cancel := context.WithTimeout(context.Background(), grace)
	defer cancel()
	if err := srv.Shutdown(sctx); err != nil {
		srv.Close()
		return fmt.Errorf("gateway: shutdown: %w", err)
	}
	if err := <-errc; err != nil && !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("gateway: serve: %w", err)
	}
	return nil
}
