// Command dashboard is the dashboard Lambda behind API Gateway: the
// server-rendered pages of package web, signed-in operators only.
package main

import (
	"context"
	"fmt"
	"log/slog"
	"os"

	"github.com/aws/aws-lambda-go/lambda"

	"github.com/stewardml/steward/internal/app"
	"github.com/stewardml/steward/internal/config"
	"github.com/stewardml/steward/internal/web/dashboardfn"
)

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "dashboard:", err)
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
	h, err := dashboardfn.New(ctx, a, dashboardfn.Options{Logger: slog.New(slog.NewJSONHandler(os.Stderr, nil))})
	if err != nil {
		return err
	}
	lambda.Start(h.Handle)
	return nil
}
