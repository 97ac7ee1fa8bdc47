package cli

import (
	"github.com/spf13/cobra"

	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"text/tabwriter"
	"time"

	"github.com/stewardml/steward/internal/config"
	"github.com/stewardml/steward/internal/dataset"
	"github.com/stewardml/steward/internal/drift"
	"github.com/stewardml/steward/internal/monitor"
)

func newDriftCmd(e *Env) *cobra.Command {
	c := &cobra.Command{Use: "drift", Short: "check the captured traffic (or a file) for drift against the model's training data", GroupID: "serve", Args: noArgs,
		Long: `Check a model for drift: its captured predictions of the last --window
(default: the project's drift.window), or a data file (--current), against the
reference profile of the data it was trained on. The verdict exits 0 (no
drift), 1 (drift) or 3 (not enough data: too few captured or labelled rows for
the tests, see drift.min_rows in steward.yaml; send more predictions first).`,
		Example: "  steward drift --model heart --current testdata/heart/processed.hungarian.data\n  steward drift --model heart --window 24h"}
	fs := c.Flags()
	model := fs.String("model", "", "model to check (default: the project's model)")
	current := fs.String("current", "", "check this data file (CSV with a header, or laid out like the training file) instead of the captured traffic")
	window := fs.String("window", "", "check the traffic captured in the last DURATION, e.g. 24h or 7d (default: the project's drift.window)")
	version := fs.Int("version", 0, "check this version instead of champion")
	quiet := fs.Bool("no-event", false, "do not send DriftChecked (the report and history record are still written)")
	c.RunE = func(cmd *cobra.Command, _ []string) error {
		ctx := cmd.Context()
		if *current != "" && *window != "" {
			return Usagef("--current and --window exclude each other: check a file, or the captured traffic")
		}
		if *version < 0 {
			return Usagef("--version %d: expected a version number", *version)
		}
		req := monitor.Request{Model: *model, Version: *version, Trigger: "cli", Quiet: *quiet}
		if *window != "" {
			d, err := config.ParseDuration(*window)
			if err != nil || d <= 0 {
				return Usagef("--window %q: expected a positive duration such as 24h or 7d", *window)
			}
			req.Window = d.D()
		}
		if *current != "" {
			b, err := os.ReadFile(*current)
			if err != nil {
				return WithCode(ExitUsage, err)
			}
			req.Current = &monitor.File{Name: filepath.Base(*current), Data: b}
		}
		a, err := e.App(ctx)
		if err != nil {
			return err
		}
		defer a.Close()
		if req.Model == "" {
			if a.Project == nil {
				return Usagef("--model is required without a project configuration (%s)", e.ConfigPath)
			}
			req.Model = a.Project.Model.Name
		}
		res, err := a.Monitor().Check(ctx, req)
		if err != nil && res == nil {
			var pe *dataset.ParseError
			switch {
			case errors.Is(err, monitor.ErrInvalid), errors.Is(err, drift.ErrSchema), errors.As(err, &pe), errors.Is(err, dataset.ErrEmpty), errors.Is(err, drift.ErrInvalid):
				return WithCode(ExitUsage, err)
			case errors.Is(err, monitor.ErrNoModel), errors.Is(err, monitor.ErrNoProfile):
				return Failed(err)
			}
			return err
		}
		if err != nil {
			fmt.Fprintf(e.Stderr, "steward drift: %v\n", err)
		}
		if e.JSON {
			if perr := e.PrintJSON(monitor.StoredReport{Check: res.Summary, Report: res.Report}); perr != nil {
				return perr
			}
		} else {
			printDrift(e.Stdout, res)
		}
		s := res.Summary
		switch s.Verdict {
		case drift.VerdictDrift:
			return Failed(fmt.Errorf("%s v%d: dataset drift (score %.2f: %d of %d features)", s.Model, s.Version, s.DriftScore, s.Drifted, s.Tested))
		case drift.VerdictInsufficient:
			return WithCode(ExitInsufficient, fmt.Errorf("%s v%d: insufficient data: %s", s.Model, s.Version, s.Reason))
		}
		return nil
	}
	return c
}

func printDrift(w io.Writer, res *monitor.Result) {
	s := res.Summary
	fmt.Fprintf(w, "%s v%d: %s — drift score %.2f (%d of %d features tested drifted", s.Model, s.Version, s.Verdict, s.DriftScore, s.Drifted, s.Tested)
	if s.Insufficient > 0 {
		fmt.Fprintf(w, "; %d without enough data", s.Insufficient)
	}
	fmt.Fprintln(w, ")")
	if s.Reason != "" {
		fmt.Fprintf(w, "  %s\n", s.Reason)
	}
	if s.Source == "captures" {
		fmt.Fprintf(w, "window %s – %s: %d rows (%d scored by v%d, %d labelled)\n",
			s.WindowFrom.Format(time.RFC3339), s.WindowTo.Format(time.RFC3339), s.Rows, s.VersionRows, s.Version, s.Labelled)
	} else {
		fmt.Fprintf(w, "%s: %d rows (%d scored by v%d, %d labelled)\n", s.Source, s.Rows, s.VersionRows, s.Version, s.Labelled)
	}
	if s.Skipped > 0 {
		fmt.Fprintf(w, "skipped %d unreadable capture lines; first: %s\n", s.Skipped, s.SkippedFirst)
	}
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "FEATURE\tTEST\tSCORE\tTHRESHOLD\tEFFECT\tVERDICT")
	rows := append([]monitor.FeatureVerdict(nil), s.FeatureVerdicts...)
	if s.Prediction != nil {
		p := *s.Prediction
		p.Name = "(prediction)"
		rows = append(rows, p)
	}
	for _, f := range rows {
		effect := "-"
		if f.Effect != nil {
			effect = fmt.Sprintf("%s %.3f", f.EffectMeasure, *f.Effect)
		}
		verdict := string(f.Verdict)
		if f.Reason != "" {
			verdict += ": " + oneLine(f.Reason, 60)
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%g\t%s\t%s\n", f.Name, f.Test, num(f.Score), f.Threshold, effect, verdict)
	}
	tw.Flush()
	if p := s.Performance; p != nil {
		fmt.Fprintf(w, "realised performance on %d labelled rows: %s", p.Rows, p.Verdict)
		if p.Reason != "" {
			fmt.Fprintf(w, " (%s)", p.Reason)
		}
		fmt.Fprintln(w)
		for _, m := range p.Metrics {
			fmt.Fprintf(w, "  %-8s %.3f [%.3f, %.3f]", m.Name, m.Value, m.Lower, m.Upper)
			if m.Training != nil {
				fmt.Fprintf(w, " vs %.3f in training", *m.Training)
			}
			if m.Degraded {
				fmt.Fprint(w, " (degraded)")
			}
			fmt.Fprintln(w)
		}
	}
	fmt.Fprintf(w, "report: %s (check %s)\n", s.ReportKey, s.CheckID)
}

func num(p *float64) string {
	if p == nil || math.IsNaN(*p) {
		return "-"
	}
	return strconv.FormatFloat(*p, 'g', 3, 64)
}
