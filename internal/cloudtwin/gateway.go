package cloudtwin

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"sync/atomic"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/stewardml/steward/internal/local/gateway"
)

// Gateway stands for the stack's REST API (infra/stack/api.go): it maps a
// URL under the stage to a route, checks the API key where the route
// needs one, sends the function the proxy event API Gateway would, and
// turns the function's proxy response into an HTTP response.
//
//	ANY       /v1/{proxy+}        predict, API key required
//	GET       /health             predict
//	GET, POST /approvals/{proxy+} approval
//	GET       /, GET, POST /{proxy+}  dashboard
type Gateway struct {
	D *Deployment
	// APIKey is the value of the usage plan's key.
	APIKey string
	// Functions are the running functions, by name; a route to a
	// function that is not running answers 502.
	Functions map[string]*Lambda
	// Now is the clock of the request context; nil means time.Now.
	Now func() time.Time
	n   atomic.Int64
}

// Response is what a client of the API receives.
type Response struct {
	Status int
	Header http.Header
	Body   string
}

type route struct {
	resource string
	function string
	methods  string // space-separated, or ANY
	key      bool
	proxy    string // the {proxy+} value
}

// match finds the route of path (without the stage) and method.
func match(path, method string) (route, bool) {
	var r route
	switch {
	case strings.HasPrefix(path, "/v1/") && len(path) > len("/v1/"):
		r = route{"/v1/{proxy+}", "predict", "ANY", true, strings.TrimPrefix(path, "/v1/")}
	case path == "/health":
		r = route{"/health", "predict", "GET", false, ""}
	case strings.HasPrefix(path, "/approvals/") && len(path) > len("/approvals/"):
		r = route{"/approvals/{proxy+}", "approval", "GET POST", false, strings.TrimPrefix(path, "/approvals/")}
	case path == "/" || path == "":
		r = route{"/", "dashboard", "GET", false, ""}
	default:
		r = route{"/{proxy+}", "dashboard", "GET POST", false, strings.TrimPrefix(path, "/")}
	}
	if r.methods != "ANY" && !strings.Contains(" "+r.methods+" ", " "+method+" ") {
		return route{}, false
	}
	return r, true
}

func apiError(status int, msg string) *Response {
	b, _ := json.Marshal(map[string]string{"message": msg})
	return &Response{Status: status, Header: http.Header{"Content-Type": {"application/json"}}, Body: string(b)}
}

// Do sends one request to the API at rawURL, as a client on the internet
// would. API Gateway's own refusals (an unknown stage or route, a missing
// API key, a failed integration) come back as its JSON messages.
func (g *Gateway) Do(ctx context.Context, method, rawURL string, header http.Header, body string) (*Response, error) {
	u, err := url.Parse(rawURL)
	if err != nil {
		return nil, fmt.Errorf("cloudtwin: %w", err)
	}
	if u.Scheme != "https" || u.Host != g.D.Host() {
		return nil, fmt.Errorf("cloudtwin: %s is not the API (https://%s/...)", rawURL, g.D.Host())
	}
	stage := "/" + g.D.Stage
	path, ok := strings.CutPrefix(u.EscapedPath(), stage)
	if !ok || (path != "" && !strings.HasPrefix(path, "/")) {
		return apiError(http.StatusForbidden, "Forbidden"), nil // no such stage
	}
	rawPath := path
	if path, err = url.PathUnescape(path); err != nil {
		return apiError(http.StatusBadRequest, "Bad request"), nil
	}
	rt, ok := match(path, method)
	if !ok {
		return apiError(http.StatusForbidden, "Missing Authentication Token"), nil
	}
	if header == nil {
		header = http.Header{}
	}
	if rt.key && (g.APIKey == "" || header.Get("X-Api-Key") != g.APIKey) {
		// The stack's INVALID_API_KEY gateway response.
		return apiError(http.StatusForbidden, gateway.ForbiddenMessage), nil
	}
	fn := g.Functions[rt.function]
	if fn == nil {
		return apiError(http.StatusBadGateway, "Internal server error"), nil
	}
	ev := g.event(method, u, path, rawPath, rt, header, body)
	res, err := fn.Invoke(ctx, ev)
	if err != nil {
		return nil, err
	}
	if res.Failed() {
		return apiError(http.StatusBadGateway, "Internal server error"), nil
	}
	var out events.APIGatewayProxyResponse
	if err := json.Unmarshal(res.Payload, &out); err != nil || out.StatusCode == 0 {
		return apiError(http.StatusBadGateway, "Internal server error"), nil // malformed Lambda proxy response
	}
	resp := &Response{Status: out.StatusCode, Header: http.Header{}, Body: out.Body}
	for k, v := range out.Headers {
		resp.Header.Set(k, v)
	}
	for k, vs := range out.MultiValueHeaders {
		for _, v := range vs {
			resp.Header.Add(k, v)
		}
	}
	if out.IsBase64Encoded {
		b, err := base64.StdEncoding.DecodeString(out.Body)
		if err != nil {
			return apiError(http.StatusBadGateway, "Internal server error"), nil
		}
		resp.Body = string(b)
	}
	return resp, nil
}

