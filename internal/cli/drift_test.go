package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stewardml/steward/internal/drift"
	"github.com/stewardml/steward/internal/monitor"
	"github.com/stewardml/steward/internal/monitor/monitortest"
)

// driftDir is a data directory with a champion trained on Cleveland (with
// its reference profile) and, when traffic, the Hungarian data captured an
// hour ago.
func driftDir(t *testing.T, traffic bool) string {
	t.Helper()
	dir := t.TempDir()
	a := openTestStores(t, dir)
	defer a.Close()
	ctx := context.Background()
	v, err := monitortest.Heart(ctx, a.Artifacts, a.Records, monitortest.Spec{DataPath: "../../testdata/heart/processed.cleveland.data", Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	if traffic {
		pred, err := monitortest.Predictor(ctx, a.Artifacts, a.Records, v)
		if err != nil {
			t.Fatal(err)
		}
		feats, _, err := monitortest.Rows("../../testdata/heart/processed.hungarian.data")
		if err != nil {
			t.Fatal(err)
		}
		if _, _, err := monitortest.Captures(ctx, a.Artifacts, pred, v, time.Now().Add(-time.Hour), feats); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

func runIn(t *testing.T, dir string, args ...string) (int, string, string) {
	t.Helper()
	var out, errb bytes.Buffer
	code := Main(context.Background(), append([]string{"--data-dir", dir, "--config", "../../steward.yaml"}, args...), strings.NewReader(""), &out, &errb, func(string) string { return "" })
	return code, out.String(), errb.String()
}

func TestDriftCommand(t *testing.T) {
	dir := driftDir(t, true)

	code, out, errs := runIn(t, dir, "drift", "--window", "24h")
	if code != ExitFailed || !strings.Contains(out, "heart v1: drift — drift score") || !strings.Contains(errs, "dataset drift") {
		t.Fatalf("captured Hungarian traffic: exit %d\n%s\n%s", code, out, errs)
	}
	t.Logf("steward drift --window 24h:\n%s", out)
	for _, want := range []string{"FEATURE", "age ", "thalach", "(prediction)", "report: reports/drift/heart/"} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}

	// JSON: the stored report, and the history keeps both checks.
	code, out, _ = runIn(t, dir, "drift", "--window", "24h", "--json", "--no-event")
	var rep monitor.StoredReport
	if err := json.Unmarshal([]byte(out), &rep); err != nil || code != ExitFailed || rep.Report.Verdict != drift.VerdictDrift || len(rep.Check.DriftedFeatures) == 0 {
		t.Errorf("--json: exit %d, %v\n%s", code, err, out)
	}
	a := openTestStores(t, dir)
	hist, err := monitor.History(context.Background(), a.Records, monitor.HistoryFilter{Model: "heart"})
	a.Close()
	if err != nil || len(hist) != 2 {
		t.Errorf("history: %d checks, %v", len(hist), err)
	}

	// An hour-long window ending now misses nothing; a window in which
	// nothing was captured is insufficient data.
	if code, out, _ := runIn(t, dir, "drift", "--window", "30m"); code != ExitInsufficient || !strings.Contains(out, "insufficient_data") {
		t.Errorf("empty window: exit %d\n%s", code, out)
	}

	raw, err := os.ReadFile("../../testdata/heart/processed.hungarian.data")
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(string(raw)), "\n")
	write := func(name, body string) string {
		p := filepath.Join(t.TempDir(), name)
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	if code, out, errs := runIn(t, dir, "drift", "--current", write("eight.data", strings.Join(lines[:8], "\n"))); code != ExitInsufficient ||
		!strings.Contains(out, "insufficient_data") || !strings.Contains(errs, "insufficient data") {
		t.Errorf("eight rows: exit %d\n%s\n%s", code, out, errs)
	}
	if code, _, _ := runIn(t, dir, "drift", "--current", "../../testdata/heart/processed.cleveland.data"); code != ExitOK {
		t.Errorf("the training data as current: exit %d", code)
	}
	header := "age,sex,cp,trestbps,chol,fbs,restecg,thalach,exang,oldpeak,slope,ca,thallium,num\n"
	if code, _, errs := runIn(t, dir, "drift", "--current", write("renamed.csv", header+string(raw))); code != ExitUsage ||
		!strings.Contains(errs, `missing "thal"; unexpected "thallium"`) {
		t.Errorf("renamed column: exit %d %s", code, errs)
	}
	f := strings.Split(lines[0], ",")
	f[3] = "NaN"
	bad := strings.Join(f, ",")
	if code, _, errs := runIn(t, dir, "drift", "--current", write("nan.data", bad+"\n"+strings.Join(lines[1:], "\n"))); code != ExitUsage ||
		!strings.Contains(errs, `row 1, column "trestbps"`) {
		t.Errorf("NaN: exit %d %s", code, errs)
	}
	for _, args := range [][]string{
		{"drift", "--current", "x", "--window", "1h"},
		{"drift", "--window", "soon"},
		{"drift", "--current", filepath.Join(t.TempDir(), "missing.csv")},
		{"drift", "--version", "-1"},
		{"drift", "extra"},
	} {
		if code, _, _ := runIn(t, dir, args...); code != ExitUsage {
			t.Errorf("%v: exit %d, want %d", args, code, ExitUsage)
		}
	}
	if code, _, errs := runIn(t, dir, "drift", "--version", "7"); code != ExitFailed || !strings.Contains(errs, "heart v7") {
		t.Errorf("unknown version: exit %d %s", code, errs)
	}
}

func TestAgentCommands(t *testing.T) {
	dir := driftDir(t, false)
	events := "../../testdata/events/agent/"
	code, out, errs := runIn(t, dir, "agent", "decide", "--event", events+"drift-checked.json", "--dry-run")
	if code != ExitOK || !strings.Contains(out, "drift score 0.60 on 6 of 10 features") || !strings.Contains(out, "→ rule `retrain-auto` → would retrain (dry run)") ||
		!strings.Contains(out, "champion is v1") {
		t.Errorf("decide --dry-run: exit %d\n%s\n%s", code, out, errs)
	}
	if code, _, errs := runIn(t, dir, "agent", "decide", "--event", events+"malformed.json"); code != ExitUsage || !strings.Contains(errs, "invalid event") {
		t.Errorf("malformed event: exit %d %s", code, errs)
	}
	policy := filepath.Join(t.TempDir(), "policy.json")
	os.WriteFile(policy, []byte(`{"bands": [{"name": "calm", "from": 0.2}]}`), 0o644)
	if code, _, errs := runIn(t, dir, "agent", "decide", "--event", events+"drift-checked.json", "--policy", policy); code != ExitUsage || !strings.Contains(errs, "bands[0].from") {
		t.Errorf("bad policy: exit %d %s", code, errs)
	}
	os.WriteFile(policy, []byte(`{"bands": [{"name": "calm", "from": 0}, {"name": "loud", "from": 0.5, "escalate": true}]}`), 0o644)
	if code, out, errs := runIn(t, dir, "agent", "decide", "--event", events+"drift-checked.json", "--policy", policy, "--dry-run"); code != ExitOK || !strings.Contains(out, "rule `loud` → would escalate") {
		t.Errorf("policy file: exit %d\n%s%s", code, out, errs)
	}

	// Recorded decisions read back in plain language.
	if code, out, errs := runIn(t, dir, "agent", "decide", "--event", events+"drift-insufficient.json"); code != ExitOK || !strings.Contains(out, "recorded: audit event") {
		t.Fatalf("decide: exit %d\n%s%s", code, out, errs)
	}
	if code, out, _ := runIn(t, dir, "agent", "diagnose", "--model", "heart"); code != ExitOK || !strings.Contains(out, "manual diagnosis by cli") || !strings.Contains(out, "no drift check yet") {
		t.Errorf("diagnose: exit %d\n%s", code, out)
	}
	code, out, _ = runIn(t, dir, "agent", "log", "--model", "heart")
	if code != ExitOK || strings.Count(out, "\n") != 2 || !strings.Contains(out, "insufficient data (8 rows) → rule `insufficient-data` → logged") || !strings.Contains(out, "trigger check:") {
		t.Errorf("log: exit %d\n%s", code, out)
	}
	code, out, _ = runIn(t, dir, "agent", "log", "--json")
	var entries []map[string]any
	if err := json.Unmarshal([]byte(out), &entries); err != nil || code != ExitOK || len(entries) != 1 {
		t.Errorf("log --json: exit %d %v\n%s", code, err, out)
	}
	for _, args := range [][]string{{"agent", "explode"}, {"agent", "decide"}, {"agent", "log", "--from", "monday"}} {
		if code, _, _ := runIn(t, dir, args...); code != ExitUsage {
			t.Errorf("%v: exit %d, want %d", args, code, ExitUsage)
		}
	}
	if code, _, errs := runIn(t, dir, "agent", "diagnose", "--model", "lungs"); code != ExitFailed || !strings.Contains(errs, `no model named "lungs"`) {
		t.Errorf("an unknown model: exit %d %q, want %d naming it", code, errs, ExitFailed)
	}
	if code, out, _ := runIn(t, dir, "agent"); code != ExitOK || !strings.Contains(out, "diagnose") {
		t.Errorf("agent without a command: exit %d, want its help\n%s", code, out)
	}
}

// TestServeSchedulesTheDriftCheck: `steward serve` registers the drift job
// on the project's schedule and subscribes the agent.
func TestServeSchedulesTheDriftCheck(t *testing.T) {
	if testing.Short() {
		t.Skip("runs a server")
	}
	dir := driftDir(t, false)
	var out, errb syncBuffer
	e := &Env{DataDir: dir, ConfigPath: "../../steward.yaml", Stdout: &out, Stderr: &errb, Getenv: func(string) string { return "" }}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- runServe(ctx, e, []string{"--addr", "127.0.0.1:0"}) }()
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) && !strings.Contains(out.String(), "listening on") {
		time.Sleep(20 * time.Millisecond)
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatalf("serve: %v\n%s", err, errb.String())
	}
	if !strings.Contains(out.String(), "drift heart: rate(1 day), next at ") || !strings.Contains(out.String(), "the agent acts on each check") {
		t.Errorf("banner:\n%s", out.String())
	}
}
