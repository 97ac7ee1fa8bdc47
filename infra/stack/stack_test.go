package stack

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"testing"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/assertions"
	"github.com/aws/aws-cdk-go/awscdk/v2/cxapi"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"
	"github.com/cdklabs/cdk-nag-go/cdknag/v2"
)

// The stack tests synthesize one app holding two stacks, a dev stack
// configured by the repository's cdk.json (exactly what `make synth`
// builds) and a prod stack with every option changed, once per test
// binary: jsii is slow. Every test reads the shared result.

func TestMain(m *testing.M) {
	code := m.Run()
	if synthesized != nil {
		jsii.Close()
	}
	os.Exit(code)
}

// synthesis is the shared result of the one synth.
type synthesis struct {
	aslFile   string
	asl       string
	dev, prod *deployed
}

// deployed is one synthesized stack with its template as JSON and the
// warnings and errors reported on it.
type deployed struct {
	stack    *Stack
	template assertions.Template
	json     map[string]any
	errors   []*cxapi.SynthesisMessage
	warnings []*cxapi.SynthesisMessage
}

var (
	synthOnce   sync.Once
	synthesized *synthesis
	synthErr    error
)

// repoRoot is the repository root, two levels above this package.
func repoRoot(tb testing.TB) string {
	tb.Helper()
	root, err := filepath.Abs(filepath.Join("..", ".."))
	if err != nil {
		tb.Fatal(err)
	}
	return root
}

// stateMachineFile is the repository's retraining workflow, the one file
// the local runner executes too.
func stateMachineFile(tb testing.TB) string {
	tb.Helper()
	return filepath.Join(repoRoot(tb), "statemachines", "retrain.asl.json")
}

// cdkContext returns the context of the repository's cdk.json.
func cdkContext(tb testing.TB) map[string]any {
	tb.Helper()
	b, err := os.ReadFile(filepath.Join(repoRoot(tb), "cdk.json"))
	if err != nil {
		tb.Fatal(err)
	}
	var file struct {
		Context map[string]any `json:"context"`
	}
	if err := json.Unmarshal(b, &file); err != nil {
		tb.Fatalf("cdk.json: %v", err)
	}
	return file.Context
}

// buildDir makes a build directory with a bootstrap for every function.
func buildDir(tb testing.TB) string {
	tb.Helper()
	dir, err := os.MkdirTemp("", "steward-build")
	if err != nil {
		tb.Fatal(err)
	}
	for _, f := range Functions {
		if err := os.MkdirAll(filepath.Join(dir, f.Name), 0o755); err != nil {
			tb.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, f.Name, "bootstrap"), []byte("#!/bin/sh\n# "+f.Name+"\n"), 0o755); err != nil {
			tb.Fatal(err)
		}
	}
	return dir
}

func synth(t *testing.T) *synthesis {
	t.Helper()
	synthOnce.Do(func() { synthesized, synthErr = doSynth(t) })
	if synthErr != nil {
		t.Fatal(synthErr)
	}
	return synthesized
}

func doSynth(t *testing.T) (s *synthesis, err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("synth panicked: %v", r)
		}
	}()
	s = &synthesis{aslFile: stateMachineFile(t)}
	b, err := os.ReadFile(s.aslFile)
	if err != nil {
		return nil, err
	}
	s.asl = string(b)

	context := cdkContext(t)
	// Keep error annotations as annotations, so that a finding is listed
	// by the test rather than thrown from synth.
	context["@aws-cdk/core:annotationsInValidationReport"] = false
	outdir, err := os.MkdirTemp("", "steward-cdk.out")
	if err != nil {
		return nil, err
	}
	app := awscdk.NewApp(&awscdk.AppProps{Context: &context, Outdir: jsii.String(outdir)})
	build := buildDir(t)
	common := map[string]any{KeyBuildDir: build, KeyStateMachineFile: s.aslFile}

	// dev: cdk.json as shipped.
	devCtx := ctx{}
	for k, v := range context {
		devCtx[k] = v
	}
	for k, v := range common {
		devCtx[k] = v
	}
	devCfg, err := LoadConfig(devCtx.lookup, repoRoot(t))
	if err != nil {
		return nil, err
	}
	devStack, err := New(app, "Steward-dev", devCfg, nil)
	if err != nil {
		return nil, err
	}

	// prod: everything that differs by configuration turned the other way.
	prodCtx := ctx{
		KeyStage:                "prod",
		KeyApproverEmails:       "ana@acme-bank.com,bo@acme-bank.com",
		KeyEscalationEmails:     []any{"oncall@acme-bank.com"},
		KeySenderIdentity:       "acme-bank.com",
		KeyDriftSchedule:        "cron(0 6 ? * MON-FRI *)",
		KeyMemorySizes:          map[string]any{"train": float64(4096), "predict": float64(1024)},
		KeyTracing:              true,
		KeyLogRetentionDays:     float64(365),
		KeyCaptureRetentionDays: float64(30),
		KeyAPIRateLimit:         "200",
		KeyAPIBurstLimit:        "400",
		KeyAPIQuotaPerMonth:     "100000000",
		KeyAlarmLatencyP99Ms:    "250",
		KeyProjectConfig:        scheduledProject(t, outdir),
	}
	for k, v := range common {
		prodCtx[k] = v
	}
	prodCfg, err := LoadConfig(prodCtx.lookup, repoRoot(t))
	if err != nil {
		return nil, err
	}
	prodStack, err := New(app, "Steward-prod", prodCfg, nil)
	if err != nil {
		return nil, err
	}

	awscdk.Aspects_Of(app).Add(cdknag.NewAwsSolutionsChecks(&cdknag.NagPackProps{Reports: jsii.Bool(false)}), nil)
	for _, d := range []**deployed{&s.dev, &s.prod} {
		*d = &deployed{}
	}
	s.dev.stack, s.prod.stack = devStack, prodStack
	for _, d := range []*deployed{s.dev, s.prod} {
		d.template = assertions.Template_FromStack(d.stack.Stack, nil)
		raw, err := json.Marshal(d.template.ToJSON())
		if err != nil {
			return nil, err
		}
		if err := json.Unmarshal(raw, &d.json); err != nil {
			return nil, err
		}
		annotations := assertions.Annotations_FromStack(d.stack.Stack)
		any := assertions.Match_AnyValue()
		d.errors = *annotations.FindError(jsii.String("*"), any)
		d.warnings = *annotations.FindWarning(jsii.String("*"), any)
	}
	return s, nil
}

