package cli

import (
	"github.com/spf13/cobra"

	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/stewardml/steward/internal/registry"
	"github.com/stewardml/steward/internal/report"
)

func newReportCmd(e *Env) *cobra.Command {
	var o reportOpts
	c := &cobra.Command{Use: "report", Short: "render a training, drift or deployment report as HTML or PDF", GroupID: "model", Args: noArgs,
		Example: "  steward report training heart:1 --format pdf --out out/training.pdf\n  steward report drift heart/<check id> --out out/drift.html\n  steward report deployment heart --store"}
	c.RunE = func(cmd *cobra.Command, _ []string) error { return cmd.Help() }
	pf := c.PersistentFlags()
	pf.StringVar(&o.format, "format", "html", "html or pdf")
	pf.StringVar(&o.out, "out", "", "file to write (default: stdout, for html; a pdf needs --out)")
	pf.BoolVar(&o.keep, "store", false, "also store the report in the artifact store and print its link")
	for _, k := range []struct{ use, short, arg string }{
		{"training RUN_ID|MODEL:VERSION|MODEL@ALIAS", "the training report of a run (or of the run that made a version)", "RUN_ID|MODEL:VERSION|MODEL@ALIAS"},
		{"drift MODEL/CHECK_ID", "the report of one drift check (ids: steward drift, the dashboard's Drift page)", "MODEL/CHECK_ID"},
		{"deployment MODEL[:SEQ]", "the deployment report of a champion move (default: the latest)", "MODEL[:SEQ]"},
	} {
		kind := strings.Fields(k.use)[0]
		c.AddCommand(&cobra.Command{Use: k.use, Short: k.short, Args: exactArgs(1, k.arg),
			RunE: func(cmd *cobra.Command, pos []string) error { return runReport(cmd.Context(), e, kind, pos[0], o) }})
	}
	return c
}

// reportOpts are the report command's flags.
type reportOpts struct {
	format, out string
	keep        bool
}

// runReport renders a report of kind for id: without --out HTML goes to
// stdout; a PDF needs --out. --store also keeps it in the artifact store
// and prints its link.
func runReport(ctx context.Context, e *Env, kindName, id string, o reportOpts) error {
	format, out, keep := &o.format, &o.out, &o.keep
	kind, err := report.ParseKind(kindName)
	if err != nil {
		return usagef("%v", err)
	}
	f, err := report.ParseFormat(*format)
	if err != nil {
		return Usagef("--format: %v", err)
	}
	if f == report.PDF && *out == "" {
		return Usagef("--format pdf needs --out FILE")
	}
	a, err := e.App(ctx)
	if err != nil {
		return err
	}
	defer a.Close()
	if kind == report.KindTraining && strings.ContainsAny(id, ":@") {
		// A model version names the run that trained it.
		r, err := registry.ParseRef(id)
		if err != nil {
			return usagef("%v", plain(err))
		}
		if _, err := knownModel(ctx, a.Registry(), r.Model); err != nil {
			return err
		}
		v, err := a.Registry().Resolve(ctx, r)
		if err != nil {
			return registryErr(err)
		}
		if v.SourceRun == "" {
			return Failed(fmt.Errorf("%s (v%d) records no training run", r, v.Number))
		}
		id = v.SourceRun
	}
	ref, err := report.ParseRef(kind, id)
	if err != nil {
		return Usagef("%v", err)
	}
	svc, err := a.Reports()
	if err != nil {
		return err
	}
	var body []byte
	var pub *report.Published
	if *keep {
		pubs, err := svc.Publish(ctx, ref, f)
		if err != nil {
			return reportErr(err)
		}
		pub = &pubs[0]
		if body, _, err = a.Artifacts.Get(ctx, pub.Key); err != nil {
			return err
		}
	} else if body, err = svc.Render(ctx, ref, f); err != nil {
		return reportErr(err)
	}
	if *out == "" {
		if _, err := e.Stdout.Write(body); err != nil {
			return err
		}
	} else if err := writeFileAtomic(*out, body); err != nil {
		return WithCode(ExitUsage, err)
	} else {
		fmt.Fprintf(e.Stderr, "report: wrote %s (%d bytes)\n", *out, len(body))
	}
	if pub != nil {
		fmt.Fprintf(e.Stderr, "report: stored %s\n  %s\n", pub.Key, pub.URL)
	}
	return nil
}

func reportErr(err error) error {
	switch {
	case errors.Is(err, report.ErrInvalid):
		return WithCode(ExitUsage, err)
	case errors.Is(err, report.ErrNotFound):
		return Failed(err)
	}
	return err
}

// writeFileAtomic writes data to path through a temporary file, so a
// failed write leaves no half file.
func writeFileAtomic(path string, data []byte) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*")
	if err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := os.Chmod(tmp.Name(), 0o644); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	return nil
}
