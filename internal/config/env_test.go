package config

import (
	"errors"
	"reflect"
	"strings"
	"testing"
)

func envOf(m map[string]string) func(string) string {
	return func(k string) string { return m[k] }
}

func TestFromEnvDefaults(t *testing.T) {
	r, err := FromEnv(envOf(nil))
	if err != nil {
		t.Fatal(err)
	}
	want := Runtime{DataDir: ".steward", ConfigPath: "steward.yaml", Stage: "local", LogLevel: "info"}
	if r.Getenv == nil || r.Getenv("UNSET") != "" {
		t.Error("FromEnv did not keep the getenv it was given")
	}
	r.Getenv = nil // funcs never compare equal
	if !reflect.DeepEqual(r, want) {
		t.Errorf("FromEnv(empty) = %+v, want %+v", r, want)
	}
	if r.AWS() {
		t.Error("empty environment reported as AWS")
	}
}

func TestFromEnvAWS(t *testing.T) {
	r, err := FromEnv(envOf(map[string]string{
		"STEWARD_BUCKET":                "steward-prod-artifacts",
		"STEWARD_TABLE":                 "steward-prod",
		"AWS_REGION":                    "eu-west-1",
		"STEWARD_STAGE":                 "prod",
		"STEWARD_PUBLIC_URL":            "https://abc.execute-api.eu-west-1.amazonaws.com/prod/",
		"STEWARD_STATE_MACHINE_ARN":     "arn:aws:states:eu-west-1:123456789012:stateMachine:retrain",
		"STEWARD_EVENT_BUS":             "steward",
		"STEWARD_AWS_ENDPOINT_S3":       "http://127.0.0.1:9000",
		"STEWARD_AWS_ENDPOINT_DYNAMODB": "http://127.0.0.1:8000",
	}))
	if err != nil {
		t.Fatal(err)
	}
	if !r.AWS() || r.Region != "eu-west-1" || r.PublicURL != "https://abc.execute-api.eu-west-1.amazonaws.com/prod" ||
		r.Endpoints.S3 != "http://127.0.0.1:9000" || r.Endpoints.DynamoDB != "http://127.0.0.1:8000" {
		t.Errorf("FromEnv = %+v", r)
	}
	// STEWARD_REGION wins over AWS_REGION.
	r, _ = FromEnv(envOf(map[string]string{"STEWARD_REGION": "us-east-1", "AWS_REGION": "eu-west-1"}))
	if r.Region != "us-east-1" {
		t.Errorf("region = %s, want us-east-1", r.Region)
	}
}

func TestFromEnvNamesEachBadVariable(t *testing.T) {
	_, err := FromEnv(envOf(map[string]string{
		"STEWARD_BUCKET":                "b",
		"STEWARD_STAGE":                 "Prod!",
		"STEWARD_PUBLIC_URL":            "example.com/x",
		"STEWARD_STATE_MACHINE_ARN":     "retrain",
		"STEWARD_AWS_ENDPOINT_DYNAMODB": "localhost:8000",
		"STEWARD_LOG_LEVEL":             "loud",
		"STEWARD_APPROVERS":             "ana@example.com, Bo <bo@example.com>",
		"STEWARD_ESCALATION":            "oncall",
	}))
	if err == nil {
		t.Fatal("no error")
	}
	if !errors.Is(err, ErrInvalid) {
		t.Errorf("%v does not wrap ErrInvalid", err)
	}
	for _, want := range []string{
		`STEWARD_STAGE: expected lowercase letters, digits and '-', starting with a letter, got "Prod!"`,
		`STEWARD_LOG_LEVEL: expected debug, info, warn or error, got "loud"`,
		"STEWARD_TABLE: is required when STEWARD_BUCKET is set",
		"STEWARD_REGION: is required on AWS (or set AWS_REGION)",
		`STEWARD_PUBLIC_URL: expected an absolute http or https URL, got "example.com/x"`,
		`STEWARD_STATE_MACHINE_ARN: expected an ARN (arn:aws:states:...), got "retrain"`,
		`STEWARD_AWS_ENDPOINT_DYNAMODB: expected an absolute http or https URL, got "localhost:8000"`,
		`STEWARD_APPROVERS: item 2: expected an e-mail address such as ops@example.com, got "Bo <bo@example.com>"`,
		`STEWARD_ESCALATION: item 1: expected an e-mail address such as ops@example.com, got "oncall"`,
	} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error lacks %q:\n%s", want, err)
		}
	}
}

func TestFromEnvReadsTheDeploymentsApproversAndEscalation(t *testing.T) {
	r, err := FromEnv(envOf(map[string]string{
		"STEWARD_APPROVERS":  " ana@example.com,bo@example.com ,",
		"STEWARD_ESCALATION": "oncall@example.com",
	}))
	if err != nil {
		t.Fatal(err)
	}
	if got, want := r.Approvers, []string{"ana@example.com", "bo@example.com"}; !reflect.DeepEqual(got, want) {
		t.Errorf("Approvers = %q, want %q", got, want)
	}
	if got, want := r.Escalation, []string{"oncall@example.com"}; !reflect.DeepEqual(got, want) {
		t.Errorf("Escalation = %q, want %q", got, want)
	}
	r, err = FromEnv(envOf(nil))
	if err != nil || r.Approvers != nil || r.Escalation != nil {
		t.Errorf("unset: Approvers %q, Escalation %q, %v; want none, so that the project's apply", r.Approvers, r.Escalation, err)
	}
}

func TestFromEnvPredictAlias(t *testing.T) {
	arn := "arn:aws:lambda:eu-west-1:123456789012:function:steward-prod-predict:live"
	r, err := FromEnv(envOf(map[string]string{"STEWARD_PREDICT_ALIAS_ARN": arn, "STEWARD_AWS_ENDPOINT_LAMBDA": "http://127.0.0.1:9001"}))
	if err != nil || r.PredictAliasARN != arn || r.Endpoints.Lambda != "http://127.0.0.1:9001" {
		t.Errorf("FromEnv = %+v, %v", r, err)
	}
	for _, bad := range []string{
		"steward-prod-predict",
		"arn:aws:lambda:eu-west-1:123456789012:function:steward-prod-predict", // no alias
		"arn:aws:states:eu-west-1:123456789012:stateMachine:retrain",
	} {
		_, err := FromEnv(envOf(map[string]string{"STEWARD_PREDICT_ALIAS_ARN": bad}))
		if !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), "STEWARD_PREDICT_ALIAS_ARN: expected a Lambda alias ARN") {
			t.Errorf("%q: %v", bad, err)
		}
	}
	if _, err := FromEnv(envOf(map[string]string{"STEWARD_AWS_ENDPOINT_LAMBDA": "localhost:9001"})); err == nil || !strings.Contains(err.Error(), "STEWARD_AWS_ENDPOINT_LAMBDA") {
		t.Errorf("bad Lambda endpoint: %v", err)
	}
}