// check runs a CDK assertion, turning its panic into a test error.
func check(t *testing.T, what string, assertion func()) {
	t.Helper()
	defer func() {
		if r := recover(); r != nil {
			t.Errorf("%s: %v", what, r)
		}
	}()
	assertion()
}

// resources returns the template's resources of one type by logical ID.
func (d *deployed) resources(typ string) map[string]map[string]any {
	out := map[string]map[string]any{}
	for id, r := range d.json["Resources"].(map[string]any) {
		res := r.(map[string]any)
		if res["Type"] == typ {
			out[id] = res
		}
	}
	return out
}

// logicalID is the template ID of a construct's CloudFormation resource.
func (d *deployed) logicalID(c constructs.IConstruct) string {
	return *d.stack.Stack.GetLogicalId(c.Node().DefaultChild().(awscdk.CfnElement))
}

func getAtt(id, attr string) map[string]any {
	return map[string]any{"Fn::GetAtt": []any{id, attr}}
}

func ref(id string) map[string]any { return map[string]any{"Ref": id} }

func jsonEqual(a, b any) bool {
	x, _ := json.Marshal(a)
	y, _ := json.Marshal(b)
	return string(x) == string(y)
}

func props(r map[string]any) map[string]any {
	p, _ := r["Properties"].(map[string]any)
	return p
}

func TestEveryFunctionIsProvidedAL2023OnArm64(t *testing.T) {
	s := synth(t)
	for _, d := range []*deployed{s.dev, s.prod} {
		cfg := d.stack.Config
		steward := 0
		for _, r := range d.resources("AWS::Lambda::Function") {
			if props(r)["Runtime"] == "provided.al2023" {
				steward++
			}
		}
		if steward != len(Functions) {
			t.Errorf("%s: %d provided.al2023 functions, want the %d of the table", cfg.Stage, steward, len(Functions))
		}
		for _, f := range Functions {
			check(t, cfg.Stage+" "+f.Name, func() {
				d.template.HasResourceProperties(jsii.String("AWS::Lambda::Function"), assertions.Match_ObjectLike(&map[string]any{
					"FunctionName":  cfg.Prefix() + "-" + f.Name,
					"Runtime":       "provided.al2023",
					"Architectures": []any{"arm64"},
					"Handler":       "bootstrap",
					"MemorySize":    cfg.Memory[f.Name],
					"Timeout":       int(f.Timeout.Seconds()),
					"LoggingConfig": assertions.Match_ObjectLike(&map[string]any{"LogGroup": ref(d.logicalID(d.stack.logGroupOf(f.Name)))}),
					"Environment": map[string]any{"Variables": assertions.Match_ObjectLike(&map[string]any{
						EnvBucket:    ref(d.logicalID(d.stack.Bucket)),
						EnvTable:     ref(d.logicalID(d.stack.Table)),
						EnvStage:     cfg.Stage,
						EnvEventBus:  ref(d.logicalID(d.stack.Bus)),
						EnvPublicURL: assertions.Match_AnyValue(),
						EnvConfig:    ConfigRef,
					})},
				}))
			})
		}
		check(t, cfg.Stage+" log retention", func() {
			d.template.AllResourcesProperties(jsii.String("AWS::Logs::LogGroup"), assertions.Match_ObjectLike(&map[string]any{
				"RetentionInDays": cfg.LogRetentionDays,
			}))
		})
	}
	if got := s.prod.stack.Config.Memory["train"]; got != 4096 {
		t.Errorf("prod train memory = %d, want the configured 4096", got)
	}
	for id, fn := range s.prod.stewardFunctions() {
		if got := props(fn)["TracingConfig"]; !jsonEqual(got, map[string]any{"Mode": "Active"}) {
			t.Errorf("prod %s TracingConfig = %v, want active tracing", id, got)
		}
	}
}

