package config

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stewardml/steward/internal/dataset"
)

const minimal = `model:
  name: heart
data:
  source: data.csv
  target: num > 0
  columns:
    - name: age
      kind: numeric
      min: 0
      max: 120
    - name: cp
      kind: categorical
      levels: [{value: 1}, {value: 2}]
    - name: num
      kind: categorical
      levels: [{value: 0}, {value: 1}]
`

func TestLoadShippedConfig(t *testing.T) {
	p, err := Load("../../steward.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if p.Model.Name != "heart" {
		t.Errorf("model.name = %q, want heart", p.Model.Name)
	}
	s := p.Schema()
	if got := strings.Join(s.Names(), ","); got != "age,sex,cp,trestbps,chol,fbs,restecg,thalach,exang,oldpeak,slope,ca,thal,num" {
		t.Errorf("columns = %s", got)
	}
	if s.Target != (dataset.Target{Column: "num", Op: ">", Value: 0}) {
		t.Errorf("target = %+v, want num > 0", s.Target)
	}
	if p.DataFormat() != dataset.FormatRaw {
		t.Errorf("format = %v, want raw (uci)", p.DataFormat())
	}
	// The configured data and suite exist and the data loads with the schema.
	f, _, err := dataset.ReadFile(p.DataPath(), s, dataset.Options{Format: p.DataFormat()})
	if err != nil {
		t.Fatal(err)
	}
	if f.Rows != 303 {
		t.Errorf("rows = %d, want 303", f.Rows)
	}
	if _, err := os.Stat(p.SuitePath()); err != nil {
		t.Errorf("suite: %v", err)
	}
	if p.Training.Metric != "f1" || p.Training.Folds != 5 || len(p.Training.Families) != 3 {
		t.Errorf("training = %+v", p.Training)
	}
	if p.Drift.Window.D() != 7*24*time.Hour || p.Approval.Expiry.D() != 72*time.Hour {
		t.Errorf("durations: window %v expiry %v", p.Drift.Window, p.Approval.Expiry)
	}
}

func TestDefaults(t *testing.T) {
	p, err := Parse([]byte(minimal), "steward.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if p.Data.Format != "auto" || p.Validation.ResultFormat != "SUMMARY" || p.Serving.DefaultAlias != "champion" ||
		*p.Serving.CaptureRate != 1 || p.Drift.Every != DefaultDriftEvery || p.Agent.EscalateAfter != 2 ||
		p.Training.Folds != 5 || p.Notify.SubjectPrefix != "[steward]" {
		t.Errorf("defaults not applied: %+v", p)
	}
	if p.SuitePath() != "" {
		t.Errorf("SuitePath = %q, want empty", p.SuitePath())
	}
}

func TestResolve(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "steward.yaml")
	if err := os.WriteFile(path, []byte(minimal), 0o644); err != nil {
		t.Fatal(err)
	}
	p, err := Load(path)
	if err != nil {
		t.Fatal(err)
	}
	if got := p.DataPath(); got != filepath.Join(dir, "data.csv") {
		t.Errorf("DataPath = %s", got)
	}
	if got := p.Resolve("/abs/x"); got != "/abs/x" {
		t.Errorf("Resolve(abs) = %s", got)
	}
}

