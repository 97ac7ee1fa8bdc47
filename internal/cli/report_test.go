package cli

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stewardml/steward/internal/report/reporttest"
)

// runOn runs the CLI against a fixture platform's data directory with the
// repository's project configuration, stdin as given.
func runOn(t *testing.T, p *reporttest.Platform, stdin string, args ...string) (int, string, string) {
	t.Helper()
	var out, errb bytes.Buffer
	code := Main(context.Background(), append([]string{"--data-dir", p.Dir, "--config", filepath.Join(p.Root, "steward.yaml")}, args...),
		strings.NewReader(stdin), &out, &errb, func(string) string { return "" })
	return code, out.String(), errb.String()
}

func TestReportCommand(t *testing.T) {
	p := reporttest.New(t)
	ctx := context.Background()
	rec, err := p.Train(ctx, reporttest.SmallSearch(1))
	if err != nil {
		t.Fatal(err)
	}
	d, err := p.DriftCheck(ctx, rec.Version, "testdata/heart/processed.hungarian.data")
	if err != nil {
		t.Fatal(err)
	}
	p.App.Close() // the CLI opens the data directory itself
	dir := t.TempDir()
	pdf := filepath.Join(dir, "training.pdf")
	html := filepath.Join(dir, "drift.html")
	steps := []struct {
		args   []string
		code   int
		stdout string
		file   string
		magic  string
	}{
		{[]string{"report", "training", rec.ID}, 0, "<!doctype html>", "", ""},
		{[]string{"report", "training", rec.ID, "--format", "pdf", "--out", pdf}, 0, "", pdf, "%PDF-"},
		{[]string{"report", "drift", "heart/" + d.ID, "--out", html, "--store"}, 0, "", html, "<!doctype html>"},
		{[]string{"report", "deployment", "heart", "--format", "html"}, 0, "first version", "", ""},
		{[]string{"report", "training", "heart:1"}, 0, rec.ID, "", ""},
		{[]string{"report", "training", "heart@champion"}, 0, rec.ID, "", ""},
		{[]string{"report", "training", "heart:9"}, 1, "", "", ""},
		{[]string{"report", "training", "no-such-run"}, 1, "", "", ""},
		{[]string{"report", "training", rec.ID, "--format", "pdf"}, 2, "", "", ""},
		{[]string{"report", "weekly", "x"}, 2, "", "", ""},
		{[]string{"report", "drift", "no-slash"}, 2, "", "", ""},
		{[]string{"report", "training", rec.ID, "--format", "docx"}, 2, "", "", ""},
	}
	for _, s := range steps {
		code, out, errOut := runOn(t, p, "", s.args...)
		if code != s.code || !strings.Contains(out, s.stdout) {
			t.Errorf("steward %v = %d, stdout %.80q, stderr %q; want %d with %q", s.args, code, out, errOut, s.code, s.stdout)
			continue
		}
		if s.file != "" {
			b, err := os.ReadFile(s.file)
			if err != nil || !bytes.HasPrefix(b, []byte(s.magic)) {
				t.Errorf("steward %v: %s starts %.10q (%v), want %q", s.args, s.file, b, err, s.magic)
			}
		}
		if code == 2 && errOut == "" {
			t.Errorf("steward %v: a usage error without a message", s.args)
		}
	}
}

func TestOperatorsCommand(t *testing.T) {
	p := reporttest.New(t)
	p.App.Close()
	steps := []struct {
		stdin  string
		args   []string
		code   int
		stdout string
	}{
		{"", []string{"operators"}, 0, "no operators"},
		{"a long enough password\n", []string{"operators", "create", "alice", "--email", "alice@example.com"}, 0, "created operator alice (approves as alice@example.com)"},
		{"a long enough password\n", []string{"operators", "create", "alice"}, 1, ""},
		{"short\n", []string{"operators", "create", "bob"}, 2, ""},
		{"", []string{"operators", "create", "bob"}, 2, ""},
		{"another long password\n", []string{"operators", "create", "Bob Smith"}, 2, ""},
		{"", []string{"operators", "list"}, 0, "alice@example.com"},
		{"", []string{"operators", "delete", "alice"}, 0, "deleted operator alice"},
		{"", []string{"operators", "delete", "alice"}, 1, ""},
		{"", []string{"operators", "rename", "x"}, 2, ""},
	}
	for _, s := range steps {
		code, out, errOut := runOn(t, p, s.stdin, s.args...)
		if code != s.code || !strings.Contains(out, s.stdout) {
			t.Errorf("steward %v = %d, stdout %q, stderr %q; want %d with %q", s.args, code, out, errOut, s.code, s.stdout)
		}
		if strings.Contains(out+errOut, "password\n") && strings.Contains(out+errOut, "long enough") {
			t.Errorf("steward %v printed the password", s.args)
		}
	}
}