func TestFunctionsGetOnlyTheirConfiguration(t *testing.T) {
	s := synth(t)
	d := s.dev
	for _, f := range Functions {
		vars := props(d.resources("AWS::Lambda::Function")[d.logicalID(d.stack.Functions[f.Name])])["Environment"].(map[string]any)["Variables"].(map[string]any)
		want := map[string]bool{
			EnvApprovalSecret:  f.Access.Has(ReadSigningKey),
			EnvEmailFrom:       f.Access.Has(SendEmail) || f.Access.Has(ReadSigningKey),
			EnvApprovers:       f.Access.Has(SendEmail) || f.Access.Has(ReadSigningKey),
			EnvEscalation:      f.Access.Has(SendEmail) || f.Access.Has(ReadSigningKey),
			EnvStateMachineARN: f.Access.Has(StartRetrain) || f.Access.Has(AnswerTasks),
			EnvSlackSecret:     f.Access.Has(SendEmail),
			EnvConfig:          true,
		}
		for name, wanted := range want {
			if _, got := vars[name]; got != wanted {
				t.Errorf("%s: has %s = %v, want %v", f.Name, name, got, wanted)
			}
		}
	}
	agent := props(d.resources("AWS::Lambda::Function")[d.logicalID(d.stack.Functions["requestapproval"])])["Environment"].(map[string]any)["Variables"].(map[string]any)
	if got, want := agent[EnvApprovers], "approver@example.com"; got != want {
		t.Errorf("requestapproval %s = %v, want %q from cdk.json", EnvApprovers, got, want)
	}
	if got, want := agent[EnvApprovalSecret], ref(d.logicalID(d.stack.SigningKey)); !jsonEqual(got, want) {
		t.Errorf("requestapproval %s = %v, want %v", EnvApprovalSecret, got, want)
	}
	if got, want := agent[EnvSlackSecret], ref(d.logicalID(d.stack.SlackWebhooks)); !jsonEqual(got, want) {
		t.Errorf("requestapproval %s = %v, want %v", EnvSlackSecret, got, want)
	}
	// The Slack secret is made empty, for the operator to fill: no webhook
	// URL is in the template.
	slack := props(d.resources("AWS::SecretsManager::Secret")[d.logicalID(d.stack.SlackWebhooks)])
	if slack["SecretString"] != "{}" || slack["GenerateSecretString"] != nil {
		t.Errorf("Slack webhooks secret %v, want SecretString {} and nothing generated", slack)
	}
}

// route is one API method with its resolved path.
type route struct {
	verb, path string
	props      map[string]any
}

// routes resolves every method's path by walking ParentId up to the root.
func (d *deployed) routes(t *testing.T) map[string]route {
	t.Helper()
	resources := d.resources("AWS::ApiGateway::Resource")
	var pathOf func(v any) string
	pathOf = func(v any) string {
		m, _ := v.(map[string]any)
		if id, ok := m["Ref"].(string); ok {
			if r, ok := resources[id]; ok {
				p := props(r)
				return pathOf(p["ParentId"]) + "/" + p["PathPart"].(string)
			}
		}
		return "" // the API's root resource
	}
	out := map[string]route{}
	for _, m := range d.resources("AWS::ApiGateway::Method") {
		p := props(m)
		path := pathOf(p["ResourceId"])
		if path == "" {
			path = "/"
		}
		key := p["HttpMethod"].(string) + " " + path
		out[key] = route{p["HttpMethod"].(string), path, p}
	}
	return out
}

// integratedWith reports whether a method's integration URI names the
// given construct's ARN (function or alias).
func integratedWith(r route, id string) bool {
	b, _ := json.Marshal(r.props["Integration"])
	return strings.Contains(string(b), `"`+id+`"`)
}

func TestAPIRoutes(t *testing.T) {
	d := synth(t).dev
	routes := d.routes(t)
	var got []string
	for k := range routes {
		got = append(got, k)
	}
	sort.Strings(got)
	want := []string{"ANY /v1/{proxy+}", "GET /", "GET /approvals/{proxy+}", "GET /health", "GET /{proxy+}", "POST /approvals/{proxy+}", "POST /{proxy+}"}
	if strings.Join(got, ", ") != strings.Join(want, ", ") {
		t.Fatalf("routes = %v\nwant %v", got, want)
	}
	live := d.logicalID(d.stack.PredictLive)
	for key, target := range map[string]string{
		"ANY /v1/{proxy+}":         live,
		"GET /health":              live,
		"GET /approvals/{proxy+}":  d.logicalID(d.stack.Functions["approval"]),
		"POST /approvals/{proxy+}": d.logicalID(d.stack.Functions["approval"]),
		"GET /":                    d.logicalID(d.stack.Functions["dashboard"]),
		"GET /{proxy+}":            d.logicalID(d.stack.Functions["dashboard"]),
		"POST /{proxy+}":           d.logicalID(d.stack.Functions["dashboard"]),
	} {
		r := routes[key]
		if !integratedWith(r, target) {
			t.Errorf("%s integrates %v, want %s", key, r.props["Integration"], target)
		}
		if typ := r.props["Integration"].(map[string]any)["Type"]; typ != "AWS_PROXY" {
			t.Errorf("%s integration type %v, want AWS_PROXY", key, typ)
		}
	}
}

func TestV1RequiresAnAPIKeyAndAUsagePlan(t *testing.T) {
	d := synth(t).dev
	r := d.routes(t)["ANY /v1/{proxy+}"]
	if r.props["ApiKeyRequired"] != true {
		t.Errorf("ANY /v1/{proxy+} ApiKeyRequired = %v, want true", r.props["ApiKeyRequired"])
	}
	cfg := d.stack.Config
	check(t, "usage plan", func() {
		d.template.HasResourceProperties(jsii.String("AWS::ApiGateway::UsagePlan"), assertions.Match_ObjectLike(&map[string]any{
			"Throttle": map[string]any{"RateLimit": cfg.APIRateLimit, "BurstLimit": cfg.APIBurstLimit},
			"Quota":    map[string]any{"Limit": cfg.APIQuotaPerMonth, "Period": "MONTH"},
			"ApiStages": []any{assertions.Match_ObjectLike(&map[string]any{
				"ApiId": ref(d.logicalID(d.stack.API)),
				"Stage": ref(d.logicalID(d.stack.API.DeploymentStage())),
			})},
		}))
	})
	check(t, "key in the plan", func() {
		d.template.HasResourceProperties(jsii.String("AWS::ApiGateway::UsagePlanKey"), assertions.Match_ObjectLike(&map[string]any{
			"KeyId":   ref(d.logicalID(d.stack.APIKey)),
			"KeyType": "API_KEY",
		}))
	})
	check(t, "prod plan follows config", func() {
		s := synth(t).prod
		s.template.HasResourceProperties(jsii.String("AWS::ApiGateway::UsagePlan"), assertions.Match_ObjectLike(&map[string]any{
			"Throttle": map[string]any{"RateLimit": 200, "BurstLimit": 400},
			"Quota":    map[string]any{"Limit": 100000000, "Period": "MONTH"},
		}))
	})
}

