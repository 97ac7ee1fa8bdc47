package apigw

import (
	"context"
	"encoding/base64"
	"net/http"
	"net/textproto"
	"strings"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-lambda-go/lambdacontext"

	"github.com/stewardml/steward/internal/httpedge"
)

// Handler serves API Gateway proxy events with an httpedge.Handler.
type Handler struct {
	h httpedge.Handler
}

// New returns h as an API Gateway proxy handler, for lambda.Start.
func New(h httpedge.Handler) *Handler { return &Handler{h: h} }

// Handle answers one event. A body marked base64 that does not decode is
// answered 400 as API Gateway answers a malformed request; an error of the
// handler is returned, which API Gateway answers 502.
func (a *Handler) Handle(ctx context.Context, ev events.APIGatewayProxyRequest) (events.APIGatewayProxyResponse, error) {
	r, ok := Request(ctx, ev)
	if !ok {
		return events.APIGatewayProxyResponse{StatusCode: http.StatusBadRequest,
			Headers: map[string]string{"Content-Type": "application/json", "X-Amzn-Errortype": "BadRequestException"},
			Body:    `{"message":"the body is marked base64 but does not decode"}`}, nil
	}
	resp, err := a.h.Serve(ctx, r)
	if err != nil {
		return events.APIGatewayProxyResponse{}, err
	}
	return Response(resp, ev.HTTPMethod), nil
}

// Request converts an event; ok is false when the body is marked base64
// but does not decode. The request id is the event's, or the Lambda
// invocation's when the event has none.
func Request(ctx context.Context, ev events.APIGatewayProxyRequest) (r *httpedge.Request, ok bool) {
	body := []byte(ev.Body)
	if ev.IsBase64Encoded {
		b, err := base64.StdEncoding.DecodeString(ev.Body)
		if err != nil {
			return nil, false
		}
		body = b
	}
	reqID := ev.RequestContext.RequestID
	if reqID == "" {
		if lc, ok := lambdacontext.FromContext(ctx); ok {
			reqID = lc.AwsRequestID
		}
	}
	return &httpedge.Request{
		Method:    ev.HTTPMethod,
		Path:      ev.Path,
		Query:     query(ev),
		Header:    header(ev),
		Body:      body,
		RequestID: reqID,
		Stage:     ev.RequestContext.Stage,
		SourceIP:  ev.RequestContext.Identity.SourceIP,
	}, true
}

// query returns the event's query parameters with every value.
func query(ev events.APIGatewayProxyRequest) map[string][]string {
	if len(ev.MultiValueQueryStringParameters) > 0 {
		return ev.MultiValueQueryStringParameters
	}
	if len(ev.QueryStringParameters) == 0 {
		return nil
	}
	q := make(map[string][]string, len(ev.QueryStringParameters))
	for k, v := range ev.QueryStringParameters {
		q[k] = []string{v}
	}
	return q
}

// header merges the event's two header maps under canonical names: API
// Gateway passes names as the client sent them.
func header(ev events.APIGatewayProxyRequest) httpedge.Header {
	h := make(httpedge.Header, max(len(ev.MultiValueHeaders), len(ev.Headers)))
	for k, vs := range ev.MultiValueHeaders {
		ck := textproto.CanonicalMIMEHeaderKey(k)
		h[ck] = append(h[ck], vs...)
	}
	for k, v := range ev.Headers {
		ck := textproto.CanonicalMIMEHeaderKey(k)
		if _, ok := h[ck]; !ok {
			h[ck] = []string{v}
		}
	}
	return h
}

// Response converts an answer to the request of the given method: the body
// is left out for HEAD and base64-encoded unless the content type is text
// or JSON; Set-Cookie and headers with several values go in the
// multi-value headers, so that each reaches the client on its own line.
func Response(r *httpedge.Response, method string) events.APIGatewayProxyResponse {
	out := events.APIGatewayProxyResponse{StatusCode: r.Status, Headers: make(map[string]string, len(r.Header)+1)}
	if r.ContentType != "" {
		out.Headers["Content-Type"] = r.ContentType
	}
	for k, vs := range r.Header {
		if len(vs) == 1 && k != "Set-Cookie" {
			out.Headers[k] = vs[0]
			continue
		}
		if out.MultiValueHeaders == nil {
			out.MultiValueHeaders = map[string][]string{}
		}
		out.MultiValueHeaders[k] = vs
	}
	switch {
	case method == http.MethodHead:
	case strings.HasPrefix(r.ContentType, "text/") || strings.HasPrefix(r.ContentType, "application/json"):
		out.Body = string(r.Body)
	default:
		out.Body, out.IsBase64Encoded = base64.StdEncoding.EncodeToString(r.Body), true
	}
	return out
}
