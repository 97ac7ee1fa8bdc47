package cloudtwin

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	awseb "github.com/aws/aws-sdk-go-v2/service/eventbridge"
	awss3 "github.com/aws/aws-sdk-go-v2/service/s3"
	awssm "github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	awsses "github.com/aws/aws-sdk-go-v2/service/sesv2"
	awssfn "github.com/aws/aws-sdk-go-v2/service/sfn"

	"github.com/stewardml/steward/internal/aws/eventbridge"
	"github.com/stewardml/steward/internal/aws/s3"
	"github.com/stewardml/steward/internal/aws/secrets"
	"github.com/stewardml/steward/internal/aws/ses"
	"github.com/stewardml/steward/internal/aws/sfn"
	"github.com/stewardml/steward/internal/bus"
	"github.com/stewardml/steward/internal/local/gateway"
	"github.com/stewardml/steward/internal/notify"
	"github.com/stewardml/steward/internal/store"
)

const root = "../.."

// deployment is the twin's deployment without endpoints: the stack read
// from infra/ and cdk.json.
func deployment(t *testing.T) *Deployment {
	t.Helper()
	stack, err := ReadStack(root)
	if err != nil {
		t.Fatal(err)
	}
	d := &Deployment{Stack: stack, Region: "eu-west-1", Account: "123456789012", APIID: "api0", Bucket: "bucket-1", Table: "table-1"}
	if err := d.readContext(filepath.Join(root, "cdk.json")); err != nil {
		t.Fatal(err)
	}
	return d
}

// as returns an SDK configuration signing as function name.
func as(d *Deployment, name string) aws.Config {
	c := CredentialsFor(name)
	if name == "operator" {
		c = Credentials{OperatorKeyID, "s", "t"}
	}
	return aws.Config{Region: d.Region, Credentials: credentials.NewStaticCredentialsProvider(c.AccessKeyID, c.SecretAccessKey, c.SessionToken)}
}

func TestReadStackFindsEveryFunction(t *testing.T) {
	stack, err := ReadStack(root)
	if err != nil {
		t.Fatal(err)
	}
	entries, err := os.ReadDir(filepath.Join(root, "functions"))
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		if e.IsDir() {
			if _, ok := stack.Functions[e.Name()]; !ok {
				t.Errorf("functions/%s is not in the stack's table", e.Name())
			}
		}
	}
	v := stack.Functions["validate"]
	if v.MemoryMB <= 0 || v.Timeout <= 0 || len(v.Access) == 0 {
		t.Errorf("validate read as %+v", v)
	}
	if c := stack.Functions["capture"]; len(c.WritePrefixes) != 1 || c.WritePrefixes[0] != "captures/" || !c.MayPut("captures/heart/x.jsonl") || c.MayRead() {
		t.Errorf("capture read as %+v, want a writer of captures/ only", c)
	}
	if v := stack.Functions["validate"]; !v.MayPut("validations/x/heart/1.json") || v.MayPut("captures/x") || !v.MayRead() {
		t.Errorf("validate read as %+v, want a reader that writes validations/", v)
	}
	for name, want := range map[string]string{"ConfigRef": "artifact:config/steward.yaml", "CaptureFilterPattern": `{ $.kind = "capture" }`} {
		if got, err := stack.Const(name); err != nil || got != want {
			t.Errorf("constant %s = %q, %v; want %q", name, got, err, want)
		}
	}
}

// TestStackEnvironmentCoversTheStack fails when the stack starts setting
// a variable the twin does not mirror, or stops setting one it does.
func TestStackEnvironmentCoversTheStack(t *testing.T) {
	d := deployment(t)
	set := map[string]bool{}
	for _, fn := range d.Stack.Functions {
		env, err := d.StackEnvironment(fn)
		if err != nil {
			t.Fatal(err)
		}
		for k := range env {
			set[k] = true
		}
	}
	for _, name := range d.Stack.EnvNames() {
		if !set[name] {
			t.Errorf("the stack declares %s, which no function gets in the twin: mirror it in Deployment.StackEnvironment", name)
		}
		delete(set, name)
	}
	for name := range set {
		t.Errorf("the twin sets %s, which the stack does not declare", name)
	}
}