func TestOpenRoutesHaveNoAuthorizer(t *testing.T) {
	d := synth(t).dev
	for key, r := range d.routes(t) {
		if r.props["AuthorizationType"] != "NONE" {
			t.Errorf("%s AuthorizationType = %v, want NONE", key, r.props["AuthorizationType"])
		}
		if strings.HasPrefix(r.path, "/v1/") {
			continue
		}
		if r.props["ApiKeyRequired"] == true {
			t.Errorf("%s requires an API key; approval links, health and the dashboard must not", key)
		}
	}
	check(t, "access logging and public throttling", func() {
		d.template.HasResourceProperties(jsii.String("AWS::ApiGateway::Stage"), assertions.Match_ObjectLike(&map[string]any{
			"StageName": "dev",
			"AccessLogSetting": assertions.Match_ObjectLike(&map[string]any{
				"Format": assertions.Match_StringLikeRegexp(jsii.String(`"requestId":"\$context.requestId"`)),
			}),
			"MethodSettings": assertions.Match_ArrayWith(&[]any{assertions.Match_ObjectLike(&map[string]any{
				"ResourcePath": "/~1approvals~1{proxy+}", "HttpMethod": "*",
				"ThrottlingRateLimit": publicRateLimit, "ThrottlingBurstLimit": publicBurstLimit,
			})}),
		}))
	})
}

func TestAPIAccessLogsGoToTheirLogGroup(t *testing.T) {
	d := synth(t).dev
	for id, st := range d.resources("AWS::ApiGateway::Stage") {
		dest, _ := json.Marshal(props(st)["AccessLogSetting"].(map[string]any)["DestinationArn"])
		if want := `"` + d.logicalID(d.stack.accessLogs) + `"`; !strings.Contains(string(dest), want) {
			t.Errorf("stage %s access logs go to %s, want the log group %s", id, dest, want)
		}
	}
}

func TestStateMachineSubstitutionsCoverEveryPlaceholder(t *testing.T) {
	s := synth(t)
	used := Placeholders(s.asl)
	if len(used) == 0 {
		t.Fatalf("%s has no placeholders", s.aslFile)
	}
	for _, d := range []*deployed{s.dev, s.prod} {
		machines := d.resources("AWS::StepFunctions::StateMachine")
		m, ok := machines[d.logicalID(d.stack.StateMachine)]
		if !ok || len(machines) != 1 {
			t.Fatalf("state machines = %d, want the one retraining machine", len(machines))
		}
		subs := props(m)["DefinitionSubstitutions"].(map[string]any)
		for _, p := range used {
			name, known := Substitutions()[p]
			if !known {
				t.Errorf("%s uses ${%s}, which the stack does not fill", s.aslFile, p)
				continue
			}
			if want := getAtt(d.logicalID(d.stack.Functions[name]), "Arn"); !jsonEqual(subs[p], want) {
				t.Errorf("substitution %s = %v, want the ARN of %s %v", p, subs[p], name, want)
			}
		}
		if got := props(m)["DefinitionString"]; got != s.asl {
			t.Errorf("DefinitionString is not the ASL file verbatim")
		}
		check(t, d.stack.Config.Stage+" logging and tracing", func() {
			d.template.HasResourceProperties(jsii.String("AWS::StepFunctions::StateMachine"), assertions.Match_ObjectLike(&map[string]any{
				"StateMachineType": "STANDARD",
				"LoggingConfiguration": map[string]any{
					"Level":                "ALL",
					"IncludeExecutionData": false,
					"Destinations":         assertions.Match_AnyValue(),
				},
				"TracingConfiguration": map[string]any{"Enabled": d.stack.Config.Tracing},
			}))
		})

		// The machine may invoke exactly the functions its definition names.
		var want []any
		for _, p := range used {
			want = append(want, getAtt(d.logicalID(d.stack.Functions[Substitutions()[p]]), "Arn"))
		}
		invoke := statementsOf(d, d.stack.StateMachine.Role(), "lambda:InvokeFunction")
		if len(invoke) != 1 || !sameSet(asList(invoke[0]["Resource"]), want) {
			t.Errorf("state machine invoke statements = %v, want one on %v", invoke, want)
		}
	}
}

// TestLocalRunnerUsesTheSameNames checks the stack's placeholder map
// against the one the local runner fills (statemachines.Functions): every
// name the runner knows, the stack fills with the same function.
func TestLocalRunnerUsesTheSameNames(t *testing.T) {
	runner, err := runnerSubstitutions(filepath.Join(repoRoot(t), "statemachines", "statemachines.go"))
	if os.IsNotExist(err) {
		t.Skip("statemachines package not present")
	}
	if err != nil {
		t.Fatal(err)
	}
	for placeholder, fn := range runner {
		if got := Substitutions()[placeholder]; got != fn {
			t.Errorf("placeholder %s: runner uses function %q, stack %q", placeholder, fn, got)
		}
	}
}

