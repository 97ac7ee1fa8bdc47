package cli

import (
	"errors"
	"flag"
	"fmt"

	"github.com/spf13/cobra"
)

// legacy wraps a command that still parses its own flags with package
// flag: cobra routes to it and leaves its arguments alone.
func legacy(e *Env, use, short, group string, run func(c *cobra.Command, args []string) error) *cobra.Command {
	return &cobra.Command{
		Use: use, Short: short, GroupID: group,
		DisableFlagParsing: true,
		RunE: func(c *cobra.Command, args []string) error {
			for _, a := range args {
				if a == "-h" || a == "--help" || a == "-help" {
					if err := c.Help(); err != nil {
						return err
					}
					// Then the command's own flags, from its flag set.
					stderr := e.Stderr
					e.Stderr = e.Stdout
					defer func() { e.Stderr = stderr }()
					fmt.Fprintln(e.Stdout)
					_ = run(c, []string{"-h"})
					return nil
				}
			}
			err := run(c, args)
			if errors.Is(err, flag.ErrHelp) {
				return nil
			}
			return err
		},
	}
}

// NewFlags returns a flag set for a legacy subcommand whose parse errors
// become usage errors. The global flags are accepted after the command.
func (e *Env) NewFlags(name string) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(e.Stderr)
	fs.BoolVar(&e.JSON, "json", e.JSON, "print machine-readable JSON")
	fs.StringVar(&e.DataDir, "data-dir", e.DataDir, "data directory of the local platform")
	fs.StringVar(&e.ConfigPath, "config", e.ConfigPath, "project configuration file")
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
			return nil, usagef("%v", err)
		}
		args = fs.Args()
		if len(args) == 0 {
			return pos, nil
		}
		pos = append(pos, args[0])
		args = args[1:]
	}
}
