package gateway

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"time"

	"github.com/stewardml/steward/internal/httpedge"

	"github.com/valyala/fasthttp"
)

// Serve answers on ln until ctx is done, then shuts down gracefully:
// it stops accepting, waits up to grace (or until StopWaiting) for
// requests in flight, and returns nil. Requests still unfinished then
// (a client stalled mid-upload) are abandoned unanswered, with a warning
// in the log: none of them was acknowledged.
//
// The server is fasthttp rather than net/http: under many keep-alive
// connections on a small machine, net/http's per-request work (a
// background read started and aborted on every request, fresh buffers and
// header maps) made the latency tail tens of milliseconds long, and
// fasthttp reuses its buffers and workers. ServeHTTP keeps the gateway an
// http.Handler, answering the same way.
func (g *Gateway) Serve(ctx context.Context, ln net.Listener, grace time.Duration) error {
	base := context.WithoutCancel(ctx) // requests in flight finish after ctx is done
	srv := &fasthttp.Server{
		Handler:                      func(c *fasthttp.RequestCtx) { g.serveFast(base, c) },
		ErrorHandler:                 g.serveError,
		ReadTimeout:                  g.cfg.ReadTimeout,
		WriteTimeout:                 60 * time.Second,
		IdleTimeout:                  g.cfg.IdleTimeout,
		MaxRequestBodySize:           int(min(g.cfg.MaxBodyBytes, int64(^uint(0)>>1))),
		StreamRequestBody:            true, // the gateway reads a body only after the key and the route's limit
		HeaderReceived:               func(h *fasthttp.RequestHeader) fasthttp.RequestConfig { return g.headerReceived(base, h) },
		NoDefaultServerHeader:        true,
		NoDefaultContentType:         true,
		DisablePreParseMultipartForm: true,
		CloseOnShutdown:              true,
		SecureErrorLogMessage:        true, // never log a request's headers (its API key) or body
		Logger:                       fastLogger{g.cfg.Logger},
	}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		if err == nil {
			err = net.ErrClosed
		}
		return fmt.Errorf("gateway: serve: %w", err)
	case <-ctx.Done():
	}
	sctx, cancel := context.WithTimeout(context.Background(), grace)
	defer cancel()
	go func() {
		select {
		case <-g.force:
			cancel()
		case <-sctx.Done():
		}
	}()
	shutErr := srv.ShutdownWithContext(sctx)
	// Shutdown closes the listeners Serve has registered; one it has not
	// registered yet (ctx ended at once) is closed here, so that Serve's
	// accept loop ends either way.
	_ = ln.Close()
	if shutErr != nil {
		if !errors.Is(shutErr, context.DeadlineExceeded) && !errors.Is(shutErr, context.Canceled) {
			return fmt.Errorf("gateway: shutdown: %w", shutErr)
		}
		g.cfg.Logger.Warn("gateway: stopped waiting for requests in flight; the unfinished ones are abandoned unanswered", "grace", grace)
	}
	if err := <-errc; err != nil {
		return fmt.Errorf("gateway: serve: %w", err)
	}
	return nil
}

// headerReceived decides, from the headers alone, how much of the body
// fasthttp reads before the handler runs: a request the gateway will
// refuse (no route, no valid key, a declared length over the route's
// limit) gets one byte, so that it is answered as soon as its body
// starts rather than after its first 8 KiB.
func (g *Gateway) headerReceived(ctx context.Context, h *fasthttp.RequestHeader) fasthttp.RequestConfig {
	refuse := fasthttp.RequestConfig{MaxRequestBodySize: 1}
	if h.ContentLength() == 0 || h.ContentLength() == -2 {
		return fasthttp.RequestConfig{} // no body to read
	}
	path, _, err := splitRequestURI(h.RequestURI())
	if err != nil {
		return refuse
	}
	rt, ok := g.match(path)
	if !ok {
		return refuse
	}
	if !rt.public && g.cfg.Keys != nil {
		key := h.Peek("X-Api-Key")
		if len(key) == 0 {
			return refuse
		}
		if _, ok, err := g.cfg.Keys.Check(ctx, string(key)); err != nil || !ok {
			return refuse
		}
	}
	if int64(h.ContentLength()) > rt.maxBody {
		return refuse
	}
	return fasthttp.RequestConfig{}
}

// StopWaiting ends the grace period of a Serve that is shutting down (a
// second Ctrl-C): requests still in flight are abandoned. It is safe to
// call more than once, and before Serve.
func (g *Gateway) StopWaiting() { g.forceOnce.Do(func() { close(g.force) }) }

// serveFast answers one fasthttp request.
func (g *Gateway) serveFast(base context.Context, c *fasthttp.RequestCtx) {
	h := &c.Request.Header
	path, rawQuery, err := splitRequestURI(h.RequestURI())
	if err != nil {
		out := (*fastSide)(c)
		out.set("X-Amzn-Requestid", newRequestID())
		g.answer(out, time.Time{}, http.StatusBadRequest, "Bad Request", "BadRequestException")
		return
	}
	req := request{
		ctx:        base,
		method:     methodString(h.Method()),
		path:       path,
		rawQuery:   rawQuery,
		host:       string(h.Host()),
		remoteAddr: g.remoteIP(c.RemoteAddr()),
		apiKey:     string(h.Peek("X-Api-Key")),
	}
	fs := (*fastSide)(c)
	g.serve(&req, fs, fs)
}

