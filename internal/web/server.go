package web

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"html/template"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/stewardml/steward/internal/httpedge"

	"github.com/stewardml/steward/internal/approval"
	"github.com/stewardml/steward/internal/audit"
	"github.com/stewardml/steward/internal/registry"
	"github.com/stewardml/steward/internal/report"
	"github.com/stewardml/steward/internal/store"
	"github.com/stewardml/steward/templates"
)

// Approvals is what the dashboard does with approval requests;
// *approval.Service implements it. Decide is the very call the signed
// email links make.
type Approvals interface {
	List(ctx context.Context, pendingOnly bool, limit int) ([]approval.Request, error)
	Get(ctx context.Context, id string) (approval.Request, error)
	Decide(ctx context.Context, id, approver string, approved bool, comment string) (approval.Request, error)
}

// Registry is what the dashboard reads of the model registry;
// *registry.Registry implements it.
type Registry interface {
	Models(ctx context.Context) ([]registry.Model, error)
	Versions(ctx context.Context, model string) ([]registry.Version, error)
	Version(ctx context.Context, model string, n int) (registry.Version, error)
	Aliases(ctx context.Context, model string) ([]registry.Alias, error)
	History(ctx context.Context, model, alias string) ([]registry.AliasMove, error)
}

// Config wires a dashboard Handler.
type Config struct {
	Records   store.RecordStore
	Artifacts store.ArtifactStore
	Registry  Registry
	Audit     audit.Log
	Approvals Approvals
	// Reports renders reports on demand; nil serves stored ones only.
	Reports *report.Service
	// SigningKey is the platform's secret (the approval-link key); the
	// session and CSRF keys are derived from it.
	SigningKey []byte
	// DefaultModel is shown when a page names none (the project's model).
	DefaultModel string
	// InsecureLoopback drops the Secure attribute of cookies for requests
	// over plain http to a loopback address (http://127.0.0.1:8080 of
	// `steward serve`), where browsers would otherwise refuse them. Off on
	// AWS, where every request arrives over https.
	InsecureLoopback bool
	// Drift lists drift checks; nil reads the drift monitor's check
	// history from Records (MonitorHistory).
	Drift DriftHistory
	// Now is the clock; nil means time.Now.
	Now    func() time.Time
	Logger *slog.Logger
}

// Handler serves the dashboard as an httpedge.Handler: on Lambda behind
// API Gateway (functions/dashboard) and on the local gateway of
// `steward serve` at /. It is safe for concurrent use.
type Handler struct {
	cfg     Config
	keys    sessionKeys
	ops     *Operators
	limit   limiter
	trends  *Trends
	drift   DriftHistory
	bundles bundleCache
	pages   *template.Template
	decide  *template.Template
	now     func() time.Time
	log     *slog.Logger

	refreshMu sync.Mutex
	refreshed map[string]time.Time
}

// New builds a Handler.
func New(cfg Config) (*Handler, error) {
	if cfg.Records == nil || cfg.Artifacts == nil || cfg.Registry == nil || cfg.Audit == nil || cfg.Approvals == nil {
		return nil, errors.New("web: Config needs Records, Artifacts, Registry, Audit and Approvals")
	}
	keys, err := deriveKeys(cfg.SigningKey)
	if err != nil {
		return nil, err
	}
	now := cfg.Now
	if now == nil {
		now = time.Now
	}
	log := cfg.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	h := &Handler{
		cfg: cfg, keys: keys, now: now, log: log,
		ops:    &Operators{Records: cfg.Records, Now: now},
		trends: &Trends{Records: cfg.Records, Artifacts: cfg.Artifacts, Now: now},
		drift:  cfg.Drift,
		pages:  pageTemplates,
		decide: decisionTemplate,
	}
	h.bundles.artifacts = cfg.Artifacts
	if h.drift == nil {
		h.drift = &MonitorHistory{Records: cfg.Records}
	}
	return h, nil
}

// Operators returns the operator store the handler signs in against.
func (h *Handler) Operators() *Operators { return h.ops }

// Trends returns the prediction aggregates behind the trends page.
func (h *Handler) Trends() *Trends { return h.trends }

// DriftHistory returns the drift checks behind the drift pages.
func (h *Handler) DriftHistory() DriftHistory { return h.drift }

var funcs = func() template.FuncMap {
	m := template.FuncMap{}
	for k, v := range report.Funcs {
		m[k] = v
	}
	m["date"] = func(t time.Time) string {
		if t.IsZero() {
			return "–"
		}
		return t.UTC().Format("2006-01-02 15:04")
	}
	m["ago"] = ago
	m["prose"] = prose
	m["shortid"] = shortID
	m["metricName"] = metricName
	m["viewPath"] = report.ViewPath
	m["query"] = url.QueryEscape
	m["inc"] = func(i int) int { return i + 1 }
	m["int"] = fmtInt
	m["ms"] = fmtLatency
	return m
}()

