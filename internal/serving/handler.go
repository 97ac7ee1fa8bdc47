package serving

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"math"
	"math/rand/v2"
	"mime"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/stewardml/steward/internal/capture"
	"github.com/stewardml/steward/internal/httpedge"
	"github.com/stewardml/steward/internal/jsonappend"
	"github.com/stewardml/steward/internal/metrics"
	"github.com/stewardml/steward/internal/store"
	"github.com/stewardml/steward/internal/uuidv7"
)

// ContentTypeJSON is the content type of every JSON answer.
const ContentTypeJSON = "application/json"

// ContentTypePrometheus is the content type of GET /metrics.
const ContentTypePrometheus = "text/plain; version=0.0.4; charset=utf-8"

// Config holds the handler's settings; DefaultConfig gives the defaults.
type Config struct {
	// Limits bound each prediction request (instances, problems listed).
	Limits Limits
	// MaxBodyBytes is the largest request body accepted (413 beyond).
	MaxBodyBytes int
	// Detail is how much an error body says about each problem.
	Detail Detail
	// DefaultAlias is the alias served when a request names neither a
	// version nor an alias.
	DefaultAlias string
	// CaptureRate is the fraction of predictions captured, in [0, 1].
	CaptureRate float64
	// FeedbackSkew is how far in the future a prediction id's timestamp may
	// lie (clock skew between instances) before feedback for it is refused.
	FeedbackSkew time.Duration
}

// DefaultConfig returns the defaults: 1000 instances, 100 problems listed,
// 1 MiB bodies, full detail, the champion alias, every prediction
// captured, 5 minutes of clock skew.
func DefaultConfig() Config {
	return Config{
		Limits:       Limits{MaxInstances: 1000, MaxProblems: 100},
		MaxBodyBytes: 1 << 20,
		Detail:       DetailFull,
		DefaultAlias: "champion",
		CaptureRate:  1,
		FeedbackSkew: 5 * time.Minute,
	}
}

// MaxBodyBytes is the largest request body the handler accepts, for a
// front door that refuses larger ones before reading them.
func (h *Handler) MaxBodyBytes() int64 { return int64(h.cfg.MaxBodyBytes) }

// Deps are the handler's collaborators. Models is required; a nil Catalog,
// Feedback or Capturer makes the routes that need it answer 503 (or, for
// Capturer, captures nothing); a nil Metrics records nothing.
type Deps struct {
	Models   *Cache
	Catalog  Catalog
	Feedback store.RecordStore
	Capturer capture.Capturer
	Metrics  metrics.Recorder
	IDs      *uuidv7.Gen // nil means uuidv7.NewGen(Now, nil)
	// IDSigner seals every prediction id, and feedback is accepted only
	// for ids it sealed (404 for others); nil issues unsealed ids and
	// accepts feedback for any past UUIDv7.
	IDSigner *uuidv7.Signer
	Now      func() time.Time // nil means time.Now
	Rand     func() float64   // capture sampling; nil means math/rand/v2
	Logger   *slog.Logger     // nil discards
}

// Handler serves the prediction API. It is safe for concurrent use.
type Handler struct {
	cfg    Config
	d      Deps
	expose metrics.Exposer
}

// NewHandler returns a handler. Limits left at zero take their defaults.
func NewHandler(cfg Config, d Deps) *Handler {
	cfg.Limits = cfg.Limits.withDefaults()
	if cfg.MaxBodyBytes <= 0 {
		cfg.MaxBodyBytes = 1 << 20
	}
	if cfg.DefaultAlias == "" {
		cfg.DefaultAlias = "champion"
	}
	cfg.CaptureRate = min(max(cfg.CaptureRate, 0), 1)
	if d.Now == nil {
		d.Now = time.Now
	}
	if d.IDs == nil {
		d.IDs = uuidv7.NewGen(d.Now, nil)
	}
	if d.Rand == nil {
		d.Rand = rand.Float64
	}
	if d.Logger == nil {
		d.Logger = slog.New(slog.DiscardHandler)
	}
	h := &Handler{cfg: cfg, d: d}
	h.expose, _ = d.Metrics.(metrics.Exposer)
	return h
}

