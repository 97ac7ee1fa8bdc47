package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path"
	"sort"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/stewardml/steward/internal/app"
	"github.com/stewardml/steward/internal/bundle"
	"github.com/stewardml/steward/internal/config"
	"github.com/stewardml/steward/internal/dataset"
	"github.com/stewardml/steward/internal/datasets"
	"github.com/stewardml/steward/internal/drift"
	"github.com/stewardml/steward/internal/registry"
	"github.com/stewardml/steward/internal/store"
	"github.com/stewardml/steward/internal/validation"
)

func newDatasetsCmd(e *Env) *cobra.Command {
	c := &cobra.Command{Use: "datasets", Short: "list stored dataset versions, show one, diff two, or rank candidate files", GroupID: "model", Args: noArgs,
		Example: "  steward datasets\n  steward datasets show a74b7efa\n  steward datasets diff testdata/heart/processed.cleveland.data testdata/heart/processed.hungarian.data\n" +
			"  steward datasets rank --data testdata/heart/processed.cleveland.data --data testdata/heart/processed.hungarian.data",
		RunE: func(cmd *cobra.Command, _ []string) error { return listDatasets(cmd.Context(), e) }}
	c.AddCommand(&cobra.Command{Use: "show DIGEST", Short: "one dataset version: its sources, shape, validation, columns, and the runs and versions that used it", Args: exactArgs(1, "DIGEST"),
		RunE: func(cmd *cobra.Command, pos []string) error { return showDataset(cmd.Context(), e, pos[0]) }},
		&cobra.Command{Use: "diff A B", Short: "how B differs from A: schema, rows, per-column statistics and drift (A and B: stored digests or files)", Args: exactArgs(2, "A B"),
			RunE: func(cmd *cobra.Command, pos []string) error { return diffDatasets(cmd.Context(), e, pos[0], pos[1]) }})
	var files []string
	rank := &cobra.Command{Use: "rank --data FILE --data FILE...", Short: "rank candidate training files: validation, missing values, size and drift from the champion's data", Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			_, err := rankFiles(cmd.Context(), e, files, e.Stdout)
			return err
		}}
	rank.Flags().StringArrayVar(&files, "data", nil, "a candidate file (repeat for each)")
	_ = rank.MarkFlagRequired("data")
	c.AddCommand(rank)
	return c
}

// datasetView is a stored dataset version with what used it.
type datasetView struct {
	dataset.Entry
	Cataloged  bool                     `json:"cataloged"`
	Validation *validationView          `json:"validation,omitempty"`
	Runs       []string                 `json:"runs"`
	Versions   []string                 `json:"versions"`
	Summaries  []datasets.ColumnSummary `json:"columnSummaries,omitempty"`
}

type validationView struct {
	Key     string `json:"key"`
	Success bool   `json:"success"`
	Summary string `json:"summary"`
}

