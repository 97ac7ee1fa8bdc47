// Command record is the Record Lambda of the retraining workflow: it audits
// and notifies the start and every outcome of an execution; see
// tasks.Record.
package main

import (
	"context"

	"github.com/stewardml/steward/internal/app"
)

func main() {
	app.StartLambda("record", func(_ context.Context, a *app.App) (any, error) {
		h, err := a.WorkflowHandlers()
		if err != nil {
			return nil, err
		}
		return h.Record, nil
	})
}
