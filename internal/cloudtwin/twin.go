package cloudtwin

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	awsddb "github.com/aws/aws-sdk-go-v2/service/dynamodb"
	awss3 "github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/stewardml/steward/internal/aws/awstest"
	"github.com/stewardml/steward/internal/aws/dynamodb"
	"github.com/stewardml/steward/internal/aws/s3"
	"github.com/stewardml/steward/internal/config"
)

// Options say where the twin finds what it runs.
type Options struct {
	// Root is the repository root (infra/, cdk.json, functions/).
	Root string
	// Bootstraps holds <name>/bootstrap for each function (Build).
	Bootstraps string
	// RIE is the aws-lambda-rie binary.
	RIE string
}

// Twin is a deployment of the stack on emulators: S3 (gofakes3), DynamoDB
// (dynalite), Secrets Manager, SES, Step Functions and EventBridge
// endpoints, all behind the roles the stack grants, and the functions
// under aws-lambda-rie.
type Twin struct {
	D       *Deployment
	IAM     *IAM
	Secrets *SecretsManager
	SES     *SES
	SFN     *StepFunctions
	Events  *EventBridge
	// Gateway is the REST API in front of the running functions.
	Gateway *Gateway
	// AWS is the operator's SDK configuration (full access): the test's
	// own view of the account.
	AWS aws.Config
	// Artifacts and Records are the AWS adapters over the bucket and the
	// table, signed as the operator.
	Artifacts *s3.Store
	Records   *dynamodb.Store

	opts    Options
	offsets logOffsets
}

// Start deploys the twin for the life of the test: it reads the stack's
// definition and cdk.json's deployment settings, starts the endpoints,
// creates the bucket, the table and the secrets. Functions start with
// StartFunction. It needs dynalite (see awstest.DynamoDB).
func Start(t testing.TB, opts Options) *Twin {
	t.Helper()
	stack, err := ReadStack(opts.Root)
	if err != nil {
		t.Fatal(err)
	}
	d := &Deployment{
		Stack: stack, Region: "eu-west-1", Account: "123456789012", APIID: "tw1napi0ab",
		Bucket: "steward-dev-artifacts4f0c2a1e-1q2w3e4r5t6y",
		Table:  "steward-dev-Records7D3A91B2-1A2B3C4D5E6F7",
	}
	if err := d.readContext(filepath.Join(opts.Root, "cdk.json")); err != nil {
		t.Fatal(err)
	}
	tw := &Twin{D: d, IAM: NewIAM(d), opts: opts}
	tw.Secrets = &SecretsManager{IAM: tw.IAM}
	tw.SES = &SES{IAM: tw.IAM}
	tw.SFN = &StepFunctions{IAM: tw.IAM}
	tw.Events = &EventBridge{IAM: tw.IAM}

	serve := func(h http.Handler) string {
		srv := httptest.NewServer(h)
		t.Cleanup(srv.Close)
		return srv.URL
	}
	dyn := awstest.DynamoDB(t)
	emu, err := url.Parse(dyn.Endpoint)
	if err != nil {
		t.Fatal(err)
	}
	d.Endpoints = Endpoints{
		S3:             serve(S3(tw.IAM)),
		DynamoDB:       serve(DynamoDB(tw.IAM, emu)),
		SecretsManager: serve(tw.Secrets),
		SES:            serve(tw.SES),
		StepFunctions:  serve(tw.SFN),
		EventBridge:    serve(tw.Events),
		CloudWatch:     serve(http.HandlerFunc(Unsupported)),
	}
	tw.Gateway = &Gateway{D: d, APIKey: "stw_" + randomText(36), Functions: map[string]*Lambda{}}

	tw.AWS = aws.Config{Region: d.Region, Credentials: credentials.NewStaticCredentialsProvider(OperatorKeyID, "operator-secret", "operator-session")}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	s3c := awss3.NewFromConfig(tw.AWS, func(o *awss3.Options) {
		o.BaseEndpoint, o.UsePathStyle = aws.String(d.Endpoints.S3), true
	})
	if _, err := s3c.CreateBucket(ctx, &awss3.CreateBucketInput{Bucket: aws.String(d.Bucket)}); err != nil {
		t.Fatalf("cloudtwin: create bucket: %v", err)
	}
	ddb := awsddb.NewFromConfig(tw.AWS, func(o *awsddb.Options) { o.BaseEndpoint = aws.String(d.Endpoints.DynamoDB) })
	if err := dynamodb.CreateTable(ctx, ddb, d.Table); err != nil {
		t.Fatalf("cloudtwin: %v", err)
	}
	tw.Artifacts = s3.New(s3c, d.Bucket)
	tw.Records = dynamodb.New(ddb, d.Table)
	// Generated at deploy as the stack does: 64 letters and digits.
	tw.Secrets.Put(d.SigningKeyARN(), randomText(64))
	tw.Secrets.Put(d.SlackSecretARN(), "{}")
	return tw
}