// Serve answers one request; the error is always nil: every outcome,
// client mistakes and failures alike, is an HTTP response, so that API
// Gateway never turns a failure into its opaque 502. A client mistake is
// a 4xx JSON error body; a panic is logged and answered 500.
func (h *Handler) Serve(ctx context.Context, r *httpedge.Request) (resp *httpedge.Response, err error) {
	defer func() {
		if p := recover(); p != nil {
			h.d.Logger.Error("serving: handler panicked", "requestId", r.RequestID, "panic", p)
			resp = h.fail(r, &RequestError{Status: http.StatusInternalServerError, Code: CodeInternal, Message: "internal error"})
		}
	}()
	start := h.d.Now()
	o := metrics.Observation{Route: metrics.RouteOther}
	resp = h.route(ctx, r, &o, start)
	if r.Method == http.MethodHead {
		resp.Body = nil // nor a length of one
	}
	if h.d.Metrics != nil {
		o.Status = resp.Status
		o.Latency = h.d.Now().Sub(start)
		h.d.Metrics.Observe(&o)
	}
	return resp, nil
}

func (h *Handler) route(ctx context.Context, r *httpedge.Request, o *metrics.Observation, start time.Time) *httpedge.Response {
	p := r.Path
	switch {
	case p == "/health":
		o.Route = metrics.RouteHealth
		if !h.method(r, http.MethodGet) {
			return h.notAllowed(r, "GET, HEAD")
		}
		return h.health()
	case p == "/metrics" && h.expose != nil:
		o.Route = metrics.RouteMetrics
		if !h.method(r, http.MethodGet) {
			return h.notAllowed(r, "GET, HEAD")
		}
		return &httpedge.Response{Status: http.StatusOK, ContentType: ContentTypePrometheus, Body: h.expose.AppendPrometheus(nil)}
	case p == "/v1/feedback":
		o.Route = metrics.RouteFeedback
		if r.Method != http.MethodPost {
			return h.notAllowed(r, "POST")
		}
		return h.feedback(ctx, r)
	case p == "/v1/models":
		o.Route = metrics.RouteModels
		if !h.method(r, http.MethodGet) {
			return h.notAllowed(r, "GET, HEAD")
		}
		return h.listModels(ctx, r)
	case strings.HasPrefix(p, "/v1/models/"):
		rest := p[len("/v1/models/"):]
		name, action, _ := strings.Cut(rest, "/")
		switch action {
		case "predict":
			o.Route = metrics.RoutePredict
			if r.Method != http.MethodPost {
				return h.notAllowed(r, "POST")
			}
			return h.predict(ctx, r, name, o, start)
		case "":
			if strings.HasSuffix(rest, "/") {
				break
			}
			o.Route = metrics.RouteModel
			if !h.method(r, http.MethodGet) {
				return h.notAllowed(r, "GET, HEAD")
			}
			return h.describeModel(ctx, r, name)
		}
	}
	return h.fail(r, &RequestError{Status: http.StatusNotFound, Code: CodeNotFound,
		Message: "no route for " + r.Method + " " + shorten(r.Path, 200)})
}

// method accepts m and, for GET routes, HEAD.
func (h *Handler) method(r *httpedge.Request, m string) bool {
	return r.Method == m || m == http.MethodGet && r.Method == http.MethodHead
}

func (h *Handler) notAllowed(r *httpedge.Request, allow string) *httpedge.Response {
	resp := h.fail(r, &RequestError{Status: http.StatusMethodNotAllowed, Code: CodeMethodNotAllowed,
		Message: "method " + shorten(r.Method, 20) + " is not allowed here; use " + allow})
	resp.SetHeader("Allow", allow)
	return resp
}

// fail renders a RequestError.
func (h *Handler) fail(r *httpedge.Request, e *RequestError) *httpedge.Response {
	return &httpedge.Response{Status: e.Status, ContentType: ContentTypeJSON, Body: e.Body(h.cfg.Detail, r.RequestID)}
}

// failErr maps a source or store error: not found is the client's 404,
// anything else a 503 logged with the request id.
func (h *Handler) failErr(r *httpedge.Request, err error) *httpedge.Response {
	if errors.Is(err, ErrNotFound) || errors.Is(err, store.ErrNotFound) {
		msg := err.Error()
		if i := strings.Index(msg, ErrNotFound.Error()+": "); i >= 0 {
			msg = msg[i+len(ErrNotFound.Error())+2:]
		}
		return h.fail(r, &RequestError{Status: http.StatusNotFound, Code: CodeNotFound, Message: msg})
	}
	h.d.Logger.Error("serving: request failed", "requestId", r.RequestID, "path", r.Path, "err", err)
	return h.fail(r, &RequestError{Status: http.StatusServiceUnavailable, Code: CodeUnavailable,
		Message: "the service cannot answer right now; retry later"})
}

