package cli

import (
	"errors"
	"fmt"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/stewardml/steward/internal/cost"
)

func newCostCmd(e *Env) *cobra.Command {
	c := &cobra.Command{Use: "cost", Short: "print the AWS deployment's monthly cost at a traffic, line by line", GroupID: "admin", Args: noArgs,
		Long: `Prints the monthly bill of the AWS deployment at --predictions-per-month,
every line item with its formula, from the model docs/cost.md explains
(us-east-1 list prices as that document dates them; re-check them). --api rest
prices the front door the stack builds; --api http prices an HTTP API with a
caching key authorizer, which the stack does not build yet.`,
		Example: "  steward cost --predictions-per-month 100000000\n  steward cost --predictions-per-month 100000000 --api http --capture-rate 0.1"}
	fs := c.Flags()
	n := fs.Float64("predictions-per-month", 0, "predictions a month (required)")
	api := fs.String("api", cost.REST, "front door: rest (what the stack builds) or http")
	rate := fs.Float64("capture-rate", 1, "share of predictions captured, 0 to 1 (serving.capture_rate)")
	rows := fs.Float64("rows-per-request", 1, "instances per predict request")
	batch := fs.Float64("batch-lines", 100, "capture lines per log-subscription batch (one capture invocation and S3 object each)")
	months := fs.Float64("capture-months", 1, "months of captures kept (12 for the default 365-day retention)")
	c.RunE = func(cmd *cobra.Command, _ []string) error {
		if !cmd.Flags().Changed("predictions-per-month") {
			return Usagef("--predictions-per-month is required")
		}
		est, err := cost.Compute(cost.Params{PredictionsPerMonth: *n, API: *api, CaptureRate: *rate, RowsPerRequest: *rows,
			BatchLines: *batch, CaptureMonths: *months}, cost.ListPrices)
		if errors.Is(err, cost.ErrParams) {
			return Usagef("%v", err)
		}
		if err != nil {
			return err
		}
		if e.JSON {
			return e.PrintJSON(map[string]any{"params": est.Params, "lines": est.Lines, "total": est.Total(), "perMillion": est.PerMillion()})
		}
		tw := tabwriter.NewWriter(e.Stdout, 0, 4, 2, ' ', 0)
		fmt.Fprintf(tw, "ITEM\t$/MONTH\tFORMULA\n")
		for _, l := range est.Lines {
			fmt.Fprintf(tw, "%s\t%.2f\t%s\n", l.Item, l.Dollars, l.Formula)
		}
		fmt.Fprintf(tw, "Total\t%.2f\t$%.2f per million predictions (%s front door)\n", est.Total(), est.PerMillion(), est.Params.API)
		return tw.Flush()
	}
	return c
}
