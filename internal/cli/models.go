package cli

import (
	"github.com/spf13/cobra"

	"context"
	"errors"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/stewardml/steward/internal/app"
	"github.com/stewardml/steward/internal/bundle"
	"github.com/stewardml/steward/internal/config"
	"github.com/stewardml/steward/internal/registry"
	"github.com/stewardml/steward/internal/release"
)

// App builds the application for this invocation from the environment and
// the global flags, over an existing data directory: commands that only
// read or change what is there never create one. The caller closes it.
func (e *Env) App(ctx context.Context) (*app.App, error) {
	if err := e.requireDataDir(); err != nil {
		return nil, err
	}
	return e.newApp(ctx)
}

// AppCreating is App for the commands that may start a data directory
// (init, train, serve, retrain): it is created when missing.
func (e *Env) AppCreating(ctx context.Context) (*app.App, error) { return e.newApp(ctx) }

func (e *Env) newApp(ctx context.Context) (*app.App, error) {
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

// registryErr turns registry errors into exit codes: a missing model or
// version or a lost compare-and-set is a refused action (1), bad input a
// usage error (2). The message drops the package names.
func registryErr(err error) error {
	switch {
	case err == nil:
		return nil
	case errors.Is(err, registry.ErrInvalid):
		return WithCode(ExitUsage, plain(err))
	case errors.Is(err, registry.ErrNotFound), errors.Is(err, registry.ErrConflict),
		errors.Is(err, registry.ErrNoPrevious), errors.Is(err, release.ErrRefused):
		return Failed(plain(err))
	}
	return err
}

// plain restates err without the package prefixes of its wrapping chain
// ("registry: version heart:9: registry: not found" becomes
// "version heart:9: not found").
func plain(err error) error {
	msg := err.Error()
	for _, p := range []string{"registry: ", "release: ", "audit: ", "tracking: ", "train: ", "config: "} {
		msg = strings.ReplaceAll(msg, p, "")
	}
	return errors.New(msg)
}

func newModelsCmd(e *Env) *cobra.Command {
	c := &cobra.Command{
		Use: "models", Short: "list models, or show one model's versions and aliases", GroupID: "model", Args: noArgs,
		Example: "  steward models\n  steward models show heart\n  steward models show heart --json",
		RunE:    func(cmd *cobra.Command, _ []string) error { return listModels(cmd.Context(), e) },
	}
	c.AddCommand(&cobra.Command{
		Use: "list", Short: "list the models with their versions and aliases", Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return listModels(cmd.Context(), e) },
	}, &cobra.Command{
		Use: "show MODEL", Short: "show a model's aliases and every version with its metrics", Args: exactArgs(1, "MODEL"),
		Example: "  steward models show heart",
		RunE:    func(cmd *cobra.Command, pos []string) error { return showModel(cmd.Context(), e, pos[0]) },
	})
	return c
}

func listModels(ctx context.Context, e *Env) error {
	a, err := e.App(ctx)
	if err != nil {
		return err
	}
	defer a.Close()
	reg := a.Registry()
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
}

