package cli

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/spf13/cobra"
)

// stewardIn runs the CLI with args and no environment.
func stewardIn(t *testing.T, stdin string, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errb bytes.Buffer
	code = Main(context.Background(), args, strings.NewReader(stdin), &out, &errb, func(string) string { return "" })
	return code, out.String(), errb.String()
}

// leaves returns every runnable command of the tree with the arguments
// that satisfy its argument rule (placeholders).
func leaves(t *testing.T) []*cobra.Command {
	t.Helper()
	var out []*cobra.Command
	var walk func(c *cobra.Command)
	walk = func(c *cobra.Command) {
		if c.Runnable() && c.Name() != "help" && !strings.HasPrefix(c.CommandPath(), "steward completion") {
			out = append(out, c)
		}
		for _, sub := range c.Commands() {
			walk(sub)
		}
	}
	walk(newRoot(&Env{Getenv: func(string) string { return "" }}))
	if len(out) < 20 {
		t.Fatalf("found %d commands", len(out))
	}
	return out
}

// placeholders returns as many positional arguments as c's Use line names.
func placeholders(c *cobra.Command) []string {
	var args []string
	for _, f := range strings.Fields(c.Use)[1:] {
		if strings.HasPrefix(f, "-") || strings.HasPrefix(f, "[") {
			break
		}
		args = append(args, "heart:1")
	}
	return args
}

func TestEveryCommandHasHelpAndRefusesMistakes(t *testing.T) {
	dir := t.TempDir()
	for _, c := range leaves(t) {
		path := strings.Fields(c.CommandPath())[1:]
		t.Run(strings.Join(path, "_"), func(t *testing.T) {
			if c.Short == "" {
				t.Error("no short description")
			}
			for _, h := range []string{"--help", "-h"} {
				code, out, errs := stewardIn(t, "", append(append([]string{}, path...), h)...)
				if code != ExitOK || !strings.Contains(out, "Usage:") || errs != "" {
					t.Errorf("%s: exit %d, stdout %.80q, stderr %q; want usage and exit 0", h, code, out, errs)
				}
				if !strings.Contains(out, "--data-dir") {
					t.Errorf("%s does not describe the global flags", h)
				}
			}
			if c.DisableFlagParsing {
				return
			}
			args := append(append([]string{"--data-dir", dir}, path...), placeholders(c)...)
			code, _, errs := stewardIn(t, "", append(append([]string{}, args...), "--bogus-flag")...)
			if first := strings.SplitN(errs, "\n", 2)[0]; code != ExitUsage || first != c.CommandPath()+": unknown flag: --bogus-flag (see '"+c.CommandPath()+" --help')" {
				t.Errorf("unknown flag: exit %d, first line %q", code, first)
			}
			if strings.Contains(c.Use, "...") {
				return // takes any number of arguments
			}
			code, _, errs = stewardIn(t, "", append(append([]string{}, args...), "extra", "words")...)
			if code != ExitUsage || !strings.HasPrefix(errs, c.CommandPath()+": ") || !strings.Contains(errs, "takes") && !strings.Contains(errs, `unknown command "extra"`) {
				t.Errorf("extra arguments: exit %d, stderr %q; want exit 2 saying what it takes", code, errs)
			}
		})
	}
}

func TestUnknownModelIsRefusedTheSameEverywhere(t *testing.T) {
	cfg, data := smallProject(t, quickTraining)
	dir := t.TempDir()
	if code, _, errs := steward(t, dir, "train", "--config", cfg, "--data", data); code != ExitOK {
		t.Fatalf("train: %d %s", code, errs)
	}
	for _, args := range [][]string{
		{"models", "show", "hart"},
		{"history", "hart"},
		{"promote", "hart:2", "--as", "a", "--reason", "r"},
		{"rollback", "hart", "--as", "a", "--reason", "r"},
		{"predict", "--model", "hart", "--data", data},
		{"audit", "--model", "hart"},
		{"agent", "log", "--model", "hart", "--config", cfg},
		{"agent", "diagnose", "--model", "hart", "--config", cfg},
		{"train", "--model", "hart", "--config", cfg, "--data", data},
		{"report", "training", "hart:1"},
		{"approve", "--model", "hart", "--as", "a@example.com", "--config", cfg},
		{"retrain", "--model", "hart", "--config", cfg},
		{"runs", "--model", "hart"},
		{"import", "--model", "hart", "--from", data, "--config", cfg},
		{"export", "hart:1", "--out", filepath.Join(dir, "x.json")},
	} {
		code, out, errs := steward(t, dir, args...)
		if code != ExitFailed || !strings.Contains(errs, `no model named "hart"`) || strings.Count(errs, "\n") != 1 {
			t.Errorf("steward %s: exit %d, stderr %q, stdout %.100q; want exit 1 and one line naming the model", strings.Join(args, " "), code, errs, out)
		}
		if strings.Contains(errs, "registry:") {
			t.Errorf("steward %s: the message names a package: %q", strings.Join(args, " "), errs)
		}
	}
}