func TestEnvironmentOfAFunction(t *testing.T) {
	d := deployment(t)
	d.Endpoints.S3 = "http://127.0.0.1:1"
	env, err := d.Environment(d.Stack.Functions["approval"], "/task", "/tmp/x", CredentialsFor("approval"))
	if err != nil {
		t.Fatal(err)
	}
	got := strings.Join(env, "\n")
	for _, want := range []string{
		"STEWARD_BUCKET=bucket-1", "STEWARD_TABLE=table-1", "STEWARD_STAGE=" + d.Stage,
		"STEWARD_PUBLIC_URL=https://api0.execute-api.eu-west-1.amazonaws.com/" + d.Stage + "/",
		"STEWARD_APPROVAL_SECRET=" + d.SigningKeyARN(), "STEWARD_STATE_MACHINE_ARN=" + d.StateMachineARN(),
		"STEWARD_CONFIG=artifact:config/steward.yaml", "STEWARD_AWS_ENDPOINT_S3=http://127.0.0.1:1",
		"AWS_REGION=eu-west-1", "AWS_LAMBDA_FUNCTION_NAME=steward-" + d.Stage + "-approval", "AWS_ACCESS_KEY_ID=ASIATWINAPPROVAL",
	} {
		if !strings.Contains("\n"+got+"\n", "\n"+want+"\n") {
			t.Errorf("environment lacks %s:\n%s", want, got)
		}
	}
	if strings.Contains(got, "STEWARD_AWS_ENDPOINT_DYNAMODB=") {
		t.Error("an unset endpoint was passed on")
	}
}

// TestBuildFollowsTheMakefile keeps Build's flags those of the Makefile's
// pattern rule (GOARCH aside).
func TestBuildFollowsTheMakefile(t *testing.T) {
	b, err := os.ReadFile(filepath.Join(root, "Makefile"))
	if err != nil {
		t.Fatal(err)
	}
	var rule string
	for _, line := range strings.Split(string(b), "\n") {
		if strings.Contains(line, "-o $@ ./functions/$*") {
			rule = line
		}
	}
	if rule == "" {
		t.Fatal("the Makefile has no rule building ./functions/$* into $@")
	}
	for _, want := range []string{"CGO_ENABLED=0", "GOOS=linux", "-tags lambda.norpc", "-trimpath", `-ldflags="$(LDFLAGS)"`} {
		if !strings.Contains(rule, want) {
			t.Errorf("the Makefile's rule lacks %s (Build passes it): %s", want, rule)
		}
	}
	if !strings.Contains(string(b), "LDFLAGS := -s -w -X github.com/stewardml/steward/internal/buildinfo.version=") {
		t.Error("the Makefile's LDFLAGS changed: update BuildFlags")
	}
}

func TestIAMFollowsTheStackGrants(t *testing.T) {
	d := deployment(t)
	iam := NewIAM(d)
	srv := httptest.NewServer(S3(iam))
	defer srv.Close()
	ctx := context.Background()
	client := func(who string) *s3.Store {
		return s3.New(awss3.NewFromConfig(as(d, who), func(o *awss3.Options) {
			o.BaseEndpoint, o.UsePathStyle = aws.String(srv.URL), true
		}), d.Bucket)
	}
	if _, err := awss3.NewFromConfig(as(d, "operator"), func(o *awss3.Options) {
		o.BaseEndpoint, o.UsePathStyle = aws.String(srv.URL), true
	}).CreateBucket(ctx, &awss3.CreateBucketInput{Bucket: aws.String(d.Bucket)}); err != nil {
		t.Fatal(err)
	}
	capture := client("capture")
	if _, err := capture.Put(ctx, "captures/heart/x.jsonl", []byte("{}\n"), "application/x-ndjson"); err != nil {
		t.Errorf("capture may write under captures/: %v", err)
	}
	if _, err := capture.Put(ctx, "models/heart/x", []byte("x"), "text/plain"); err == nil {
		t.Error("capture wrote outside captures/")
	}
	if _, _, err := capture.Get(ctx, "captures/heart/x.jsonl"); err == nil {
		t.Error("capture read an object: it may only put")
	}
	if _, _, err := client("predict").Get(ctx, "captures/heart/x.jsonl"); err != nil {
		t.Errorf("predict may read: %v", err)
	}
	if _, err := client("predict").Put(ctx, "captures/heart/y.jsonl", []byte("{}\n"), "application/x-ndjson"); err == nil {
		t.Error("predict wrote: on Lambda its captures go to the log")
	}
	if _, _, err := client("stranger").Get(ctx, "captures/heart/x.jsonl"); err == nil {
		t.Error("unknown credentials read an object")
	}
	want := "capture: s3:GetObject on arn:aws:s3:::bucket-1/captures/heart/x.jsonl\n" +
		"capture: s3:PutObject on arn:aws:s3:::bucket-1/models/heart/x\n" +
		"predict: s3:PutObject on arn:aws:s3:::bucket-1/captures/heart/y.jsonl"
	if got := Describe(iam.Denied()); got != want {
		t.Errorf("denied calls:\n%s\nwant\n%s", got, want)
	}
	if got := iam.CallsBy("capture", "s3:PutObject"); len(got) != 1 || !strings.HasSuffix(got[0].Resource, "/captures/heart/x.jsonl") {
		t.Errorf("capture's writes: %+v", got)
	}
}

