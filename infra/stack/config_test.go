package stack

import (
	"errors"
	"path/filepath"
	"strings"
	"testing"
)

// ctx is a context map as cdk.json or -c would give it.
type ctx map[string]any

func (c ctx) lookup(key string) any { return c[key] }

func valid() ctx {
	return ctx{
		KeyApproverEmails: "ana@acme-bank.com, bo@acme-bank.com",
		KeySenderIdentity: "acme-bank.com",
	}
}

func with(c ctx, kv ...any) ctx {
	out := ctx{}
	for k, v := range c {
		out[k] = v
	}
	for i := 0; i < len(kv); i += 2 {
		if kv[i+1] == nil {
			delete(out, kv[i].(string))
			continue
		}
		out[kv[i].(string)] = kv[i+1]
	}
	return out
}

func TestLoadConfigDefaults(t *testing.T) {
	cfg, err := LoadConfig(valid().lookup, "/repo")
	if err != nil {
		t.Fatal(err)
	}
	if got, want := cfg.Stage, "dev"; got != want {
		t.Errorf("Stage = %q, want %q", got, want)
	}
	if got, want := strings.Join(cfg.Approvers, ","), "ana@acme-bank.com,bo@acme-bank.com"; got != want {
		t.Errorf("Approvers = %q, want %q", got, want)
	}
	if got, want := strings.Join(cfg.Escalation, ","), "ana@acme-bank.com,bo@acme-bank.com"; got != want {
		t.Errorf("Escalation defaults to approvers: got %q, want %q", got, want)
	}
	if got, want := cfg.SenderAddress, "steward@acme-bank.com"; got != want {
		t.Errorf("SenderAddress = %q, want %q", got, want)
	}
	if got, want := cfg.DriftSchedule, DefaultDriftSchedule; got != want {
		t.Errorf("DriftSchedule = %q, want %q", got, want)
	}
	if got, want := cfg.BuildDir, filepath.Join("/repo", "build"); got != want {
		t.Errorf("BuildDir = %q, want %q", got, want)
	}
	if got, want := cfg.StateMachineFile, filepath.Join("/repo", "statemachines", "retrain.asl.json"); got != want {
		t.Errorf("StateMachineFile = %q, want %q", got, want)
	}
	for _, f := range Functions {
		if got := cfg.Memory[f.Name]; got != f.MemoryMB {
			t.Errorf("Memory[%s] = %d, want the default %d", f.Name, got, f.MemoryMB)
		}
	}
	if len(cfg.Warnings) != 0 {
		t.Errorf("Warnings = %q, want none", cfg.Warnings)
	}
	if !cfg.Destroyable() || cfg.Prefix() != "steward-dev" {
		t.Errorf("Destroyable() = %v, Prefix() = %q; want true, steward-dev", cfg.Destroyable(), cfg.Prefix())
	}
}

