// Command capture is the capture-delivery Lambda: a CloudWatch Logs
// subscription on the predict function's log group sends it the capture
// lines predict writes, and it stores them in the artifact store under
// captures/{model}/dt=YYYY-MM-DD/hour=HH/ (package capturefn).
package main

import (
	"context"
	"fmt"
	"log/slog"
	"os"

	"github.com/aws/aws-lambda-go/lambda"

	"github.com/stewardml/steward/internal/app/captureapp"
	"github.com/stewardml/steward/internal/config"
)

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "capture:", err)
		os.Exit(1)
	}
}

func run() error {
	rt, err := config.FromEnv(os.Getenv)
	if err != nil {
		return err
	}
	h, err := captureapp.New(context.Background(), rt, slog.New(slog.NewJSONHandler(os.Stderr, nil)))
	if err != nil {
		return err
	}
	lambda.Start(h)
	return nil
}
