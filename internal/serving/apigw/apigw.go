package apigw

import (
	"context"
	"encoding/base64"
	"log/slog"
	"net/http"
	"strings"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-lambda-go/lambdacontext"

	"github.com/stewardml/steward/internal/serving"
)

// Handler serves API Gateway proxy events with a serving.Handler.
type Handler struct {
	serve  *serving.Handler
	logger *slog.Logger
}

// New returns an adapter around h; logger nil discards.
func New(h *serving.Handler, logger *slog.Logger) *Handler {
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	return &Handler{serve: h, logger: logger}
}

// Handle answers one event. Every outcome, client mistakes and failures
// alike, is an HTTP response; the error is always nil, so API Gateway never
// turns a failure into its opaque 502.
func (h *Handler) Handle(ctx context.Context, ev events.APIGatewayProxyRequest) (resp events.APIGatewayProxyResponse, err error) {
	reqID := ev.RequestContext.RequestID
	if reqID == "" {
		if lc, ok := lambdacontext.FromContext(ctx); ok {
			reqID = lc.AwsRequestID
		}
	}
	defer func() {
		if p := recover(); p != nil {
			h.logger.Error("apigw: handler panicked", "requestId", reqID, "panic", p)
			resp = jsonResponse(http.StatusInternalServerError,
				`{"error":{"code":"InternalError","message":"internal error","requestId":"`+safeID(reqID)+`"}}`)
			err = nil
		}
	}()
	body := []byte(ev.Body)
	if ev.IsBase64Encoded {
		b, derr := base64.StdEncoding.DecodeString(ev.Body)
		if derr != nil {
			return jsonResponse(http.StatusBadRequest,
				`{"error":{"code":"MalformedBody","message":"the body is marked base64 but does not decode","requestId":"`+safeID(reqID)+`"}}`), nil
		}
		body = b
	}
	r := serving.Request{
		Method:          ev.HTTPMethod,
		Path:            ev.Path,
		Query:           query(ev),
		ContentType:     header(ev, "Content-Type"),
		ContentEncoding: header(ev, "Content-Encoding"),
		Body:            body,
		RequestID:       reqID,
	}
	out := h.serve.Serve(ctx, &r)
	resp = events.APIGatewayProxyResponse{
		StatusCode: out.Status,
		Headers:    map[string]string{"Content-Type": out.ContentType},
	}
	if out.Allow != "" {
		resp.Headers["Allow"] = out.Allow
	}
	if ev.HTTPMethod != http.MethodHead {
		resp.Body = string(out.Body)
	}
	return resp, nil
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

// header returns a header of the event whatever its case: API Gateway
// passes header names as the client sent them.
func header(ev events.APIGatewayProxyRequest, name string) string {
	if v, ok := ev.Headers[name]; ok {
		return v
	}
	for k, v := range ev.Headers {
		if strings.EqualFold(k, name) {
			return v
		}
	}
	for k, vs := range ev.MultiValueHeaders {
		if strings.EqualFold(k, name) && len(vs) > 0 {
			return vs[len(vs)-1]
		}
	}
	return ""
}

func jsonResponse(status int, body string) events.APIGatewayProxyResponse {
	return events.APIGatewayProxyResponse{StatusCode: status, Headers: map[string]string{"Content-Type": serving.ContentTypeJSON}, Body: body}
}

// safeID keeps a request id printable inside a JSON string.
func safeID(s string) string {
	return strings.Map(func(r rune) rune {
		if r == '"' || r == '\\' || r < 0x20 || r > 0x7e {
			return -1
		}
		return r
	}, s)
}