// collectDatasets joins the catalog with the stored bytes, the newest
// validation result of each version, and the runs and versions that used it.
func collectDatasets(ctx context.Context, a *app.App) ([]datasetView, error) {
	cat := &dataset.Catalog{Records: a.Records, Now: a.Now}
	entries, err := cat.List(ctx)
	if err != nil {
		return nil, err
	}
	byDigest := map[string]*datasetView{}
	var views []*datasetView
	for _, en := range entries {
		v := &datasetView{Entry: en, Cataloged: true}
		byDigest[en.Digest] = v
		views = append(views, v)
	}
	stored, err := a.Artifacts.List(ctx, dataset.KeyPrefix)
	if err != nil {
		return nil, err
	}
	for _, o := range stored {
		d := strings.TrimPrefix(o.Key, dataset.KeyPrefix)
		if _, ok := byDigest[d]; ok || !dataset.ValidDigest(d) {
			continue
		}
		v := &datasetView{Entry: dataset.Entry{Digest: d, Size: o.Size, FirstSeen: o.LastModified.UTC(), Sources: []dataset.Source{}}}
		byDigest[d] = v
		views = append(views, v)
	}
	reg := a.Registry()
	models, err := reg.Models(ctx)
	if err != nil {
		return nil, err
	}
	for _, m := range models {
		runs, err := a.Runs().List(ctx, m.Name, 0)
		if err != nil {
			return nil, err
		}
		for _, r := range runs {
			if v := byDigest[r.DatasetDigest]; v != nil {
				v.Runs = append(v.Runs, r.ID)
			}
		}
		versions, err := reg.Versions(ctx, m.Name)
		if err != nil {
			return nil, err
		}
		for _, ver := range versions {
			if v := byDigest[ver.DatasetDigest]; v != nil {
				v.Versions = append(v.Versions, fmt.Sprintf("%s:%d", m.Name, ver.Number))
			}
		}
	}
	out := make([]datasetView, 0, len(views))
	for _, v := range views {
		if v.Validation, err = newestValidation(ctx, a.Artifacts, v.Digest); err != nil {
			return nil, err
		}
		if v.Runs == nil {
			v.Runs = []string{}
		}
		if v.Versions == nil {
			v.Versions = []string{}
		}
		out = append(out, *v)
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].FirstSeen.Before(out[j].FirstSeen) })
	return out, nil
}

// newestValidation reads the newest stored validation result of digest.
func newestValidation(ctx context.Context, arts store.ArtifactStore, digest string) (*validationView, error) {
	objs, err := arts.List(ctx, "validations/"+digest+"/")
	if err != nil {
		return nil, err
	}
	newest := ""
	for _, o := range objs {
		if strings.HasSuffix(o.Key, ".json") && (newest == "" || path.Base(o.Key) >= path.Base(newest)) {
			newest = o.Key
		}
	}
	if newest == "" {
		return nil, nil
	}
	body, _, err := arts.Get(ctx, newest)
	if err != nil {
		return nil, err
	}
	res, err := validation.ParseResult(body)
	if err != nil {
		return &validationView{Key: newest, Summary: "unreadable: " + err.Error()}, nil
	}
	return &validationView{Key: newest, Success: res.Success, Summary: validation.Summarize(res).String()}, nil
}