func TestLoadConfigAcceptsCommandLineAndJSONForms(t *testing.T) {
	tests := []struct {
		name  string
		ctx   ctx
		check func(t *testing.T, c Config)
	}{
		{"memory from -c as name=MB", with(valid(), KeyMemorySizes, "train=3008, predict=1024"), func(t *testing.T, c Config) {
			if c.Memory["train"] != 3008 || c.Memory["predict"] != 1024 || c.Memory["agent"] != 512 {
				t.Errorf("Memory = %v", c.Memory)
			}
		}},
		{"memory from cdk.json as an object", with(valid(), KeyMemorySizes, map[string]any{"train": float64(4096)}), func(t *testing.T, c Config) {
			if c.Memory["train"] != 4096 {
				t.Errorf("Memory[train] = %d, want 4096", c.Memory["train"])
			}
		}},
		{"memory from -c as a JSON string", with(valid(), KeyMemorySizes, `{"drift": 2048}`), func(t *testing.T, c Config) {
			if c.Memory["drift"] != 2048 {
				t.Errorf("Memory[drift] = %d, want 2048", c.Memory["drift"])
			}
		}},
		{"emails as a JSON array", with(valid(), KeyApproverEmails, []any{"x@acme-bank.com"}, KeyEscalationEmails, "oncall@acme-bank.com"), func(t *testing.T, c Config) {
			if strings.Join(c.Approvers, ",") != "x@acme-bank.com" || strings.Join(c.Escalation, ",") != "oncall@acme-bank.com" {
				t.Errorf("Approvers = %v, Escalation = %v", c.Approvers, c.Escalation)
			}
		}},
		{"numbers and booleans as strings", with(valid(), KeyTracing, "true", KeyLogRetentionDays, "90", KeyAPIRateLimit, "12.5"), func(t *testing.T, c Config) {
			if !c.Tracing || c.LogRetentionDays != 90 || c.APIRateLimit != 12.5 {
				t.Errorf("Tracing = %v, LogRetentionDays = %d, APIRateLimit = %v", c.Tracing, c.LogRetentionDays, c.APIRateLimit)
			}
		}},
		{"sender address identity", with(valid(), KeySenderIdentity, "ml@acme-bank.com"), func(t *testing.T, c Config) {
			if c.SenderAddress != "ml@acme-bank.com" {
				t.Errorf("SenderAddress = %q, want the identity itself", c.SenderAddress)
			}
		}},
		{"relative and absolute paths", with(valid(), KeyBuildDir, "out/bin", KeyStateMachineFile, "/abs/x.asl.json"), func(t *testing.T, c Config) {
			if c.BuildDir != filepath.Join("/repo", "out/bin") || c.StateMachineFile != "/abs/x.asl.json" {
				t.Errorf("BuildDir = %q, StateMachineFile = %q", c.BuildDir, c.StateMachineFile)
			}
		}},
		{"example addresses only warn in dev", with(valid(), KeyApproverEmails, "approver@example.com"), func(t *testing.T, c Config) {
			if len(c.Warnings) != 1 || !strings.Contains(c.Warnings[0], `approverEmails = "approver@example.com"`) {
				t.Errorf("Warnings = %q, want one naming approverEmails", c.Warnings)
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := LoadConfig(tt.ctx.lookup, "/repo")
			if err != nil {
				t.Fatal(err)
			}
			tt.check(t, c)
		})
	}
}

func TestLoadConfigRejectsBadValuesNamingTheKey(t *testing.T) {
	tests := []struct {
		name string
		ctx  ctx
		want []string // substrings of the one-line message
	}{
		{"unknown stage", with(valid(), KeyStage, "qa"), []string{`stage = "qa": want one of dev, staging, prod`}},
		{"missing approver email", with(valid(), KeyApproverEmails, nil), []string{"approverEmails is missing"}},
		{"empty approver list", with(valid(), KeyApproverEmails, " , "), []string{"approverEmails is missing"}},
		{"approver not an address", with(valid(), KeyApproverEmails, "ana@acme-bank.com,bob"), []string{`approverEmails[1] = "bob": want an email address`}},
		{"approver with a display name", with(valid(), KeyApproverEmails, "Ana <ana@acme-bank.com>"), []string{`approverEmails[0] = "Ana <ana@acme-bank.com>"`}},
		{"escalation not an address", with(valid(), KeyEscalationEmails, "pager"), []string{`escalationEmails[0] = "pager"`}},
		{"missing sender", with(valid(), KeySenderIdentity, nil), []string{"senderIdentity is missing"}},
		{"sender neither address nor domain", with(valid(), KeySenderIdentity, "not a domain"), []string{`senderIdentity = "not a domain": want an email address or a domain name`}},
		{"sender address outside the domain", with(valid(), KeySenderAddress, "x@other.com"), []string{`senderAddress = "x@other.com": want an address at the senderIdentity domain acme-bank.com`}},
		{"malformed schedule", with(valid(), KeyDriftSchedule, "every hour"), []string{`driftSchedule = "every hour": want an EventBridge schedule`}},
		{"schedule with a singular unit", with(valid(), KeyDriftSchedule, "rate(5 minute)"), []string{`rate value 5 needs the plural unit "minutes"`}},
		{"cron with both day fields", with(valid(), KeyDriftSchedule, "cron(0 * * * MON *)"), []string{`"?" in exactly one of day-of-month`}},
		{"memory of an unknown function", with(valid(), KeyMemorySizes, "trian=2048"), []string{`memorySizes.trian = "2048": want a function name, one of validate, train`}},
		{"memory too large", with(valid(), KeyMemorySizes, map[string]any{"train": float64(20000)}), []string{"memorySizes.train = 20000: want a whole number from 128 to 10240 (MB)"}},
		{"memory not a number", with(valid(), KeyMemorySizes, "train=lots"), []string{`memorySizes.train = "lots": want a number`}},
		{"memory malformed", with(valid(), KeyMemorySizes, "train:2048"), []string{`memorySizes = "train:2048": want "name=MB,name=MB"`}},
		{"retention CloudWatch does not offer", with(valid(), KeyLogRetentionDays, float64(10)), []string{"logRetentionDays = 10: want one of the CloudWatch Logs retention periods 1, 3, 5, 7, 14"}},
		{"tracing not a boolean", with(valid(), KeyTracing, "maybe"), []string{`tracing = "maybe": want true or false`}},
		{"quota not whole", with(valid(), KeyAPIQuotaPerMonth, "1.5"), []string{"apiQuotaPerMonth = 1.5: want a whole number"}},
		{"stage of the wrong type", with(valid(), KeyStage, float64(3)), []string{"stage = 3: want a string"}},
		{"example addresses outside dev", with(valid(), KeyStage, "prod", KeyApproverEmails, "approver@example.com"),
			[]string{`approverEmails = "approver@example.com" is a reserved example address`, "want real addresses for stage prod"}},
		{"every problem at once", ctx{KeyStage: "qa", KeyDriftSchedule: "rate(0 hours)"},
			[]string{`stage = "qa"`, "approverEmails is missing", "senderIdentity is missing", `rate value "0" is not a positive whole number`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := LoadConfig(tt.ctx.lookup, "/repo")
			if !errors.Is(err, ErrConfig) {
				t.Fatalf("err = %v, want one wrapping ErrConfig", err)
			}
			msg := err.Error()
			if strings.Contains(msg, "\n") {
				t.Errorf("message spans lines: %q", msg)
			}
			if !strings.HasPrefix(msg, "infra: bad configuration: ") {
				t.Errorf("message %q does not start with the package prefix", msg)
			}
			for _, w := range tt.want {
				if !strings.Contains(msg, w) {
					t.Errorf("message %q\ndoes not contain %q", msg, w)
				}
			}
		})
	}
}

func TestValidateSchedule(t *testing.T) {
	good := []string{
		"rate(1 minute)", "rate(5 minutes)", "rate(1 hour)", "rate(12 hours)", "rate(1 day)", "rate(7 days)",
		"cron(0 * * * ? *)", "cron(15 10 ? * 6L 2026-2030)", "cron(0/15 * ? * MON-FRI *)",
		"cron(0 18 ? * MON#1 *)", "cron(0 8 L * ? *)", "cron(0 8 15W * ? *)", "cron(5,35 14 * JAN,JUL ? *)",
		"cron(0 9 1-7/2 * ? *)", "cron(*/10 * ? * * *)",
	}
	for _, expr := range good {
		if err := ValidateSchedule(expr); err != nil {
			t.Errorf("ValidateSchedule(%q) = %v, want nil", expr, err)
		}
	}
	bad := map[string]string{
		"":                           `want "rate(VALUE UNIT)" or "cron(`,
		"rate(1 minutes)":            `rate value 1 needs the singular unit "minute"`,
		"rate(2 hour)":               `rate value 2 needs the plural unit "hours"`,
		"rate(1 week)":               `rate unit "week" is not minute(s), hour(s) or day(s)`,
		"rate(-1 days)":              `rate value "-1" is not a positive whole number`,
		"rate(1.5 hours)":            `rate value "1.5" is not a positive whole number`,
		"rate(1hour)":                `want "rate(VALUE UNIT)"`,
		"rate(1  hour)":              `want "rate(VALUE UNIT)"`,
		"cron(0 * * * ?)":            "cron has 5 fields, want 6",
		"cron(60 * * * ? *)":         `cron minutes "60": value "60" is not 0-59`,
		"cron(0 24 * * ? *)":         `cron hours "24": value "24" is not 0-23`,
		"cron(0 0 32 * ? *)":         `cron day-of-month "32": value "32" is not 1-31`,
		"cron(0 0 ? 13 MON *)":       `cron month "13": value "13" is not 1-12 or JAN-DEC`,
		"cron(0 0 ? * FUNDAY *)":     `cron day-of-week "FUNDAY": value "FUNDAY" is not 1-7 or SUN-SAT`,
		"cron(0 0 ? * MON#6 *)":      `week number 6 after "#" is not 1-5`,
		"cron(0 0 ? * ? *)":          `"?" in exactly one of day-of-month`,
		"cron(0 0 1 * 2 *)":          `"?" in exactly one of day-of-month`,
		"cron(? 0 1 * ? *)":          `"?" is allowed only in day-of-month and day-of-week`,
		"cron(0/0 * ? * * *)":        `step "0" is not a positive whole number`,
		"cron(0 0 1,,2 * ? *)":       "empty list item",
		"cron(0 0 1 * ? 1900)":       `value "1900" is not 1970-2199`,
		"cron(0 0 1 * ? *":           `does not end with ")"`,
		"every 5 minutes":            `want "rate(VALUE UNIT)" or "cron(`,
		"cron(0 0 ? * MON-FUNDAY *)": `value "FUNDAY"`,
	}
	for expr, want := range bad {
		err := ValidateSchedule(expr)
		if !errors.Is(err, ErrSchedule) {
			t.Errorf("ValidateSchedule(%q) = %v, want an error wrapping ErrSchedule", expr, err)
			continue
		}
		if !strings.Contains(err.Error(), want) {
			t.Errorf("ValidateSchedule(%q) = %q, want it to contain %q", expr, err, want)
		}
	}
}

func FuzzValidateSchedule(f *testing.F) {
	for _, s := range []string{"rate(1 hour)", "cron(0/15 * ? * MON-FRI *)", "cron(0 18 ? * MON#1 *)", "cron(0 8 15W * ? *)", "rate(", "cron(,,,)"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, expr string) {
		err := ValidateSchedule(expr)
		if err != nil && !errors.Is(err, ErrSchedule) {
			t.Errorf("ValidateSchedule(%q) = %v, not wrapping ErrSchedule", expr, err)
		}
	})
}

