package cli

import (
	"context"
	"fmt"

	"github.com/stewardml/steward/internal/buildinfo"
)

func runVersion(ctx context.Context, e *Env, args []string) error {
	fs := e.NewFlags("version")
	if _, err := Parse(fs, args); err != nil {
		return err
	}
	if e.JSON {
		return e.PrintJSON(map[string]string{"version": buildinfo.Version()})
	}
	fmt.Fprintln(e.Stdout, buildinfo.Version())
	return nil
}