func listDatasets(ctx context.Context, e *Env) error {
	a, err := e.App(ctx)
	if err != nil {
		return err
	}
	defer a.Close()
	views, err := collectDatasets(ctx, a)
	if err != nil {
		return err
	}
	if e.JSON {
		return e.PrintJSON(views)
	}
	if len(views) == 0 {
		fmt.Fprintln(e.Stdout, "no datasets stored yet: 'steward train' stores the data it trains on")
		return nil
	}
	tw := tabwriter.NewWriter(e.Stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "DIGEST\tROWS\tCOLUMNS\tSOURCE\tFIRST SEEN\tVALIDATION\tRUNS\tVERSIONS")
	for _, v := range views {
		src, rows, cols := "-", "-", "-"
		if len(v.Sources) > 0 {
			src = path.Base(v.Sources[0].Name)
			if len(v.Sources) > 1 {
				src += fmt.Sprintf(" (+%d)", len(v.Sources)-1)
			}
		}
		if v.Cataloged {
			rows, cols = fmt.Sprint(v.Rows), fmt.Sprint(v.Columns)
		}
		val := "-"
		if v.Validation != nil {
			val = map[bool]string{true: "passed", false: "failed"}[v.Validation.Success]
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%d\t%s\n", short(v.Digest), rows, cols, src, v.FirstSeen.Format(time.RFC3339), val, len(v.Runs), orDash(strings.Join(v.Versions, " ")))
	}
	return tw.Flush()
}

// findDataset resolves a digest or an unambiguous prefix of one (at least
// 6 hex digits) among the stored versions.
func findDataset(views []datasetView, ref string) (*datasetView, error) {
	ref = strings.TrimPrefix(ref, "sha256:")
	var found []*datasetView
	for i := range views {
		if len(ref) >= 6 && strings.HasPrefix(views[i].Digest, ref) {
			found = append(found, &views[i])
		}
	}
	switch len(found) {
	case 1:
		return found[0], nil
	case 0:
		return nil, Failed(fmt.Errorf("no stored dataset version %q (list them with: steward datasets)", ref))
	}
	return nil, usagef("%q matches %d dataset versions; give more digits", ref, len(found))
}

func showDataset(ctx context.Context, e *Env, ref string) error {
	a, err := e.App(ctx)
	if err != nil {
		return err
	}
	defer a.Close()
	views, err := collectDatasets(ctx, a)
	if err != nil {
		return err
	}
	v, err := findDataset(views, ref)
	if err != nil {
		return err
	}
	if p, err := config.Load(e.ConfigPath); err == nil {
		if raw, _, err := a.Artifacts.Get(ctx, dataset.KeyFor(v.Digest)); err == nil {
			if f, err := dataset.Parse(raw, p.Schema(), dataset.Options{Format: p.DataFormat()}); err == nil {
				v.Summaries = datasets.Summarize(f, p.Schema())
			}
		}
	}
	if e.JSON {
		return e.PrintJSON(v)
	}
	fmt.Fprintf(e.Stdout, "dataset sha256:%s\n%d bytes", v.Digest, v.Size)
	if v.Cataloged {
		fmt.Fprintf(e.Stdout, ", %d rows × %d columns", v.Rows, v.Columns)
	}
	fmt.Fprintf(e.Stdout, ", first seen %s\n", v.FirstSeen.Format(time.RFC3339))
	for _, s := range v.Sources {
		fmt.Fprintf(e.Stdout, "source: %s (%s%s)\n", s.Name, s.Seen.Format(time.RFC3339), map[bool]string{true: " by " + s.By, false: ""}[s.By != ""])
	}
	if v.Validation != nil {
		fmt.Fprintf(e.Stdout, "validation: %s (%s)\n", v.Validation.Summary, v.Validation.Key)
	} else {
		fmt.Fprintln(e.Stdout, "validation: none stored")
	}
	fmt.Fprintf(e.Stdout, "runs: %s\nversions: %s\n", orDash(strings.Join(v.Runs, " ")), orDash(strings.Join(v.Versions, " ")))
	if len(v.Summaries) > 0 {
		fmt.Fprintln(e.Stdout)
		writeSummaries(e.Stdout, v.Summaries)
	}
	return nil
}

func writeSummaries(w io.Writer, cols []datasets.ColumnSummary) {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "COLUMN\tKIND\tMISSING\tSUMMARY")
	for _, c := range cols {
		fmt.Fprintf(tw, "%s\t%s\t%d\t%s\n", c.Name, c.Kind, c.Missing, summaryText(c))
	}
	tw.Flush()
}