func TestTableKeysAndTTL(t *testing.T) {
	s := synth(t)
	for _, d := range []*deployed{s.dev, s.prod} {
		dev := d.stack.Config.Destroyable()
		policy := "Retain"
		if dev {
			policy = "Delete"
		}
		check(t, d.stack.Config.Stage+" table", func() {
			d.template.ResourceCountIs(jsii.String("AWS::DynamoDB::Table"), jsii.Number(1))
			d.template.HasResource(jsii.String("AWS::DynamoDB::Table"), assertions.Match_ObjectLike(&map[string]any{
				"DeletionPolicy": policy,
				"Properties": assertions.Match_ObjectLike(&map[string]any{
					"KeySchema": []any{
						map[string]any{"AttributeName": "pk", "KeyType": "HASH"},
						map[string]any{"AttributeName": "sk", "KeyType": "RANGE"},
					},
					"AttributeDefinitions": []any{
						map[string]any{"AttributeName": "pk", "AttributeType": "S"},
						map[string]any{"AttributeName": "sk", "AttributeType": "S"},
					},
					"BillingMode":                      "PAY_PER_REQUEST",
					"TimeToLiveSpecification":          map[string]any{"AttributeName": "ttl", "Enabled": true},
					"PointInTimeRecoverySpecification": map[string]any{"PointInTimeRecoveryEnabled": true},
					"DeletionProtectionEnabled":        !dev,
				}),
			}))
		})
	}
}

func TestBucketIsPrivateEncryptedVersionedAndTLSOnly(t *testing.T) {
	s := synth(t)
	for _, d := range []*deployed{s.dev, s.prod} {
		bucket := d.logicalID(d.stack.Bucket)
		logs := d.logicalID(d.stack.LogBucket)
		stage := d.stack.Config.Stage
		check(t, stage+" artifact bucket", func() {
			d.template.HasResource(jsii.String("AWS::S3::Bucket"), assertions.Match_ObjectLike(&map[string]any{
				"DeletionPolicy": "Retain",
				"Properties": assertions.Match_ObjectLike(&map[string]any{
					"VersioningConfiguration": map[string]any{"Status": "Enabled"},
					"BucketEncryption": map[string]any{"ServerSideEncryptionConfiguration": []any{
						map[string]any{"ServerSideEncryptionByDefault": map[string]any{"SSEAlgorithm": "AES256"}},
					}},
					"PublicAccessBlockConfiguration": map[string]any{
						"BlockPublicAcls": true, "BlockPublicPolicy": true, "IgnorePublicAcls": true, "RestrictPublicBuckets": true,
					},
					"LoggingConfiguration": map[string]any{"DestinationBucketName": ref(logs), "LogFilePrefix": "artifacts/"},
				}),
			}))
		})
		for _, b := range []string{bucket, logs} {
			check(t, stage+" TLS-only policy of "+b, func() {
				d.template.HasResourceProperties(jsii.String("AWS::S3::BucketPolicy"), assertions.Match_ObjectLike(&map[string]any{
					"Bucket": ref(b),
					"PolicyDocument": assertions.Match_ObjectLike(&map[string]any{
						"Statement": assertions.Match_ArrayWith(&[]any{assertions.Match_ObjectLike(&map[string]any{
							"Effect":    "Deny",
							"Action":    "s3:*",
							"Principal": map[string]any{"AWS": "*"},
							"Condition": map[string]any{"Bool": map[string]any{"aws:SecureTransport": "false"}},
						})}),
					}),
				}))
			})
		}
		check(t, stage+" access logs delivered by the logging service only", func() {
			d.template.HasResourceProperties(jsii.String("AWS::S3::BucketPolicy"), assertions.Match_ObjectLike(&map[string]any{
				"Bucket": ref(logs),
				"PolicyDocument": assertions.Match_ObjectLike(&map[string]any{
					"Statement": assertions.Match_ArrayWith(&[]any{assertions.Match_ObjectLike(&map[string]any{
						"Effect":    "Allow",
						"Action":    "s3:PutObject",
						"Principal": map[string]any{"Service": "logging.s3.amazonaws.com"},
						"Condition": assertions.Match_ObjectLike(&map[string]any{
							"ArnLike": map[string]any{"aws:SourceArn": getAtt(bucket, "Arn")},
						}),
					})}),
				}),
			}))
		})
	}

	captures := func(d *deployed) map[string]any {
		rules := props(d.resources("AWS::S3::Bucket")[d.logicalID(d.stack.Bucket)])["LifecycleConfiguration"].(map[string]any)["Rules"].([]any)
		for _, r := range rules {
			if r.(map[string]any)["Prefix"] == "captures/" {
				return r.(map[string]any)
			}
		}
		t.Fatalf("no lifecycle rule for captures/ in %v", rules)
		return nil
	}
	dev := captures(s.dev)
	if dev["ExpirationInDays"] != float64(365) || dev["Status"] != "Enabled" {
		t.Errorf("dev captures rule = %v, want expiry after 365 days", dev)
	}
	if tr, _ := dev["Transitions"].([]any); len(tr) != 1 || !jsonEqual(tr[0], map[string]any{"StorageClass": "STANDARD_IA", "TransitionInDays": 30}) {
		t.Errorf("dev captures transitions = %v, want STANDARD_IA after 30 days", dev["Transitions"])
	}
	prod := captures(s.prod)
	if prod["ExpirationInDays"] != float64(30) || prod["Transitions"] != nil {
		t.Errorf("prod captures rule = %v, want expiry after the configured 30 days and no transition", prod)
	}
}

