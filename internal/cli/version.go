package cli

import (
	"fmt"

	"github.com/spf13/cobra"
	"github.com/stewardml/steward/internal/buildinfo"
)

func newVersionCmd(e *Env) *cobra.Command {
	c := &cobra.Command{Use: "version", Short: "print the version of this build", GroupID: "admin", Args: noArgs}
	c.RunE = func(_ *cobra.Command, _ []string) error {
		if e.JSON {
			return e.PrintJSON(map[string]string{"version": buildinfo.Version()})
		}
		fmt.Fprintln(e.Stdout, buildinfo.Version())
		return nil
	}
	return c
}
