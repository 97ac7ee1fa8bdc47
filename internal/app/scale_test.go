package app_test

import (
	"context"
	"fmt"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/stewardml/steward/internal/agent"
	"github.com/stewardml/steward/internal/app"
	"github.com/stewardml/steward/internal/aws/lambdaconcurrency/lambdaconcurrencytest"
	"github.com/stewardml/steward/internal/config"
	"github.com/stewardml/steward/internal/local/files"
	"github.com/stewardml/steward/internal/local/outbox"
	"github.com/stewardml/steward/internal/local/sqlite"
	"github.com/stewardml/steward/internal/notify"
)

// throttleEvent is CloudWatch's state change of the throttle alarm, as
// EventBridge delivers it.
func throttleEvent(name string, at time.Time) []byte {
	return fmt.Appendf(nil, `{"version":"0","id":"e-%d","detail-type":"CloudWatch Alarm State Change","source":"aws.cloudwatch",
"account":"123456789012","time":%q,"region":"eu-west-1","resources":[],
"detail":{"alarmName":%q,"state":{"value":"ALARM","reason":"Threshold Crossed: 3 out of the last 5 datapoints were greater than the threshold (0.0).","timestamp":%q},
"previousState":{"value":"OK"}}}`, at.UnixNano(), at.Format(time.RFC3339), name, at.Format("2006-01-02T15:04:05.000-0700"))
}

// TestSustainedThrottlingRaisesProvisionedConcurrencyOnAWS: on AWS, with
// STEWARD_PREDICT_ALIAS_ARN set, the app's agent answers each throttle
// alarm by raising the live alias's provisioned concurrency one step
// (through the SDK client, against an emulator of Lambda's API), never past
// the policy's maximum, where it escalates instead.
func TestSustainedThrottlingRaisesProvisionedConcurrencyOnAWS(t *testing.T) {
	ctx := context.Background()
	for k, v := range map[string]string{"AWS_ACCESS_KEY_ID": "AKIDTEST", "AWS_SECRET_ACCESS_KEY": "test-secret", "AWS_SESSION_TOKEN": "",
		"AWS_PROFILE": "", "AWS_CONFIG_FILE": filepath.Join(t.TempDir(), "none"), "AWS_SHARED_CREDENTIALS_FILE": filepath.Join(t.TempDir(), "none"),
		"AWS_EC2_METADATA_DISABLED": "true"} {
		t.Setenv(k, v)
	}
	lambda := lambdaconcurrencytest.New(t, "steward-prod-predict:live")
	lambda.Set("steward-prod-predict", "live", 2)
	p, err := config.Load("../../steward.yaml")
	if err != nil {
		t.Fatal(err)
	}
	p.Agent.Concurrency = config.AgentConcurrency{Min: 1, Max: 5, Step: 2}
	rt := config.Runtime{Stage: "prod", Region: lambdaconcurrencytest.Region, Bucket: "steward-prod-artifacts", Table: "steward-prod",
		PredictAliasARN: lambdaconcurrencytest.AliasARN("steward-prod-predict", "live"), Endpoints: config.Endpoints{Lambda: lambda.URL}}
	a, err := app.New(ctx, app.Options{Runtime: rt, Project: p})
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	// The stores and the mail stay local: this test is about Lambda.
	dir := t.TempDir()
	rs, err := sqlite.Open(filepath.Join(dir, "steward.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer rs.Close()
	arts, err := files.New(filepath.Join(dir, "artifacts"))
	if err != nil {
		t.Fatal(err)
	}
	ob, err := outbox.New(filepath.Join(dir, "outbox"), nil)
	if err != nil {
		t.Fatal(err)
	}
	a.Records, a.Artifacts, a.Notifier.Records = rs, arts, rs
	a.Notifier.Channels = []notify.ChannelKind{notify.Email(ob)}

	ag, err := a.Agent()
	if err != nil {
		t.Fatal(err)
	}
	if ag.Scaler == nil {
		t.Fatal("the agent on AWS has no scaler")
	}
	at := time.Now().UTC().Truncate(time.Millisecond)
	for i, want := range []struct {
		action   agent.ActionKind
		from, to int
	}{
		{agent.ActScale, 2, 4},
		{agent.ActScale, 4, 5}, // the step would pass the maximum
		{agent.ActEscalate, 0, 0},
	} {
		tr, err := agent.ParseEvent(throttleEvent("steward-prod-predict-throttles", at.Add(time.Duration(i)*10*time.Minute)), ag.Model)
		if err != nil {
			t.Fatal(err)
		}
		e, err := ag.Handle(ctx, tr, agent.Options{})
		if err != nil {
			t.Fatal(err)
		}
		if e.Decision.Rule != agent.RuleScale || e.Decision.Action != want.action || e.Outcome.Status != agent.OutcomeDone ||
			e.Outcome.From != want.from || e.Outcome.To != want.to {
			t.Errorf("alarm %d: %+v %+v, want %s %d → %d", i+1, e.Decision, e.Outcome, want.action, want.from, want.to)
		}
		t.Logf("%s", e.Summary)
	}
	if got := lambda.Provisioned("steward-prod-predict", "live"); got != 5 {
		t.Errorf("provisioned %d, want the maximum 5", got)
	}
	var puts []int
	for _, c := range lambda.Calls() {
		if c.Method == "PUT" {
			puts = append(puts, c.N)
		}
		if c.Function != "steward-prod-predict" || c.Qualifier != "live" {
			t.Errorf("call %+v", c)
		}
	}
	if !slices.Equal(puts, []int{4, 5}) {
		t.Errorf("PUTs %v, want [4 5]", puts)
	}
}
