package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"sort"
	"strings"
	"sync"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"
	"github.com/stewardml/steward/internal/app"
	"github.com/stewardml/steward/internal/audit"
	"github.com/stewardml/steward/internal/config"
	"github.com/stewardml/steward/internal/dataset"
	"github.com/stewardml/steward/internal/train"
	"github.com/stewardml/steward/internal/validation"
)

func newTrainCmd(e *Env) *cobra.Command {
	c := &cobra.Command{Use: "train", Short: "search, cross-validate, select and register a model", GroupID: "model", Args: noArgs,
		Example: "  steward train\n  steward train --data testdata/heart/processed.cleveland.data --seed 7 -v\n  steward train --force   # register even a bundle identical to an existing version"}
	fs := c.Flags()
	model := fs.String("model", "", "model to train (default: the project's model)")
	dataFiles := fs.StringArray("data", nil, "training data file (default: the project's data source); give several with --pick-best")
	pickBest := fs.Bool("pick-best", false, "of several --data files, train on the best one (see 'steward datasets rank')")
	seed := fs.Int64("seed", 0, "random seed (default: the configuration's training.seed)")
	verbose := fs.BoolP("verbose", "v", false, "print a progress line per fold, not only per candidate")
	force := fs.Bool("force", false, "register the bundle even when a version with the identical bundle exists")
	skipValidation := fs.Bool("skip-validation", false, "train even when the data fails the project's validation suite (needs --reason; recorded in the audit log)")
	reason := fs.String("reason", "", "why validation is skipped (with --skip-validation)")
	c.RunE = func(cmd *cobra.Command, _ []string) error {
		ctx := cmd.Context()
		seedSet := fs.Changed("seed")
		cfgPath := &e.ConfigPath
		p, err := config.Load(*cfgPath)
		if err != nil {
			return WithCode(ExitUsage, err)
		}
		if *model != "" && *model != p.Model.Name {
			return Failed(fmt.Errorf("no model named %q in %s (it describes %q)", *model, *cfgPath, p.Model.Name))
		}
		path := p.DataPath()
		switch {
		case len(*dataFiles) > 1 && !*pickBest:
			return usagef("several --data files need --pick-best (or train on one)")
		case *pickBest && len(*dataFiles) < 2:
			return usagef("--pick-best needs two or more --data files")
		case *pickBest:
			best, err := rankFiles(ctx, e, *dataFiles, e.Stderr)
			if err != nil {
				return err
			}
			fmt.Fprintf(e.Stderr, "train: picked %s\n", best.Name)
			path = best.Name
		case len(*dataFiles) == 1:
			path = (*dataFiles)[0]
		}
		frame, raw, err := dataset.ReadFile(path, p.Schema(), dataset.Options{Format: p.DataFormat()})
		if err != nil {
			return WithCode(ExitUsage, fmt.Errorf("%s: %w", path, err))
		}
		cfg := p.Training
		if seedSet {
			cfg.Seed = *seed
		}
		if *skipValidation && strings.TrimSpace(*reason) == "" {
			return usagef("--skip-validation needs --reason TEXT (the audit log keeps who skipped validation and why)")
		}
		if *reason != "" && !*skipValidation {
			return usagef("--reason goes with --skip-validation")
		}

		a, err := e.AppCreating(ctx)
		if err != nil {
			return err
		}
		defer a.Close()
		ref, err := dataset.Store(ctx, a.Artifacts, raw)
		if err != nil {
			return err
		}
		actor := e.Getenv("USER")
		if actor == "" {
			actor = "cli"
		}
		cat := &dataset.Catalog{Records: a.Records, Now: a.Now}
		if err := cat.Note(ctx, ref, frame.Rows, len(frame.Names), path, actor); err != nil {
			return err
		}
		if err := gateTraining(ctx, e, a, p, frame, ref, path, *skipValidation, *reason); err != nil {
			return err
		}
		svc := a.TrainService("cli")
		prog := newProgress(e.Stderr, *verbose)
		rec, err := svc.Train(ctx, train.Request{
			Model:    p.Model.Name,
			Data:     train.Data{Schema: p.Schema(), Frame: frame, Digest: ref.Digest},
			Config:   cfg,
			Progress: prog.event,
			Force:    *force,
		})
		prog.done()
		if err != nil {
			switch {
			case errors.Is(err, train.ErrInvalidConfig):
				return WithCode(ExitUsage, err)
			case errors.Is(err, train.ErrInvalidData), errors.Is(err, train.ErrTrainingFailed):
				return Failed(err)
			}
			return err
		}
		if e.JSON {
			return e.PrintJSON(rec)
		}
		printRun(e.Stdout, rec)
		return nil
	}
	return c
}