func TestBadConfigNamesTheField(t *testing.T) {
	tests := []struct {
		name string
		edit func(string) string
		want string // the full first message
	}{
		{"unknown top-level field", func(s string) string { return s + "colour: blue\n" },
			"config: steward.yaml:17: colour: unknown field (known here: agent, alarms, approval, data, drift, model, notify, serving, training, validation)"},
		{"unknown nested field", func(s string) string { return strings.Replace(s, "      min: 0\n", "      minimum: 0\n", 1) },
			"config: steward.yaml:9: data.columns[0].minimum: unknown field (known here: description, kind, levels, max, min, name, unit)"},
		{"bad kind", func(s string) string { return strings.Replace(s, "kind: numeric", "kind: number", 1) },
			`config: steward.yaml:8: data.columns[0].kind: expected one of numeric, categorical, binary, got "number"`},
		{"text for a number", func(s string) string { return strings.Replace(s, "max: 120", "max: lots", 1) },
			`config: steward.yaml:10: data.columns[0].max: expected a number, got "lots"`},
		{"text for a number in flow style", func(s string) string { return strings.Replace(s, "{value: 2}", "{value: two}", 1) },
			`config: steward.yaml:13: data.columns[1].levels[1].value: expected a number, got "two"`},
		{"min over max", func(s string) string { return strings.Replace(s, "min: 0", "min: 200", 1) },
			"config: steward.yaml:9: data.columns[0].min: 200 is greater than max 120"},
		{"missing model name", func(s string) string { return strings.Replace(s, "  name: heart\n", "  description: x\n", 1) },
			"config: steward.yaml:1: model.name: is required"},
		{"bad model name", func(s string) string { return strings.Replace(s, "name: heart", "name: Heart Model", 1) },
			`config: steward.yaml:2: model.name: expected lowercase letters, digits, '-' or '_', starting with a letter (at most 63), got "Heart Model"`},
		{"bad target", func(s string) string { return strings.Replace(s, "num > 0", "num > zero", 1) },
			`config: steward.yaml:5: data.target: target "num > zero": expected a finite number after ">", got "zero"`},
		{"target not a column", func(s string) string { return strings.Replace(s, "num > 0", "disease > 0", 1) },
			`config: steward.yaml:5: data.target: column "disease" is not among data.columns`},
		{"duplicate column", func(s string) string { return strings.Replace(s, "name: cp", "name: age", 1) },
			`config: steward.yaml:11: data.columns[1].name: "age" is already the name of data.columns[0]`},
		{"categorical without levels", func(s string) string { return strings.Replace(s, "      levels: [{value: 1}, {value: 2}]\n", "", 1) },
			"config: steward.yaml:11: data.columns[1].levels: is required for a categorical column: list its codes"},
		{"bad duration", func(s string) string { return s + "drift:\n  window: a week\n" },
			`config: steward.yaml:18: drift.window: expected a duration such as 90m, 24h or 7d, got "a week"`},
		{"bad training metric", func(s string) string { return s + "training:\n  metric: speed\n" },
			"config: steward.yaml:17: training: "},
		{"list for a string", func(s string) string { return strings.Replace(s, "source: data.csv", "source: [a, b]", 1) },
			"config: steward.yaml:4: data.source: expected a string, got a list"},
		{"bad email", func(s string) string { return s + "notify:\n  to: [not-an-address]\n" },
			`config: steward.yaml:18: notify.to[0]: expected an e-mail address such as ops@example.com, got "not-an-address"`},
		{"unknown channel", func(s string) string { return s + "notify:\n  routes:\n    default:\n      pager: [ops]\n" },
			"config: steward.yaml:20: notify.routes.default.pager: unknown channel (want one of email, slack)"},
		{"webhook URL in a route", func(s string) string {
			return s + "notify:\n  routes:\n    default:\n      slack: [https://hooks.slack.com/services/T0/B0/x]\n"
		}, "config: steward.yaml:20: notify.routes.default.slack[0]: is a webhook URL; a webhook URL is a secret and never goes in steward.yaml"},
		{"webhook URL as a slack channel's variable", func(s string) string {
			return s + "notify:\n  slack:\n    alerts:\n      webhook_env: https://hooks.slack.com/services/T0/B0/x\n"
		}, "config: steward.yaml:20: notify.slack.alerts.webhook_env: is a webhook URL; a webhook URL is a secret and never goes in steward.yaml"},
		{"webhook URL written as the webhook", func(s string) string {
			return s + "notify:\n  slack:\n    alerts:\n      webhook: https://hooks.slack.com/services/T0/B0/x\n"
		}, "config: steward.yaml:20: notify.slack.alerts.webhook: unknown field (known here: webhook_env, webhook_file)"},
		{"route to an undeclared slack channel", func(s string) string { return s + "notify:\n  routes:\n    promoted:\n      slack: [alerts]\n" },
			`config: steward.yaml:20: notify.routes.promoted.slack[0]: unknown Slack channel "alerts" (declare it under notify.slack)`},
		{"unknown event kind in routes", func(s string) string { return s + "notify:\n  routes:\n    deployed:\n      email: [a@example.com]\n" },
			"config: steward.yaml:19: notify.routes.deployed: unknown event kind"},
		{"malformed training schedule", func(s string) string { return s + "training:\n  schedule: every monday\n" },
			"config: steward.yaml:18: training.schedule: "},
		{"SMTP port out of range", func(s string) string {
			return s + "notify:\n  email:\n    smtp:\n      host: smtp.example.com\n      port: 70000\n"
		},
			"config: steward.yaml:21: notify.email.smtp.port: expected a port from 1 to 65535, got 70000"},
		{"SMTP in clear text to a remote host", func(s string) string {
			return s + "notify:\n  email:\n    smtp:\n      host: smtp.example.com\n      security: none\n"
		}, "config: steward.yaml:21: notify.email.smtp.security: none sends the password and mail in clear text"},
		{"capture rate", func(s string) string { return s + "serving:\n  capture_rate: 1.5\n" },
			"config: steward.yaml:18: serving.capture_rate: expected a number between 0 and 1, got 1.5"},
		{"syntax", func(s string) string { return s + "data: [\n" },
			"config: steward.yaml:17: invalid YAML: did not find expected node content"},
		{"duplicate key", func(s string) string { return s + "model:\n  name: x\n" },
			`config: steward.yaml:17: model: mapping key "model" already defined at line 1`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse([]byte(tt.edit(minimal)), "steward.yaml")
			if err == nil {
				t.Fatal("no error")
			}
			if !errors.Is(err, ErrInvalid) {
				t.Errorf("%v does not wrap ErrInvalid", err)
			}
			first := strings.SplitN(err.Error(), "\n", 2)[0]
			if !strings.HasPrefix(first, tt.want) {
				t.Errorf("error\n got %s\nwant %s", first, tt.want)
			}
		})
	}
}

