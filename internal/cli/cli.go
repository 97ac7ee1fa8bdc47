package cli

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"regexp"
	"strings"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/stewardml/steward/internal/buildinfo"
	"github.com/stewardml/steward/internal/config"
)

// Exit codes shared by every command.
const (
	ExitOK           = 0 // success
	ExitFailed       = 1 // a failed check or a refused action
	ExitUsage        = 2 // usage, configuration or I/O error
	ExitInsufficient = 3 // not enough data for a verdict (drift)
)

// ExitError carries an exit code with its one-line message.
type ExitError struct {
	Code int
	Err  error
}

// Error returns the wrapped message.
func (e *ExitError) Error() string { return e.Err.Error() }

// Unwrap returns the wrapped error.
func (e *ExitError) Unwrap() error { return e.Err }

// Failed wraps err so the command exits with ExitFailed (a failed check or a
// refused action).
func Failed(err error) error { return &ExitError{Code: ExitFailed, Err: err} }

// Usagef formats a usage error that exits with ExitUsage.
func Usagef(format string, args ...any) error {
	return &ExitError{Code: ExitUsage, Err: fmt.Errorf(format, args...)}
}

// WithCode wraps err with an explicit exit code.
func WithCode(code int, err error) error { return &ExitError{Code: code, Err: err} }

// usageError marks a mistake in how a command was called (flag, argument):
// its message is followed by a pointer to the command's help.
type usageError struct{ err error }

func (u usageError) Error() string { return u.err.Error() }
func (u usageError) Unwrap() error { return u.err }

// Env is what every command receives: the global options, the streams and
// the environment, and a lazily built application.
type Env struct {
	DataDir    string // --data-dir, default .steward (or STEWARD_DATA_DIR)
	ConfigPath string // --config, default steward.yaml
	JSON       bool   // --json
	Stdin      io.Reader
	Stdout     io.Writer
	Stderr     io.Writer
	Getenv     func(string) string
}

// Main runs the CLI with args (without the program name) and returns the
// process exit code. It never panics on bad input and prints an error on
// stderr in one line, naming the command.
func Main(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer, getenv func(string) string) int {
	e := &Env{Stdin: stdin, Stdout: stdout, Stderr: stderr, Getenv: getenv}
	cmd, root, err := e.execute(ctx, args)
	if err == nil {
		return ExitOK
	}
	code := ExitUsage
	var xe *ExitError
	if errors.As(err, &xe) {
		code = xe.Code
	}
	name := "steward"
	if cmd != nil && cmd != root {
		name = cmd.CommandPath()
	}
	msg := packagePrefix.ReplaceAllString(strings.TrimSpace(err.Error()), "$1")
	msg = strings.ReplaceAll(strings.ReplaceAll(msg, "\n\n", "; "), "\n", "; ")
	msg = strings.ReplaceAll(msg, ";\t", " ")
	var ue usageError
	if errors.As(err, &ue) {
		msg += fmt.Sprintf(" (see '%s --help')", name)
	}
	fmt.Fprintf(stderr, "%s: %s\n", name, msg)
	return code
}

// execute runs args through the command tree over e and returns the
// command that ran (or failed to parse) and the root.
func (e *Env) execute(ctx context.Context, args []string) (cmd, root *cobra.Command, err error) {
	root = newRoot(e)
	root.SetArgs(args)
	root.SetIn(e.Stdin)
	root.SetOut(e.Stdout)
	root.SetErr(e.Stderr)
	cmd, err = root.ExecuteContextC(ctx)
	return cmd, root, err
}

// packagePrefix matches the package names that Go error chains put before
// each wrapped message ("registry: model x: registry: not found"): the
// user reads what failed, not which package said so.
var packagePrefix = regexp.MustCompile(`(^|: )(?:app|adapters|agent|approval|apikeys|asl|audit|bundle|config|dataset|datasets|drift|files|modelimport|monitor|notify|registry|release|report|retrain|serving|sqlite|store|tasks|tracking|train|validation|web|workflow): `)

