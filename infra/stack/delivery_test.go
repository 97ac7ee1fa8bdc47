package stack

import (
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"

	"github.com/aws/aws-cdk-go/awscdk/v2/assertions"
	"github.com/aws/jsii-runtime-go"
)

// stewardFunctions returns the template's Steward functions (the table's,
// not CDK's providers) by logical ID.
func (d *deployed) stewardFunctions() map[string]map[string]any {
	out := map[string]map[string]any{}
	for id, r := range d.resources("AWS::Lambda::Function") {
		if props(r)["Handler"] == "bootstrap" {
			out[id] = r
		}
	}
	return out
}

func TestProjectConfigurationIsUploadedBeforeTheFunctions(t *testing.T) {
	s := synth(t)
	for _, d := range []*deployed{s.dev, s.prod} {
		stage := d.stack.Config.Stage
		deploys := d.resources("Custom::CDKBucketDeployment")
		if len(deploys) != 1 {
			t.Fatalf("%s: %d bucket deployments, want the project configuration's", stage, len(deploys))
		}
		var upload string
		for id, r := range deploys {
			upload = id
			p := props(r)
			if p["DestinationBucketKeyPrefix"] != ConfigPrefix || p["Prune"] != false || !jsonEqual(p["DestinationBucketName"], ref(d.logicalID(d.stack.Bucket))) {
				t.Errorf("%s: upload to %v under %v, prune %v; want the artifact bucket, %s, no pruning",
					stage, p["DestinationBucketName"], p["DestinationBucketKeyPrefix"], p["Prune"], ConfigPrefix)
			}
			// steward.yaml and its suite, one source each.
			if keys, _ := p["SourceObjectKeys"].([]any); len(keys) != 2 {
				t.Errorf("%s: %d sources, want steward.yaml and its suite", stage, len(keys))
			}
		}
		for id, fn := range d.stewardFunctions() {
			deps := fmtDeps(fn)
			if !strings.Contains(deps, `"`+upload+`"`) {
				t.Errorf("%s: function %s does not depend on the configuration upload %s (DependsOn %s)", stage, id, upload, deps)
			}
			desc, _ := props(fn)["Description"].(string)
			if !strings.HasSuffix(desc, "(configuration "+d.stack.projectDigest+")") {
				t.Errorf("%s: function %s description %q does not name the configuration digest %s", stage, id, desc, d.stack.projectDigest)
			}
		}
		// The provider writes under config/ only, whatever CDK grants it.
		deny := false
		for _, st := range statementsOf(d, d.stack.projectConfigRole, "s3:PutObject*") {
			want := map[string]any{"Fn::Join": []any{"", []any{getAtt(d.logicalID(d.stack.Bucket), "Arn"), "/" + ConfigPrefix + "*"}}}
			if st["Effect"] == "Deny" && jsonEqual(st["NotResource"], want) {
				deny = true
			}
		}
		if !deny {
			t.Errorf("%s: the upload's role has no Deny of puts outside %s", stage, ConfigPrefix)
		}
		if rs := d.resources("AWS::IAM::Role")[d.logicalID(d.stack.projectConfigRole)]; props(rs)["ManagedPolicyArns"] != nil {
			t.Errorf("%s: the upload's role has managed policies", stage)
		}
	}
}

// fmtDeps renders a resource's DependsOn as JSON.
func fmtDeps(r map[string]any) string {
	b, _ := json.Marshal(r["DependsOn"])
	return string(b)
}

