package app

import (
	"context"

	"github.com/stewardml/steward/internal/app/boot"
	"github.com/stewardml/steward/internal/config"
)

// Handler builds one function's Lambda handler from the application.
type Handler func(ctx context.Context, a *App) (any, error)

// StartLambda is what every Lambda main that runs on the whole application
// does: read the runtime settings (config.FromEnv), build the App, ask build
// for the handler and hand it to the Lambda runtime (see boot.Lambda).
func StartLambda(name string, build Handler) {
	boot.Lambda(name, func(ctx context.Context, rt config.Runtime) (any, func() error, error) {
		a, err := New(ctx, Options{Runtime: rt})
		if err != nil {
			return nil, nil, err
		}
		h, err := build(ctx, a)
		return h, a.Close, err
	})
}
