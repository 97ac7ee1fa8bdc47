// Command dashboard is the dashboard Lambda behind API Gateway: the
// server-rendered pages of package web, signed-in operators only.
package main

import (
	"context"
	"log/slog"
	"os"

	"github.com/stewardml/steward/internal/httpedge/apigw"

	"github.com/stewardml/steward/internal/app"
)

func main() {
	app.StartLambda("dashboard", func(_ context.Context, a *app.App) (any, error) {
		h, err := a.Dashboard(app.DashboardOptions{Logger: slog.New(slog.NewJSONHandler(os.Stderr, nil))})
		if err != nil {
			return nil, err
		}
		return apigw.New(h).Handle, nil
	})
}