func TestSecretsManagerSpeaksToTheAdapter(t *testing.T) {
	d := deployment(t)
	sm := &SecretsManager{IAM: NewIAM(d)}
	sm.Put(d.SigningKeyARN(), strings.Repeat("k", 64))
	srv := httptest.NewServer(sm)
	defer srv.Close()
	ctx := context.Background()
	client := func(who string) *awssm.Client {
		return awssm.NewFromConfig(as(d, who), func(o *awssm.Options) { o.BaseEndpoint = aws.String(srv.URL) })
	}
	key, err := secrets.Key(ctx, client("approval"), d.SigningKeyARN())
	if err != nil || string(key) != strings.Repeat("k", 64) {
		t.Fatalf("Key = %q, %v", key, err)
	}
	if _, err := secrets.Key(ctx, client("approval"), d.Prefix()+"/approval-signing-key"); err != nil {
		t.Errorf("by name: %v", err)
	}
	if _, err := secrets.Key(ctx, client("capture"), d.SigningKeyARN()); err == nil || !strings.Contains(err.Error(), "AccessDenied") {
		t.Errorf("capture read the signing key: %v", err)
	}
	if _, err := secrets.Key(ctx, client("approval"), d.SigningKeyARN()+"x"); err == nil {
		t.Error("an unknown secret was found")
	}
	sm.Put(d.SlackSecretARN(), `{"alerts":"https://hooks.slack.com/services/T/B/X"}`)
	if hooks, err := secrets.Strings(ctx, client("record"), d.SlackSecretARN()); err != nil || hooks["alerts"] == "" {
		t.Errorf("record reads the Slack webhooks: %v, %v", hooks, err)
	}
	if _, err := secrets.Strings(ctx, client("approval"), d.SlackSecretARN()); err == nil || !strings.Contains(err.Error(), "AccessDenied") {
		t.Errorf("approval, which sends nothing, read the Slack webhooks: %v", err)
	}
}

func TestSESKeepsWhatTheMailerSends(t *testing.T) {
	d := deployment(t)
	fake := &SES{IAM: NewIAM(d)}
	srv := httptest.NewServer(fake)
	defer srv.Close()
	mailer := func(who string) *ses.Mailer {
		return ses.New(awsses.NewFromConfig(as(d, who), func(o *awsses.Options) { o.BaseEndpoint = aws.String(srv.URL) }))
	}
	msg := notify.Message{From: d.SenderAddress, To: []string{"a@example.com"}, Subject: "s", Text: "plain", HTML: "<p>html</p>", Kind: "approval"}
	if err := mailer("requestapproval").Send(context.Background(), msg); err != nil {
		t.Fatal(err)
	}
	sent := fake.Sent()
	if len(sent) != 1 {
		t.Fatalf("%d messages kept", len(sent))
	}
	got := sent[0]
	if got.Sender != "requestapproval" || got.From != d.SenderAddress || got.To[0] != "a@example.com" || got.Subject != "s" ||
		got.Text != "plain" || got.HTML != "<p>html</p>" || got.Tags["event"] != "approval" || got.MessageID == "" {
		t.Errorf("kept %+v", got)
	}
	if err := mailer("train").Send(context.Background(), msg); err == nil {
		t.Error("train, which may not send email, sent one")
	}
	msg.From = "someone@else.example"
	if err := mailer("requestapproval").Send(context.Background(), msg); err == nil || !strings.Contains(err.Error(), "MessageRejected") {
		t.Errorf("an unverified sender: %v", err)
	}
}