func summaryText(c datasets.ColumnSummary) string {
	if c.Levels != nil {
		keys := make([]string, 0, len(c.Levels))
		for k := range c.Levels {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		parts := make([]string, len(keys))
		for i, k := range keys {
			parts[i] = fmt.Sprintf("%s %d", k, c.Levels[k])
		}
		return strings.Join(parts, ", ")
	}
	if c.Mean == nil {
		return "no values"
	}
	return fmt.Sprintf("mean %.4g  sd %.4g  min %.4g  max %.4g", *c.Mean, *c.Std, *c.Min, *c.Max)
}

// loadSide reads one side of a diff: a readable file, else a stored
// dataset version by digest.
func loadSide(ctx context.Context, a *app.App, views []datasetView, ref string, p *config.Project) (*dataset.Frame, string, error) {
	if st, err := os.Stat(ref); err == nil && !st.IsDir() {
		f, raw, err := dataset.ReadFile(ref, p.Schema(), dataset.Options{Format: p.DataFormat()})
		if err != nil {
			return nil, "", WithCode(ExitUsage, fmt.Errorf("%s: %w", ref, err))
		}
		return f, dataset.Digest(raw), nil
	}
	v, err := findDataset(views, ref)
	if err != nil {
		return nil, "", err
	}
	raw, _, err := a.Artifacts.Get(ctx, dataset.KeyFor(v.Digest))
	if err != nil {
		return nil, "", err
	}
	f, err := dataset.Parse(raw, p.Schema(), dataset.Options{Format: p.DataFormat()})
	if err != nil {
		return nil, "", WithCode(ExitUsage, fmt.Errorf("dataset %s: %w", short(v.Digest), err))
	}
	return f, v.Digest, nil
}

func diffDatasets(ctx context.Context, e *Env, refA, refB string) error {
	p, err := config.Load(e.ConfigPath)
	if err != nil {
		return WithCode(ExitUsage, err)
	}
	a, err := e.App(ctx)
	if err != nil {
		return err
	}
	defer a.Close()
	views, err := collectDatasets(ctx, a)
	if err != nil {
		return err
	}
	fa, da, err := loadSide(ctx, a, views, refA, p)
	if err != nil {
		return err
	}
	fb, db, err := loadSide(ctx, a, views, refB, p)
	if err != nil {
		return err
	}
	d, err := datasets.Compare(fa, fb, p.Schema(), app.DriftOptions(p), p.Training.Seed, p.Drift.Features)
	if err != nil {
		return err
	}
	if e.JSON {
		return e.PrintJSON(struct {
			A string `json:"a"`
			B string `json:"b"`
			*datasets.Diff
		}{da, db, d})
	}
	fmt.Fprintf(e.Stdout, "A %s (%s): %d rows\nB %s (%s): %d rows (%+d)\n", refA, short(da), d.RowsA, refB, short(db), d.RowsB, d.RowsB-d.RowsA)
	if len(d.OnlyInA)+len(d.OnlyInB) == 0 {
		fmt.Fprintln(e.Stdout, "schema: the same columns")
	} else {
		fmt.Fprintf(e.Stdout, "schema: only in A %s; only in B %s\n", orDash(strings.Join(d.OnlyInA, ", ")), orDash(strings.Join(d.OnlyInB, ", ")))
	}
	tested := map[string]drift.FeatureResult{}
	if d.Drift != nil {
		for _, r := range d.Drift.FeatureResults {
			tested[r.Name] = r
		}
	}
	tw := tabwriter.NewWriter(e.Stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "\nCOLUMN\tMISSING A→B\tA\tB\tDRIFT")
	for _, c := range d.Columns {
		dr := "-"
		if r, ok := tested[c.Name]; ok {
			dr = string(r.Verdict)
			if r.DriftScore != nil {
				dr = fmt.Sprintf("%s %.3g: %s", r.Test, float64(*r.DriftScore), r.Verdict)
			}
		}
		fmt.Fprintf(tw, "%s\t%d→%d\t%s\t%s\t%s\n", c.Name, c.A.Missing, c.B.Missing, summaryText(c.A), summaryText(c.B), dr)
	}
	tw.Flush()
	if d.Drift != nil {
		fmt.Fprintf(e.Stdout, "\ndrift of B against A: %s, %d of %d features drifted: %s\n", d.Drift.Verdict, d.Drift.Drifted, d.Drift.Tested, orDash(strings.Join(d.Drift.DriftedFeatures, ", ")))
	}
	return nil
}

// rankFiles validates and compares each candidate file and ranks them
// (see datasets.Rank), writing the ranking to w (as JSON with --json when
// w is standard output). It returns the best.
func rankFiles(ctx context.Context, e *Env, files []string, w io.Writer) (datasets.Candidate, error) {
	if len(files) < 2 {
		return datasets.Candidate{}, usagef("give two or more candidate files (--data FILE --data FILE)")
	}
	p, err := config.Load(e.ConfigPath)
	if err != nil {
		return datasets.Candidate{}, WithCode(ExitUsage, err)
	}
	suite, err := projectSuite(p)
	if err != nil {
		return datasets.Candidate{}, err
	}
	var ref *drift.Profile
	if err := e.requireDataDir(); err == nil {
		a, err := e.App(ctx)
		if err != nil {
			return datasets.Candidate{}, err
		}
		ref, err = championProfile(ctx, a, p)
		a.Close()
		if err != nil {
			return datasets.Candidate{}, err
		}
	}
	var cands []datasets.Candidate
	for _, f := range files {
		fr, raw, err := dataset.ReadFile(f, p.Schema(), dataset.Options{Format: p.DataFormat()})
		if err != nil {
			return datasets.Candidate{}, WithCode(ExitUsage, fmt.Errorf("%s: %w", f, err))
		}
		c := datasets.Candidate{Name: f, Digest: dataset.Digest(raw), Rows: fr.Rows, MissingShare: datasets.MissingShare(fr, p.Schema())}
		if suite != nil {
			c.Validation = validation.Summarize(validation.Validate(suite, fr, validation.Options{ResultFormat: "SUMMARY"}))
		} else {
			c.Validation = validation.Summary{Success: true}
		}
		if ref != nil {
			w := drift.Window{Columns: map[string][]float64{}}
			for _, feat := range ref.Features {
				if col, err := fr.Column(feat.Name); err == nil {
					w.Columns[feat.Name] = col
				}
			}
			if rep, err := drift.Check(ref, w, app.DriftOptions(p)); err == nil {
				c.Drift = rep
			}
		}
		cands = append(cands, c)
	}
	ranked, rankErr := datasets.Rank(cands)
	{
		if e.JSON && w == e.Stdout {
			if err := e.PrintJSON(ranked); err != nil {
				return datasets.Candidate{}, err
			}
		} else {
			for i, c := range ranked {
				mark := "  "
				if i == 0 && c.Usable {
					mark = "→ "
				}
				fmt.Fprintf(w, "%s%d. %s (%s)\n", mark, i+1, c.Name, short(c.Digest))
				for _, r := range c.Reasons {
					fmt.Fprintf(w, "     %s\n", r)
				}
			}
			if rankErr == nil {
				fmt.Fprintf(w, "\nbest: %s\n", ranked[0].Name)
			}
			if ref == nil {
				fmt.Fprintln(w, "(no champion yet: drift was not compared)")
			}
		}
	}
	if errors.Is(rankErr, datasets.ErrNoUsable) {
		return datasets.Candidate{}, Failed(errors.New("no candidate passes the validation suite"))
	}
	return ranked[0], nil
}

// projectSuite reads the project's validation suite, nil when it has none.
func projectSuite(p *config.Project) (*validation.Suite, error) {
	sp := p.SuitePath()
	if sp == "" {
		return nil, nil
	}
	raw, err := os.ReadFile(sp)
	if err != nil {
		return nil, WithCode(ExitUsage, fmt.Errorf("validation suite: %w", err))
	}
	s, err := validation.ParseSuite(raw)
	if err != nil {
		return nil, WithCode(ExitUsage, fmt.Errorf("%s: %w", sp, err))
	}
	return s, nil
}

// championProfile is the drift reference of the project model's champion,
// limited to the project's drift features; nil without a champion.
func championProfile(ctx context.Context, a *app.App, p *config.Project) (*drift.Profile, error) {
	v, err := a.Registry().Resolve(ctx, registry.Ref{Model: p.Model.Name})
	if errors.Is(err, registry.ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	body, _, err := a.Artifacts.Get(ctx, v.BundleKey)
	if err != nil {
		return nil, err
	}
	b, err := bundle.Decode(body)
	if err != nil {
		return nil, err
	}
	if len(b.Profile) == 0 {
		return nil, nil
	}
	prof, err := drift.ParseProfile(b.Profile)
	if err != nil {
		return nil, err
	}
	if fs := p.Drift.Features; len(fs) > 0 {
		kept := prof.Features[:0:0]
		for _, f := range prof.Features {
			for _, name := range fs {
				if f.Name == name {
					kept = append(kept, f)
				}
			}
		}
		prof.Features = kept
	}
	return prof, nil
}
