package cli

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"sort"
	"strings"
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

// Env is what every command receives: the global options, the streams and
// the environment, and a lazily built application.
type Env struct {
	DataDir    string // --data-dir, default .steward
	ConfigPath string // --config, default steward.yaml
	JSON       bool   // --json
	Stdin      io.Reader
	Stdout     io.Writer
	Stderr     io.Writer
	Getenv     func(string) string
}

// command is one subcommand.
type command struct {
	name    string
	summary string
	run     func(ctx context.Context, e *Env, args []string) error
}

// Main runs the CLI with args (without the program name) and returns the
// process exit code. It never panics on bad input and prints errors on
// stderr in one line.
func Main(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer, getenv func(string) string) int {
	e := &Env{Stdin: stdin, Stdout: stdout, Stderr: stderr, Getenv: getenv}
	fs := flag.NewFlagSet("steward", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	defDir := ".steward"
	if v := getenv("STEWARD_DATA_DIR"); v != "" {
		defDir = v
	}
	fs.StringVar(&e.DataDir, "data-dir", defDir, "data directory of the local platform")
	fs.StringVar(&e.ConfigPath, "config", "steward.yaml", "project configuration file")
	fs.BoolVar(&e.JSON, "json", false, "print machine-readable JSON")
	if err := fs.Parse(args); err != nil {
		fmt.Fprintf(stderr, "steward: %v\n", err)
		usage(stderr)
		return ExitUsage
	}
	rest := fs.Args()
	if len(rest) == 0 || rest[0] == "help" || rest[0] == "-h" || rest[0] == "--help" {
		usage(stdout)
		if len(rest) == 0 {
			return ExitUsage
		}
		return ExitOK
	}
	cmds := commands()
	var cmd *command
	for i := range cmds {
		if cmds[i].name == rest[0] {
			cmd = &cmds[i]
		}
	}
	if cmd == nil {
		fmt.Fprintf(stderr, "steward: unknown command %q (run 'steward help' for the list)\n", rest[0])
		return ExitUsage
	}
	err := cmd.run(ctx, e, rest[1:])
	if err == nil {
		return ExitOK
	}
	if errors.Is(err, flag.ErrHelp) {
		return ExitOK
	}
	code := ExitUsage
	var xe *ExitError
	if errors.As(err, &xe) {
		code = xe.Code
	}
	msg := strings.ReplaceAll(err.Error(), "\n", "; ")
	fmt.Fprintf(stderr, "steward %s: %s\n", cmd.name, msg)
	return code
}

func usage(w io.Writer) {
	fmt.Fprintln(w, "usage: steward [--data-dir DIR] [--config FILE] [--json] COMMAND [ARGS]")
	fmt.Fprintln(w, "\ncommands:")
	cmds := commands()
	sort.Slice(cmds, func(i, j int) bool { return cmds[i].name < cmds[j].name })
	for _, c := range cmds {
		fmt.Fprintf(w, "  %-12s %s\n", c.name, c.summary)
	}
}

// NewFlags returns a flag set for a subcommand whose parse errors become
// usage errors. A --json flag is added so that it may follow the command.
func (e *Env) NewFlags(name string) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(e.Stderr)
	fs.BoolVar(&e.JSON, "json", e.JSON, "print machine-readable JSON")
	return fs
}

// Parse parses args with fs and turns errors into usage errors. Positional
// arguments may come before flags.
func Parse(fs *flag.FlagSet, args []string) ([]string, error) {
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				return nil, err
			}
			return nil, Usagef("%v", err)
		}
		args = fs.Args()
		if len(args) == 0 {
			return pos, nil
		}
		pos = append(pos, args[0])
		args = args[1:]
	}
}

// PrintJSON writes v as indented JSON to stdout.
func (e *Env) PrintJSON(v any) error {
	enc := json.NewEncoder(e.Stdout)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}