func TestAlarmsReachTheTopicAndTheAgent(t *testing.T) {
	d := synth(t).dev
	topic := ref(d.logicalID(d.stack.AlarmTopic))
	cfg := d.stack.Config
	alarms := []struct {
		key   string
		props map[string]any
	}{
		{AlarmPredict5xx, map[string]any{"Namespace": "AWS/ApiGateway", "MetricName": "5XXError", "Statistic": "Average", "Threshold": cfg.Alarm5xxRate,
			"Dimensions": assertions.Match_ArrayWith(&[]any{map[string]any{"Name": "Stage", "Value": ref(d.logicalID(d.stack.API.DeploymentStage()))}})}},
		{AlarmPredictLatency, map[string]any{"Namespace": "AWS/ApiGateway", "MetricName": "Latency", "ExtendedStatistic": "p99", "Threshold": cfg.AlarmLatencyP99Ms}},
		{AlarmPredictThrottle, map[string]any{"Namespace": "AWS/Lambda", "MetricName": "Throttles", "Statistic": "Sum", "Threshold": 0,
			"Dimensions": []any{map[string]any{"Name": "FunctionName", "Value": ref(d.logicalID(d.stack.Functions["predict"]))}}}},
		{AlarmRetrainFailed, map[string]any{"Namespace": "AWS/States", "MetricName": "ExecutionsFailed", "Statistic": "Sum", "Threshold": 1,
			"Dimensions": []any{map[string]any{"Name": "StateMachineArn", "Value": ref(d.logicalID(d.stack.StateMachine))}}}},
	}
	// Beside these: the undelivered-captures alarm, the two dead-letter
	// alarms, the two drift-check alarms, and an error and a throttle
	// alarm per function (predict's throttle alarm is among these).
	others := 1 + 2 + 2 + 2*len(Functions) - 1
	check(t, "alarm count", func() {
		d.template.ResourceCountIs(jsii.String("AWS::CloudWatch::Alarm"), jsii.Number(len(alarms)+others))
	})
	var arns []any
	for _, a := range alarms {
		p := map[string]any{
			"AlarmName":    cfg.Prefix() + "-" + a.key,
			"AlarmActions": []any{topic},
			"OKActions":    []any{topic},
		}
		for k, v := range a.props {
			p[k] = v
		}
		check(t, a.key, func() {
			d.template.HasResourceProperties(jsii.String("AWS::CloudWatch::Alarm"), assertions.Match_ObjectLike(&p))
		})
		arns = append(arns, getAtt(d.logicalID(d.stack.Alarms[a.key]), "Arn"))
	}
	agent := getAtt(d.logicalID(d.stack.Functions["agent"]), "Arn")
	check(t, "alarm state changes to the agent", func() {
		d.template.HasResourceProperties(jsii.String("AWS::Events::Rule"), assertions.Match_ObjectLike(&map[string]any{
			"EventPattern": map[string]any{
				"source":      []any{"aws.cloudwatch"},
				"detail-type": []any{"CloudWatch Alarm State Change"},
				"resources":   arns,
			},
			"Targets": []any{assertions.Match_ObjectLike(&map[string]any{"Arn": agent})},
		}))
	})
	check(t, "drift verdicts to the agent", func() {
		d.template.HasResourceProperties(jsii.String("AWS::Events::Rule"), assertions.Match_ObjectLike(&map[string]any{
			"EventBusName": ref(d.logicalID(d.stack.Bus)),
			"EventPattern": map[string]any{"source": []any{EventSource}, "detail-type": []any{"DriftChecked", "ValidationFailed"}},
			"Targets":      []any{assertions.Match_ObjectLike(&map[string]any{"Arn": agent})},
		}))
	})
	check(t, "drift on its schedule", func() {
		d.template.HasResourceProperties(jsii.String("AWS::Events::Rule"), assertions.Match_ObjectLike(&map[string]any{
			"ScheduleExpression": "rate(1 day)", // steward.yaml's drift.every: 24h
			"Targets":            []any{assertions.Match_ObjectLike(&map[string]any{"Arn": getAtt(d.logicalID(d.stack.Functions["drift"]), "Arn")})},
		}))
		synth(t).prod.template.HasResourceProperties(jsii.String("AWS::Events::Rule"), assertions.Match_ObjectLike(&map[string]any{
			"ScheduleExpression": "cron(0 6 ? * MON-FRI *)",
		}))
	})
	check(t, "escalation subscribes to the topic", func() {
		d.template.HasResourceProperties(jsii.String("AWS::SNS::Subscription"), assertions.Match_ObjectLike(&map[string]any{
			"Protocol": "email", "Endpoint": "oncall@example.com", "TopicArn": topic,
		}))
	})
}

// statementsOf returns the IAM statements of a principal's policies that
// allow action.
func statementsOf(d *deployed, role constructs.IConstruct, action string) []map[string]any {
	roleID := d.logicalID(role)
	var out []map[string]any
	for _, p := range d.resources("AWS::IAM::Policy") {
		if !jsonEqual(props(p)["Roles"], []any{ref(roleID)}) {
			continue
		}
		for _, st := range props(p)["PolicyDocument"].(map[string]any)["Statement"].([]any) {
			st := st.(map[string]any)
			for _, a := range asList(st["Action"]) {
				if a == action {
					out = append(out, st)
				}
			}
		}
	}
	return out
}

func asList(v any) []any {
	if l, ok := v.([]any); ok {
		return l
	}
	return []any{v}
}

func sameSet(a, b []any) bool {
	key := func(l []any) []string {
		s := make([]string, len(l))
		for i, v := range l {
			x, _ := json.Marshal(v)
			s[i] = string(x)
		}
		sort.Strings(s)
		return s
	}
	return strings.Join(key(a), "|") == strings.Join(key(b), "|")
}

// wildcardActions may name "*" as their resource: IAM offers no
// resource-level permission for them.
var wildcardActions = map[string]bool{
	"xray:PutTraceSegments": true, "xray:PutTelemetryRecords": true, "xray:GetSamplingRules": true, "xray:GetSamplingTargets": true,
	"logs:CreateLogDelivery": true, "logs:GetLogDelivery": true, "logs:UpdateLogDelivery": true, "logs:DeleteLogDelivery": true,
	"logs:ListLogDeliveries": true, "logs:PutResourcePolicy": true, "logs:DescribeResourcePolicies": true, "logs:DescribeLogGroups": true,
}

