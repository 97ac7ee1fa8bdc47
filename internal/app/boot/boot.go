// Package boot is the start-up path every Lambda main shares: read the
// runtime settings (config.FromEnv), build the handler, hand it to the
// Lambda runtime. It imports no adapter, so the slim functions (predict,
// capture) that call it directly link only what their builders need;
// app.StartLambda runs the functions built on the whole application
// through it.
package boot

import (
	"context"
	"fmt"
	"os"

	"github.com/aws/aws-lambda-go/lambda"

	"github.com/stewardml/steward/internal/config"
)

// Build makes one function's handler from the runtime settings. close,
// which may be nil, releases what the handler holds.
type Build func(ctx context.Context, rt config.Runtime) (handler any, close func() error, err error)

// Lambda reads the runtime settings, asks build for the handler and hands
// it to the Lambda runtime, which serves invocations until the process
// ends. A start-up error is printed under name and the process exits with
// status 1, so Lambda reports an init failure instead of a handler that
// cannot work.
func Lambda(name string, build Build) {
	if err := start(build); err != nil {
		fmt.Fprintf(os.Stderr, "%s: %v\n", name, err)
		os.Exit(1)
	}
}

func start(build Build) error {
	rt, err := config.FromEnv(os.Getenv)
	if err != nil {
		return err
	}
	h, closeFn, err := build(context.Background(), rt)
	if closeFn != nil {
		defer closeFn()
	}
	if err != nil {
		return err
	}
	lambda.Start(h)
	return nil
}
