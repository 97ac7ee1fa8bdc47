package cli

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/spf13/cobra"
)

func newInitCmd(e *Env) *cobra.Command {
	return &cobra.Command{Use: "init", Short: "create the local data directory (--data-dir) if it does not exist", GroupID: "admin", Args: noArgs,
		Long: `Create the local data directory: the artifact store (a folder), the record
store (an SQLite database), the approval signing key and the email outbox.
'steward train' and 'steward serve' create it too; every other command
refuses to run without one, so a mistyped --data-dir never leaves a new
directory behind.`,
		Example: "  steward init\n  steward --data-dir demo init",
		RunE: func(cmd *cobra.Command, _ []string) error {
			_, statErr := os.Stat(e.DataDir)
			a, err := e.AppCreating(cmd.Context())
			if err != nil {
				return err
			}
			if err := a.Close(); err != nil {
				return err
			}
			abs, _ := filepath.Abs(e.DataDir)
			if statErr == nil {
				fmt.Fprintf(e.Stdout, "data directory %s already exists; nothing to do\n", abs)
				return nil
			}
			fmt.Fprintf(e.Stdout, "created the data directory %s\n", abs)
			return nil
		}}
}