// newRoot builds the command tree.
func newRoot(e *Env) *cobra.Command {
	root := &cobra.Command{
		Use:   "steward",
		Short: "Steward takes tabular models through their whole life",
		Long: `Steward validates data, trains and registers models, serves predictions,
captures traffic, checks drift and lets an agent decide what to do, with a
human approval for every promotion it proposes. Locally everything lives in
a data directory (--data-dir); on AWS the same commands use the deployed stack.

Exit codes: 0 success, 1 a failed check or a refused action, 2 a usage,
configuration or I/O error, 3 not enough data for a verdict.`,
		Version:       buildinfo.Version(),
		SilenceErrors: true,
		SilenceUsage:  true,
		Args:          noArgs,
		RunE:          func(c *cobra.Command, _ []string) error { return c.Help() },
	}
	defDir, defConfig := ".steward", "steward.yaml"
	if v := e.Getenv("STEWARD_DATA_DIR"); v != "" {
		defDir = v
	}
	if e.DataDir != "" { // set by the caller (tests)
		defDir = e.DataDir
	}
	if e.ConfigPath != "" {
		defConfig = e.ConfigPath
	}
	pf := root.PersistentFlags()
	pf.StringVar(&e.DataDir, "data-dir", defDir, "data directory of the local platform (env STEWARD_DATA_DIR)")
	pf.StringVar(&e.ConfigPath, "config", defConfig, "project configuration file")
	pf.BoolVar(&e.JSON, "json", false, "print machine-readable JSON")
	root.SetVersionTemplate("steward {{.Version}}\n")
	root.SetFlagErrorFunc(flagError)
	root.SuggestionsMinimumDistance = 2
	root.AddGroup(
		&cobra.Group{ID: "model", Title: "Models:"},
		&cobra.Group{ID: "serve", Title: "Serving and monitoring:"},
		&cobra.Group{ID: "workflow", Title: "Retraining and approvals:"},
		&cobra.Group{ID: "admin", Title: "Administration:"},
	)
	root.SetHelpCommandGroupID("admin")
	root.SetCompletionCommandGroupID("admin")
	for _, c := range commands(e) {
		root.AddCommand(c)
	}
	return root
}

// flagError turns pflag's parse errors into usage errors, with a
// suggestion when an unknown flag is close to a known one.
func flagError(c *cobra.Command, err error) error {
	msg := err.Error()
	const unknown = "unknown flag: --"
	if i := strings.Index(msg, unknown); i >= 0 {
		name := strings.TrimSpace(msg[i+len(unknown):])
		if s := suggestFlag(c, name); s != "" {
			msg += fmt.Sprintf(" (did you mean --%s?)", s)
		}
	}
	return &ExitError{Code: ExitUsage, Err: usageError{errors.New(msg)}}
}

// suggestFlag returns the command's flag closest to name, if close enough.
func suggestFlag(c *cobra.Command, name string) string {
	best, bestD := "", 3
	visit := func(f *pflag.Flag) {
		if d := levenshtein(name, f.Name); d < bestD {
			best, bestD = f.Name, d
		}
	}
	c.Flags().VisitAll(visit)
	c.InheritedFlags().VisitAll(visit)
	return best
}

func levenshtein(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}

// Argument rules, as usage errors.

func noArgs(c *cobra.Command, args []string) error {
	if len(args) > 0 {
		if len(c.Commands()) > 0 {
			return usagef("unknown command %q%s", args[0], suggestCommand(c, args[0]))
		}
		return usagef("takes no arguments, got %q", strings.Join(args, " "))
	}
	return nil
}

func exactArgs(n int, what ...string) cobra.PositionalArgs {
	return func(c *cobra.Command, args []string) error {
		if len(args) != n {
			return usagef("takes %d argument%s (%s), got %d", n, plural(n), strings.Join(what, " "), len(args))
		}
		return nil
	}
}

func rangeArgs(lo, hi int, what ...string) cobra.PositionalArgs {
	return func(c *cobra.Command, args []string) error {
		if len(args) < lo || len(args) > hi {
			return usagef("takes %d to %d arguments (%s), got %d", lo, hi, strings.Join(what, " "), len(args))
		}
		return nil
	}
}

func suggestCommand(c *cobra.Command, name string) string {
	if s := c.SuggestionsFor(name); len(s) > 0 {
		return fmt.Sprintf(" (did you mean %q?)", s[0])
	}
	return ""
}

func plural(n int) string {
	if n == 1 {
		return ""
	}
	return "s"
}

// usagef is a usage error: exit 2 and a pointer to --help.
func usagef(format string, args ...any) error {
	return &ExitError{Code: ExitUsage, Err: usageError{fmt.Errorf(format, args...)}}
}

// PrintJSON writes v as indented JSON to stdout.
func (e *Env) PrintJSON(v any) error {
	enc := json.NewEncoder(e.Stdout)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

// requireDataDir refuses to go on when the local data directory does not
// exist: read commands never create state.
func (e *Env) requireDataDir() error {
	if rt, err := config.FromEnv(e.Getenv); err == nil && rt.AWS() {
		return nil // on AWS the stores exist
	}
	st, err := os.Stat(e.DataDir)
	if err == nil && st.IsDir() {
		return nil
	}
	if err == nil {
		return WithCode(ExitUsage, fmt.Errorf("data directory %s is a file, not a directory", e.DataDir))
	}
	return WithCode(ExitUsage, fmt.Errorf("no Steward data directory at %s: create one with 'steward init' or by training a model ('steward train'), or point --data-dir at an existing one", e.DataDir))
}