// DeployProject uploads, as the deployer, what the stack's configuration
// upload does (infra/stack/project.go): the repository's steward.yaml at
// the stack's ConfigKey and the suite it names at the same relative path
// under ConfigPrefix. It returns the keys written.
func (tw *Twin) DeployProject(ctx context.Context) ([]string, error) {
	prefix, err := tw.D.Stack.Const("ConfigPrefix")
	if err != nil {
		return nil, err
	}
	key, err := tw.D.Stack.Const("ConfigKey")
	if err != nil {
		return nil, err
	}
	file := filepath.Join(tw.opts.Root, "steward.yaml")
	p, err := config.Load(file)
	if err != nil {
		return nil, fmt.Errorf("cloudtwin: %w", err)
	}
	files := map[string]string{key: file}
	if suite := p.Validation.Suite; suite != "" {
		rel := path.Clean(filepath.ToSlash(suite))
		if path.IsAbs(rel) || strings.HasPrefix(rel, "../") {
			return nil, fmt.Errorf("cloudtwin: %s: validation.suite %q is not under the configuration's folder", file, suite)
		}
		files[prefix+rel] = p.SuitePath()
	}
	var keys []string
	for k, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			return nil, fmt.Errorf("cloudtwin: %w", err)
		}
		if _, err := tw.Artifacts.Put(ctx, k, b, "text/plain"); err != nil {
			return nil, fmt.Errorf("cloudtwin: upload %s: %w", k, err)
		}
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys, nil
}

// StartFunction runs functions/<name>'s bootstrap under the emulator,
// configured by Deployment.Environment in its own task root and /tmp,
// and routes the API to it. It stops with the test.
func (tw *Twin) StartFunction(t testing.TB, name string) *Lambda {
	t.Helper()
	fn, ok := tw.D.Stack.Functions[name]
	if !ok {
		t.Fatalf("cloudtwin: the stack has no function %q", name)
	}
	bootstrap := filepath.Join(tw.opts.Bootstraps, name, "bootstrap")
	env, err := tw.D.Environment(fn, filepath.Dir(bootstrap), t.TempDir(), CredentialsFor(name))
	if err != nil {
		t.Fatal(err)
	}
	l, err := StartLambda(tw.opts.RIE, name, bootstrap, env)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Stop() })
	tw.Gateway.Functions[name] = l
	return l
}

// readContext reads the deployment settings cdk.json gives the stack:
// stage, approvers, escalation and sender.
func (d *Deployment) readContext(path string) error {
	b, err := os.ReadFile(path)
	if err != nil {
		return fmt.Errorf("cloudtwin: %w", err)
	}
	var doc struct{ Context map[string]any }
	if err := json.Unmarshal(b, &doc); err != nil {
		return fmt.Errorf("cloudtwin: %s: %w", path, err)
	}
	str := func(k, def string) string {
		if s, ok := doc.Context[k].(string); ok && s != "" {
			return s
		}
		return def
	}
	list := func(k string) []string {
		var out []string
		switch v := doc.Context[k].(type) {
		case string:
			for _, s := range strings.Split(v, ",") {
				if s = strings.TrimSpace(s); s != "" {
					out = append(out, s)
				}
			}
		case []any:
			for _, s := range v {
				out = append(out, fmt.Sprint(s))
			}
		}
		return out
	}
	d.Stage = str("stage", "dev")
	d.Approvers = list("approverEmails")
	d.Escalation = list("escalationEmails")
	if len(d.Escalation) == 0 {
		d.Escalation = d.Approvers
	}
	d.SenderIdentity = str("senderIdentity", "")
	if d.SenderIdentity == "" || len(d.Approvers) == 0 {
		return fmt.Errorf("cloudtwin: %s: want context senderIdentity and approverEmails", path)
	}
	def := d.SenderIdentity
	if !strings.Contains(def, "@") {
		def = "steward@" + def
	}
	d.SenderAddress = str("senderAddress", def)
	return nil
}

const alnum = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"

func randomText(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	for i := range b {
		b[i] = alnum[int(b[i])%len(alnum)]
	}
	return string(b)
}
