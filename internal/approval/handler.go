package approval

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"html/template"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/stewardml/steward/internal/httpedge"
	"github.com/stewardml/steward/internal/registry"
	"github.com/stewardml/steward/templates"
)

var pageTmpl = template.Must(template.ParseFS(templates.FS, "approval_page.html.tmpl"))

// Handler serves the decision page for signed links, behind API Gateway or
// the local gateway: GET /approvals/{id}?approver&exp&sig shows the page and
// changes nothing; POST /approvals/{id} with the form records a decision.
type Handler struct {
	Service *Service
	// Aliases, when set, tells the decider where champion stands after
	// the decision; *registry.Registry implements it.
	Aliases Aliases
}

// Aliases reads where an alias points; an unset alias is version 0.
type Aliases interface {
	Alias(ctx context.Context, model, alias string) (registry.Alias, error)
}

// maxForm bounds the POST body; the form is a few hundred bytes.
const maxForm = 16 << 10

type form struct {
	Action, Approver, Exp, KeyID, Sig, CSRF string
}

type page struct {
	Title        string
	Message      string
	MessageClass string
	Request      *Request
	Brief        *Brief
	Form         *form
}

// Serve answers one request; the error is for a page it cannot render or
// a store it cannot reach.
func (h *Handler) Serve(ctx context.Context, req *httpedge.Request) (*httpedge.Response, error) {
	id, ok := approvalID(req.Path)
	if !ok {
		return h.render(http.StatusNotFound, page{Title: "Not found", Message: "There is no approval at this address.", MessageClass: "bad"})
	}
	switch req.Method {
	case http.MethodGet, http.MethodHead:
		return h.show(ctx, id, linkFrom(id, req.Query))
	case http.MethodPost:
		vals, err := req.Form(maxForm)
		if err != nil {
			return h.render(http.StatusBadRequest, page{Title: "Bad request", Message: err.Error(), MessageClass: "bad"})
		}
		return h.decide(ctx, id, vals)
	default:
		resp, err := h.render(http.StatusMethodNotAllowed, page{Title: "Method not allowed", Message: "Use the page's buttons.", MessageClass: "bad"})
		if err != nil {
			return nil, err
		}
		resp.SetHeader("Allow", "GET, POST")
		return resp, nil
	}
}

func (h *Handler) show(ctx context.Context, id string, l Link) (*httpedge.Response, error) {
	r, err := h.Service.CheckLink(ctx, l)
	if err != nil {
		return h.refuse(err, r)
	}
	p := h.pageFor(ctx, r)
	if r.Status != Pending {
		p.Title, p.Message, p.MessageClass = "Already decided", decidedMessage(r), "note"
		return h.render(http.StatusOK, p)
	}
	p.Title = fmt.Sprintf("Approve %s version %d?", r.Model, r.CandidateVersion)
	// A relative action keeps API Gateway's stage prefix (/prod/approvals/...).
	p.Form = &form{Action: url.PathEscape(id), Approver: l.Approver, Exp: strconv.FormatInt(l.Exp, 10), KeyID: l.KeyID, Sig: l.Sig}
	return h.render(http.StatusOK, p)
}

func (h *Handler) decide(ctx context.Context, id string, vals url.Values) (*httpedge.Response, error) {
	l := linkFrom(id, vals)
	r, err := h.Service.CheckLink(ctx, l)
	if err != nil {
		return h.refuse(err, r)
	}
	var approved bool
	switch vals.Get("decision") {
	case "approve":
		approved = true
	case "reject":
	default:
		return h.render(http.StatusBadRequest, page{Title: "Bad request", Message: `field "decision": expected "approve" or "reject"`, MessageClass: "bad"})
	}
	r, err = h.Service.Decide(ctx, id, l.Approver, approved, vals.Get("comment"))
	p := h.pageFor(ctx, r)
	switch {
	case errors.Is(err, ErrAlreadyDecided):
		p.Title, p.Message, p.MessageClass = "Already decided", decidedMessage(r), "note"
		return h.render(http.StatusConflict, p)
	case errors.Is(err, ErrInvalid):
		return h.render(http.StatusBadRequest, page{Title: "Bad request", Message: err.Error(), MessageClass: "bad"})
	case errors.Is(err, ErrCallbackPending):
		p.Title, p.Message, p.MessageClass = "Decision recorded", decidedMessage(r)+" Steward could not resume the workflow yet and will retry.", "bad"
		return h.render(http.StatusAccepted, p)
	case err != nil:
		return h.refuse(err, r)
	}
	p.Title = "Thank you"
	p.Message, p.MessageClass = YourDecision(r, h.champion(ctx, r.Model)), "ok"
	return h.render(http.StatusOK, p)
}

