package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// The tests run this test binary as the synth program (runMainEnv makes
// TestMain call main), the way the CDK CLI runs it: from infra/, with the
// context in CDK_CONTEXT_JSON and the output directory in CDK_OUTDIR.
const runMainEnv = "STEWARD_INFRA_TEST_RUN_MAIN"

func TestMain(m *testing.M) {
	if os.Getenv(runMainEnv) == "1" {
		main()
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// cdkContext is the context of the repository's cdk.json.
func cdkContext(t *testing.T) map[string]any {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "cdk.json"))
	if err != nil {
		t.Fatal(err)
	}
	var file struct {
		Context map[string]any `json:"context"`
	}
	if err := json.Unmarshal(b, &file); err != nil {
		t.Fatalf("cdk.json: %v", err)
	}
	return file.Context
}

// runSynth runs the program with cdk.json's context plus overrides (a nil
// value deletes a key) and returns its exit code and stderr without the
// runtime's own notices.
func runSynth(t *testing.T, outdir string, overrides map[string]any) (int, string) {
	t.Helper()
	context := cdkContext(t)
	for k, v := range overrides {
		if v == nil {
			delete(context, k)
		} else {
			context[k] = v
		}
	}
	b, err := json.Marshal(context)
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), runMainEnv+"=1", "CDK_CONTEXT_JSON="+string(b), "CDK_OUTDIR="+outdir)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	cmd.Stdout = &stderr
	err = cmd.Run()
	code := 0
	var exit *exec.ExitError
	if errors.As(err, &exit) {
		code = exit.ExitCode()
	} else if err != nil {
		t.Fatal(err)
	}
	// The jsii runtime frames its notices (such as the one about an
	// end-of-life Node.js) in lines of "!!"; they are not the program's.
	var lines []string
	for _, l := range strings.Split(stderr.String(), "\n") {
		if !strings.HasPrefix(l, "!!") {
			lines = append(lines, l)
		}
	}
	return code, strings.TrimSpace(strings.Join(lines, "\n"))
}

func TestBadConfigurationFailsWithOneLine(t *testing.T) {
	if testing.Short() {
		t.Skip("starts the jsii runtime once per case")
	}
	tests := []struct {
		name      string
		overrides map[string]any
		want      string
	}{
		{"missing approver email", map[string]any{"approverEmails": nil},
			"infra: bad configuration: approverEmails is missing: want at least one email address"},
		{"unknown stage", map[string]any{"stage": "qa"},
			`infra: bad configuration: stage = "qa": want one of dev, staging, prod`},
		{"malformed schedule", map[string]any{"driftSchedule": "rate(5 minute)"},
			`infra: bad configuration: driftSchedule = "rate(5 minute)": want an EventBridge schedule: rate value 5 needs the plural unit "minutes"`},
		{"missing state machine", map[string]any{"stateMachineFile": "statemachines/nope.asl.json", "placeholderAssets": "true"},
			"infra: state machine definition: "},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel() // each waits mostly for its jsii runtime to start
			code, out := runSynth(t, t.TempDir(), tt.overrides)
			if code != 1 {
				t.Errorf("exit code %d, want 1; output:\n%s", code, out)
			}
			if strings.Contains(out, "\n") || strings.Contains(out, "goroutine") {
				t.Errorf("output is not one line:\n%s", out)
			}
			if !strings.HasPrefix(out, tt.want) {
				t.Errorf("output %q\nwant it to start with %q", out, tt.want)
			}
		})
	}
}

// TestSynthWritesTheTemplate runs the synth the way `make synth` does on
// a fresh clone: no AWS credentials, no build directory.
func TestSynthWritesTheTemplate(t *testing.T) {
	if testing.Short() {
		t.Skip("a full synth takes tens of seconds")
	}
	outdir := t.TempDir()
	code, out := runSynth(t, outdir, map[string]any{"placeholderAssets": "true", "buildDir": t.TempDir()})
	if code != 0 {
		t.Fatalf("exit code %d; output:\n%s", code, out)
	}
	b, err := os.ReadFile(filepath.Join(outdir, "Steward-dev.template.json"))
	if err != nil {
		t.Fatal(err)
	}
	var tmpl struct {
		Resources map[string]struct{ Type string }
	}
	if err := json.Unmarshal(b, &tmpl); err != nil {
		t.Fatal(err)
	}
	count := map[string]int{}
	for _, r := range tmpl.Resources {
		count[r.Type]++
	}
	for typ, want := range map[string]int{
		"AWS::Lambda::Function":            14, // 13 of Steward, the configuration upload's provider
		"AWS::ApiGateway::RestApi":         1,
		"AWS::StepFunctions::StateMachine": 1,
		"AWS::DynamoDB::Table":             1,
		"AWS::S3::Bucket":                  2,
		"AWS::CloudWatch::Alarm":           34, // 5 operational, 3 dead-letter queues, 2 drift checks, 13 error and 11 more throttle alarms
		"AWS::SQS::Queue":                  3,
		"AWS::Logs::SubscriptionFilter":    1,
		"Custom::CDKBucketDeployment":      1,
	} {
		if count[typ] != want {
			t.Errorf("%s: %d in the template, want %d", typ, count[typ], want)
		}
	}
	for _, w := range []string{"reserved example address", "placeholder code stands in"} {
		if !strings.Contains(out, w) {
			t.Errorf("synth output lacks the warning %q:\n%s", w, out)
		}
	}
	if strings.Contains(out, "AwsSolutions-") {
		t.Errorf("synth output has cdk-nag findings:\n%s", out)
	}
}