// checkBody applies the content-type and size rules of POST routes.
func (h *Handler) checkBody(r *httpedge.Request) *RequestError {
	if len(r.Body) > h.cfg.MaxBodyBytes {
		return &RequestError{Status: http.StatusRequestEntityTooLarge, Code: CodeTooLarge,
			Message: "the request body is too large",
			Problems: []Problem{{Instance: -1, Field: "body",
				Expected: "at most " + strconv.Itoa(h.cfg.MaxBodyBytes) + " bytes",
				Got:      strconv.Itoa(len(r.Body)) + " bytes"}}, Total: 1}
	}
	if ce := strings.TrimSpace(r.Header.Get("Content-Encoding")); ce != "" && !strings.EqualFold(ce, "identity") {
		return &RequestError{Status: http.StatusUnsupportedMediaType, Code: CodeUnsupportedMedia,
			Message:  "the request body must not be compressed",
			Problems: []Problem{{Instance: -1, Field: "Content-Encoding", Expected: "no Content-Encoding (identity)", Got: strconv.Quote(shorten(ce, 100))}}, Total: 1}
	}
	if ct := r.Header.Get("Content-Type"); !isJSON(ct) {
		got := "no Content-Type"
		if ct != "" {
			got = strconv.Quote(shorten(ct, 100))
		}
		return &RequestError{Status: http.StatusUnsupportedMediaType, Code: CodeUnsupportedMedia,
			Message:  "the request body must be JSON",
			Problems: []Problem{{Instance: -1, Field: "Content-Type", Expected: ContentTypeJSON + " (with no charset, or charset=utf-8)", Got: got}}, Total: 1}
	}
	return nil
}

// isJSON accepts application/json with optional parameters (a charset
// other than UTF-8 is refused).
func isJSON(ct string) bool {
	if ct == ContentTypeJSON {
		return true
	}
	mt, params, err := mime.ParseMediaType(ct)
	if err != nil || mt != ContentTypeJSON {
		return false
	}
	if cs, ok := params["charset"]; ok && !strings.EqualFold(cs, "utf-8") {
		return false
	}
	return true
}

// selector is what a prediction request asks for: an alias or a version.
type selector struct {
	alias   string
	version int
}

// parseQuery reads ?version=N or ?alias=A, refusing anything else.
func (h *Handler) parseQuery(q map[string][]string) (selector, *RequestError) {
	sel := selector{alias: h.cfg.DefaultAlias}
	probs := problems{limit: h.cfg.Limits.MaxProblems}
	for k, vs := range q {
		switch k {
		case "version", "alias":
			if len(vs) != 1 {
				probs.add(-1, k, "the parameter once", strconv.Itoa(len(vs))+" values")
				continue
			}
			v := vs[0]
			if k == "version" {
				n, err := strconv.Atoi(v)
				if err != nil || n < 1 || strings.HasPrefix(v, "+") {
					probs.add(-1, "version", "a version number >= 1", describe("string", []byte(v)))
					continue
				}
				sel.version = n
			} else {
				if !validAlias(v) {
					probs.add(-1, "alias", "an alias name: 1-40 of a-z 0-9 _ -, starting with a letter", describe("string", []byte(v)))
					continue
				}
				sel.alias = v
			}
		default:
			probs.add(-1, k, "only the query parameters version or alias", "an unknown parameter")
		}
	}
	if len(q["version"]) > 0 && len(q["alias"]) > 0 {
		probs.add(-1, "version", "either version or alias, not both", "both")
	}
	if probs.total > 0 {
		return sel, &RequestError{Status: http.StatusBadRequest, Code: CodeInvalidQuery,
			Message:  plural(probs.total, "problem") + " in the query string",
			Problems: probs.list, Total: probs.total}
	}
	if sel.version > 0 {
		sel.alias = ""
	}
	return sel, nil
}

