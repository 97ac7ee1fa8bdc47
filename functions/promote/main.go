// Command promote is the Promote Lambda of the retraining workflow: it
// moves champion to the candidate by compare-and-set against the champion
// the evaluation saw; see tasks.Promote.
package main

import (
	"context"

	"github.com/stewardml/steward/internal/app"
)

func main() {
	app.StartLambda("promote", func(_ context.Context, a *app.App) (any, error) {
		h, err := a.WorkflowHandlers()
		if err != nil {
			return nil, err
		}
		return h.Promote, nil
	})
}
