package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"sort"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/stewardml/steward/internal/app"
	"github.com/stewardml/steward/internal/runs"
)

func newRunsCmd(e *Env) *cobra.Command {
	var model string
	var limit int
	c := &cobra.Command{Use: "runs", Short: "list training runs, show one, or compare several side by side", GroupID: "model", Args: noArgs,
		Example: "  steward runs\n  steward runs --model heart --limit 5 --json\n  steward runs show <run id>\n  steward runs compare <run id> <run id>",
		RunE:    func(cmd *cobra.Command, _ []string) error { return listRuns(cmd.Context(), e, model, limit) }}
	c.Flags().StringVar(&model, "model", "", "only this model's runs (default: every model)")
	c.Flags().IntVar(&limit, "limit", 20, "at most N runs per model, newest first (0: all)")
	c.AddCommand(&cobra.Command{Use: "show RUN_ID", Short: "show one run: its candidates, the selection, the hold-out and what it registered", Args: exactArgs(1, "RUN_ID"),
		RunE: func(cmd *cobra.Command, pos []string) error { return showRun(cmd.Context(), e, pos[0]) }},
		&cobra.Command{Use: "compare RUN_ID RUN_ID [RUN_ID...]", Short: "print runs' settings and metrics side by side, marking the rows that differ",
			Args: func(cmd *cobra.Command, args []string) error {
				if len(args) < 2 {
					return usagef("takes two or more run ids, got %d", len(args))
				}
				return nil
			},
			RunE: func(cmd *cobra.Command, pos []string) error { return compareRuns(cmd.Context(), e, pos) }})
	return c
}

// loadRun reads a run through package runs; an unknown id is a refusal.
func loadRun(ctx context.Context, a *app.App, id string) (runs.View, error) {
	v, err := runs.Load(ctx, a.Runs(), a.Artifacts, id)
	if errors.Is(err, runs.ErrNotFound) {
		return v, Failed(fmt.Errorf("no run with id %q (list them with: steward runs)", id))
	}
	return v, err
}

func listRuns(ctx context.Context, e *Env, model string, limit int) error {
	if limit < 0 {
		return usagef("--limit must not be negative")
	}
	a, err := e.App(ctx)
	if err != nil {
		return err
	}
	defer a.Close()
	reg := a.Registry()
	var models []string
	if model != "" {
		if _, err := knownModel(ctx, reg, model); err != nil {
			return err
		}
		models = []string{model}
	} else {
		ms, err := reg.Models(ctx)
		if err != nil {
			return err
		}
		for _, m := range ms {
			models = append(models, m.Name)
		}
	}
	var views []runs.View
	for _, m := range models {
		runs, err := a.Runs().List(ctx, m, limit)
		if err != nil {
			return err
		}
		for _, r := range runs {
			v, err := loadRun(ctx, a, r.ID)
			if err != nil {
				return err
			}
			views = append(views, v)
		}
	}
	sort.SliceStable(views, func(i, j int) bool { return views[i].Run.StartedAt.After(views[j].Run.StartedAt) })
	if e.JSON {
		if views == nil {
			views = []runs.View{}
		}
		return e.PrintJSON(views)
	}
	if len(views) == 0 {
		fmt.Fprintln(e.Stdout, "no training runs yet: run 'steward train'")
		return nil
	}
	tw := tabwriter.NewWriter(e.Stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "RUN\tSTARTED\tMODEL\tSTATUS\tDATASET\tSELECTED\tMETRIC\tVERSION")
	for _, v := range views {
		sel, metric, version := "-", "-", "-"
		if s := v.Selected(); s != nil {
			sel = s.ID
			m := v.Record.Config.Metric
			if st, ok := s.CV[m]; ok {
				metric = fmt.Sprintf("%s %.4f", m, st.Mean)
			}
		}
		if rec := v.Record; rec != nil {
			switch {
			case rec.Version != 0:
				version = fmt.Sprintf("v%d (%s)", rec.Version, rec.Alias)
			case rec.SameAs != 0:
				version = fmt.Sprintf("same as v%d", rec.SameAs)
			}
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", v.Run.ID, v.Run.StartedAt.UTC().Format(time.RFC3339), v.Run.Model, v.Run.Status,
			short(v.Run.DatasetDigest), sel, metric, version)
	}
	return tw.Flush()
}

func showRun(ctx context.Context, e *Env, id string) error {
	a, err := e.App(ctx)
	if err != nil {
		return err
	}
	defer a.Close()
	v, err := loadRun(ctx, a, id)
	if err != nil {
		return err
	}
	if e.JSON {
		return e.PrintJSON(v)
	}
	r := v.Run
	fmt.Fprintf(e.Stdout, "run %s of %s: %s\nstarted %s, took %s, code %s\ndataset sha256:%s\n", r.ID, r.Model, r.Status,
		r.StartedAt.UTC().Format(time.RFC3339), r.Duration.Round(time.Millisecond), orDash(r.CodeVersion), r.DatasetDigest)
	if r.Error != "" {
		fmt.Fprintf(e.Stdout, "error: %s\n", r.Error)
	}
	if v.Record == nil || len(v.Record.Candidates) == 0 {
		return nil
	}
	fmt.Fprintln(e.Stdout)
	printRun(e.Stdout, *v.Record)
	return nil
}

func compareRuns(ctx context.Context, e *Env, ids []string) error {
	a, err := e.App(ctx)
	if err != nil {
		return err
	}
	defer a.Close()
	views := make([]runs.View, len(ids))
	for i, id := range ids {
		if views[i], err = loadRun(ctx, a, id); err != nil {
			return err
		}
	}
	rows := runs.Compare(views)
	if e.JSON {
		return e.PrintJSON(rows)
	}
	writeComparison(e.Stdout, ids, rows)
	return nil
}

// writeComparison prints the rows with a ≠ before each that differs.
func writeComparison(w io.Writer, ids []string, rows []runs.Row) {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprint(tw, "\t")
	for _, id := range ids {
		fmt.Fprintf(tw, "\t%s", id)
	}
	fmt.Fprintln(tw)
	for _, r := range rows {
		mark := " "
		if r.Differs {
			mark = "≠"
		}
		fmt.Fprintf(tw, "%s\t%s", mark, r.Field)
		for _, v := range r.Values {
			fmt.Fprintf(tw, "\t%s", v)
		}
		fmt.Fprintln(tw)
	}
	tw.Flush()
	fmt.Fprintln(w, "\n≠ marks the rows whose values differ.")
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}