func (h *Handler) predict(ctx context.Context, r *httpedge.Request, name string, o *metrics.Observation, start time.Time) *httpedge.Response {
	if !validName(name) {
		return h.fail(r, &RequestError{Status: http.StatusNotFound, Code: CodeNotFound,
			Message: "no model named " + strconv.Quote(shorten(name, 64)) + nameRule})
	}
	sel, qerr := h.parseQuery(r.Query)
	if qerr != nil {
		return h.fail(r, qerr)
	}
	if e := h.checkBody(r); e != nil {
		return h.fail(r, e)
	}
	var m *Loaded
	var err error
	if sel.version > 0 {
		m, err = h.d.Models.Version(ctx, name, sel.version)
	} else {
		m, err = h.d.Models.Alias(ctx, name, sel.alias)
	}
	if err != nil {
		return h.failErr(r, err)
	}
	in, derr := DecodePredict(r.Body, m.Features, h.cfg.Limits)
	if derr != nil {
		return h.fail(r, derr)
	}
	n, nf := in.N, m.Features.Len()
	probs := make([]float64, n)
	m.Model.PredictProba(in.Rows, probs)
	for i, p := range probs {
		if !(p >= 0 && p <= 1) {
			h.d.Logger.Error("serving: model returned an invalid probability", "model", name,
				"version", m.Version(), "instance", i, "probability", p, "requestId", r.RequestID)
			return h.fail(r, &RequestError{Status: http.StatusInternalServerError, Code: CodeInternal,
				Message: "the model produced an invalid score"})
		}
	}
	ids := make([]uuidv7.UUID, n)
	if err := h.d.IDs.Fill(ids); err != nil {
		return h.failErr(r, err)
	}
	if h.d.IDSigner != nil {
		for i := range ids {
			h.d.IDSigner.Seal(&ids[i])
		}
	}
	scored := h.d.Now()
	o.Model, o.Version, o.Alias, o.Probs = name, m.Version(), sel.alias, probs

	if h.d.Capturer != nil && h.cfg.CaptureRate > 0 {
		c := &capture.Capture{Model: name, Version: m.Version(), Alias: sel.alias, RequestID: r.RequestID,
			Time: scored, Latency: scored.Sub(start), Keys: m.Features.keys, Threshold: m.Model.Threshold(),
			Rows: in.Rows, IDs: ids, Probs: probs}
		if h.cfg.CaptureRate < 1 {
			c = h.sample(c, nf)
		}
		if c.Len() > 0 {
			if err := h.d.Capturer.Capture(c); err != nil {
				// Not captured means not acknowledged: the client retries.
				return h.failErr(r, err)
			}
		}
	}

	b := make([]byte, 0, 64+n*96)
	b = append(b, `{"model":{"name":`...)
	b = jsonappend.String(b, name)
	b = append(b, `,"version":`...)
	b = strconv.AppendInt(b, int64(m.Version()), 10)
	if sel.alias != "" {
		b = append(b, `,"alias":`...)
		b = jsonappend.String(b, sel.alias)
	}
	b = append(b, `},"predictions":[`...)
	thr := m.Model.Threshold()
	var contrib []float64
	if in.Explain {
		contrib = make([]float64, nf)
	}
	for i := range n {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, `{"id":"`...)
		b = ids[i].Append(b)
		b = append(b, `","probability":`...)
		b = jsonappend.Float(b, probs[i])
		b = append(b, `,"label":`...)
		if probs[i] >= thr {
			b = append(b, '1')
		} else {
			b = append(b, '0')
		}
		if in.Explain {
			base := m.Model.Contributions(in.Rows[i*nf:(i+1)*nf], contrib)
			margin := base
			for _, c := range contrib {
				margin += c
			}
			b = append(b, `,"baseValue":`...)
			b = jsonappend.Float(b, base)
			b = append(b, `,"margin":`...)
			b = jsonappend.Float(b, margin)
			b = append(b, `,"contributions":{`...)
			for j, c := range contrib {
				if j > 0 {
					b = append(b, ',')
				}
				b = append(b, m.Features.keys[j]...)
				b = jsonappend.Float(b, c)
			}
			b = append(b, '}')
		}
		b = append(b, '}')
	}
	b = append(b, `]}`...)
	return &httpedge.Response{Status: http.StatusOK, ContentType: ContentTypeJSON, Body: b}
}