func TestGlobalsHelpVersionAndSuggestions(t *testing.T) {
	for _, args := range [][]string{{"--help"}, {"-h"}, {"help"}, {}} {
		code, out, errs := stewardIn(t, "", args...)
		if code != ExitOK || !strings.Contains(out, "Usage:") || !strings.Contains(out, "--data-dir") || errs != "" {
			t.Errorf("%v: exit %d\n%s%s", args, code, out, errs)
		}
	}
	if code, out, _ := stewardIn(t, "", "--version"); code != ExitOK || !strings.HasPrefix(out, "steward ") {
		t.Errorf("--version: exit %d %q", code, out)
	}
	if code, _, errs := stewardIn(t, "", "modles"); code != ExitUsage || !strings.Contains(errs, `did you mean "models"?`) {
		t.Errorf("a mistyped command: exit %d %q", code, errs)
	}
	if code, _, errs := stewardIn(t, "", "predict", "--modle", "heart"); code != ExitUsage || !strings.Contains(errs, "did you mean --model?") {
		t.Errorf("a mistyped flag: exit %d %q", code, errs)
	}
	for _, shell := range []string{"bash", "zsh", "fish"} {
		if code, out, _ := stewardIn(t, "", "completion", shell); code != ExitOK || !strings.Contains(out, "steward") {
			t.Errorf("completion %s: exit %d", shell, code)
		}
	}
}

func TestGlobalFlagsAreAcceptedAnywhere(t *testing.T) {
	cfg, data := smallProject(t, quickTraining)
	dir := t.TempDir()
	if code, _, errs := stewardIn(t, "", "train", "--config", cfg, "--data", data, "--data-dir", dir); code != ExitOK {
		t.Fatalf("train with --data-dir after the command: %d %s", code, errs)
	}
	for _, args := range [][]string{
		{"models", "--data-dir", dir},
		{"models", "show", "heart", "--data-dir", dir, "--json"},
		{"--data-dir", dir, "history", "heart"},
	} {
		if code, out, errs := stewardIn(t, "", args...); code != ExitOK || !strings.Contains(out, "heart") && !strings.Contains(out, "v1") {
			t.Errorf("%v: exit %d\n%s%s", args, code, out, errs)
		}
	}
}

func TestReadCommandsNeverCreateState(t *testing.T) {
	parent := t.TempDir()
	nope := filepath.Join(parent, "nope")
	for _, args := range [][]string{{"models"}, {"models", "show", "heart"}, {"history", "heart"}, {"audit"}, {"keys", "list"}, {"operators", "list"}, {"agent", "log"}} {
		code, _, errs := stewardIn(t, "", append([]string{"--data-dir", nope}, args...)...)
		if code != ExitUsage || !strings.Contains(errs, "no Steward data directory at "+nope) || !strings.Contains(errs, "steward init") {
			t.Errorf("%v: exit %d %q; want exit 2 naming the directory and how to create one", args, code, errs)
		}
		if _, err := os.Stat(nope); !os.IsNotExist(err) {
			t.Fatalf("%v created %s", args, nope)
		}
	}
	if code, out, errs := stewardIn(t, "", "--data-dir", nope, "init"); code != ExitOK || !strings.Contains(out, "created the data directory") {
		t.Fatalf("init: exit %d\n%s%s", code, out, errs)
	}
	if code, out, errs := stewardIn(t, "", "--data-dir", nope, "models"); code != ExitOK || !strings.Contains(out, "no models yet") {
		t.Errorf("models after init: exit %d\n%s%s", code, out, errs)
	}
}

// runServe runs steward serve with args over e, as the tests of the
// server drive it.
func runServe(ctx context.Context, e *Env, args []string) error {
	if e.Stdin == nil {
		e.Stdin = strings.NewReader("")
	}
	_, _, err := e.execute(ctx, append([]string{"serve"}, args...))
	return err
}