func TestIAMIsScopedToNamedResources(t *testing.T) {
	s := synth(t)
	for _, d := range []*deployed{s.dev, s.prod} {
		stage := d.stack.Config.Stage
		for id, r := range d.resources("AWS::IAM::Role") {
			if m := props(r)["ManagedPolicyArns"]; m != nil {
				t.Errorf("%s role %s has managed policies %v, want none", stage, id, m)
			}
		}
		for id, p := range d.resources("AWS::IAM::Policy") {
			for _, st := range props(p)["PolicyDocument"].(map[string]any)["Statement"].([]any) {
				st := st.(map[string]any)
				for _, a := range asList(st["Action"]) {
					if strings.HasSuffix(a.(string), ":*") || a == "*" {
						t.Errorf("%s policy %s allows every action of a service: %v", stage, id, a)
					}
				}
				for _, res := range asList(st["Resource"]) {
					if res != "*" {
						continue
					}
					for _, a := range asList(st["Action"]) {
						if !wildcardActions[a.(string)] {
							t.Errorf("%s policy %s allows %v on every resource", stage, id, a)
						}
					}
				}
			}
		}

		fn := func(name string) constructs.IConstruct { return d.stack.Functions[name].Role() }
		machine := ref(d.logicalID(d.stack.StateMachine))
		for _, tc := range []struct {
			role     string
			action   string
			resource any
		}{
			{"approval", "states:SendTaskSuccess", machine},
			{"approval", "states:SendTaskFailure", machine},
			{"approval", "states:SendTaskHeartbeat", machine},
			{"dashboard", "states:SendTaskSuccess", machine},
			{"agent", "states:StartExecution", machine},
			{"drift", "events:PutEvents", getAtt(d.logicalID(d.stack.Bus), "Arn")},
			{"approval", "secretsmanager:GetSecretValue", ref(d.logicalID(d.stack.SigningKey))},
			{"record", "secretsmanager:GetSecretValue", ref(d.logicalID(d.stack.SlackWebhooks))},
			{"dashboard", "secretsmanager:GetSecretValue", ref(d.logicalID(d.stack.SigningKey))},
			{"predict", "dynamodb:PutItem", getAtt(d.logicalID(d.stack.Table), "Arn")},
			{"capture", "sqs:SendMessage", getAtt(d.logicalID(d.stack.CaptureUndelivered), "Arn")},
			{"predict", "logs:PutLogEvents", getAtt(d.logicalID(d.stack.logGroupOf("predict")), "Arn")},
		} {
			sts := statementsOf(d, fn(tc.role), tc.action)
			if len(sts) != 1 || !sameSet(asList(sts[0]["Resource"]), []any{tc.resource}) {
				t.Errorf("%s %s: %s statements %v, want one on %v", stage, tc.role, tc.action, sts, tc.resource)
			}
		}

		// Who may do what, over every function.
		for _, f := range Functions {
			role := fn(f.Name)
			has := func(action string) bool { return len(statementsOf(d, role, action)) > 0 }
			for action, want := range map[string]bool{
				"states:StartExecution":  f.Access.Has(StartRetrain),
				"states:SendTaskSuccess": f.Access.Has(AnswerTasks),
				"ses:SendEmail":          f.Access.Has(SendEmail),
				"events:PutEvents":       f.Access.Has(PublishEvents),
				"s3:PutObject":           f.Access.Writes(),
				"s3:GetObject":           f.Access.Reads(),
				"s3:DeleteObject*":       false,
				"dynamodb:PutItem":       f.Access.Has(WriteRecords),
				"dynamodb:GetItem":       f.Access.Has(WriteRecords) || f.Access.Has(ReadRecords),
			} {
				if got := has(action); got != want {
					t.Errorf("%s %s may %s: %v, want %v", stage, f.Name, action, got, want)
				}
			}
			secrets := statementsOf(d, role, "secretsmanager:GetSecretValue")
			var got []any
			for _, st := range secrets {
				got = append(got, asList(st["Resource"])...)
			}
			var want []any
			if f.Access.Has(ReadSigningKey) {
				want = append(want, ref(d.logicalID(d.stack.SigningKey)))
			}
			if f.Access.Has(SendEmail) { // the notifiers post to Slack too
				want = append(want, ref(d.logicalID(d.stack.SlackWebhooks)))
			}
			if !sameSet(got, want) {
				t.Errorf("%s %s reads secrets %v, want %v", stage, f.Name, got, want)
			}
		}

		ses := statementsOf(d, fn("record"), "ses:SendEmail")
		b, _ := json.Marshal(ses)
		if len(ses) != 1 || !strings.Contains(string(b), ":identity/"+d.stack.Config.SenderIdentity+`"`) {
			t.Errorf("%s record ses:SendEmail = %s, want one statement on identity/%s", stage, b, d.stack.Config.SenderIdentity)
		}
		// Puts land under the function's prefixes and nowhere else.
		bucket := getAtt(d.logicalID(d.stack.Bucket), "Arn")
		for _, f := range Functions {
			var got []any
			for _, st := range statementsOf(d, fn(f.Name), "s3:PutObject") {
				got = append(got, asList(st["Resource"])...)
			}
			var want []any
			for _, p := range f.WritePrefixes {
				want = append(want, map[string]any{"Fn::Join": []any{"", []any{bucket, "/" + p + "*"}}})
			}
			if !sameSet(got, want) {
				t.Errorf("%s %s s3:PutObject on %v, want %v", stage, f.Name, got, want)
			}
		}
	}
}

