// Command evaluate is the EvaluateBest Lambda of the retraining workflow: it
// picks the best trained candidate, registers it, and scores it and the
// champion on the same hold-out rows; see tasks.Evaluate.
package main

import (
	"context"

	"github.com/stewardml/steward/internal/app"
)

func main() {
	app.StartLambda("evaluate", func(_ context.Context, a *app.App) (any, error) {
		h, err := a.WorkflowHandlers()
		if err != nil {
			return nil, err
		}
		return h.Evaluate, nil
	})
}
