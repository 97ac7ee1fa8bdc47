// Command train is the training Lambda: it trains on a stored dataset (the
// whole search, or one candidate of the retraining workflow's Map), stores
// the model bundle, records the run and registers the version; see package
// tasks (Train) for the events and the named errors.
package main

import (
	"context"

	"github.com/stewardml/steward/internal/app"
	"github.com/stewardml/steward/internal/workflow/tasks"
)

func main() {
	app.StartLambda("train", func(_ context.Context, a *app.App) (any, error) {
		if a.Project == nil {
			return nil, app.ErrNoProject
		}
		return &tasks.Train{
			Project:   a.Project,
			Artifacts: a.Artifacts,
			Service:   a.TrainService("lambda:train"),
		}, nil
	})
}