func TestCdkNagAwsSolutionsHasNoUnsuppressedFinding(t *testing.T) {
	s := synth(t)
	for _, d := range []*deployed{s.dev, s.prod} {
		for level, found := range map[string][]*cxapi.SynthesisMessage{"error": d.errors, "warning": d.warnings} {
			for _, m := range found {
				msg := fmt.Sprint(m.Entry.Data)
				if !strings.HasPrefix(msg, "AwsSolutions-") {
					continue
				}
				if i := strings.Index(msg, ":"); i > 0 {
					msg = msg[:i]
				}
				t.Errorf("%s: unsuppressed cdk-nag %s %s at %s", d.stack.Config.Stage, level, msg, *m.Id)
			}
		}
	}
}

func TestEverySuppressionHasAReason(t *testing.T) {
	s := synth(t)
	for _, d := range []*deployed{s.dev, s.prod} {
		n := 0
		for id, r := range d.json["Resources"].(map[string]any) {
			meta, _ := r.(map[string]any)["Metadata"].(map[string]any)
			nag, _ := meta["cdk_nag"].(map[string]any)
			rules, _ := nag["rules_to_suppress"].([]any)
			for _, rule := range rules {
				rule := rule.(map[string]any)
				n++
				if reason, _ := rule["reason"].(string); len(reason) < 60 {
					t.Errorf("%s %s: suppression of %v has too thin a reason: %q", d.stack.Config.Stage, id, rule["id"], reason)
				}
			}
		}
		t.Logf("%s: %d cdk-nag suppressions, each with a reason", d.stack.Config.Stage, n)
		if n == 0 {
			t.Errorf("%s: no suppression metadata found", d.stack.Config.Stage)
		}
	}
}

func TestNoErrorsAndOnlyTheExpectedWarnings(t *testing.T) {
	s := synth(t)
	for _, d := range []*deployed{s.dev, s.prod} {
		for _, m := range d.errors {
			t.Errorf("%s: error at %s: %v", d.stack.Config.Stage, *m.Id, m.Entry.Data)
		}
		var warnings []string
		for _, m := range d.warnings {
			warnings = append(warnings, fmt.Sprint(m.Entry.Data))
		}
		want := 0
		if d.stack.Config.Stage == "dev" {
			want = 1 // cdk.json ships example.com addresses
		}
		if len(warnings) != want || (want == 1 && !strings.Contains(warnings[0], "reserved example address")) {
			t.Errorf("%s warnings = %q, want %d about example addresses", d.stack.Config.Stage, warnings, want)
		}
	}
}

// scheduledProject writes, under dir, the repository's steward.yaml with
// training.schedule set, and its suite beside it; it returns its path.
func scheduledProject(t *testing.T, dir string) string {
	t.Helper()
	root := repoRoot(t)
	raw, err := os.ReadFile(filepath.Join(root, "steward.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	yaml := strings.Replace(string(raw), "\ntraining:\n", "\ntraining:\n  schedule: rate(7 days)\n", 1)
	suite, err := os.ReadFile(filepath.Join(root, "testdata", "suites", "heart.json"))
	if err != nil {
		t.Fatal(err)
	}
	project := filepath.Join(dir, "project")
	if err := os.MkdirAll(filepath.Join(project, "testdata", "suites"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(project, "testdata", "suites", "heart.json"), suite, 0o644); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(project, "steward.yaml")
	if err := os.WriteFile(path, []byte(yaml), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestTrainingScheduleStartsRetrainingThroughTheAgent(t *testing.T) {
	s := synth(t)
	if n := len(*s.dev.template.FindResources(jsii.String("AWS::Events::Rule"), assertions.Match_ObjectLike(&map[string]any{
		"Properties": map[string]any{"Name": "steward-dev-retrain-schedule"},
	}))); n != 0 {
		t.Errorf("dev, whose steward.yaml sets no training.schedule, has %d retraining schedules", n)
	}
	agent := getAtt(s.prod.logicalID(s.prod.stack.Functions["agent"]), "Arn")
	s.prod.template.HasResourceProperties(jsii.String("AWS::Events::Rule"), assertions.Match_ObjectLike(&map[string]any{
		"Name":               "steward-prod-retrain-schedule",
		"ScheduleExpression": "rate(7 days)",
		"State":              "ENABLED",
		"Targets": []any{assertions.Match_ObjectLike(&map[string]any{
			"Arn": agent,
			"InputTransformer": assertions.Match_ObjectLike(&map[string]any{
				"InputPathsMap": map[string]any{"id": "$.id", "time": "$.time"},
			}),
		})},
	}))
	// The agent receives a RetrainScheduled event of the project's model.
	var template string
	for _, r := range s.prod.resources("AWS::Events::Rule") {
		p := props(r)
		if p["Name"] == "steward-prod-retrain-schedule" {
			template = p["Targets"].([]any)[0].(map[string]any)["InputTransformer"].(map[string]any)["InputTemplate"].(string)
		}
	}
	for _, want := range []string{`"source":"` + EventSource + `"`, `"detail-type":"` + RetrainScheduled + `"`, `"model":"heart"`, `"schedule":"rate(7 days)"`, `"time":<time>`} {
		if !strings.Contains(template, want) {
			t.Errorf("the schedule's input %s lacks %s", template, want)
		}
	}
	if _, err := ProjectTrainingSchedule([]byte("model: {name: heart}\ntraining: {schedule: every monday}\n")); !errors.Is(err, ErrProject) {
		t.Errorf("a malformed training.schedule: %v, want ErrProject", err)
	}
}