// remoteIP returns the client's address without the port, reusing the
// string of the last address seen (on loopback, always the same one).
func (g *Gateway) remoteIP(a net.Addr) string {
	ta, ok := a.(*net.TCPAddr)
	if !ok {
		return a.String()
	}
	if last := g.lastIP.Load(); last != nil && last.ip.Equal(ta.IP) {
		return last.text
	}
	ip := &formattedIP{ip: append(net.IP(nil), ta.IP...), text: ta.IP.String()}
	g.lastIP.Store(ip)
	return ip.text
}

type formattedIP struct {
	ip   net.IP
	text string
}

// serveError answers what fasthttp refuses before the handler: a body
// over the limit (413, as API Gateway) or a malformed request (400).
func (g *Gateway) serveError(c *fasthttp.RequestCtx, err error) {
	out := (*fastSide)(c)
	out.set("X-Amzn-Requestid", newRequestID())
	var te interface{ Timeout() bool }
	switch {
	case errors.Is(err, fasthttp.ErrBodyTooLarge):
		g.answer(out, time.Time{}, http.StatusRequestEntityTooLarge, "Request Too Long", "RequestTooLongException")
	case errors.As(err, &te) && te.Timeout():
		g.answer(out, time.Time{}, http.StatusRequestTimeout, "Request Timeout", "")
	default:
		g.answer(out, time.Time{}, http.StatusBadRequest, "Bad Request", "BadRequestException")
	}
}

// splitRequestURI returns the decoded path and the raw query of a request
// target, as net/http's url.ParseRequestURI reads it. Targets without
// escapes or control bytes, the common case, are split without parsing.
func splitRequestURI(uri []byte) (path, rawQuery string, err error) {
	if len(uri) > 0 && uri[0] == '/' {
		plain := true
		for _, b := range uri {
			if b == '%' || b < 0x21 || b == 0x7f {
				plain = false
				break
			}
		}
		if plain {
			if i := bytes.IndexByte(uri, '?'); i >= 0 {
				return string(uri[:i]), string(uri[i+1:]), nil
			}
			return string(uri), "", nil
		}
	}
	u, err := url.ParseRequestURI(string(uri))
	if err != nil {
		return "", "", err
	}
	return u.Path, u.RawQuery, nil
}

// methodString returns m as a string, without allocating for the
// standard methods.
func methodString(m []byte) string {
	for _, s := range [...]string{http.MethodPost, http.MethodGet, http.MethodHead, http.MethodPut,
		http.MethodDelete, http.MethodPatch, http.MethodOptions} {
		if string(m) == s {
			return s
		}
	}
	return string(m)
}

// commonHeaders are header names kept as constants, so that building a
// request does not allocate a copy of each.
var commonHeaders = [...]string{"Accept", "Accept-Encoding", "Connection", "Content-Length",
	"Content-Type", "User-Agent", "X-Api-Key", "Authorization", "Cookie"}

func headerName(k []byte) string {
	for _, s := range commonHeaders {
		if string(k) == s {
			return s
		}
	}
	return string(k)
}

// fastSide is a fasthttp request and its response.
type fastSide fasthttp.RequestCtx

func (s *fastSide) ctx() *fasthttp.RequestCtx { return (*fasthttp.RequestCtx)(s) }

func (s *fastSide) headerCount() int { return s.ctx().Request.Header.Len() }

func (s *fastSide) headers(hd httpedge.Header) {
	h := &s.ctx().Request.Header
	vals := make([]string, 0, h.Len()+4)
	for k, v := range h.All() {
		if string(k) == "Host" {
			continue // the gateway adds it, as net/http keeps it apart
		}
		key, val := headerName(k), string(v)
		if vs, ok := hd[key]; ok {
			hd[key] = append(vs, val)
			continue
		}
		vals = append(vals, val)
		hd[key] = vals[len(vals)-1 : len(vals) : len(vals)]
	}
}

func (s *fastSide) contentLength() int64 {
	n := s.ctx().Request.Header.ContentLength()
	if n < 0 {
		if n == -2 { // neither Content-Length nor Transfer-Encoding: no body
			return 0
		}
		return -1
	}
	return int64(n)
}

// body reads the streamed body: fasthttp has read only its first 8 KiB
// with the headers, so that nothing large is read before the gateway has
// checked the key and the route's limit.
func (s *fastSide) body(limit int64) ([]byte, error) {
	c := s.ctx()
	stream := c.RequestBodyStream()
	if stream == nil {
		return c.Request.Body(), nil
	}
	if n := s.contentLength(); n >= 0 && n <= limit {
		b := make([]byte, n)
		if _, err := io.ReadFull(stream, b); err != nil {
			return nil, err
		}
		return b, nil
	}
	return io.ReadAll(io.LimitReader(stream, limit+1))
}

func (s *fastSide) unread() {
	if s.contentLength() != 0 {
		s.ctx().SetConnectionClose()
	}
}

func (s *fastSide) set(k, v string) { s.ctx().Response.Header.Set(k, v) }
func (s *fastSide) add(k, v string) { s.ctx().Response.Header.Add(k, v) }

func (s *fastSide) write(status int, body []byte) {
	c := s.ctx()
	c.SetStatusCode(status)
	if len(body) > 0 && len(c.Response.Header.ContentType()) == 0 {
		// As net/http does for a response without a Content-Type.
		c.Response.Header.SetContentType(http.DetectContentType(body))
	}
	// fasthttp sends no body to a HEAD request.
	c.SetBody(body)
}

// fastLogger passes fasthttp's messages (connection errors) to the
// gateway's logger as warnings.
type fastLogger struct{ l *slog.Logger }

func (f fastLogger) Printf(format string, args ...any) {
	f.l.Warn("gateway: " + fmt.Sprintf(format, args...))
}
