package cli

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"sort"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/stewardml/steward/internal/app"
	"github.com/stewardml/steward/internal/store"
	"github.com/stewardml/steward/internal/tracking"
	"github.com/stewardml/steward/internal/train"
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

// runView is a run as the runs commands show it: the tracking run and,
// when stored, its full record.
type runView struct {
	Run    tracking.Run     `json:"run"`
	Record *train.RunRecord `json:"record,omitempty"`
}

// selected returns the winning candidate of the run, if any.
func (v runView) selected() *train.Scored {
	if v.Record == nil {
		return nil
	}
	for i := range v.Record.Candidates {
		if v.Record.Candidates[i].ID == v.Record.Winner {
			return &v.Record.Candidates[i]
		}
	}
	return nil
}

func loadRun(ctx context.Context, a *app.App, id string) (runView, error) {
	r, err := a.Runs().Get(ctx, id)
	if errors.Is(err, tracking.ErrNotFound) {
		return runView{}, Failed(fmt.Errorf("no run with id %q (list them with: steward runs)", id))
	}
	if err != nil {
		return runView{}, err
	}
	v := runView{Run: r}
	body, _, err := a.Artifacts.Get(ctx, train.RecordKey(id))
	switch {
	case errors.Is(err, store.ErrNotFound):
		return v, nil // a run that failed before it stored a record
	case err != nil:
		return v, err
	}
	var rec train.RunRecord
	if err := json.Unmarshal(body, &rec); err != nil {
		return v, fmt.Errorf("run %s: its record does not parse: %w", id, err)
	}
	v.Record = &rec
	return v, nil
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
	var views []runView
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
			views = []runView{}
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
		if s := v.selected(); s != nil {
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

// compareRow is one line of a comparison: a label and a value per run.
type compareRow struct {
	label  string
	values []string
}

func compareRuns(ctx context.Context, e *Env, ids []string) error {
	a, err := e.App(ctx)
	if err != nil {
		return err
	}
	defer a.Close()
	views := make([]runView, len(ids))
	for i, id := range ids {
		if views[i], err = loadRun(ctx, a, id); err != nil {
			return err
		}
	}
	rows := comparison(views)
	if e.JSON {
		out := make([]map[string]any, len(rows))
		for i, r := range rows {
			out[i] = map[string]any{"field": r.label, "values": r.values, "differs": differs(r.values)}
		}
		return e.PrintJSON(out)
	}
	writeComparison(e.Stdout, ids, rows)
	return nil
}

// comparison lays out the runs' settings and metrics as rows.
func comparison(views []runView) []compareRow {
	field := func(label string, f func(v runView) string) compareRow {
		r := compareRow{label: label, values: make([]string, len(views))}
		for i, v := range views {
			r.values[i] = f(v)
		}
		return r
	}
	rec := func(f func(r *train.RunRecord) string) func(v runView) string {
		return func(v runView) string {
			if v.Record == nil {
				return "-"
			}
			return f(v.Record)
		}
	}
	rows := []compareRow{
		field("model", func(v runView) string { return v.Run.Model }),
		field("status", func(v runView) string { return string(v.Run.Status) }),
		field("started", func(v runView) string { return v.Run.StartedAt.UTC().Format(time.RFC3339) }),
		field("dataset", func(v runView) string { return short(v.Run.DatasetDigest) }),
		field("code", func(v runView) string { return orDash(v.Run.CodeVersion) }),
		field("seed", rec(func(r *train.RunRecord) string { return strconv.FormatInt(r.Config.Seed, 10) })),
		field("folds × repeats", rec(func(r *train.RunRecord) string { return fmt.Sprintf("%d × %d", r.Config.Folds, r.Config.Repeats) })),
		field("selection metric", rec(func(r *train.RunRecord) string { return r.Config.Metric })),
		field("candidates", rec(func(r *train.RunRecord) string { return strconv.Itoa(len(r.Candidates)) })),
		field("selected", func(v runView) string {
			if s := v.selected(); s != nil {
				return s.ID
			}
			return "-"
		}),
		field("family", func(v runView) string {
			if s := v.selected(); s != nil {
				return s.Family
			}
			return "-"
		}),
		field("params", func(v runView) string {
			if s := v.selected(); s != nil {
				return params(s.Params)
			}
			return "-"
		}),
		field("registered", rec(func(r *train.RunRecord) string {
			switch {
			case r.Version != 0:
				return fmt.Sprintf("v%d (%s)", r.Version, r.Alias)
			case r.SameAs != 0:
				return fmt.Sprintf("same as v%d", r.SameAs)
			}
			return "-"
		})),
	}
	names := map[string]bool{}
	for _, v := range views {
		for k := range v.Run.Metrics {
			if strings.HasPrefix(k, "cv_") || strings.HasPrefix(k, "holdout_") {
				names[k] = true
			}
		}
	}
	keys := make([]string, 0, len(names))
	for k := range names {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		rows = append(rows, field(k, func(v runView) string {
			if x, ok := v.Run.Metrics[k]; ok {
				return strconv.FormatFloat(x, 'f', 4, 64)
			}
			return "-"
		}))
	}
	return rows
}

func differs(values []string) bool {
	for _, v := range values[1:] {
		if v != values[0] {
			return true
		}
	}
	return false
}

// writeComparison prints the rows with a ≠ before each that differs.
func writeComparison(w io.Writer, ids []string, rows []compareRow) {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprint(tw, "\t")
	for _, id := range ids {
		fmt.Fprintf(tw, "\t%s", id)
	}
	fmt.Fprintln(tw)
	for _, r := range rows {
		mark := " "
		if differs(r.values) {
			mark = "≠"
		}
		fmt.Fprintf(tw, "%s\t%s", mark, r.label)
		for _, v := range r.values {
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