func (h *Handler) refuse(err error, r Request) (*httpedge.Response, error) {
	switch {
	case errors.Is(err, ErrBadSignature):
		return h.render(http.StatusForbidden, page{Title: "Link not valid", Message: "This link is not valid: it was changed or not issued by Steward. Ask for a new request.", MessageClass: "bad"})
	case errors.Is(err, ErrOtherKey):
		return h.render(http.StatusForbidden, page{Title: "Link from another installation", Message: "This link was issued by another Steward installation or data directory, " +
			"whose signing key differs from this one's. Open it on the server that sent it: the steward serve of the data directory that requested the approval.", MessageClass: "bad"})
	case errors.Is(err, ErrNotApprover):
		return h.render(http.StatusForbidden, page{Title: "Not an approver", Message: "This link is not for an approver of this request.", MessageClass: "bad"})
	case errors.Is(err, ErrExpired):
		p := page{Title: "Link expired", Message: "This approval link has expired; the request was escalated and nothing was promoted.", MessageClass: "bad"}
		if r.ID != "" {
			p.Request = &r
		}
		return h.render(http.StatusGone, p)
	case errors.Is(err, ErrNotFound):
		return h.render(http.StatusNotFound, page{Title: "Not found", Message: "There is no such approval request.", MessageClass: "bad"})
	}
	return nil, err
}

// champion is the model's champion version now, or -1 when it cannot be
// told.
func (h *Handler) champion(ctx context.Context, model string) int {
	if h.Aliases == nil {
		return -1
	}
	a, err := h.Aliases.Alias(ctx, model, registry.Champion)
	if err != nil {
		return -1
	}
	return a.Version
}

func (h *Handler) pageFor(ctx context.Context, r Request) page {
	// The earlier decisions are context, not a condition of deciding: a
	// failed listing leaves them out.
	others, _ := h.Service.List(ctx, false, 200)
	// The page is at .../approvals/{id}: evidence is served by the
	// dashboard at .../evidence/{key} of the same site and stage.
	b := NewBrief(r, others, func(key string) string { return "../" + EvidencePath(key) })
	return page{Request: &r, Brief: &b}
}

// EvidencePath is the dashboard's address (without a leading slash) of
// the evidence stored at key.
func EvidencePath(key string) string {
	parts := strings.Split(key, "/")
	for i, p := range parts {
		parts[i] = url.PathEscape(p)
	}
	return "evidence/" + strings.Join(parts, "/")
}

// YourDecision is what the decider reads after deciding r: what they
// chose and where champion stands (champion < 0: not known).
func YourDecision(r Request, champion int) string {
	if r.Decision == nil {
		return fmt.Sprintf("This request is %s.", r.Status)
	}
	if !r.Decision.Approved {
		if champion > 0 {
			return fmt.Sprintf("You rejected version %d — champion stays version %d.", r.CandidateVersion, champion)
		}
		return fmt.Sprintf("You rejected version %d — champion does not change.", r.CandidateVersion)
	}
	if champion == r.CandidateVersion {
		return fmt.Sprintf("You approved version %d — champion is now version %d.", r.CandidateVersion, champion)
	}
	return fmt.Sprintf("You approved version %d — Steward is promoting it: champion becomes version %d when the promotion step has run.", r.CandidateVersion, r.CandidateVersion)
}

func decidedMessage(r Request) string {
	if r.Decision == nil {
		return fmt.Sprintf("This request is %s.", r.Status)
	}
	verb := "rejected"
	if r.Decision.Approved {
		verb = "approved"
	}
	return fmt.Sprintf("Already decided: %s by %s at %s.", verb, r.Decision.By, r.Decision.At.UTC().Format("2006-01-02 15:04:05 MST"))
}

func (h *Handler) render(status int, p page) (*httpedge.Response, error) {
	var b bytes.Buffer
	if err := pageTmpl.Execute(&b, p); err != nil {
		return nil, fmt.Errorf("approval: render: %w", err)
	}
	return &httpedge.Response{
		Status:      status,
		ContentType: "text/html; charset=utf-8",
		Header: httpedge.Header{
			"Cache-Control":           {"no-store"},
			"Referrer-Policy":         {"no-referrer"},
			"X-Frame-Options":         {"DENY"},
			"Content-Security-Policy": {"default-src 'none'; style-src 'unsafe-inline'; form-action 'self'"},
		},
		Body: b.Bytes(),
	}, nil
}

func parseExp(s string) int64 {
	if s == "" || len(s) > 18 || s[0] == '0' {
		return -1
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return -1
		}
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		return -1
	}
	return n
}

func approvalID(path string) (string, bool) {
	i := strings.Index(path, "/approvals/")
	if i < 0 {
		return "", false
	}
	id, err := url.PathUnescape(path[i+len("/approvals/"):])
	if err != nil || id == "" || strings.Contains(id, "/") || len(id) > 64 {
		return "", false
	}
	return id, true
}

// linkFrom reads a link's parts. An expiry that is not written as
// Sign writes it (digits only, no sign, no leading zero) is read as -1,
// which no signature covers.
func linkFrom(id string, v url.Values) Link {
	exp := parseExp(v.Get("exp"))
	return Link{ID: id, Approver: v.Get("approver"), Exp: exp, KeyID: v.Get("kid"), Sig: v.Get("sig")}
}