func TestStepFunctionsAnswersEachTokenOnce(t *testing.T) {
	d := deployment(t)
	fake := &StepFunctions{IAM: NewIAM(d)}
	srv := httptest.NewServer(fake)
	defer srv.Close()
	client := func(who string) *sfn.Client {
		return sfn.New(awssfn.NewFromConfig(as(d, who), func(o *awssfn.Options) { o.BaseEndpoint = aws.String(srv.URL) }), d.StateMachineARN())
	}
	ctx := context.Background()
	fake.Wait("tok-1")
	if err := client("approval").SendTaskSuccess(ctx, "tok-1", json.RawMessage(`{"approved":true}`)); err != nil {
		t.Fatal(err)
	}
	if err := client("approval").SendTaskSuccess(ctx, "tok-1", json.RawMessage(`{}`)); !errors.Is(err, sfn.ErrTaskGone) {
		t.Errorf("a second answer: %v, want ErrTaskGone", err)
	}
	fake.Wait("tok-2")
	if err := client("validate").SendTaskSuccess(ctx, "tok-2", json.RawMessage(`{}`)); err == nil {
		t.Error("validate, which may not answer tasks, did")
	}
	res := fake.Results()
	if len(res) != 1 || res[0].Caller != "approval" || res[0].Token != "tok-1" || string(res[0].Output) != `{"approved":true}` {
		t.Errorf("results %+v", res)
	}
	if _, err := client("approval").StartExecution(ctx, "x", json.RawMessage(`{}`)); err == nil {
		t.Error("approval, which may not start executions, did")
	}
}

func TestEventBridgeKeepsEvents(t *testing.T) {
	d := deployment(t)
	fake := &EventBridge{IAM: NewIAM(d)}
	srv := httptest.NewServer(fake)
	defer srv.Close()
	pub := func(who, busName string) *eventbridge.Publisher {
		return eventbridge.New(awseb.NewFromConfig(as(d, who), func(o *awseb.Options) { o.BaseEndpoint = aws.String(srv.URL) }), busName)
	}
	ev := bus.Event{Source: "steward", DetailType: "DriftChecked", Detail: json.RawMessage(`{"model":"heart"}`)}
	if err := pub("drift", d.EventBus()).Publish(context.Background(), ev); err != nil {
		t.Fatal(err)
	}
	if err := pub("approval", d.EventBus()).Publish(context.Background(), ev); err == nil {
		t.Error("approval, which may not publish, did")
	}
	if err := pub("drift", "default").Publish(context.Background(), ev); err == nil {
		t.Error("drift published to another bus")
	}
	got := fake.Events()
	if len(got) != 1 || got[0].Caller != "drift" || got[0].DetailType != "DriftChecked" {
		t.Errorf("events %+v", got)
	}
}

// The S3 adapter's errors stay domain errors behind the twin.
func TestS3NotFoundIsTheStoreSentinel(t *testing.T) {
	d := deployment(t)
	srv := httptest.NewServer(S3(NewIAM(d)))
	defer srv.Close()
	op := awss3.NewFromConfig(as(d, "operator"), func(o *awss3.Options) { o.BaseEndpoint, o.UsePathStyle = aws.String(srv.URL), true })
	if _, err := op.CreateBucket(context.Background(), &awss3.CreateBucketInput{Bucket: aws.String(d.Bucket)}); err != nil {
		t.Fatal(err)
	}
	if _, _, err := s3.New(op, d.Bucket).Get(context.Background(), "nothing"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("Get of a missing key: %v", err)
	}
}

