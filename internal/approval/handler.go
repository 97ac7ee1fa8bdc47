package approval

import (
	"bytes"
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"html/template"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/aws/aws-lambda-go/events"
	"github.com/stewardml/steward/templates"
)

var pageTmpl = template.Must(template.ParseFS(templates.FS, "approval_page.html.tmpl"))

// Handler serves the decision page for signed links, behind API Gateway or
// the local gateway: GET /approvals/{id}?approver&exp&sig shows the page and
// changes nothing; POST /approvals/{id} with the form records a decision.
type Handler struct {
	Service *Service
}

// maxForm bounds the POST body; the form is a few hundred bytes.
const maxForm = 16 << 10

type form struct {
	Action, Approver, Exp, Sig, CSRF string
}

type page struct {
	Title        string
	Message      string
	MessageClass string
	Request      *Request
	Comparison   []Row
	Evidence     []string
	Form         *form
}

// Handle answers one API Gateway proxy request.
func (h *Handler) Handle(ctx context.Context, req events.APIGatewayProxyRequest) (events.APIGatewayProxyResponse, error) {
	id, ok := approvalID(req.Path)
	if !ok {
		return h.render(http.StatusNotFound, page{Title: "Not found", Message: "There is no approval at this address.", MessageClass: "bad"})
	}
	switch req.HTTPMethod {
	case http.MethodGet, http.MethodHead:
		return h.show(ctx, id, linkFrom(id, url.Values(multi(req))))
	case http.MethodPost:
		vals, err := formValues(req)
		if err != nil {
			return h.render(http.StatusBadRequest, page{Title: "Bad request", Message: err.Error(), MessageClass: "bad"})
		}
		return h.decide(ctx, id, vals)
	default:
		resp, err := h.render(http.StatusMethodNotAllowed, page{Title: "Method not allowed", Message: "Use the page's buttons.", MessageClass: "bad"})
		resp.Headers["Allow"] = "GET, POST"
		return resp, err
	}
}

func (h *Handler) show(ctx context.Context, id string, l Link) (events.APIGatewayProxyResponse, error) {
	r, err := h.Service.CheckLink(ctx, l)
	if err != nil {
		return h.refuse(err, r)
	}
	p := h.pageFor(r)
	if r.Status != Pending {
		p.Title, p.Message, p.MessageClass = "Already decided", decidedMessage(r), "note"
		return h.render(http.StatusOK, p)
	}
	p.Title = fmt.Sprintf("Approve %s version %d?", r.Model, r.CandidateVersion)
	// A relative action keeps API Gateway's stage prefix (/prod/approvals/...).
	p.Form = &form{Action: url.PathEscape(id), Approver: l.Approver, Exp: strconv.FormatInt(l.Exp, 10), Sig: l.Sig}
	return h.render(http.StatusOK, p)
}

func (h *Handler) decide(ctx context.Context, id string, vals url.Values) (events.APIGatewayProxyResponse, error) {
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
	p := h.pageFor(r)
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
	p.Message, p.MessageClass = decidedMessage(r), "ok"
	return h.render(http.StatusOK, p)
}

func (h *Handler) refuse(err error, r Request) (events.APIGatewayProxyResponse, error) {
	switch {
	case errors.Is(err, ErrBadSignature):
		return h.render(http.StatusForbidden, page{Title: "Link not valid", Message: "This link is not valid: it was changed or not issued by Steward. Ask for a new request.", MessageClass: "bad"})
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
	return events.APIGatewayProxyResponse{}, err
}

func (h *Handler) pageFor(r Request) page {
	return page{Request: &r, Comparison: r.Comparison(), Evidence: r.Evidence}
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

func (h *Handler) render(status int, p page) (events.APIGatewayProxyResponse, error) {
	var b bytes.Buffer
	if err := pageTmpl.Execute(&b, p); err != nil {
		return events.APIGatewayProxyResponse{}, fmt.Errorf("approval: render: %w", err)
	}
	return events.APIGatewayProxyResponse{
		StatusCode: status,
		Headers: map[string]string{
			"Content-Type":            "text/html; charset=utf-8",
			"Cache-Control":           "no-store",
			"Referrer-Policy":         "no-referrer",
			"X-Frame-Options":         "DENY",
			"Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'",
		},
		Body: b.String(),
	}, nil
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

func linkFrom(id string, v url.Values) Link {
	exp, _ := strconv.ParseInt(v.Get("exp"), 10, 64)
	return Link{ID: id, Approver: v.Get("approver"), Exp: exp, Sig: v.Get("sig")}
}

func multi(req events.APIGatewayProxyRequest) map[string][]string {
	if len(req.MultiValueQueryStringParameters) > 0 {
		return req.MultiValueQueryStringParameters
	}
	out := make(map[string][]string, len(req.QueryStringParameters))
	for k, v := range req.QueryStringParameters {
		out[k] = []string{v}
	}
	return out
}

func formValues(req events.APIGatewayProxyRequest) (url.Values, error) {
	ct := strings.ToLower(header(req, "Content-Type"))
	if !strings.HasPrefix(ct, "application/x-www-form-urlencoded") {
		return nil, fmt.Errorf("content type %q: expected application/x-www-form-urlencoded", ct)
	}
	body := req.Body
	if req.IsBase64Encoded {
		b, err := base64.StdEncoding.DecodeString(body)
		if err != nil {
			return nil, fmt.Errorf("body: invalid base64")
		}
		body = string(b)
	}
	if len(body) > maxForm {
		return nil, fmt.Errorf("body larger than %d bytes", maxForm)
	}
	return url.ParseQuery(body)
}

func header(req events.APIGatewayProxyRequest, name string) string {
	for k, v := range req.Headers {
		if strings.EqualFold(k, name) {
			return v
		}
	}
	for k, v := range req.MultiValueHeaders {
		if strings.EqualFold(k, name) && len(v) > 0 {
			return v[0]
		}
	}
	return ""
}
