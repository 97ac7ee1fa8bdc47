package cli

import (
	"strings"

	"github.com/spf13/cobra"

	"context"
	"errors"
	"fmt"
	"text/tabwriter"
	"time"

	"github.com/stewardml/steward/internal/apikeys"
)

func newKeysCmd(e *Env) *cobra.Command {
	c := &cobra.Command{Use: "keys", Short: "create, list or revoke API keys of the local gateway", GroupID: "admin", Args: noArgs,
		Example: "  steward keys create ci\n  steward keys list\n  steward keys revoke ci",
		RunE:    func(cmd *cobra.Command, _ []string) error { return runKeys(cmd.Context(), e, "list", nil) }}
	sub := func(use, short string, args cobra.PositionalArgs) *cobra.Command {
		name := strings.Fields(use)[0]
		return &cobra.Command{Use: use, Short: short, Args: args,
			RunE: func(cmd *cobra.Command, pos []string) error { return runKeys(cmd.Context(), e, name, pos) }}
	}
	c.AddCommand(
		sub("create NAME", "create a key (printed once) for a caller named NAME", exactArgs(1, "NAME")),
		sub("list", "list the keys, live and revoked", noArgs),
		sub("revoke NAME|ID", "revoke a key by its name or id", exactArgs(1, "NAME|ID")),
	)
	return c
}

func runKeys(ctx context.Context, e *Env, sub string, rest []string) error {
	a, err := e.App(ctx)
	if err != nil {
		return err
	}
	defer a.Close()
	ks := apikeys.New(a.Records, a.Now, nil)
	switch sub {
	case "create":
		plain, k, err := ks.Create(ctx, rest[0])
		if errors.Is(err, apikeys.ErrInvalidName) || errors.Is(err, apikeys.ErrExists) {
			return Failed(err)
		}
		if err != nil {
			return err
		}
		if e.JSON {
			return e.PrintJSON(map[string]any{"key": plain, "id": k.ID, "name": k.Name, "createdAt": k.CreatedAt})
		}
		fmt.Fprintf(e.Stdout, "%s\n", plain)
		fmt.Fprintf(e.Stderr, "created API key %s (%s); it is shown only this once, send it as the x-api-key header\n", k.ID, k.Name)
		return nil
	case "list":
		list, err := ks.List(ctx)
		if err != nil {
			return err
		}
		if e.JSON {
			type row struct {
				ID        string    `json:"id"`
				Name      string    `json:"name"`
				Hint      string    `json:"hint"`
				CreatedAt time.Time `json:"createdAt"`
				RevokedAt time.Time `json:"revokedAt,omitzero"`
			}
			out := make([]row, len(list))
			for i, k := range list {
				out[i] = row{k.ID, k.Name, k.Hint + "…", k.CreatedAt, k.RevokedAt}
			}
			return e.PrintJSON(out)
		}
		tw := tabwriter.NewWriter(e.Stdout, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "ID\tNAME\tKEY\tCREATED\tSTATUS")
		for _, k := range list {
			status := "live"
			if k.Revoked() {
				status = "revoked " + k.RevokedAt.Format(time.DateTime)
			}
			fmt.Fprintf(tw, "%s\t%s\t%s…\t%s\t%s\n", k.ID, k.Name, k.Hint, k.CreatedAt.Format(time.DateTime), status)
		}
		return tw.Flush()
	default:
		k, err := ks.Revoke(ctx, rest[0])
		if errors.Is(err, apikeys.ErrNotFound) {
			return Failed(err)
		}
		if err != nil {
			return err
		}
		if e.JSON {
			return e.PrintJSON(map[string]any{"id": k.ID, "name": k.Name, "revokedAt": k.RevokedAt})
		}
		fmt.Fprintf(e.Stdout, "revoked %s (%s); a running `steward serve` refuses it within seconds\n", k.ID, k.Name)
		return nil
	}
}
