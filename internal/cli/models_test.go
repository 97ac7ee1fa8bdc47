package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/stewardml/steward/internal/registry"
)

// run executes the CLI against dataDir and returns exit code, stdout, stderr.
func run(t *testing.T, dataDir string, args ...string) (int, string, string) {
	t.Helper()
	var out, errb bytes.Buffer
	code := Main(context.Background(), append([]string{"--data-dir", dataDir, "--config", dataDir + "/none.yaml"}, args...),
		strings.NewReader(""), &out, &errb, func(string) string { return "" })
	return code, out.String(), errb.String()
}

func TestRegistryCommands(t *testing.T) {
	dir := t.TempDir()
	e := &Env{DataDir: dir, ConfigPath: dir + "/none.yaml", Getenv: func(string) string { return "" }}
	a, err := e.App(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	reg := a.Registry()
	for i := 0; i < 2; i++ {
		if _, err := reg.Register(context.Background(), "heart", registry.NewVersion{BundleKey: "k", BundleDigest: "d", DatasetDigest: "sha256:abc", Family: "logreg",
			Metrics: map[string]float64{"roc_auc": 0.9}, CreatedBy: "test"}); err != nil {
			t.Fatal(err)
		}
	}
	a.Close()

	steps := []struct {
		args     []string
		code     int
		contains string
	}{
		{[]string{"models"}, 0, "heart"},
		{[]string{"models", "show", "heart"}, 0, "v2"},
		{[]string{"models", "show", "nope"}, 1, ""},
		{[]string{"promote", "heart:1", "--as", "ana", "--reason", "first"}, 0, "v1"},
		{[]string{"promote", "heart:2", "--as", "ana", "--reason", "better", "--expect", "2"}, 1, ""}, // wrong expectation: refused
		{[]string{"promote", "heart:2", "--as", "ana", "--reason", "better"}, 0, "v1 → v2"},
		{[]string{"promote", "heart:2"}, 2, ""}, // no actor/reason
		{[]string{"rollback", "heart", "--as", "bo", "--reason", "errors"}, 0, "v2 → v1"},
		{[]string{"rollback", "heart", "--as", "bo", "--reason", "again"}, 1, ""}, // nothing earlier than v1
		{[]string{"history", "heart"}, 0, "rollback"},
		{[]string{"audit", "--model", "heart"}, 0, "model.rollback"},
		{[]string{"audit", "--from", "yesterday"}, 2, ""},
		{[]string{"frobnicate"}, 2, ""},
	}
	for _, s := range steps {
		code, out, errOut := run(t, dir, s.args...)
		if code != s.code || !strings.Contains(out, s.contains) {
			t.Errorf("steward %v = %d, stdout %q, stderr %q; want exit %d containing %q", s.args, code, out, errOut, s.code, s.contains)
		}
		if code != 0 && (errOut == "" || strings.Count(strings.TrimSpace(errOut), "\n") > 0) {
			t.Errorf("steward %v: stderr %q, want one line", s.args, errOut)
		}
	}
	code, out, _ := run(t, dir, "history", "heart", "--json")
	var moves []registry.AliasMove
	if code != 0 || json.Unmarshal([]byte(out), &moves) != nil || len(moves) != 3 {
		t.Fatalf("history --json = %d %q", code, out)
	}
	for i, m := range moves {
		if m.Seq != int64(i+1) {
			t.Errorf("history seq %d at %d: gaps or duplicates", m.Seq, i)
		}
	}
}

// TestEveryCommandIsReachable runs each command named in the README through
// Main, so a command whose line goes missing from commands.go fails here.
func TestEveryCommandIsReachable(t *testing.T) {
	var out, errb bytes.Buffer
	if code := Main(context.Background(), []string{"help"}, strings.NewReader(""), &out, &errb, func(string) string { return "" }); code != 0 {
		t.Fatalf("help = %d", code)
	}
	for _, name := range []string{"validate", "train", "predict", "serve", "keys", "models", "history", "promote", "rollback", "audit",
		"retrain", "executions", "execution", "approvals", "approve", "reject", "drift", "agent", "report", "operators", "version"} {
		if !strings.Contains(out.String(), "  "+name+" ") {
			t.Errorf("steward help does not list %q", name)
		}
	}
	code, _, errOut := runIn(t, t.TempDir(), "validate", "--data", "../../testdata/heart/processed.cleveland.data", "--suite", "../../testdata/suites/heart.json")
	if code != 0 {
		t.Errorf("steward validate on Cleveland = %d: %s", code, errOut)
	}
}
