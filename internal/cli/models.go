package cli

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/stewardml/steward/internal/app"
	"github.com/stewardml/steward/internal/config"
	"github.com/stewardml/steward/internal/registry"
	"github.com/stewardml/steward/internal/release"
)

// App builds the application for this invocation from the environment and
// the global flags. The caller closes it.
func (e *Env) App(ctx context.Context) (*app.App, error) {
	rt, err := config.FromEnv(e.Getenv)
	if err != nil {
		return nil, WithCode(ExitUsage, err)
	}
	rt.DataDir = e.DataDir
	rt.ConfigPath = e.ConfigPath
	a, err := app.New(ctx, app.Options{Runtime: rt, Console: e.Stderr})
	if err != nil {
		return nil, WithCode(ExitUsage, err)
	}
	return a, nil
}

// registryErr turns registry errors into exit codes: a missing model or a
// lost compare-and-set is a refused action (1), bad input a usage error (2).
func registryErr(err error) error {
	switch {
	case err == nil:
		return nil
	case errors.Is(err, registry.ErrInvalid):
		return WithCode(ExitUsage, err)
	case errors.Is(err, registry.ErrNotFound), errors.Is(err, registry.ErrConflict),
		errors.Is(err, registry.ErrNoPrevious), errors.Is(err, release.ErrRefused):
		return Failed(err)
	}
	return err
}

func runModels(ctx context.Context, e *Env, args []string) error {
	fs := e.NewFlags("models")
	pos, err := Parse(fs, args)
	if err != nil {
		return err
	}
	sub := "list"
	if len(pos) > 0 {
		sub, pos = pos[0], pos[1:]
	}
	a, err := e.App(ctx)
	if err != nil {
		return err
	}
	defer a.Close()
	reg := a.Registry()
	switch sub {
	case "list":
		if len(pos) > 0 {
			return Usagef("models list takes no arguments")
		}
		models, err := reg.Models(ctx)
		if err != nil {
			return err
		}
		if e.JSON {
			if models == nil {
				models = []registry.Model{}
			}
			return e.PrintJSON(models)
		}
		if len(models) == 0 {
			fmt.Fprintln(e.Stdout, "no models yet: run 'steward train' first")
			return nil
		}
		tw := tabwriter.NewWriter(e.Stdout, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "MODEL\tVERSIONS\tCHAMPION\tCHALLENGER\tCREATED")
		for _, m := range models {
			full, err := reg.Model(ctx, m.Name)
			if err != nil {
				return err
			}
			fmt.Fprintf(tw, "%s\t%d\t%s\t%s\t%s\n", m.Name, m.LatestVersion, vstr(full.Aliases[registry.Champion]), vstr(full.Aliases["challenger"]), m.CreatedAt.UTC().Format(time.RFC3339))
		}
		return tw.Flush()
	case "show":
		if len(pos) != 1 {
			return Usagef("usage: steward models show NAME")
		}
		m, err := reg.Model(ctx, pos[0])
		if err != nil {
			return registryErr(err)
		}
		versions, err := reg.Versions(ctx, pos[0])
		if err != nil {
			return err
		}
		if e.JSON {
			return e.PrintJSON(struct {
				registry.Model
				Versions []registry.Version `json:"versions"`
			}{m, versions})
		}
		fmt.Fprintf(e.Stdout, "model %s (created %s by %s)\n", m.Name, m.CreatedAt.UTC().Format(time.RFC3339), m.CreatedBy)
		names := make([]string, 0, len(m.Aliases))
		for k := range m.Aliases {
			names = append(names, k)
		}
		sort.Strings(names)
		for _, k := range names {
			fmt.Fprintf(e.Stdout, "  %-11s → v%d\n", k, m.Aliases[k])
		}
		tw := tabwriter.NewWriter(e.Stdout, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "\nVERSION\tFAMILY\tROC_AUC\tF1\tACCURACY\tDATASET\tCREATED\tBY")
		for _, v := range versions {
			fmt.Fprintf(tw, "v%d\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", v.Number, v.Family, metric(v.Metrics, "roc_auc"), metric(v.Metrics, "f1"), metric(v.Metrics, "accuracy"),
				short(v.DatasetDigest), v.CreatedAt.UTC().Format(time.RFC3339), v.CreatedBy)
		}
		return tw.Flush()
	}
	return Usagef("models: unknown subcommand %q (want list or show)", sub)
}

