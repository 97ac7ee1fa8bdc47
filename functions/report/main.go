// Command report is the report Lambda: it renders a training, drift or
// deployment report as HTML and PDF into the artifact store and returns
// presigned links to them; see package reportfn for the event.
package main

import (
	"context"

	"github.com/stewardml/steward/internal/app"
	"github.com/stewardml/steward/internal/report/reportfn"
)

func main() {
	app.StartLambda("report", func(ctx context.Context, a *app.App) (any, error) {
		svc, err := reportfn.NewService(ctx, a)
		if err != nil {
			return nil, err
		}
		return &reportfn.Handler{Reports: svc}, nil
	})
}
