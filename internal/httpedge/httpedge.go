package httpedge

import (
	"context"
	"fmt"
	"net/http"
	"net/textproto"
	"net/url"
	"strings"
)

// Handler answers requests. Serve returns an error only for a failure the
// handler cannot answer itself; the transport then answers 502, as API
// Gateway does for a Lambda function that fails.
//
// Implementations are safe for concurrent use.
type Handler interface {
	Serve(ctx context.Context, r *Request) (*Response, error)
}

// Request is one HTTP request.
type Request struct {
	Method string
	// Path is the decoded request path without the stage, like
	// "/v1/models/heart/predict".
	Path string
	// Query holds the query parameters, each with every value given.
	Query url.Values
	// Header holds the request headers under canonical names
	// (textproto.CanonicalMIMEHeaderKey), each with every value given.
	Header Header
	// Body is the request body, decoded (never base64).
	Body []byte
	// RequestID identifies the request in logs, captures and error bodies.
	RequestID string
	// Stage is the API Gateway stage the request came through ("local"
	// for the local gateway).
	Stage string
	// SourceIP is the client's address.
	SourceIP string
}

// Response is a handler's answer.
type Response struct {
	Status int
	// ContentType is the Content-Type header.
	ContentType string
	// Header holds the other headers under canonical names; nil for none.
	Header Header
	// Body is the response body (left out by the transport for HEAD).
	Body []byte
}

// SetHeader sets header k of r to v, making the header map if needed.
func (r *Response) SetHeader(k, v string) {
	if r.Header == nil {
		r.Header = Header{}
	}
	r.Header[textproto.CanonicalMIMEHeaderKey(k)] = []string{v}
}

// Header maps canonical header names to their values.
type Header map[string][]string

// Get returns the last value of header name, whatever the case it is given
// in: the value API Gateway puts in a proxy event's single-value headers.
func (h Header) Get(name string) string {
	vs := h.Values(name)
	if len(vs) == 0 {
		return ""
	}
	return vs[len(vs)-1]
}

// Values returns every value of header name, whatever the case it is
// given in.
func (h Header) Values(name string) []string {
	if vs, ok := h[name]; ok {
		return vs
	}
	if vs, ok := h[textproto.CanonicalMIMEHeaderKey(name)]; ok {
		return vs
	}
	for k, vs := range h {
		if strings.EqualFold(k, name) {
			return vs
		}
	}
	return nil
}

// Cookies returns the request's cookies by name; the first of a repeated
// name wins, and unparseable Cookie lines are skipped.
func (r *Request) Cookies() map[string]string {
	out := map[string]string{}
	for _, line := range r.Header.Values("Cookie") {
		cs, err := http.ParseCookie(line)
		if err != nil {
			continue
		}
		for _, c := range cs {
			if _, dup := out[c.Name]; !dup {
				out[c.Name] = c.Value
			}
		}
	}
	return out
}

// Form parses an application/x-www-form-urlencoded body of at most
// maxBytes bytes. Every error is the client's (a 400) and is worded for
// an error page.
func (r *Request) Form(maxBytes int) (url.Values, error) {
	ct := strings.ToLower(r.Header.Get("Content-Type"))
	if !strings.HasPrefix(ct, "application/x-www-form-urlencoded") {
		return nil, fmt.Errorf("content type %q: expected application/x-www-form-urlencoded", ct)
	}
	if len(r.Body) > maxBytes {
		return nil, fmt.Errorf("body larger than %d bytes", maxBytes)
	}
	return url.ParseQuery(string(r.Body))
}
