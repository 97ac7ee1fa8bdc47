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
	"time"

	"github.com/aws/aws-lambda-go/lambda"

	"github.com/stewardml/steward/internal/app/predictapp"
	"github.com/stewardml/steward/internal/config"
)

// started is read as the package initialises, just after the Go runtime
// starts, so the init time logged below covers nearly the whole cold start.
var started = time.Now()

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
	a, err := predictapp.New(ctx, rt, predictapp.Options{Lambda: true, Stdout: os.Stdout, Logger: logger})
	if err != nil {
		return err
	}
	defer a.Close()
	if a.Project != nil {
		// Load the champion during init, where Lambda does not bill the
		// first request for it. A failure here is not fatal: the first
		// request retries and answers 404 or 503 if it still fails.
		if _, err := a.Models.Alias(ctx, a.Project.Model.Name, a.Project.Serving.DefaultAlias); err != nil {
			logger.Warn("predict: champion not loaded during init", "model", a.Project.Model.Name, "err", err)
		}
	}
	logger.Info("predict: ready", "initMs", float64(time.Since(started).Microseconds())/1000)
	lambda.Start(a.APIGateway.Handle)
	return nil
}