var (
	pageTemplates    = template.Must(template.New("dashboard").Funcs(funcs).ParseFS(templates.FS, "dashboard_*.html.tmpl"))
	decisionTemplate = template.Must(template.New("approval_page.html.tmpl").ParseFS(templates.FS, "approval_page.html.tmpl"))
)

// metricName is the name people read for a recorded metric:
// "holdout_roc_auc" is "Hold-out ROC AUC", "cv_f1_std" is "CV F1 (std)".
func metricName(id string) string {
	name, std := strings.CutSuffix(id, "_std")
	prefix := ""
	switch {
	case strings.HasPrefix(name, "holdout_"):
		prefix, name = "Hold-out ", strings.TrimPrefix(name, "holdout_")
	case strings.HasPrefix(name, "cv_"):
		prefix, name = "CV ", strings.TrimPrefix(name, "cv_")
	case strings.HasPrefix(name, "oof_"):
		prefix, name = "Out-of-fold ", strings.TrimPrefix(name, "oof_")
	}
	out := prefix + approval.MetricLabel(name)
	if std {
		out += " (std)"
	}
	return out
}

// shortID writes a long identifier (an execution ARN, a check id)
// shortened to fit a phone's width, with the full value as its title
// for hover and copy.
func shortID(s string) template.HTML {
	short := s
	if len(short) > 24 {
		if i := strings.LastIndexAny(short, ":/"); i >= 0 && i < len(short)-1 {
			short = short[i+1:]
		}
	}
	if len(short) > 24 {
		short = short[:10] + "…" + short[len(short)-8:]
	}
	if short == s {
		return template.HTML(template.HTMLEscapeString(s))
	}
	return template.HTML(`<span class="id" title="` + template.HTMLEscapeString(s) + `">` + template.HTMLEscapeString(short) + `</span>`)
}

// prose writes text with `backticked` spans as code.
func prose(s string) template.HTML {
	var b strings.Builder
	parts := strings.Split(s, "`")
	if len(parts)%2 == 0 { // an unmatched backtick stays a character
		parts[len(parts)-2] += "`" + parts[len(parts)-1]
		parts = parts[:len(parts)-1]
	}
	for i, p := range parts {
		if i%2 == 1 {
			b.WriteString("<code>" + template.HTMLEscapeString(p) + "</code>")
			continue
		}
		b.WriteString(template.HTMLEscapeString(p))
	}
	return template.HTML(b.String())
}

func ago(now, t time.Time) string {
	if t.IsZero() {
		return ""
	}
	d := now.Sub(t)
	switch {
	case d < 0:
		return "in the future"
	case d < time.Minute:
		return "just now"
	case d < time.Hour:
		return fmt.Sprintf("%d min ago", int(d.Minutes()))
	case d < 48*time.Hour:
		return fmt.Sprintf("%d h ago", int(d.Hours()))
	}
	return fmt.Sprintf("%d days ago", int(d.Hours()/24))
}

// request is one request with what the handler learned of it.
type request struct {
	ctx      context.Context
	in       *httpedge.Request
	method   string
	path     string // without the stage prefix
	base     string // the stage prefix of links ("" or "/prod")
	query    url.Values
	cookies  map[string]string
	insecure bool
	op       *Operator
	sess     *session
	setCook  []string
}

// response is what a page handler answers.
type response struct {
	status  int
	body    []byte
	ctype   string
	headers map[string]string
}

// maxForm bounds POST bodies: forms here are a few hundred bytes.
const maxForm = 16 << 10

// Serve answers one request. A failure of a page is answered with an
// error page, so the error is always nil.
func (h *Handler) Serve(ctx context.Context, in *httpedge.Request) (*httpedge.Response, error) {
	r := &request{ctx: ctx, in: in, method: in.Method, path: in.Path, query: in.Query, cookies: in.Cookies()}
	if r.query == nil {
		r.query = url.Values{}
	}
	if r.path == "" {
		r.path = "/"
	}
	// Behind API Gateway's own domain, links carry the stage.
	host := in.Header.Get("Host")
	if strings.HasSuffix(host, ".amazonaws.com") && in.Stage != "" {
		r.base = "/" + in.Stage
	}
	r.insecure = h.cfg.InsecureLoopback && isLoopbackHost(host) && !strings.EqualFold(in.Header.Get("X-Forwarded-Proto"), "https")
	resp, err := h.route(r)
	if err != nil {
		h.log.Error("web: request failed", "path", r.path, "err", err)
		resp = h.errorPage(r, http.StatusInternalServerError, "Something went wrong", "The dashboard could not answer: "+err.Error())
	}
	out := &httpedge.Response{Status: resp.status, ContentType: resp.ctype, Body: resp.body, Header: httpedge.Header{
		"Cache-Control":           {"no-store"},
		"Referrer-Policy":         {"no-referrer"},
		"X-Frame-Options":         {"DENY"},
		"X-Content-Type-Options":  {"nosniff"},
		"Content-Security-Policy": {"default-src 'none'; style-src 'unsafe-inline'; img-src 'self' data:; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"},
	}}
	for k, v := range resp.headers {
		out.SetHeader(k, v)
	}
	if len(r.setCook) > 0 {
		out.Header["Set-Cookie"] = r.setCook
	}
	return out, nil
}

