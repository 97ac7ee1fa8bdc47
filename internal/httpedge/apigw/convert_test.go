package apigw_test

import (
	"context"
	"strings"
	"testing"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-lambda-go/lambdacontext"

	"github.com/stewardml/steward/internal/httpedge"
	"github.com/stewardml/steward/internal/httpedge/apigw"
)

func TestRequestMergesTheEventsHeadersAndQueries(t *testing.T) {
	ev := events.APIGatewayProxyRequest{
		HTTPMethod:                      "POST",
		Path:                            "/approvals/a1",
		Headers:                         map[string]string{"content-type": "text/plain", "x-single": "s"},
		MultiValueHeaders:               map[string][]string{"cookie": {"a=1", "b=2"}, "content-type": {"text/plain"}},
		QueryStringParameters:           map[string]string{"x": "2"},
		MultiValueQueryStringParameters: map[string][]string{"x": {"1", "2"}},
		Body:                            "aGk=",
		IsBase64Encoded:                 true,
		RequestContext: events.APIGatewayProxyRequestContext{Stage: "prod",
			Identity: events.APIGatewayRequestIdentity{SourceIP: "198.51.100.7"}},
	}
	ctx := lambdacontext.NewContext(context.Background(), &lambdacontext.LambdaContext{AwsRequestID: "lambda-1"})
	r, ok := apigw.Request(ctx, ev)
	if !ok {
		t.Fatal("Request refused a valid event")
	}
	for _, c := range []struct{ what, got, want string }{
		{"method", r.Method, "POST"},
		{"path", r.Path, "/approvals/a1"},
		{"content type", r.Header.Get("Content-Type"), "text/plain"},
		{"single-value header", r.Header.Get("X-Single"), "s"},
		{"cookies", strings.Join(r.Header["Cookie"], ";"), "a=1;b=2"},
		{"query", strings.Join(r.Query["x"], ","), "1,2"},
		{"body", string(r.Body), "hi"},
		{"request id", r.RequestID, "lambda-1"},
		{"stage", r.Stage, "prod"},
		{"source ip", r.SourceIP, "198.51.100.7"},
	} {
		if c.got != c.want {
			t.Errorf("%s = %q, want %q", c.what, c.got, c.want)
		}
	}
	if _, ok := apigw.Request(ctx, events.APIGatewayProxyRequest{Body: "!!", IsBase64Encoded: true}); ok {
		t.Error("Request accepted a body that is not base64")
	}
}

func TestResponseSplitsHeadersAndEncodesBinaryBodies(t *testing.T) {
	resp := &httpedge.Response{Status: 303, ContentType: "text/html", Body: []byte("<p>"),
		Header: httpedge.Header{"Location": {"/x"}, "Set-Cookie": {"a=1"}, "Vary": {"A", "B"}}}
	got := apigw.Response(resp, "GET")
	if got.StatusCode != 303 || got.Headers["Content-Type"] != "text/html" || got.Headers["Location"] != "/x" ||
		strings.Join(got.MultiValueHeaders["Set-Cookie"], "|") != "a=1" || strings.Join(got.MultiValueHeaders["Vary"], "|") != "A|B" ||
		got.Body != "<p>" || got.IsBase64Encoded {
		t.Errorf("text response = %+v", got)
	}
	got = apigw.Response(&httpedge.Response{Status: 200, ContentType: "application/pdf", Body: []byte{0xff}}, "GET")
	if got.Body != "/w==" || !got.IsBase64Encoded {
		t.Errorf("binary response = %+v", got)
	}
	got = apigw.Response(&httpedge.Response{Status: 200, ContentType: "text/plain", Body: []byte("x")}, "HEAD")
	if got.Body != "" || got.IsBase64Encoded {
		t.Errorf("HEAD response = %+v", got)
	}
}
