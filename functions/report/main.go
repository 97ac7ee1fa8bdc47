// Command report is the report Lambda: it renders a training, drift or
// deployment report as HTML and PDF into the artifact store and returns
// presigned links to them; see package reportfn for the event.
package main

import (
	"context"

	"github.com/stewardml/steward/internal/app"
)

func main() {
	app.StartLambda("report", func(_ context.Context, a *app.App) (any, error) {
		return a.ReportHandler()
	})
}