func (h *Handler) route(r *request) (response, error) {
	get := r.method == http.MethodGet || r.method == http.MethodHead
	post := r.method == http.MethodPost
	if !get && !post {
		resp := h.errorPage(r, http.StatusMethodNotAllowed, "Method not allowed", "Use the dashboard's links and buttons.")
		resp.headers = map[string]string{"Allow": "GET, HEAD, POST"}
		return resp, nil
	}
	if r.path == "/favicon.ico" {
		return response{status: http.StatusNoContent, ctype: "image/x-icon"}, nil
	}
	if !isPage(r.path) && apiClient(r.in) {
		// An API client that missed its route learns so in JSON, as the
		// prediction API answers, not with the sign-in page.
		return response{status: http.StatusNotFound, ctype: "application/json", body: []byte(`{"message":"Not Found"}`)}, nil
	}
	if r.path == "/signin" {
		if post {
			return h.signIn(r)
		}
		return h.signInPage(r, "", http.StatusOK)
	}
	if err := h.authenticate(r); err != nil {
		return response{}, err
	}
	if r.op == nil {
		if post {
			return h.errorPage(r, http.StatusForbidden, "Not signed in", "Sign in before changing anything."), nil
		}
		next := r.path
		if len(r.query) > 0 {
			next += "?" + r.query.Encode()
		}
		return redirect(r.base + "/signin?next=" + url.QueryEscape(next)), nil
	}
	if post {
		form, err := r.in.Form(maxForm)
		if err != nil {
			return h.errorPage(r, http.StatusBadRequest, "Bad request", err.Error()), nil
		}
		if !h.keys.checkCSRF(r.sess.Nonce, form.Get("csrf")) {
			return h.errorPage(r, http.StatusForbidden, "Request refused", "This form is missing its CSRF token or the token is not this session's. Reload the page and try again."), nil
		}
		switch r.path {
		case "/signout":
			r.setCook = append(r.setCook, cookie(sessionCookie, "", "/", -1, r.insecure))
			return redirect(r.base + "/signin"), nil
		case "/approvals":
			return h.decideApproval(r, form)
		}
		return h.errorPage(r, http.StatusNotFound, "Not found", "There is nothing to post to at this address."), nil
	}
	switch {
	case r.path == "/":
		return redirect(r.base + "/models"), nil
	case r.path == "/models":
		return h.modelsPage(r)
	case r.path == "/drift":
		return h.driftPage(r)
	case r.path == "/approvals":
		if id := r.query.Get("request"); id != "" {
			return h.approvalPage(r, id)
		}
		return h.approvalsPage(r)
	case r.path == "/trends":
		return h.trendsPage(r)
	case r.path == "/agent":
		return h.agentPage(r)
	case r.path == "/runs":
		return h.runsPage(r)
	case strings.HasPrefix(r.path, "/view/"):
		return h.view(r)
	case strings.HasPrefix(r.path, "/reports/"):
		return h.reportLink(r)
	case strings.HasPrefix(r.path, "/evidence/"):
		return h.evidence(r)
	}
	return h.errorPage(r, http.StatusNotFound, "Not found", "There is no dashboard page at this address."), nil
}

// isPage reports whether path is one of the dashboard's addresses.
func isPage(path string) bool {
	switch path {
	case "/", "/signin", "/signout", "/models", "/drift", "/approvals", "/trends", "/agent", "/runs":
		return true
	}
	return strings.HasPrefix(path, "/view/") || strings.HasPrefix(path, "/reports/")
}

// apiClient reports whether a request comes from an API client rather
// than a browser: it carries an API key, or its Accept header asks for
// JSON and not HTML (browsers always accept text/html for a page).
func apiClient(in *httpedge.Request) bool {
	if in.Header.Get("X-Api-Key") != "" {
		return true
	}
	accept := strings.ToLower(strings.Join(in.Header["Accept"], ","))
	return strings.Contains(accept, "application/json") && !strings.Contains(accept, "text/html")
}

// authenticate reads and checks the session cookie; r.op stays nil when
// there is no valid session.
func (h *Handler) authenticate(r *request) error {
	v, ok := r.cookies[sessionCookie]
	if !ok {
		return nil
	}
	var s session
	if !h.keys.open("session", v, &s) || h.now().Unix() >= s.Exp {
		return nil
	}
	op, err := h.ops.Get(r.ctx, s.Op)
	if errors.Is(err, ErrNoOperator) {
		return nil
	}
	if err != nil {
		return err
	}
	if op.Gen != s.Gen {
		return nil
	}
	r.op, r.sess = &op, &s
	return nil
}