func runHistory(ctx context.Context, e *Env, args []string) error {
	fs := e.NewFlags("history")
	alias := fs.String("alias", registry.Champion, "alias whose moves to show")
	at := fs.String("at", "", "print only the version that held the alias at this RFC 3339 time")
	pos, err := Parse(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 1 {
		return Usagef("usage: steward history MODEL [--alias NAME] [--at TIME]")
	}
	a, err := e.App(ctx)
	if err != nil {
		return err
	}
	defer a.Close()
	reg := a.Registry()
	if *at != "" {
		t, err := time.Parse(time.RFC3339, *at)
		if err != nil {
			return Usagef("--at %q: expected an RFC 3339 time such as 2026-11-25T10:00:00Z", *at)
		}
		v, err := reg.AliasAt(ctx, pos[0], *alias, t)
		if err != nil {
			return registryErr(err)
		}
		if e.JSON {
			return e.PrintJSON(map[string]any{"model": pos[0], "alias": *alias, "at": t, "version": v})
		}
		if v == 0 {
			fmt.Fprintf(e.Stdout, "%s@%s was not set at %s\n", pos[0], *alias, t.Format(time.RFC3339))
			return nil
		}
		fmt.Fprintf(e.Stdout, "%s@%s was v%d at %s\n", pos[0], *alias, v, t.Format(time.RFC3339))
		return nil
	}
	moves, err := reg.History(ctx, pos[0], *alias)
	if err != nil {
		return registryErr(err)
	}
	if e.JSON {
		if moves == nil {
			moves = []registry.AliasMove{}
		}
		return e.PrintJSON(moves)
	}
	tw := tabwriter.NewWriter(e.Stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "SEQ\tWHEN\tKIND\tFROM\tTO\tWHO\tWHY")
	for _, m := range moves {
		fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s\t%s\t%s\n", m.Seq, m.At.UTC().Format(time.RFC3339), m.Kind, vstr(m.From), vstr(m.To), m.Actor, m.Reason)
	}
	return tw.Flush()
}

func runPromote(ctx context.Context, e *Env, args []string) error {
	fs := e.NewFlags("promote")
	alias := fs.String("alias", registry.Champion, "alias to move")
	as := fs.String("as", "", "who promotes (required)")
	reason := fs.String("reason", "", "why (required)")
	expected := fs.Int("expect", -1, "refuse unless the alias holds this version now (0: unset)")
	pos, err := Parse(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 1 {
		return Usagef("usage: steward promote MODEL:VERSION --as NAME --reason TEXT")
	}
	ref, err := registry.ParseRef(pos[0])
	if err != nil || ref.Version == 0 {
		return Usagef("promote %q: expected MODEL:VERSION, for example heart:2", pos[0])
	}
	if *as == "" || *reason == "" {
		return Usagef("promote: --as and --reason are required (the audit log keeps both)")
	}
	a, err := e.App(ctx)
	if err != nil {
		return err
	}
	defer a.Close()
	m, err := a.Release().Promote(ctx, release.Request{Model: ref.Model, Alias: *alias, To: ref.Version, Expected: *expected, Actor: *as, Reason: *reason})
	if err != nil {
		return registryErr(err)
	}
	return printMove(e, m)
}

func runRollback(ctx context.Context, e *Env, args []string) error {
	fs := e.NewFlags("rollback")
	as := fs.String("as", "", "who rolls back (required)")
	reason := fs.String("reason", "", "why (required)")
	pos, err := Parse(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 1 || *as == "" || *reason == "" {
		return Usagef("usage: steward rollback MODEL --as NAME --reason TEXT")
	}
	a, err := e.App(ctx)
	if err != nil {
		return err
	}
	defer a.Close()
	m, err := a.Release().Rollback(ctx, release.Request{Model: pos[0], Actor: *as, Reason: *reason})
	if err != nil {
		return registryErr(err)
	}
	return printMove(e, m)
}

func printMove(e *Env, m registry.AliasMove) error {
	if e.JSON {
		return e.PrintJSON(m)
	}
	fmt.Fprintf(e.Stdout, "%s@%s: %s → v%d (%s by %s: %s)\n", m.Model, m.Alias, vstr(m.From), m.To, m.Kind, m.Actor, m.Reason)
	return nil
}

func vstr(v int) string {
	if v == 0 {
		return "-"
	}
	return "v" + strconv.Itoa(v)
}

func metric(m map[string]float64, k string) string {
	for _, key := range []string{k, "holdout_" + k, "cv_" + k} {
		if v, ok := m[key]; ok {
			return strconv.FormatFloat(v, 'f', 3, 64)
		}
	}
	return "-"
}

func short(digest string) string {
	d := strings.TrimPrefix(digest, "sha256:")
	if len(d) > 12 {
		return d[:12]
	}
	return d
}