func TestNotifySettingsAndTheirDefaults(t *testing.T) {
	p, err := Parse([]byte(minimal+`notify:
  to: [ops@example.com]
  slack:
    alerts: {webhook_env: STEWARD_SLACK_ALERTS}
    ops: {webhook_file: secrets/slack-ops.url}
  routes:
    drift_detected: {slack: [alerts, ops], email: [ml@example.com]}
  email:
    smtp: {host: smtp.example.com, user: steward}
`), "steward.yaml")
	if err != nil {
		t.Fatal(err)
	}
	n := p.Notify
	if m := n.Email.SMTP; m.Port != 587 || m.Security != SMTPStartTLS || m.User != "steward" {
		t.Errorf("smtp = %+v, want port 587 and starttls by default", *m)
	}
	if got := n.Routes["drift_detected"]["slack"]; len(got) != 2 || n.Slack["ops"].WebhookFile != "secrets/slack-ops.url" {
		t.Errorf("routes %v, slack %v", n.Routes, n.Slack)
	}
	p, err = Parse([]byte(minimal+"notify:\n  email:\n    smtp: {host: smtp.example.com, security: tls}\n"), "steward.yaml")
	if err != nil || p.Notify.Email.SMTP.Port != 465 {
		t.Errorf("implicit TLS port = %+v, %v; want 465", p.Notify.Email.SMTP, err)
	}
}

func TestEmptyConfig(t *testing.T) {
	_, err := Parse([]byte("  \n"), "steward.yaml")
	if err == nil || err.Error() != "config: steward.yaml: the file is empty" {
		t.Errorf("err = %v", err)
	}
	if _, err := Load(filepath.Join(t.TempDir(), "absent.yaml")); err == nil || !errors.Is(err, os.ErrNotExist) {
		t.Errorf("absent file: err = %v, want os.ErrNotExist", err)
	}
}

func TestManyErrorsAreAllReported(t *testing.T) {
	bad := strings.NewReplacer("kind: numeric", "kind: x", "kind: categorical", "kind: y").Replace(minimal)
	_, err := Parse([]byte(bad), "steward.yaml")
	if err == nil {
		t.Fatal("no error")
	}
	lines := strings.Split(err.Error(), "\n")
	if len(lines) != 3 || !strings.Contains(lines[2], "data.columns[2].kind") {
		t.Errorf("got %d problems:\n%s", len(lines), err)
	}
}

func TestDuration(t *testing.T) {
	tests := []struct {
		in   string
		want time.Duration
		str  string
	}{
		{"90m", 90 * time.Minute, "1h30m0s"},
		{"24h", 24 * time.Hour, "1d"},
		{"7d", 7 * 24 * time.Hour, "1w"},
		{"2w", 14 * 24 * time.Hour, "2w"},
		{"1.5d", 36 * time.Hour, "36h0m0s"},
	}
	for _, tt := range tests {
		d, err := ParseDuration(tt.in)
		if err != nil || d.D() != tt.want || d.String() != tt.str {
			t.Errorf("ParseDuration(%q) = %v (%s), %v; want %v (%s)", tt.in, d.D(), d, err, tt.want, tt.str)
		}
	}
	for _, in := range []string{"", "d", "-1d", "soon", "1y"} {
		if _, err := ParseDuration(in); err == nil {
			t.Errorf("ParseDuration(%q) accepted", in)
		}
	}
}