// safeNext keeps a post-sign-in redirect on this site.
func safeNext(next string) string {
	if !strings.HasPrefix(next, "/") || strings.HasPrefix(next, "//") || strings.HasPrefix(next, "/\\") {
		return "/models"
	}
	// Printable ASCII only: browsers drop tabs and newlines from a URL, so
	// "/\t/evil.example" would become "//evil.example", another host.
	for i := 0; i < len(next); i++ {
		if next[i] <= 0x20 || next[i] >= 0x7f || next[i] == '\\' {
			return "/models"
		}
	}
	return next
}

func (h *Handler) signInPage(r *request, msg string, status int) (response, error) {
	// Keep the nonce of a sign-in form already open in this browser (a
	// second tab, or a request the browser makes on its own such as
	// /favicon.ico), so that its token stays valid.
	var nonce string
	if v, ok := r.cookies[preCookie]; !ok || !h.keys.open("signin", v, &nonce) || nonce == "" {
		nonce = newNonce()
		signed, err := h.keys.sign("signin", nonce)
		if err != nil {
			return response{}, err
		}
		r.setCook = append(r.setCook, cookie(preCookie, signed, "/", 3600, r.insecure))
	}
	data := map[string]any{
		"Base": r.base, "CSRF": h.keys.csrfToken("signin:" + nonce), "Next": safeNext(r.query.Get("next")),
		"Message": msg, "Title": "Sign in",
	}
	return h.render(status, "page_signin", data)
}

func (h *Handler) signIn(r *request) (response, error) {
	form, err := r.in.Form(maxForm)
	if err != nil {
		return h.errorPage(r, http.StatusBadRequest, "Bad request", err.Error()), nil
	}
	var nonce string
	if v, ok := r.cookies[preCookie]; !ok || !h.keys.open("signin", v, &nonce) || !h.keys.checkCSRF("signin:"+nonce, form.Get("csrf")) {
		return h.errorPage(r, http.StatusForbidden, "Request refused", "The sign-in form is missing its CSRF token or has expired. Reload the page and try again."), nil
	}
	name, password := strings.TrimSpace(strings.ToLower(form.Get("name"))), form.Get("password")
	now := h.now()
	if h.limit.blocked(name, now) {
		return h.signInPage(r, "Too many failed sign-ins for this name; wait 15 minutes.", http.StatusTooManyRequests)
	}
	op, err := h.ops.Authenticate(r.ctx, name, password)
	if errors.Is(err, ErrBadCredentials) {
		h.limit.failed(name, now)
		h.log.Warn("web: failed sign-in", "name", name, "source", r.in.SourceIP)
		return h.signInPage(r, "Wrong name or password.", http.StatusUnauthorized)
	}
	if err != nil {
		return response{}, err
	}
	h.limit.succeeded(name)
	s := session{Op: op.Name, Gen: op.Gen, Exp: now.Add(SessionTTL).Unix(), Nonce: newNonce()}
	v, err := h.keys.sign("session", s)
	if err != nil {
		return response{}, err
	}
	r.setCook = append(r.setCook,
		cookie(sessionCookie, v, "/", int(SessionTTL/time.Second), r.insecure),
		cookie(preCookie, "", "/", -1, r.insecure))
	return redirect(r.base + safeNext(form.Get("next"))), nil
}

func redirect(loc string) response {
	return response{status: http.StatusSeeOther, ctype: "text/html; charset=utf-8", headers: map[string]string{"Location": loc},
		body: []byte(`<!doctype html><title>Redirect</title><a href="` + template.HTMLEscapeString(loc) + `">Continue</a>`)}
}

func (h *Handler) render(status int, name string, data any) (response, error) {
	var b bytes.Buffer
	if err := h.pages.ExecuteTemplate(&b, name, data); err != nil {
		return response{}, fmt.Errorf("web: render %s: %w", name, err)
	}
	return response{status: status, body: b.Bytes(), ctype: "text/html; charset=utf-8"}, nil
}

// errorPage renders a message page; it never fails.
func (h *Handler) errorPage(r *request, status int, title, msg string) response {
	data := map[string]any{"Base": r.base, "Title": title, "Message": msg}
	if r.op != nil {
		data["Operator"] = r.op.Name
		data["CSRF"] = h.keys.csrfToken(r.sess.Nonce)
	}
	resp, err := h.render(status, "page_error", data)
	if err != nil {
		return response{status: status, ctype: "text/plain; charset=utf-8", body: []byte(title + ": " + msg)}
	}
	return resp
}
