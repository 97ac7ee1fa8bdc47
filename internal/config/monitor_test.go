package config

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/stewardml/steward/internal/agent"
)

func TestDriftAndAgentDefaults(t *testing.T) {
	p, err := Parse([]byte(minimal), "steward.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if p.Drift.Schedule != "rate(1 day)" || p.Drift.Correction != "bh" || p.Agent.RollbackWindow.D() != 72*time.Hour {
		t.Errorf("drift %+v agent %+v", p.Drift, p.Agent)
	}
	pol := p.Agent.Policy()
	if err := pol.Validate(); err != nil {
		t.Fatal(err)
	}
	want := agent.DefaultPolicy()
	if len(pol.Bands) != 4 || pol.Bands[1] != want.Bands[1] || pol.Cooldown != want.Cooldown || pol.Rollback != want.Rollback || pol.EscalateAfter != 2 {
		t.Errorf("default policy %+v, want %+v", pol, want)
	}
}

func TestRateOf(t *testing.T) {
	for d, want := range map[time.Duration]string{
		24 * time.Hour: "rate(1 day)", 48 * time.Hour: "rate(2 days)", time.Hour: "rate(1 hour)",
		90 * time.Minute: "rate(90 minutes)", time.Minute: "rate(1 minute)", 90 * time.Second: "",
	} {
		if got := RateOf(Duration(d)); got != want {
			t.Errorf("RateOf(%s) = %q, want %q", d, got, want)
		}
	}
}

func TestDriftAndAgentSections(t *testing.T) {
	p, err := Parse([]byte(minimal+`drift:
  schedule: cron(0 6 * * ? *)
  correction: bonferroni
  overrides:
    age: {test: psi, threshold: 0.2}
agent:
  cooldown: 2h
  rollback_approval: true
  retrain_on_decay: false
  bands:
    - {name: calm, from: 0}
    - {name: act, from: 0.4, retrain: true}
    - {name: ask, from: 0.8, retrain: true, approval: true, escalate: true}
  concurrency: {min: 1, max: 4, step: 1}
`), "steward.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if p.Drift.Schedule != "cron(0 6 * * ? *)" || p.Drift.Overrides["age"].Test != "psi" {
		t.Errorf("drift %+v", p.Drift)
	}
	pol := p.Agent.Policy()
	if pol.Band(0.4).Name != "act" || pol.Band(0.39).Name != "calm" || !pol.Band(1).Escalate || pol.Cooldown.D() != 2*time.Hour ||
		!pol.Rollback.Approval || pol.Performance.Retrain || pol.Concurrency.Max != 4 {
		t.Errorf("policy %+v", pol)
	}
	// retrain_share moves the default tree.
	p, err = Parse([]byte(minimal+"agent:\n  retrain_share: 0.6\n"), "steward.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if b := p.Agent.Policy().Band(0.55); b.Name != agent.BandLogOnly {
		t.Errorf("0.55 with retrain_share 0.6: %s", b.Name)
	}
}

func TestBadDriftAndAgentSections(t *testing.T) {
	cases := []struct{ yaml, want string }{
		{"drift:\n  schedule: every hour\n", `drift.schedule: "every hour": expected rate(VALUE UNIT) or cron(6 fields)`},
		{"drift:\n  schedule: rate(5 minute)\n", "drift.schedule"},
		{"drift:\n  every: 90s\n", "drift.schedule"},
		{"drift:\n  correction: holm\n", `drift.correction: expected bh, bonferroni or none, got "holm"`},
		{"drift:\n  overrides:\n    pulse: {test: ks}\n", `drift.overrides.pulse: column "pulse" is not among data.columns`},
		{"drift:\n  overrides:\n    age: {test: anova}\n", `drift.overrides.age.test: expected one of ks, chisquare, z, wasserstein, jensenshannon, psi, got "anova"`},
		{"drift:\n  overrides:\n    cp: {test: ks}\n", `drift.overrides.cp.test: ks does not apply to categorical columns`},
		{"drift:\n  overrides:\n    age: {thresh: 1}\n", `drift.overrides.age.thresh: unknown field`},
		{"agent:\n  retrain_share: 0.8\n", "agent.retrain_share: 0.8 makes the default severity tree invalid"},
		{"agent:\n  bands:\n    - {name: calm, from: 0.1}\n", "agent.bands[0].from: the first band must start at 0"},
		{"agent:\n  bands:\n    - {name: calm, from: 0}\n    - {name: calm, from: 0.5, retrain: true}\n", `agent.bands[1].name: "calm" is already`},
		{"agent:\n  bands:\n    - {name: calm, from: 0, approval: true}\n", "agent.bands[0].approval"},
		{"agent:\n  bands:\n    - {name: calm, from: 0, retrian: true}\n", "agent.bands[0].retrian: unknown field"},
		{"agent:\n  retrain_share: 0.3\n  bands:\n    - {name: calm, from: 0}\n", "agent.retrain_share: set the bands' from values instead"},
		{"agent:\n  concurrency: {min: 5, max: 2, step: 1}\n", "agent: concurrency: expected 0 <= min <= max"},
	}
	for _, c := range cases {
		_, err := Parse([]byte(minimal+c.yaml), "steward.yaml")
		if !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: %v\nwant %q", c.yaml, err, c.want)
		}
	}
}
