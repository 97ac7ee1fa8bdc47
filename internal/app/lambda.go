package app

import (
	"context"
	"fmt"
	"os"

	"github.com/aws/aws-lambda-go/lambda"

	"github.com/stewardml/steward/internal/config"
)

// Handler builds one function's Lambda handler from the application.
type Handler func(ctx context.Context, a *App) (any, error)

// StartLambda is what every Lambda main that runs on the whole application
// does: read the runtime settings (config.FromEnv), build the App, ask build
// for the handler and hand it to the Lambda runtime, which serves
// invocations until the process ends. A start-up error is printed under
// name and the process exits with status 1, so Lambda reports an init
// failure instead of a handler that cannot work.
func StartLambda(name string, build Handler) {
	if err := startLambda(build); err != nil {
		fmt.Fprintf(os.Stderr, "%s: %v\n", name, err)
		os.Exit(1)
	}
}

func startLambda(build Handler) error {
	ctx := context.Background()
	rt, err := config.FromEnv(os.Getenv)
	if err != nil {
		return err
	}
	a, err := New(ctx, Options{Runtime: rt})
	if err != nil {
		return err
	}
	defer a.Close()
	h, err := build(ctx, a)
	if err != nil {
		return err
	}
	lambda.Start(h)
	return nil
}
