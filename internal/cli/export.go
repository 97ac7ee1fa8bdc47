package cli

import (
	"github.com/spf13/cobra"

	"errors"
	"fmt"

	"github.com/stewardml/steward/internal/modelexport"
	"github.com/stewardml/steward/internal/registry"
)

// runExport writes a registered model in another library's format: a gbdt
// as an XGBoost JSON model (XGBoost then predicts within float32 rounding
// of Steward), an imported XGBoost model as its file. It exits 1 when the
// model cannot be written in that format and 2 on usage or I/O errors.
func newExportCmd(e *Env) *cobra.Command {
	c := &cobra.Command{Use: "export MODEL[:VERSION|@ALIAS] --format xgboost-json --out FILE", Short: "write a registered model in another library's format (XGBoost JSON)", GroupID: "model", Args: exactArgs(1, "MODEL[:VERSION|@ALIAS]"),
		Example: "  steward export heart:1 --format xgboost-json --out out/heart.json"}
	fs := c.Flags()
	format := fs.String("format", modelexport.FormatXGBoostJSON, "output format: xgboost-json")
	out := fs.String("out", "", "file to write (required)")
	c.RunE = func(cmd *cobra.Command, pos []string) error {
		ctx := cmd.Context()
		if *out == "" {
			return usagef("--out FILE is required")
		}
		ref, err := registry.ParseRef(pos[0])
		if err != nil {
			return usagef("%v", plain(err))
		}
		a, err := e.App(ctx)
		if err != nil {
			return err
		}
		defer a.Close()
		v, p, err := openVersion(ctx, a, ref)
		if err != nil {
			return err
		}
		file, err := modelexport.Export(p, *format)
		if errors.Is(err, modelexport.ErrUnsupported) {
			return Failed(fmt.Errorf("%s:%d: %w", ref.Model, v.Number, err))
		}
		if err != nil {
			return err
		}
		if err := writeFileAtomic(*out, file); err != nil {
			return WithCode(ExitUsage, err)
		}
		fmt.Fprintf(e.Stdout, "wrote %s:%d (%s) as %s to %s (%d bytes)\n", ref.Model, v.Number, p.Family(), *format, *out, len(file))
		return nil
	}
	return c
}