// sample keeps each prediction of c with probability CaptureRate.
func (h *Handler) sample(c *capture.Capture, nf int) *capture.Capture {
	out := *c
	out.IDs, out.Probs, out.Rows = nil, nil, nil
	for i := range c.IDs {
		if h.d.Rand() < h.cfg.CaptureRate {
			out.IDs = append(out.IDs, c.IDs[i])
			out.Probs = append(out.Probs, c.Probs[i])
			out.Rows = append(out.Rows, c.Rows[i*nf:(i+1)*nf]...)
		}
	}
	return &out
}

func (h *Handler) health() *httpedge.Response {
	b, _ := json.Marshal(struct {
		Status string   `json:"status"`
		Models []Served `json:"models"`
	}{"ok", h.d.Models.Served()})
	return &httpedge.Response{Status: http.StatusOK, ContentType: ContentTypeJSON, Body: b}
}

func (h *Handler) listModels(ctx context.Context, r *httpedge.Request) *httpedge.Response {
	if len(r.Query) > 0 {
		return h.fail(r, h.noQuery(r.Query))
	}
	if h.d.Catalog == nil {
		return h.failErr(r, errors.New("serving: no catalog configured"))
	}
	ms, err := h.d.Catalog.List(ctx)
	if err != nil {
		return h.failErr(r, err)
	}
	if ms == nil {
		ms = []ModelSummary{}
	}
	return h.ok(r, struct {
		Models []ModelSummary `json:"models"`
	}{ms})
}

func (h *Handler) describeModel(ctx context.Context, r *httpedge.Request, name string) *httpedge.Response {
	if !validName(name) {
		return h.fail(r, &RequestError{Status: http.StatusNotFound, Code: CodeNotFound,
			Message: "no model named " + strconv.Quote(shorten(name, 64)) + nameRule})
	}
	if len(r.Query) > 0 {
		return h.fail(r, h.noQuery(r.Query))
	}
	if h.d.Catalog == nil {
		return h.failErr(r, errors.New("serving: no catalog configured"))
	}
	d, err := h.d.Catalog.Describe(ctx, name)
	if err != nil {
		return h.failErr(r, err)
	}
	if d.Features == nil {
		// The input schema of the version served by default, when it loads.
		if m, err := h.d.Models.Alias(ctx, name, h.cfg.DefaultAlias); err == nil {
			d.Features = m.Features.Features
		}
	}
	return h.ok(r, d)
}

func (h *Handler) noQuery(q map[string][]string) *RequestError {
	probs := problems{limit: h.cfg.Limits.MaxProblems}
	for k := range q {
		probs.add(-1, k, "no query parameters on this route", "an unknown parameter")
	}
	return &RequestError{Status: http.StatusBadRequest, Code: CodeInvalidQuery,
		Message: plural(probs.total, "problem") + " in the query string", Problems: probs.list, Total: probs.total}
}

func (h *Handler) ok(r *httpedge.Request, v any) *httpedge.Response {
	b, err := json.Marshal(v)
	if err != nil {
		return h.failErr(r, err)
	}
	return &httpedge.Response{Status: http.StatusOK, ContentType: ContentTypeJSON, Body: b}
}

func (h *Handler) feedback(ctx context.Context, r *httpedge.Request) *httpedge.Response {
	if len(r.Query) > 0 {
		return h.fail(r, h.noQuery(r.Query))
	}
	if e := h.checkBody(r); e != nil {
		return h.fail(r, e)
	}
	id, label, ferr := DecodeFeedback(r.Body, h.d.Now().Add(h.cfg.FeedbackSkew), h.cfg.Limits.MaxProblems)
	if ferr != nil {
		return h.fail(r, ferr)
	}
	if h.d.IDSigner != nil && !h.d.IDSigner.Valid(id) {
		return h.fail(r, &RequestError{Status: http.StatusNotFound, Code: CodeNotFound,
			Message: "no prediction " + id.String() + " was issued by this service"})
	}
	if h.d.Feedback == nil {
		return h.failErr(r, errors.New("serving: no feedback store configured"))
	}
	fb := capture.Feedback{ID: id.String(), Label: label, ReceivedAt: h.d.Now().UTC()}
	body, err := json.Marshal(fb)
	if err != nil {
		return h.failErr(r, err)
	}
	pk, sk := capture.FeedbackKey(id)
	// A later label for the same prediction replaces the earlier one: the
	// latest ground truth wins.
	if err := h.d.Feedback.Write(ctx, store.Write{Record: store.Record{PK: pk, SK: sk, Body: body}}); err != nil {
		return h.failErr(r, err)
	}
	return h.ok(r, struct {
		ID       string `json:"id"`
		Label    int    `json:"label"`
		Recorded bool   `json:"recorded"`
	}{fb.ID, fb.Label, true})
}

