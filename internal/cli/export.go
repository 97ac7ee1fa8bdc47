package cli

import (
	"context"
	"errors"
	"fmt"
	"os"

	"github.com/stewardml/steward/internal/bundle"
	"github.com/stewardml/steward/internal/modelexport"
	"github.com/stewardml/steward/internal/registry"
)

// runExport writes a registered model in another library's format: a gbdt
// as an XGBoost JSON model (XGBoost then predicts within float32 rounding
// of Steward), an imported XGBoost model as its file. It exits 1 when the
// model cannot be written in that format and 2 on usage or I/O errors.
func runExport(ctx context.Context, e *Env, args []string) error {
	fs := e.NewFlags("export")
	format := fs.String("format", modelexport.FormatXGBoostJSON, "output format: xgboost-json")
	out := fs.String("out", "", "file to write (required)")
	pos, err := Parse(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 1 || *out == "" {
		return Usagef("usage: steward export MODEL[:VERSION|@ALIAS] --format xgboost-json --out FILE")
	}
	ref, err := registry.ParseRef(pos[0])
	if err != nil {
		return Usagef("export: %v", err)
	}
	a, err := e.App(ctx)
	if err != nil {
		return err
	}
	defer a.Close()
	v, err := registry.New(a.Records).Resolve(ctx, ref)
	if errors.Is(err, registry.ErrNotFound) {
		return Failed(fmt.Errorf("%s: %w (list versions with: steward models show %s)", ref, err, ref.Model))
	}
	if err != nil {
		return err
	}
	body, _, err := a.Artifacts.Get(ctx, v.BundleKey)
	if err != nil {
		return fmt.Errorf("bundle of %s:%d: %w", ref.Model, v.Number, err)
	}
	p, err := bundle.Open(body)
	if err != nil {
		return fmt.Errorf("bundle of %s:%d: %w", ref.Model, v.Number, err)
	}
	file, err := modelexport.Export(p, *format)
	if errors.Is(err, modelexport.ErrUnsupported) {
		return Failed(fmt.Errorf("%s:%d: %w", ref.Model, v.Number, err))
	}
	if err != nil {
		return err
	}
	if err := os.WriteFile(*out, file, 0o644); err != nil {
		return WithCode(ExitUsage, err)
	}
	fmt.Fprintf(e.Stdout, "wrote %s:%d (%s) as %s to %s (%d bytes)\n", ref.Model, v.Number, p.Family(), *format, *out, len(file))
	return nil
}
