// Command promote is the Promote Lambda of the retraining workflow: it
// moves champion to the candidate by compare-and-set against the champion
// the evaluation saw; see workflow.Promote.
package main

import (
	"context"
	"fmt"
	"os"

	"github.com/aws/aws-lambda-go/lambda"

	"github.com/stewardml/steward/internal/app"
	"github.com/stewardml/steward/internal/config"
)

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "promote:", err)
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
	h, err := a.WorkflowHandlers()
	if err != nil {
		return err
	}
	lambda.Start(h.Promote)
	return nil
}