func TestCaptureLinesReachTheCaptureFunction(t *testing.T) {
	s := synth(t)
	for _, d := range []*deployed{s.dev, s.prod} {
		stage := d.stack.Config.Stage
		capture := getAtt(d.logicalID(d.stack.Functions["capture"]), "Arn")
		predictLogs := d.logicalID(d.stack.logGroupOf("predict"))
		check(t, stage+" subscription", func() {
			d.template.ResourceCountIs(jsii.String("AWS::Logs::SubscriptionFilter"), jsii.Number(1))
			d.template.HasResourceProperties(jsii.String("AWS::Logs::SubscriptionFilter"), assertions.Match_ObjectLike(&map[string]any{
				"LogGroupName":   ref(predictLogs),
				"FilterPattern":  CaptureFilterPattern,
				"DestinationArn": capture,
			}))
		})
		check(t, stage+" CloudWatch Logs may invoke the capture function, from predict's log group only", func() {
			d.template.HasResourceProperties(jsii.String("AWS::Lambda::Permission"), assertions.Match_ObjectLike(&map[string]any{
				"Action":       "lambda:InvokeFunction",
				"FunctionName": capture,
				"Principal":    "logs.amazonaws.com",
				"SourceArn":    getAtt(predictLogs, "Arn"),
			}))
		})
		check(t, stage+" failed batches are retried, then parked", func() {
			d.template.HasResourceProperties(jsii.String("AWS::Lambda::EventInvokeConfig"), assertions.Match_ObjectLike(&map[string]any{
				"FunctionName":             ref(d.logicalID(d.stack.Functions["capture"])),
				"MaximumRetryAttempts":     captureRetryAttempts,
				"MaximumEventAgeInSeconds": captureMaxEventAge * 3600,
				"DestinationConfig": map[string]any{"OnFailure": map[string]any{
					"Destination": getAtt(d.logicalID(d.stack.CaptureUndelivered), "Arn"),
				}},
			}))
			d.template.HasResourceProperties(jsii.String("AWS::SQS::Queue"), assertions.Match_ObjectLike(&map[string]any{
				"QueueName":              d.stack.Config.Prefix() + "-capture-undelivered",
				"SqsManagedSseEnabled":   true,
				"MessageRetentionPeriod": captureQueueDays * 86400,
			}))
		})
		topic := ref(d.logicalID(d.stack.AlarmTopic))
		check(t, stage+" parked batches raise an alarm", func() {
			d.template.HasResourceProperties(jsii.String("AWS::CloudWatch::Alarm"), assertions.Match_ObjectLike(&map[string]any{
				"AlarmName":    d.stack.Config.Prefix() + "-" + AlarmCaptureUndelivered,
				"Namespace":    "AWS/SQS",
				"MetricName":   "ApproximateNumberOfMessagesVisible",
				"Threshold":    0,
				"AlarmActions": []any{topic},
				"Dimensions":   []any{map[string]any{"Name": "QueueName", "Value": getAtt(d.logicalID(d.stack.CaptureUndelivered), "QueueName")}},
			}))
		})
	}
}

// TestEveryEnvironmentVariableHasAReader takes every variable the stack
// sets on a Steward function and looks for its reader in the
// application: internal/config reads the environment, in one place
// (FromEnv). A variable nothing reads is configuration that silently does
// nothing.
func TestEveryEnvironmentVariableHasAReader(t *testing.T) {
	src, err := os.ReadFile(filepath.Join(repoRoot(t), "internal", "config", "env.go"))
	if err != nil {
		t.Fatal(err)
	}
	set := map[string]bool{}
	for _, d := range []*deployed{synth(t).dev, synth(t).prod} {
		for _, fn := range d.stewardFunctions() {
			env, _ := props(fn)["Environment"].(map[string]any)
			vars, _ := env["Variables"].(map[string]any)
			for name := range vars {
				set[name] = true
			}
		}
	}
	var names []string
	for name := range set {
		names = append(names, name)
	}
	sort.Strings(names)
	if len(names) < 5 {
		t.Fatalf("the functions' environment has %v, want at least the bucket, table, stage, URL and bus", names)
	}
	for _, name := range names {
		if !regexp.MustCompile(`get\("` + regexp.QuoteMeta(name) + `"\)`).Match(src) {
			t.Errorf("the stack sets %s, which internal/config/env.go (FromEnv) does not read", name)
		}
	}
	if !t.Failed() {
		t.Logf("%d variables, each read by config.FromEnv: %s", len(names), strings.Join(names, ", "))
	}
}
