// Command dashboard is the dashboard Lambda behind API Gateway: the
// server-rendered pages of package web, signed-in operators only.
package main

import (
	"context"
	"log/slog"
	"os"

	"github.com/stewardml/steward/internal/app"
	"github.com/stewardml/steward/internal/web/dashboardfn"
)

func main() {
	app.StartLambda("dashboard", func(ctx context.Context, a *app.App) (any, error) {
		h, err := dashboardfn.New(ctx, a, dashboardfn.Options{Logger: slog.New(slog.NewJSONHandler(os.Stderr, nil))})
		if err != nil {
			return nil, err
		}
		return h.Handle, nil
	})
}