func FuzzLoadConfig(f *testing.F) {
	f.Add("dev", "ana@acme-bank.com", "acme-bank.com", "rate(1 hour)", "train=2048")
	f.Add("prod", "a@example.com,b", "x@y", "cron(0 * * * ? *)", `{"train": 1e9}`)
	f.Add("", "", "", "", "")
	f.Fuzz(func(t *testing.T, stage, approvers, sender, schedule, memory string) {
		c := ctx{KeyStage: stage, KeyApproverEmails: approvers, KeySenderIdentity: sender, KeyDriftSchedule: schedule, KeyMemorySizes: memory}
		cfg, err := LoadConfig(c.lookup, "/repo")
		if err != nil {
			if !errors.Is(err, ErrConfig) || strings.Contains(err.Error(), "\n") {
				t.Errorf("LoadConfig error %q: want one line wrapping ErrConfig", err)
			}
			return
		}
		if len(cfg.Approvers) == 0 || cfg.SenderAddress == "" || (cfg.DriftSchedule != "" && ValidateSchedule(cfg.DriftSchedule) != nil) {
			t.Errorf("LoadConfig accepted an incomplete config: %+v", cfg)
		}
		for name, mb := range cfg.Memory {
			if mb < 128 || mb > 10240 {
				t.Errorf("Memory[%s] = %d accepted", name, mb)
			}
		}
	})
}
