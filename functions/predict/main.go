// Command predict is the prediction Lambda behind API Gateway: it loads the
// champion during init, serves the routes of package serving, writes each
// capture and the request metrics (Embedded Metric Format) to stdout
// before returning, and notices alias moves without failing a request.
package main

import (
	"context"
	"fmt"
	"log/slog"
	"os"

	"github.com/aws/aws-lambda-go/lambda"

	"github.com/stewardml/steward/internal/app"
	"github.com/stewardml/steward/internal/config"
)

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "predict:", err)
		os.Exit(1)
	}
}

func run() error {
	ctx := context.Background()
	rt, err := config.FromEnv(os.Getenv)
	if err != nil {
		return err
	}
	logger := slog.New(slog.NewJSONHandler(os.Stderr, nil))
	a, err := app.New(ctx, app.Options{Runtime: rt})
	if err != nil {
		return err
	}
	defer a.Close()
	s := a.Serving(app.ServingOptions{Lambda: true, Stdout: os.Stdout, Logger: logger})
	if a.Project != nil {
		// Load the champion during init, where Lambda does not bill the
		// first request for it. A failure here is not fatal: the first
		// request retries and answers 404 or 503 if it still fails.
		if _, err := s.Models.Alias(ctx, a.Project.Model.Name, a.Project.Serving.DefaultAlias); err != nil {
			logger.Warn("predict: champion not loaded during init", "model", a.Project.Model.Name, "err", err)
		}
	}
	lambda.Start(s.APIGateway.Handle)
	return nil
}
