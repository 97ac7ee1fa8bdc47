// Command agent is the agent Lambda: EventBridge rules deliver DriftChecked
// and alarm state changes to it, and it diagnoses, decides by the
// project's policy, acts and records; see package agentfn.
package main

import (
	"context"

	"github.com/stewardml/steward/internal/agent/agentfn"
	"github.com/stewardml/steward/internal/app"
)

func main() {
	app.StartLambda("agent", func(_ context.Context, a *app.App) (any, error) {
		ag, err := a.Agent()
		if err != nil {
			return nil, err
		}
		return &agentfn.Handler{Agent: ag}, nil
	})
}
