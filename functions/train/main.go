// Command train is the training Lambda: it trains on a stored dataset (the
// whole search, or one candidate of the retraining workflow's Map), stores
// the model bundle, records the run and registers the version; see package
// trainfn for the events and the named errors.
package main

import (
	"context"
	"errors"
	"fmt"
	"os"

	"github.com/aws/aws-lambda-go/lambda"

	"github.com/stewardml/steward/internal/app"
	"github.com/stewardml/steward/internal/config"
	"github.com/stewardml/steward/internal/train/trainfn"
)

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "train:", err)
		os.Exit(1)
	}
}

func run() error {
	ctx := context.Background()
	rt, err := config.FromEnv(os.Getenv)
	if err != nil {
		return err
	}
	a, err := app.New(ctx, app.Options{Runtime: rt})
	if err != nil {
		return err
	}
	defer a.Close()
	p := a.Project
	if p == nil {
		return errors.New("no project configuration: set STEWARD_CONFIG to the steward.yaml packaged with the function")
	}
	h := &trainfn.Handler{
		Project:   trainfn.ProjectOf(p),
		Artifacts: a.Artifacts,
		Service:   a.TrainService("lambda:train"),
	}
	lambda.Start(h)
	return nil
}
