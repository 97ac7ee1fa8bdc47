package cli

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"
	"github.com/stewardml/steward/internal/config"
	"github.com/stewardml/steward/internal/dataset"
	"github.com/stewardml/steward/internal/validation"
)

// runValidate implements `steward validate --data FILE --suite FILE [--json]`:
// it checks a data file against a Great Expectations suite and prints a
// table (or, with --json, the Great Expectations result). It exits 1 when
// the data fails the suite and 2 on usage or I/O errors.
//
// The data's columns come from the project configuration when there is one
// (--config, default steward.yaml); without it the file needs a header.
// --data and --suite default to the configuration's data source and suite.
func newValidateCmd(e *Env) *cobra.Command {
	c := &cobra.Command{Use: "validate", Short: "check a data file against a Great Expectations suite", GroupID: "model", Args: noArgs,
		Example: "  steward validate --data testdata/heart/processed.cleveland.data\n  steward validate --data other.csv --header --suite suite.json --format COMPLETE\n  steward validate --list"}
	fl := c.Flags()
	data := fl.String("data", "", "data file (default: the project's data source)")
	suitePath := fl.String("suite", "", "expectation suite JSON (default: the project's suite)")
	format := fl.String("format", "", "result format: BOOLEAN_ONLY, BASIC, SUMMARY or COMPLETE (default: the project's, else SUMMARY)")
	list := fl.Bool("list", false, "list the supported expectation types and exit")
	header := fl.Bool("header", false, "take the columns from the data's header, not from the project schema")
	c.RunE = func(cmd *cobra.Command, _ []string) error {
		if *list {
			for _, t := range validation.SupportedTypes() {
				fmt.Fprintln(e.Stdout, t)
			}
			return nil
		}

		explicitConfig := cmd.Flags().Changed("config")
		cfgPath := &e.ConfigPath
		proj, err := config.Load(*cfgPath)
		switch {
		case err == nil:
		case errors.Is(err, fs.ErrNotExist) && !explicitConfig && *data != "" && *suitePath != "":
			proj = nil // no project here: the data must name its columns in a header
		default:
			return WithCode(ExitUsage, err)
		}

		var schema *dataset.Schema
		dformat := dataset.FormatAuto
		resultFormat := "SUMMARY"
		if proj != nil {
			if !*header {
				schema = proj.Schema()
				dformat = proj.DataFormat()
			}
			resultFormat = proj.Validation.ResultFormat
			if *data == "" {
				*data = proj.DataPath()
			}
			if *suitePath == "" {
				*suitePath = proj.SuitePath()
			}
			if *data != proj.DataPath() {
				dformat = dataset.FormatAuto // another file may well have a header
			}
		}
		if *format != "" {
			resultFormat = strings.ToUpper(*format)
			if !validResultFormat(resultFormat) {
				return Usagef("--format %q: expected BOOLEAN_ONLY, BASIC, SUMMARY or COMPLETE", *format)
			}
		}
		if *data == "" {
			return Usagef("--data is required (no project configuration names a data source)")
		}
		if *suitePath == "" {
			return Usagef("--suite is required (the project configuration names no suite)")
		}

		suiteRaw, err := os.ReadFile(*suitePath)
		if err != nil {
			return WithCode(ExitUsage, fmt.Errorf("suite: %w", err))
		}
		suite, err := validation.ParseSuite(suiteRaw)
		if err != nil {
			return WithCode(ExitUsage, fmt.Errorf("%s: %w", *suitePath, err))
		}
		frame, raw, err := dataset.ReadFile(*data, schema, dataset.Options{Format: dformat})
		if err != nil {
			return WithCode(ExitUsage, fmt.Errorf("%s: %w", *data, err))
		}
		digest := dataset.Digest(raw)
		res := validation.Validate(suite, frame, validation.Options{
			ResultFormat: resultFormat,
			BatchKwargs:  validation.Object{{Key: "path", Value: *data}, {Key: "dataset_sha256", Value: digest}, {Key: "rows", Value: frame.Rows}},
		})

		if e.JSON {
			out, err := res.MarshalIndent()
			if err != nil {
				return err
			}
			if _, err := e.Stdout.Write(out); err != nil {
				return WithCode(ExitUsage, err)
			}
		} else {
			printValidation(e, res, *data, *suitePath, digest, frame.Rows)
		}
		if !res.Success {
			return Failed(errors.New(validation.Summarize(res).String()))
		}
		return nil
	}
	return c
}

func validResultFormat(f string) bool {
	switch f {
	case "BOOLEAN_ONLY", "BASIC", "SUMMARY", "COMPLETE":
		return true
	}
	return false
}

// printValidation writes the readable table: one row per expectation with
// its column, outcome, observed value and unexpected count.
func printValidation(e *Env, res *validation.SuiteResult, data, suite, digest string, rows int) {
	name, _ := res.Meta.String("expectation_suite_name")
	fmt.Fprintf(e.Stdout, "suite %s (%s) on %s: %d rows, sha256 %s\n\n", name, suite, data, rows, digest[:12])
	var table bytes.Buffer
	tw := tabwriter.NewWriter(&table, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "#\tEXPECTATION\tCOLUMN\tRESULT\tOBSERVED\tUNEXPECTED\tEXAMPLES")
	for _, l := range validation.Lines(res) {
		result := "pass"
		if !l.Success {
			result = "FAIL"
		}
		if l.Error != "" {
			result = "ERROR"
		}
		unexpected := ""
		if l.UnexpectedCount != nil {
			unexpected = fmt.Sprint(*l.UnexpectedCount)
			if l.UnexpectedPercent != nil {
				unexpected += fmt.Sprintf(" (%.1f%%)", *l.UnexpectedPercent)
			}
		}
		examples := strings.Join(l.Examples, ", ")
		if l.Error != "" {
			examples = l.Error
		}
		column := l.Column
		if column == "" {
			column = "-"
		}
		observed := l.Observed
		if r := []rune(observed); len(r) > 40 {
			observed = string(r[:39]) + "…"
		}
		fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s\t%s\t%s\n", l.Index+1, validation.ShortType(l.Type), column, result, observed, unexpected, examples)
	}
	tw.Flush()
	for _, line := range strings.SplitAfter(table.String(), "\n") {
		fmt.Fprint(e.Stdout, strings.TrimRight(line, " \n"))
		if strings.HasSuffix(line, "\n") {
			fmt.Fprintln(e.Stdout)
		}
	}
	st := res.Statistics
	pct := 0.0
	if st.SuccessPercent != nil {
		pct = *st.SuccessPercent
	}
	verdict := "PASSED"
	if !res.Success {
		verdict = "FAILED"
	}
	fmt.Fprintf(e.Stdout, "\n%s: %d of %d expectations met (%.1f%%)\n", verdict, st.SuccessfulExpectations, st.EvaluatedExpectations, pct)
}