// gateTraining validates the training data with the project's suite and
// stores the result, so the training report shows it. A failure stops the
// training (exit 1) naming each failed expectation and is audited; with
// skip the failure is recorded with who skipped it and why, and training
// goes on.
func gateTraining(ctx context.Context, e *Env, a *app.App, p *config.Project, frame *dataset.Frame, ref dataset.Ref, path string, skip bool, reason string) error {
	suitePath := p.SuitePath()
	if suitePath == "" {
		return nil // the project has no suite
	}
	raw, err := os.ReadFile(suitePath)
	if err != nil {
		return WithCode(ExitUsage, fmt.Errorf("validation suite: %w", err))
	}
	suite, err := validation.ParseSuite(raw)
	if err != nil {
		return WithCode(ExitUsage, fmt.Errorf("%s: %w", suitePath, err))
	}
	now := a.Now().UTC()
	res := validation.Validate(suite, frame, validation.Options{
		ResultFormat: p.Validation.ResultFormat,
		Now:          func() time.Time { return now },
		BatchKwargs:  validation.Object{{Key: "path", Value: path}, {Key: "dataset_sha256", Value: ref.Digest}, {Key: "rows", Value: frame.Rows}},
	})
	doc, err := res.MarshalIndent()
	if err != nil {
		return err
	}
	key := validation.ResultKey(ref.Digest, suite.Name, now)
	if _, err := a.Artifacts.Put(ctx, key, doc, "application/json"); err != nil {
		return fmt.Errorf("store the validation result: %w", err)
	}
	if res.Success {
		fmt.Fprintf(e.Stderr, "train: %s passes the suite %s (%d expectations)\n", path, suite.Name, res.Statistics.EvaluatedExpectations)
		return nil
	}
	sum := validation.Summarize(res)
	actor := e.Getenv("USER")
	if actor == "" {
		actor = "cli"
	}
	ev := audit.Event{Actor: actor, Subject: audit.Subject{Model: p.Model.Name}, Evidence: []string{key, ref.Key}}
	if !skip {
		printValidation(e, res, path, suitePath, ref.Digest, frame.Rows)
		ev.Action, ev.Reason = ActionTrainRefused, "the training data fails validation: "+sum.String()
		if _, err := a.Audit().Append(ctx, ev); err != nil {
			return err
		}
		return Failed(fmt.Errorf("%s fails validation, nothing trained or registered: %s (train anyway with --skip-validation --reason TEXT)", path, sum))
	}
	ev.Action, ev.Reason = ActionValidationSkipped, fmt.Sprintf("%s (validation: %s)", reason, sum)
	if _, err := a.Audit().Append(ctx, ev); err != nil {
		return err
	}
	fmt.Fprintf(e.Stderr, "train: %s fails validation (%s); training anyway, as %s asked: %s\n", path, sum, actor, reason)
	return nil
}

// Audit actions of the validation gate on training.
const (
	// ActionTrainRefused: training did not start because the data failed
	// the project's validation suite.
	ActionTrainRefused = "train.validation_failed"
	// ActionValidationSkipped: training went on although the data failed
	// validation, because someone said so (--skip-validation --reason).
	ActionValidationSkipped = "train.validation_skipped"
)

// progress renders training progress on stderr: a line per candidate (and
// per fold with -v), each naming the family, the candidate and the fold.
type progress struct {
	w       io.Writer
	verbose bool
	mu      sync.Mutex
	folds   map[string]int
	sum     map[string]float64
	tty     bool
}

func newProgress(w io.Writer, verbose bool) *progress {
	pr := &progress{w: w, verbose: verbose, folds: map[string]int{}, sum: map[string]float64{}}
	if f, ok := w.(*os.File); ok {
		if st, err := f.Stat(); err == nil && st.Mode()&os.ModeCharDevice != 0 {
			pr.tty = true
		}
	}
	return pr
}

