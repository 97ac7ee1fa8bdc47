package cli

import (
	"context"
	"errors"
	"fmt"
	"text/tabwriter"
	"time"

	"github.com/stewardml/steward/internal/apikeys"
)

func runKeys(ctx context.Context, e *Env, args []string) error {
	fs := e.NewFlags("keys")
	fs.Usage = func() {
		fmt.Fprintln(e.Stderr, "usage: steward keys create NAME | list | revoke NAME|ID")
	}
	pos, err := Parse(fs, args)
	if err != nil {
		return err
	}
	if len(pos) == 0 {
		return Usagef("keys: want a subcommand: create NAME, list, or revoke NAME|ID")
	}
	sub, rest := pos[0], pos[1:]
	want := map[string]int{"create": 1, "list": 0, "revoke": 1}
	n, ok := want[sub]
	if !ok {
		return Usagef("keys: unknown subcommand %q (create, list, revoke)", sub)
	}
	if len(rest) != n {
		return Usagef("keys %s: want %d argument(s), got %d", sub, n, len(rest))
	}
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
