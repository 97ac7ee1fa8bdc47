package web_test

import (
	"context"
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stewardml/steward/internal/httpedge/apigw"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-lambda-go/lambda"

	"github.com/stewardml/steward/internal/web"
)

const dashboardEvents = "../../testdata/events/dashboard"

// TestLambdaJSONPath answers the sample API Gateway events through the
// Lambda runtime's JSON path, as functions/dashboard does: behind API
// Gateway's own domain links carry the stage, and cookies are Secure.
func TestLambdaJSONPath(t *testing.T) {
	s := sharedSite(t)
	h, err := web.New(web.Config{Records: s.p.App.Records, Artifacts: s.p.App.Artifacts, Registry: s.p.App.Registry(),
		Audit: s.p.App.Audit(), Approvals: s.approvals, SigningKey: s.p.App.SigningKey, Now: s.p.Clock.Now})
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]struct {
		status int
		check  func(events.APIGatewayProxyResponse) bool
	}{
		"models-no-session.json": {http.StatusSeeOther, func(r events.APIGatewayProxyResponse) bool {
			return r.Headers["Location"] == "/prod/signin?next=%2Fmodels%3Fmodel%3Dheart"
		}},
		"signin-page.json": {http.StatusOK, func(r events.APIGatewayProxyResponse) bool {
			c := strings.Join(r.MultiValueHeaders["Set-Cookie"], "\n")
			return strings.Contains(r.Body, `action="/prod/signin"`) && strings.Contains(c, "; Secure") && strings.Contains(c, "SameSite=Strict")
		}},
		"post-without-session.json": {http.StatusForbidden, func(r events.APIGatewayProxyResponse) bool { return strings.Contains(r.Body, "Not signed in") }},
	}
	for file, w := range want {
		t.Run(file, func(t *testing.T) {
			payload, err := os.ReadFile(filepath.Join(dashboardEvents, file))
			if err != nil {
				t.Fatal(err)
			}
			out, err := lambda.NewHandler(apigw.New(h).Handle).Invoke(context.Background(), payload)
			if err != nil {
				t.Fatal(err)
			}
			var resp events.APIGatewayProxyResponse
			if err := json.Unmarshal(out, &resp); err != nil {
				t.Fatal(err)
			}
			if resp.StatusCode != w.status || !w.check(resp) {
				t.Errorf("%s: %d %v\n%.300s", file, resp.StatusCode, resp.Headers, resp.Body)
			}
		})
	}
}

// FuzzHandle sends arbitrary methods, paths, queries, cookies and bodies:
// the answer is always a well-formed response below 500 (a missing or bad
// session is a redirect or a refusal, never an error), and nothing is
// decided without a session.
func FuzzHandle(f *testing.F) {
	paths, _ := filepath.Glob(filepath.Join(dashboardEvents, "*.json"))
	for _, p := range paths {
		b, err := os.ReadFile(p)
		if err != nil {
			f.Fatal(err)
		}
		var ev events.APIGatewayProxyRequest
		if err := json.Unmarshal(b, &ev); err != nil {
			f.Fatal(err)
		}
		f.Add(ev.HTTPMethod, ev.Path, "model=heart", "", ev.Body)
	}
	f.Add("POST", "/signin", "", "steward_signin=x.y", "csrf=abc&name=alice&password=x")
	f.Add("GET", "/view/reports/rendered/../../x", "", "steward_session=e30.AAAA", "")
	f.Add("GET", "/reports/drift/heart/%2e%2e", "format=pdf", "", "")
	s := sharedSite(f)
	f.Fuzz(func(t *testing.T, method, path, query, cookie, body string) {
		ev := events.APIGatewayProxyRequest{HTTPMethod: method, Path: path, Body: body,
			Headers: map[string]string{"Host": "127.0.0.1:8080", "Cookie": cookie, "Content-Type": "application/x-www-form-urlencoded"}}
		if k, v, ok := strings.Cut(query, "="); ok {
			ev.QueryStringParameters = map[string]string{k: v}
		}
		resp, err := apigw.New(s.h).Handle(context.Background(), ev)
		if err != nil {
			t.Fatalf("%s %s: %v", method, path, err)
		}
		if resp.StatusCode < 200 || resp.StatusCode >= 500 {
			t.Fatalf("%s %s: status %d\n%.300s", method, path, resp.StatusCode, resp.Body)
		}
	})
}