// DecodeFeedback decodes {"id": "<UUIDv7>", "label": 0|1} strictly. An id
// whose timestamp is after notAfter cannot have been issued yet and is
// refused.
func DecodeFeedback(body []byte, notAfter time.Time, maxProblems int) (uuidv7.UUID, int, *RequestError) {
	s := scanner{data: body}
	probs := problems{limit: max(maxProblems, 1)}
	var id uuidv7.UUID
	label := -1
	sawID, sawLabel := false, false
	const wantID = "a prediction id (a UUIDv7 string)"
	s.ws()
	if s.pos >= len(s.data) || s.data[s.pos] != '{' {
		if s.pos >= len(s.data) {
			s.fail("a JSON object", "an empty body")
			return id, 0, s.syntaxError()
		}
		kind, raw, ok := s.value(0)
		if !ok {
			return id, 0, s.syntaxError()
		}
		s.ws()
		if s.pos != len(s.data) {
			s.fail("end of input", s.charAt())
			return id, 0, s.syntaxError()
		}
		probs.add(-1, "body", `a JSON object {"id": ..., "label": 0 or 1}`, describe(kind, raw))
	} else {
		s.pos++
		s.ws()
		if s.pos < len(s.data) && s.data[s.pos] == '}' {
			s.pos++
		} else {
			for {
				key, ok := s.key()
				if !ok {
					return id, 0, s.syntaxError()
				}
				k := string(key)
				if !s.colon() {
					return id, 0, s.syntaxError()
				}
				kind, raw, ok := s.value(1)
				if !ok {
					return id, 0, s.syntaxError()
				}
				switch k {
				case "id":
					if sawID {
						probs.add(-1, "id", "the field once", "it more than once")
						break
					}
					sawID = true
					u, err := uuidv7.Parse(string(raw))
					switch {
					case kind != "string" || err != nil:
						probs.add(-1, "id", wantID, describe(kind, raw))
					case u.Version() != 7 || u[8]&0xc0 != 0x80:
						probs.add(-1, "id", wantID, "a uuidv7.UUID of version "+strconv.Itoa(u.Version()))
					case u.Time().After(notAfter):
						probs.add(-1, "id", "an id issued by this service (its time is in the future)", describe(kind, raw))
					default:
						id = u
					}
				case "label":
					if sawLabel {
						probs.add(-1, "label", "the field once", "it more than once")
						break
					}
					sawLabel = true
					v, err := parseFloat(raw)
					if kind != "number" || err != nil || (v != 0 && v != 1) || math.Signbit(v) {
						probs.add(-1, "label", "0 or 1", describe(kind, raw))
						break
					}
					label = int(v)
				default:
					probs.add(-1, k, `only the fields "id" and "label"`, "an unknown field")
				}
				s.ws()
				if s.pos >= len(s.data) {
					s.fail("',' or '}'", "end of input")
					return id, 0, s.syntaxError()
				}
				c := s.data[s.pos]
				s.pos++
				if c == '}' {
					break
				}
				if c != ',' {
					s.pos--
					s.fail("',' or '}'", s.charAt())
					return id, 0, s.syntaxError()
				}
			}
		}
		s.ws()
		if s.pos != len(s.data) {
			s.fail("end of input after the top-level object", s.charAt())
			return id, 0, s.syntaxError()
		}
		if !sawID {
			probs.add(-1, "id", wantID, "nothing (the field is missing)")
		}
		if !sawLabel {
			probs.add(-1, "label", "0 or 1", "nothing (the field is missing)")
		}
	}
	if probs.total > 0 {
		return id, 0, &RequestError{Status: http.StatusUnprocessableEntity, Code: CodeInvalidInput,
			Message:  plural(probs.total, "problem") + " in the request body",
			Problems: probs.list, Total: probs.total}
	}
	return id, label, nil
}
