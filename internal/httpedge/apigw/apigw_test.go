package apigw_test

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-lambda-go/lambda"

	"github.com/stewardml/steward/internal/capture"
	"github.com/stewardml/steward/internal/httpedge/apigw"
	"github.com/stewardml/steward/internal/local/files"
	"github.com/stewardml/steward/internal/local/sqlite"
	"github.com/stewardml/steward/internal/registry"
	"github.com/stewardml/steward/internal/serving"
	"github.com/stewardml/steward/internal/serving/servingtest"
)

// TestEventsThroughTheLambdaJSONPath sends the recorded API Gateway events
// through lambda.NewHandler, as the runtime does: event JSON in, proxy
// response JSON out.
func TestEventsThroughTheLambdaJSONPath(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	arts, err := files.New(filepath.Join(dir, "artifacts"))
	if err != nil {
		t.Fatal(err)
	}
	db, err := sqlite.Open(filepath.Join(dir, "steward.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := servingtest.Heart(ctx, arts, db, servingtest.Spec{DataPath: "../../../testdata/heart/processed.cleveland.data", Family: "logreg"}); err != nil {
		t.Fatal(err)
	}
	src := &serving.RegistrySource{Registry: registry.New(db), Artifacts: arts}
	var captured strings.Builder
	h := serving.NewHandler(serving.DefaultConfig(), serving.Deps{
		Models: serving.NewCache(src, serving.CacheConfig{}), Catalog: src, Feedback: db,
		Capturer: capture.NewLogCapturer(&captured),
	})
	invoke := lambda.NewHandler(apigw.New(h).Handle)
	tests := []struct {
		event  string
		status int
		want   string
	}{
		{"predict.json", 200, `"model":{"name":"heart","version":1,"alias":"champion"}`},
		{"predict-explain.json", 200, `"baseValue":`},
		{"predict-version.json", 200, `"version":1}`},
		{"predict-base64.json", 200, `"label":`},
		{"predict-bad-input.json", 422, `"instance":1,"field":"sex"`},
		{"predict-malformed.json", 400, `"MalformedJSON"`},
		{"predict-wrong-content-type.json", 415, `"got":"\"application/x-www-form-urlencoded\""`},
		{"predict-unknown-model.json", 404, `"NotFound"`},
		{"models.json", 200, `{"models":[{"name":"heart","latestVersion":1,"aliases":{"champion":1}}]}`},
		{"model.json", 200, `"family":"logreg"`},
		{"health.json", 200, `"status":"ok"`},
		{"feedback.json", 200, `{"id":"019ab9d4-6f3e-7a21-8b5c-4d2e1f0a9c37","label":1,"recorded":true}`},
	}
	for _, tt := range tests {
		t.Run(tt.event, func(t *testing.T) {
			payload, err := os.ReadFile(filepath.Join("../../../testdata/events/predict", tt.event))
			if err != nil {
				t.Fatal(err)
			}
			out, err := invoke.Invoke(ctx, payload)
			if err != nil {
				t.Fatalf("Invoke: %v", err)
			}
			var resp events.APIGatewayProxyResponse
			if err := json.Unmarshal(out, &resp); err != nil {
				t.Fatal(err)
			}
			if resp.StatusCode != tt.status || !strings.Contains(resp.Body, tt.want) {
				t.Errorf("= %d %s\nwant %d containing %s", resp.StatusCode, resp.Body, tt.status, tt.want)
			}
			if !json.Valid([]byte(resp.Body)) || resp.Headers["Content-Type"] != "application/json" {
				t.Errorf("body or content type: %q %s", resp.Headers["Content-Type"], resp.Body)
			}
			if strings.Contains(resp.Body, `"error"`) && !strings.Contains(resp.Body, `"requestId":"c6af9ac6-7b61-11e6-9a41-93e8deadbeef"`) {
				t.Errorf("error body without the API Gateway request id: %s", resp.Body)
			}
		})
	}
	if n := strings.Count(captured.String(), "\n"); n != 5 {
		t.Errorf("%d capture lines, want 5", n)
	}
}

func TestBadBase64AndHead(t *testing.T) {
	h := apigw.New(serving.NewHandler(serving.DefaultConfig(), serving.Deps{Models: serving.NewCache(nil, serving.CacheConfig{})}))
	resp, err := h.Handle(context.Background(), events.APIGatewayProxyRequest{HTTPMethod: "POST", Path: "/v1/feedback", Body: "!!", IsBase64Encoded: true})
	if err != nil || resp.StatusCode != 400 {
		t.Errorf("bad base64 = %d %v", resp.StatusCode, err)
	}
	resp, err = h.Handle(context.Background(), events.APIGatewayProxyRequest{HTTPMethod: "HEAD", Path: "/health"})
	if err != nil || resp.StatusCode != 200 || resp.Body != "" {
		t.Errorf("HEAD /health = %d %q %v", resp.StatusCode, resp.Body, err)
	}
	resp, _ = h.Handle(context.Background(), events.APIGatewayProxyRequest{HTTPMethod: "GET", Path: "/v1/models/heart",
		MultiValueQueryStringParameters: map[string][]string{"a": {"1", "2"}}})
	if resp.StatusCode != 400 {
		t.Errorf("unknown query parameter = %d %s", resp.StatusCode, resp.Body)
	}
}