func (pr *progress) event(p train.Progress) {
	pr.mu.Lock()
	defer pr.mu.Unlock()
	switch p.Stage {
	case train.StageFold:
		pr.folds[p.Candidate]++
		pr.sum[p.Candidate] += p.Value
		n := pr.folds[p.Candidate]
		line := fmt.Sprintf("train: [%3d/%d] %-6s %d/%d %-10s fold %2d/%d  %s %.4f", p.Done, p.Total, p.Family, p.FamilyIndex, p.FamilySize, p.Candidate, p.Fold, p.Folds, p.Metric, p.Value)
		if p.Err != "" {
			line = fmt.Sprintf("train: [%3d/%d] %-6s %d/%d %-10s fold %2d/%d  failed: %s", p.Done, p.Total, p.Family, p.FamilyIndex, p.FamilySize, p.Candidate, p.Fold, p.Folds, p.Err)
		}
		switch {
		case pr.verbose:
			fmt.Fprintln(pr.w, line)
		case n == p.Folds:
			pr.clear()
			fmt.Fprintf(pr.w, "train: [%3d/%d] %-6s %d/%d %-10s %d folds  %s %.4f (mean)\n", p.Done, p.Total, p.Family, p.FamilyIndex, p.FamilySize, p.Candidate, p.Folds, p.Metric, pr.sum[p.Candidate]/float64(n))
		case pr.tty:
			fmt.Fprintf(pr.w, "\r%s", line)
		}
	case train.StageSelect:
		pr.clear()
		fmt.Fprintf(pr.w, "train: selected %s (%s %.4f); refitting on the training rows\n", p.Candidate, p.Metric, p.Value)
	case train.StageHoldout:
		fmt.Fprintf(pr.w, "train: %s on the hold-out: %s %.4f\n", p.Candidate, p.Metric, p.Value)
	}
}

func (pr *progress) clear() {
	if pr.tty && !pr.verbose {
		fmt.Fprint(pr.w, "\r\033[K")
	}
}

func (pr *progress) done() {
	pr.mu.Lock()
	defer pr.mu.Unlock()
	pr.clear()
}

// printRun prints the candidates table and the outcome of a run.
func printRun(w io.Writer, rec train.RunRecord) {
	metric := rec.Config.Metric
	cols := []string{metric}
	for _, m := range []string{"roc_auc", "f1", "accuracy"} {
		if m != metric {
			cols = append(cols, m)
		}
	}
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprint(tw, "\tcandidate\tparams")
	for _, c := range cols {
		fmt.Fprintf(tw, "\t%s (cv)", c)
	}
	fmt.Fprintln(tw, "\tfit time")
	for _, c := range rec.Candidates {
		mark := ""
		if c.Selected {
			mark = "*"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s", mark, c.ID, params(c.Params))
		for _, m := range cols {
			if c.Error != "" {
				fmt.Fprint(tw, "\t-")
				continue
			}
			st := c.CV[m]
			fmt.Fprintf(tw, "\t%.4f ± %.4f", st.Mean, st.Std)
		}
		if c.Error != "" {
			fmt.Fprintf(tw, "\tfailed: %s\n", c.Error)
			continue
		}
		fmt.Fprintf(tw, "\t%.2fs\n", c.Seconds)
	}
	tw.Flush()
	fmt.Fprintf(w, "\n%d candidates, %d folds × %d repeats, selected by %s: %s\n", len(rec.Candidates), rec.Config.Folds, rec.Config.Repeats, metric, rec.Winner)
	if h := rec.Holdout; h != nil {
		m := h.Metrics
		fmt.Fprintf(w, "hold-out (%d rows): roc_auc %.4f  pr_auc %.4f  f1 %.4f  accuracy %.4f  precision %.4f  recall %.4f  log_loss %.4f  brier %.4f\n",
			m.N, m.ROCAUC, m.PRAUC, m.F1, m.Accuracy, m.Precision, m.Recall, m.LogLoss, m.Brier)
		fmt.Fprintf(w, "confusion at %g: tp %d  fp %d  tn %d  fn %d\n", m.Threshold, m.Confusion.TP, m.Confusion.FP, m.Confusion.TN, m.Confusion.FN)
	}
	if rec.SameAs != 0 {
		fmt.Fprintf(w, "registered nothing: the bundle is identical to %s:%d (train with --force to register it again)\n", rec.Model, rec.SameAs)
	} else {
		fmt.Fprintf(w, "registered %s:%d as %s\n", rec.Model, rec.Version, rec.Alias)
	}
	fmt.Fprintf(w, "bundle %s\nrun %s (%.1fs)\n", rec.BundleDigest, rec.ID, rec.Seconds)
}

// params renders a search point as "k=v k=v" in key order.
func params(p map[string]any) string {
	keys := make([]string, 0, len(p))
	for k := range p {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = fmt.Sprintf("%s=%v", k, p[k])
	}
	if len(parts) == 0 {
		return "(defaults)"
	}
	return strings.Join(parts, " ")
}