func showModel(ctx context.Context, e *Env, name string) error {
	a, err := e.App(ctx)
	if err != nil {
		return err
	}
	defer a.Close()
	reg := a.Registry()
	m, err := knownModel(ctx, reg, name)
	if err != nil {
		return err
	}
	versions, err := reg.Versions(ctx, name)
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

// knownModel returns the named model, or a refusal (exit 1) that names
// it and the models there are.
func knownModel(ctx context.Context, reg *registry.Registry, name string) (registry.Model, error) {
	if err := registry.ValidateModelName(name); err != nil {
		return registry.Model{}, usagef("%q is not a model name: %s", name, strings.TrimPrefix(err.Error(), "registry: "))
	}
	m, err := reg.Model(ctx, name)
	if errors.Is(err, registry.ErrNotFound) {
		return m, Failed(unknownModel(ctx, reg, name))
	}
	return m, err
}

// openVersion resolves ref (an unknown model or version is a refusal)
// and opens its bundle's predictor.
func openVersion(ctx context.Context, a *app.App, ref registry.Ref) (registry.Version, *bundle.Predictor, error) {
	reg := a.Registry()
	if _, err := knownModel(ctx, reg, ref.Model); err != nil {
		return registry.Version{}, nil, err
	}
	v, err := reg.Resolve(ctx, ref)
	if errors.Is(err, registry.ErrNotFound) {
		return v, nil, Failed(fmt.Errorf("%s: %w (list versions with: steward models show %s)", ref, plain(err), ref.Model))
	}
	if err != nil {
		return v, nil, err
	}
	body, _, err := a.Artifacts.Get(ctx, v.BundleKey)
	if err != nil {
		return v, nil, fmt.Errorf("bundle of %s:%d: %w", ref.Model, v.Number, err)
	}
	p, err := bundle.Open(body)
	if err != nil {
		return v, nil, fmt.Errorf("bundle of %s:%d: %w", ref.Model, v.Number, err)
	}
	return v, p, nil
}

// unknownModel says that name is not a model, listing the known ones.
func unknownModel(ctx context.Context, reg *registry.Registry, name string) error {
	models, _ := reg.Models(ctx)
	if len(models) == 0 {
		return fmt.Errorf("no model named %q: there are no models yet (run 'steward train')", name)
	}
	names := make([]string, len(models))
	for i, m := range models {
		names[i] = m.Name
	}
	return fmt.Errorf("no model named %q (models: %s)", name, strings.Join(names, ", "))
}

func newHistoryCmd(e *Env) *cobra.Command {
	c := &cobra.Command{Use: "history MODEL", Short: "show an alias's moves, or which version held it at a time", GroupID: "model",
		Args:    exactArgs(1, "MODEL"),
		Example: "  steward history heart\n  steward history heart --alias challenger\n  steward history heart --at 2026-11-25T10:00:00Z"}
	fs := c.Flags()
	alias := fs.String("alias", registry.Champion, "alias whose moves to show")
	at := fs.String("at", "", "print only the version that held the alias at this RFC 3339 time")
	c.RunE = func(cmd *cobra.Command, pos []string) error {
		ctx := cmd.Context()
		a, err := e.App(ctx)
		if err != nil {
			return err
		}
		defer a.Close()
		reg := a.Registry()
		if _, err := knownModel(ctx, reg, pos[0]); err != nil {
			return err
		}
		if *at != "" {
			t, err := time.Parse(time.RFC3339, *at)
			if err != nil {
				return usagef("--at %q: expected an RFC 3339 time such as 2026-11-25T10:00:00Z", *at)
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
		if len(moves) == 0 {
			fmt.Fprintf(e.Stdout, "%s@%s has never been set\n", pos[0], *alias)
			return nil
		}
		tw := tabwriter.NewWriter(e.Stdout, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "SEQ\tWHEN\tKIND\tFROM\tTO\tWHO\tWHY")
		for _, m := range moves {
			fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s\t%s\t%s\n", m.Seq, m.At.UTC().Format(time.RFC3339), m.Kind, vstr(m.From), vstr(m.To), m.Actor, m.Reason)
		}
		return tw.Flush()
	}
	return c
}

func newPromoteCmd(e *Env) *cobra.Command {
	c := &cobra.Command{Use: "promote MODEL:VERSION --as NAME --reason TEXT", Short: "move champion (or --alias) to a version, by compare-and-set", GroupID: "model",
		Args:    exactArgs(1, "MODEL:VERSION"),
		Example: "  steward promote heart:2 --as ana@example.com --reason \"better F1 on the same hold-out\"\n  steward promote heart:3 --alias challenger --as ana@example.com --reason \"try it\" --expect 2"}
	fs := c.Flags()
	alias := fs.String("alias", registry.Champion, "alias to move")
	as := fs.String("as", "", "who promotes (required; kept in the audit log)")
	reason := fs.String("reason", "", "why (required; kept in the audit log)")
	expected := fs.Int("expect", -1, "refuse unless the alias holds this version now; 0 means it must be unset (default: no check)")
	c.Flag("expect").DefValue = "no check"
	_ = c.MarkFlagRequired("as")
	_ = c.MarkFlagRequired("reason")
	c.RunE = func(cmd *cobra.Command, pos []string) error {
		ctx := cmd.Context()
		ref, err := registry.ParseRef(pos[0])
		if err != nil || ref.Version == 0 {
			return usagef("promote %q: expected MODEL:VERSION, for example heart:2", pos[0])
		}
		if *as == "" || *reason == "" {
			return usagef("--as and --reason must not be empty (the audit log keeps both)")
		}
		a, err := e.App(ctx)
		if err != nil {
			return err
		}
		defer a.Close()
		if _, err := knownModel(ctx, a.Registry(), ref.Model); err != nil {
			return err
		}
		m, err := a.Release().Promote(ctx, release.Request{Model: ref.Model, Alias: *alias, To: ref.Version, Expected: *expected, Actor: *as, Reason: *reason})
		if err != nil {
			return registryErr(err)
		}
		return printMove(e, m)
	}
	return c
}

func newRollbackCmd(e *Env) *cobra.Command {
	c := &cobra.Command{Use: "rollback MODEL --as NAME --reason TEXT", Short: "move champion back to its previous holder", GroupID: "model",
		Args:    exactArgs(1, "MODEL"),
		Example: "  steward rollback heart --as ana@example.com --reason \"error rate up after promotion\""}
	fs := c.Flags()
	as := fs.String("as", "", "who rolls back (required; kept in the audit log)")
	reason := fs.String("reason", "", "why (required; kept in the audit log)")
	_ = c.MarkFlagRequired("as")
	_ = c.MarkFlagRequired("reason")
	c.RunE = func(cmd *cobra.Command, pos []string) error {
		ctx := cmd.Context()
		if *as == "" || *reason == "" {
			return usagef("--as and --reason must not be empty (the audit log keeps both)")
		}
		a, err := e.App(ctx)
		if err != nil {
			return err
		}
		defer a.Close()
		if _, err := knownModel(ctx, a.Registry(), pos[0]); err != nil {
			return err
		}
		m, err := a.Release().Rollback(ctx, release.Request{Model: pos[0], Actor: *as, Reason: *reason})
		if err != nil {
			return registryErr(err)
		}
		return printMove(e, m)
	}
	return c
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