// TestGatewayRefusesAsAPIGatewayDoes covers the answers that never reach
// a function.
func TestGatewayRefusesAsAPIGatewayDoes(t *testing.T) {
	d := deployment(t)
	g := &Gateway{D: d, APIKey: "k", Functions: map[string]*Lambda{}}
	base := d.PublicURL()
	withKey := http.Header{"X-Api-Key": {"k"}}
	tests := []struct {
		name, method, url string
		header            http.Header
		status            int
		message           string
	}{
		{"another stage", "GET", "https://" + d.Host() + "/nostage/health", nil, 403, "Forbidden"},
		{"outside any stage", "POST", "https://" + d.Host() + "/approvals/abc", nil, 403, "Forbidden"},
		{"no API key", "POST", base + "v1/models/heart/predict", nil, 403, gateway.ForbiddenMessage},
		{"wrong API key", "POST", base + "v1/models/heart/predict", http.Header{"X-Api-Key": {"x"}}, 403, gateway.ForbiddenMessage},
		{"no method", "DELETE", base + "approvals/abc", nil, 403, "Missing Authentication Token"},
		{"health by POST", "POST", base + "health", nil, 403, "Missing Authentication Token"},
		{"function not running", "POST", base + "v1/models/heart/predict", withKey, 502, "Internal server error"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp, err := g.Do(context.Background(), tt.method, tt.url, tt.header, "")
			if err != nil {
				t.Fatal(err)
			}
			if resp.Status != tt.status || !strings.Contains(resp.Body, `"message":"`+tt.message+`"`) {
				t.Errorf("got %d %s, want %d %s", resp.Status, resp.Body, tt.status, tt.message)
			}
		})
	}
	if _, err := g.Do(context.Background(), "GET", "https://example.com/dev/health", nil, ""); err == nil {
		t.Error("a URL of another host reached the API")
	}
}

func TestRoutesFollowTheStack(t *testing.T) {
	for _, tt := range []struct{ path, method, resource, function, proxy string }{
		{"/v1/models/heart/predict", "POST", "/v1/{proxy+}", "predict", "models/heart/predict"},
		{"/v1/feedback", "PATCH", "/v1/{proxy+}", "predict", "feedback"},
		{"/health", "GET", "/health", "predict", ""},
		{"/approvals/abc", "POST", "/approvals/{proxy+}", "approval", "abc"},
		{"/", "GET", "/", "dashboard", ""},
		{"/models", "POST", "/{proxy+}", "dashboard", "models"},
	} {
		r, ok := match(tt.path, tt.method)
		if !ok || r.resource != tt.resource || r.function != tt.function || r.proxy != tt.proxy {
			t.Errorf("%s %s routed to %+v (%v)", tt.method, tt.path, r, ok)
		}
	}
}

func TestSubscriptionMatcherFollowsJSONEquality(t *testing.T) {
	match, err := Subscription{Pattern: `{ $.kind = "capture" }`}.Matcher()
	if err != nil {
		t.Fatal(err)
	}
	for line, want := range map[string]bool{
		`{"kind":"capture","id":"1"}`:         true,
		`{"id":"1","kind":"capture"}`:         true,
		`{"kind":"captured"}`:                 false,
		`{"kind":1}`:                          false,
		`{"_aws":{"Timestamp":1}}`:            false,
		`START RequestId: 1 Version: $LATEST`: false,
		`"kind":"capture"`:                    false,
	} {
		if got := match(line); got != want {
			t.Errorf("match(%s) = %v, want %v", line, got, want)
		}
	}
	nested, err := Subscription{Pattern: `{$.a.b = "x"}`}.Matcher()
	if err != nil || !nested(`{"a":{"b":"x"}}`) || nested(`{"a":"x"}`) {
		t.Errorf("nested field pattern: %v", err)
	}
	for _, p := range []string{`{ $.kind = "capt*" }`, `capture`, `{ $.latency > 5 }`} {
		if _, err := (Subscription{Pattern: p}).Matcher(); !errors.Is(err, ErrStack) {
			t.Errorf("pattern %s: %v, want ErrStack", p, err)
		}
	}
}
