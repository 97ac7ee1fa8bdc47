// Command agent is the agent Lambda: EventBridge rules deliver DriftChecked
// and alarm state changes to it, and it diagnoses, decides by the
// project's policy, acts and records; see package agentfn.
package main

import (
	"context"
	"fmt"
	"os"

	"github.com/aws/aws-lambda-go/lambda"

	"github.com/stewardml/steward/internal/agent/agentfn"
	"github.com/stewardml/steward/internal/app"
	"github.com/stewardml/steward/internal/config"
)

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "agent:", err)
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
	ag, err := a.Agent()
	if err != nil {
		return err
	}
	lambda.Start(&agentfn.Handler{Agent: ag})
	return nil
}
