package cli

import (
	"context"
	"fmt"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"
	"github.com/stewardml/steward/internal/app"
	"github.com/stewardml/steward/internal/audit"
)

func newAuditCmd(e *Env) *cobra.Command {
	c := &cobra.Command{Use: "audit", Short: "read the audit log in time order", GroupID: "serve", Args: noArgs,
		Example: "  steward audit --model heart\n  steward audit --since 24h --newest --limit 20\n  steward audit --correlation <drift check id>"}
	fs := c.Flags()
	model := fs.String("model", "", "only this model's events")
	since := fs.Duration("since", 0, "only events of the last DURATION (e.g. 24h)")
	from := fs.String("from", "", "only events at or after this RFC 3339 time")
	to := fs.String("to", "", "only events at or before this RFC 3339 time")
	limit := fs.Int("limit", 0, "at most N events (newest when --newest)")
	newest := fs.Bool("newest", false, "newest first")
	corr := fs.String("correlation", "", "only events of this correlation id (one decision chain)")
	c.RunE = func(cmd *cobra.Command, _ []string) error {
		ctx := cmd.Context()
		f := audit.Filter{Model: *model, Limit: *limit, Newest: *newest}
		if *since < 0 || *limit < 0 {
			return Usagef("--since and --limit must not be negative")
		}
		if err := parseRange(*from, *to, &f); err != nil {
			return err
		}
		a, err := e.App(ctx)
		if err != nil {
			return err
		}
		defer a.Close()
		if err := scopeFilter(ctx, a, &f, *since); err != nil {
			return err
		}
		events, err := a.Audit().List(ctx, f)
		if err != nil {
			return WithCode(ExitUsage, err)
		}
		if *corr != "" {
			kept := events[:0]
			for _, ev := range events {
				if ev.CorrelationID == *corr {
					kept = append(kept, ev)
				}
			}
			events = kept
		}
		if e.JSON {
			if events == nil {
				events = []audit.Event{}
			}
			return e.PrintJSON(events)
		}
		if len(events) == 0 {
			fmt.Fprintln(e.Stdout, "no audit events match")
			return nil
		}
		tw := tabwriter.NewWriter(e.Stdout, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "TIME\tACTOR\tACTION\tSUBJECT\tREASON")
		for _, ev := range events {
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", ev.Time.UTC().Format(time.RFC3339), ev.Actor, ev.Action, subject(ev.Subject), oneLine(ev.Reason, 80))
		}
		return tw.Flush()
	}
	return c
}

func subject(s audit.Subject) string {
	var parts []string
	if s.Model != "" {
		p := s.Model
		if s.Version != 0 {
			p += fmt.Sprintf(":%d", s.Version)
		}
		parts = append(parts, p)
	}
	if s.Execution != "" {
		parts = append(parts, "exec "+shortID(s.Execution))
	}
	if s.Run != "" {
		parts = append(parts, "run "+shortID(s.Run))
	}
	return strings.Join(parts, " ")
}

func shortID(id string) string {
	if i := strings.LastIndexByte(id, ':'); i >= 0 {
		id = id[i+1:]
	}
	if len(id) > 13 {
		return id[:13]
	}
	return id
}

func oneLine(s string, n int) string {
	s = strings.Join(strings.Fields(s), " ")
	if len(s) > n {
		return s[:n-1] + "…"
	}
	return s
}

// scopeFilter checks that f's model exists (when it names one) and sets
// f.From to since ago (when since is positive) on the application's clock.
func scopeFilter(ctx context.Context, a *app.App, f *audit.Filter, since time.Duration) error {
	if f.Model != "" {
		if _, err := knownModel(ctx, a.Registry(), f.Model); err != nil {
			return err
		}
	}
	if since > 0 {
		f.From = a.Now().Add(-since)
	}
	return nil
}

// parseRange sets f.From and f.To from the --from and --to values (RFC
// 3339, empty for none); a bad value is a usage error.
func parseRange(from, to string, f *audit.Filter) error {
	for _, p := range []struct {
		flag, v string
		dst     *time.Time
	}{{"--from", from, &f.From}, {"--to", to, &f.To}} {
		if p.v == "" {
			continue
		}
		t, err := time.Parse(time.RFC3339, p.v)
		if err != nil {
			return Usagef("%s %q: expected an RFC 3339 time such as 2026-11-25T10:00:00Z", p.flag, p.v)
		}
		*p.dst = t
	}
	return nil
}
