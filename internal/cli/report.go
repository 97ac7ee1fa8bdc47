package cli

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/stewardml/steward/internal/registry"
	"github.com/stewardml/steward/internal/report"
)

// runReport renders a report: steward report training|drift|deployment ID
// --format html|pdf --out FILE. Without --out HTML goes to stdout; a PDF
// needs --out. --store also keeps it in the artifact store and prints its
// link.
func runReport(ctx context.Context, e *Env, args []string) error {
	fs := e.NewFlags("report")
	format := fs.String("format", "html", "html or pdf")
	out := fs.String("out", "", "file to write (default: stdout, for html)")
	keep := fs.Bool("store", false, "also store the report in the artifact store and print its link")
	pos, err := Parse(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 2 {
		return Usagef("usage: steward report training|drift|deployment ID [--format html|pdf] [--out FILE] [--store]\n" +
			"  training RUN_ID|MODEL:VERSION|MODEL@ALIAS · drift MODEL/CHECK_ID · deployment MODEL[:SEQ]")
	}
	kind, err := report.ParseKind(pos[0])
	if err != nil {
		return Usagef("%v", err)
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
	id := pos[1]
	if kind == report.KindTraining && strings.ContainsAny(id, ":@") {
		// A model version names the run that trained it.
		r, err := registry.ParseRef(id)
		if err != nil {
			return Usagef("%v", err)
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