// event builds the REST API proxy integration's event.
func (g *Gateway) event(method string, u *url.URL, path, rawPath string, rt route, header http.Header, body string) events.APIGatewayProxyRequest {
	now := time.Now
	if g.Now != nil {
		now = g.Now
	}
	t := now().UTC()
	h := http.Header{}
	for k, vs := range header {
		h[http.CanonicalHeaderKey(k)] = append([]string(nil), vs...)
	}
	h.Set("Host", g.D.Host())
	h.Set("X-Forwarded-For", "198.51.100.7")
	h.Set("X-Forwarded-Port", "443")
	h.Set("X-Forwarded-Proto", "https")
	h.Set("X-Amzn-Trace-Id", fmt.Sprintf("Root=1-%08x-%024d", t.Unix(), g.n.Load()+1))
	single, multi := map[string]string{}, map[string][]string{}
	for k, vs := range h {
		single[k], multi[k] = vs[len(vs)-1], vs
	}
	ev := events.APIGatewayProxyRequest{
		Resource:          rt.resource,
		Path:              path,
		HTTPMethod:        method,
		Headers:           single,
		MultiValueHeaders: multi,
		Body:              body,
		RequestContext: events.APIGatewayProxyRequestContext{
			AccountID:        g.D.Account,
			ResourceID:       "tw1n00",
			Stage:            g.D.Stage,
			RequestID:        fmt.Sprintf("c10d7a1e-0000-4000-8000-%012d", g.n.Add(1)),
			RequestTime:      t.Format("02/Jan/2006:15:04:05 -0700"),
			RequestTimeEpoch: t.UnixMilli(),
			Identity: events.APIGatewayRequestIdentity{
				SourceIP:  "198.51.100.7",
				UserAgent: h.Get("User-Agent"),
			},
			Path:         "/" + g.D.Stage + rawPath,
			ResourcePath: rt.resource,
			HTTPMethod:   method,
			APIID:        g.D.APIID,
			Protocol:     "HTTP/1.1",
			DomainName:   g.D.Host(),
		},
	}
	if rt.key {
		ev.RequestContext.Identity.APIKey = h.Get("X-Api-Key")
		ev.RequestContext.Identity.APIKeyID = "tw1nkey0"
	}
	if rt.proxy != "" {
		ev.PathParameters = map[string]string{"proxy": rt.proxy}
	}
	if q := u.Query(); len(q) > 0 {
		ev.QueryStringParameters, ev.MultiValueQueryStringParameters = map[string]string{}, map[string][]string{}
		for k, vs := range q {
			ev.QueryStringParameters[k] = vs[len(vs)-1]
			ev.MultiValueQueryStringParameters[k] = vs
		}
	}
	return ev
}
