package main

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/stewardml/steward/internal/app"
	"github.com/stewardml/steward/internal/config"
	"github.com/stewardml/steward/internal/serving"
	"github.com/stewardml/steward/internal/serving/servingtest"
)

// TestBootstrapUnderTheLambdaEmulator builds this function as a Lambda
// bootstrap, runs it under aws-lambda-rie (the real Lambda runtime API)
// against a data directory holding a trained champion, and sends it the
// API Gateway events of testdata/events/predict.
// feedbackID is the prediction id in testdata/events/predict/feedback.json.
const feedbackID = "019ab9d4-6f3e-7a21-8b5c-4d2e1f0a9c37"

func TestBootstrapUnderTheLambdaEmulator(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the emulator and the bootstrap")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	cache, err := os.UserCacheDir()
	if err != nil {
		cache = os.TempDir()
	}
	rie, err := servingtest.BuildRIE(ctx, filepath.Join(cache, "steward-test"))
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	bootstrap := filepath.Join(dir, "bootstrap")
	if err := servingtest.BuildBootstrap(ctx, ".", bootstrap); err != nil {
		t.Fatal(err)
	}
	data := filepath.Join(dir, "data")
	rt, _ := config.FromEnv(func(string) string { return "" })
	rt.DataDir, rt.ConfigPath = data, ""
	a, err := app.New(ctx, app.Options{Runtime: rt})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := servingtest.Heart(ctx, a.Artifacts, a.Records, servingtest.Spec{DataPath: "../../testdata/heart/processed.cleveland.data", Family: "gbdt", Params: map[string]any{"n_trees": 30}}); err != nil {
		t.Fatal(err)
	}
	a.Close()
	cfgPath, _ := filepath.Abs("../../steward.yaml")
	proc, err := servingtest.StartRIE(rie, bootstrap, []string{
		"STEWARD_DATA_DIR=" + data, "STEWARD_CONFIG=" + cfgPath, "AWS_LAMBDA_FUNCTION_NAME=predict",
	})
	if err != nil {
		t.Fatal(err)
	}
	defer proc.Stop()

	tests := []struct {
		event  string
		status int
		want   string
	}{
		{"predict.json", 200, `"model":{"name":"heart","version":1,"alias":"champion"}`},
		{"predict-explain.json", 200, `"contributions":{"age":`},
		{"predict-version.json", 200, `"version":1}`},
		{"predict-base64.json", 200, `"predictions":[{"id":"`},
		{"predict-bad-input.json", 422, `"field":"age","expected":"number in [18, 100], or null","got":"string \"old\""`},
		{"predict-malformed.json", 400, `"code":"MalformedJSON"`},
		{"predict-wrong-content-type.json", 415, `"code":"UnsupportedMediaType"`},
		{"predict-unknown-model.json", 404, `"code":"NotFound"`},
		{"models.json", 200, `"aliases":{"champion":1}`},
		{"model.json", 200, `"family":"gbdt"`},
		{"health.json", 200, `{"status":"ok","models":[{"model":"heart","alias":"champion","version":1}]}`},
		{"feedback.json", 404, `was issued by this service`}, // the event's id was never issued here
		{"feedback.json", 200, `"recorded":true`},            // with the id predict.json was given
	}
	issued := "" // the prediction id of predict.json, for the feedback
	for _, tt := range tests {
		t.Run(tt.event, func(t *testing.T) {
			payload, err := os.ReadFile(filepath.Join("../../testdata/events/predict", tt.event))
			if err != nil {
				t.Fatal(err)
			}
			if tt.event == "feedback.json" && tt.status == 200 {
				if issued == "" {
					t.Fatal("predict.json gave no prediction id")
				}
				payload = []byte(strings.ReplaceAll(string(payload), feedbackID, issued))
			}
			code, body, err := proc.Invoke(ctx, payload)
			if err != nil || code != 200 {
				t.Fatalf("invoke: %d %s %v\n%s", code, body, err, proc.Output())
			}
			var resp events.APIGatewayProxyResponse
			if err := json.Unmarshal(body, &resp); err != nil {
				t.Fatalf("not a proxy response: %s", body)
			}
			if tt.event == "predict.json" {
				var pr struct {
					Predictions []struct {
						ID string `json:"id"`
					} `json:"predictions"`
				}
				if json.Unmarshal([]byte(resp.Body), &pr) == nil && len(pr.Predictions) > 0 {
					issued = pr.Predictions[0].ID
				}
			}
			if resp.StatusCode != tt.status || !strings.Contains(resp.Body, tt.want) {
				t.Errorf("status %d body %s\nwant %d containing %s", resp.StatusCode, resp.Body, tt.status, tt.want)
			}
			if resp.Headers["Content-Type"] != serving.ContentTypeJSON {
				t.Errorf("content type %q", resp.Headers["Content-Type"])
			}
		})
	}
	// Captures and metrics went to the log stream before each response.
	out := proc.Output()
	for _, want := range []string{`{"kind":"capture","id":"`, `"requestId":"c6af9ac6-7b61-11e6-9a41-93e8deadbeef"`, `"CloudWatchMetrics":[{"Namespace":"Steward/Serving"`, `"Route":"/v1/models/{name}/predict","Status":"422"`} {
		if !strings.Contains(out, want) {
			t.Errorf("function output lacks %s:\n%s", want, out)
		}
	}
	if n := strings.Count(out, `{"kind":"capture"`); n != 5 { // 1 + 2 + 1 + 1 predictions above
		t.Errorf("%d capture lines, want 5", n)
	}
}
