// Command drift is the scheduled drift check Lambda: an EventBridge
// schedule fires it and it checks the project's model over the captured
// window; see package driftfn for the event and the named errors.
package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"time"

	"github.com/aws/aws-lambda-go/lambda"

	"github.com/stewardml/steward/internal/app"
	"github.com/stewardml/steward/internal/config"
	"github.com/stewardml/steward/internal/monitor/driftfn"
)

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "drift:", err)
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
	if a.Project == nil {
		return errors.New("no project configuration: set STEWARD_CONFIG to the steward.yaml packaged with the function")
	}
	lambda.Start(&driftfn.Handler{Service: a.Monitor(), Model: a.Project.Model.Name, ParseWindow: parseWindow})
	return nil
}

func parseWindow(s string) (time.Duration, error) {
	d, err := config.ParseDuration(s)
	return d.D(), err
}
