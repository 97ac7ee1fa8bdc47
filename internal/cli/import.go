package cli

import (
	"github.com/spf13/cobra"

	"errors"
	"fmt"
	"os"

	"github.com/stewardml/steward/internal/config"
	"github.com/stewardml/steward/internal/dataset"
	"github.com/stewardml/steward/internal/modelimport"
	"github.com/stewardml/steward/internal/train"
	"github.com/stewardml/steward/internal/validation"
)

// runImport registers a model trained elsewhere (an XGBoost binary
// classifier saved as JSON or UBJSON) as a version of the project's model.
// It exits 1 when the file, its features or the reference data are
// refused (nothing is registered then) and 2 on usage or I/O errors.
func newImportCmd(e *Env) *cobra.Command {
	c := &cobra.Command{Use: "import --from FILE", Short: "register a model trained elsewhere (XGBoost JSON or UBJSON) as a new version", GroupID: "model", Args: noArgs,
		Example: "  steward import --model heart --from model.json --reference testdata/heart/processed.cleveland.data --as ana@example.com --reason \"the notebook model\""}
	fl := c.Flags()
	model := fl.String("model", "", "model to import into (default: the project's model)")
	from := fl.String("from", "", "the model file (required)")
	format := fl.String("format", "", "xgboost-json, xgboost-ubj or lightgbm (default: told by the content)")
	reference := fl.String("reference", "", "the data the model was trained on, or a sample (default: the project's data source)")
	as := fl.String("as", "", "who imports (recorded with the version; default: cli)")
	reason := fl.String("reason", "", "why (recorded with the version)")
	c.RunE = func(cmd *cobra.Command, _ []string) error {
		ctx := cmd.Context()
		if *from == "" {
			return usagef("--from is required: the model file to import")
		}
		cfgPath := &e.ConfigPath
		p, err := config.Load(*cfgPath)
		if err != nil {
			return WithCode(ExitUsage, err)
		}
		if *model != "" && *model != p.Model.Name {
			return Failed(fmt.Errorf("no model named %q in %s (it describes %q)", *model, *cfgPath, p.Model.Name))
		}
		file, err := os.ReadFile(*from)
		if err != nil {
			return WithCode(ExitUsage, err)
		}
		path, dformat := p.DataPath(), p.DataFormat()
		if *reference != "" && *reference != path {
			path, dformat = *reference, dataset.FormatAuto
		}
		frame, raw, err := dataset.ReadFile(path, p.Schema(), dataset.Options{Format: dformat})
		if err != nil {
			return WithCode(ExitUsage, fmt.Errorf("%s: %w", path, err))
		}
		var suite *validation.Suite
		if p.Validation.Suite != "" {
			suiteRaw, err := os.ReadFile(p.SuitePath())
			if err != nil {
				return WithCode(ExitUsage, fmt.Errorf("suite: %w", err))
			}
			if suite, err = validation.ParseSuite(suiteRaw); err != nil {
				return WithCode(ExitUsage, fmt.Errorf("suite: %w", err))
			}
		}
		// refuse a bad file before touching any store
		if _, _, err := modelimport.Read(file, *format); err != nil {
			return Failed(err)
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
		res, err := a.ImportService("cli").Import(ctx, modelimport.Request{
			Model: p.Model.Name, File: file, Format: *format,
			Reference: train.Data{Schema: p.Schema(), Frame: frame, Digest: ref.Digest},
			Suite:     suite, Threshold: p.Training.Threshold, Seed: p.Training.Seed,
			As: *as, Reason: *reason,
		})
		if err != nil {
			if errors.Is(err, modelimport.ErrModel) || errors.Is(err, modelimport.ErrFeatures) || errors.Is(err, modelimport.ErrReference) {
				return Failed(err)
			}
			return err
		}
		if e.JSON {
			return e.PrintJSON(res)
		}
		pv := res.Provenance
		fmt.Fprintf(e.Stdout, "imported %s %s %s model (%d trees, sha256 %s) as %s version %d, now %s\n",
			pv.Library, pv.LibraryVersion, pv.Objective, pv.Trees, pv.FileSHA256[:12], res.Model, res.Version, res.Alias)
		fmt.Fprintf(e.Stdout, "on the reference data (%d rows): roc_auc %.4f  f1 %.4f  accuracy %.4f\n",
			frame.Rows, res.Reference.ROCAUC, res.Reference.F1, res.Reference.Accuracy)
		return nil
	}
	return c
}
