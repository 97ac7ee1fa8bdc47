// Command validate is the data-validation Lambda: it checks a stored dataset
// against a Great Expectations suite (the project's, or one named in the
// event) and returns the validation result, or fails with
// DataValidationFailed so the retraining workflow stops before training.
package main

import (
	"context"
	"fmt"
	"os"

	"github.com/aws/aws-lambda-go/lambda"

	"github.com/stewardml/steward/internal/app"
	"github.com/stewardml/steward/internal/config"
	"github.com/stewardml/steward/internal/validation"
	"github.com/stewardml/steward/internal/validation/validatefn"
)

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "validate:", err)
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
	h := &validatefn.Handler{Artifacts: a.Artifacts, Bucket: rt.Bucket, Now: a.Now}
	if p := a.Project; p != nil {
		h.Schema = p.Schema()
		h.ResultFormat = p.Validation.ResultFormat
		if path := p.SuitePath(); path != "" {
			raw, err := os.ReadFile(path)
			if err != nil {
				return fmt.Errorf("project suite: %w", err)
			}
			if h.Suite, err = validation.ParseSuite(raw); err != nil {
				return fmt.Errorf("project suite %s: %w", path, err)
			}
		}
	}
	lambda.Start(h)
	return nil
}
