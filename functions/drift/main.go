// Command drift is the scheduled drift check Lambda: an EventBridge
// schedule fires it and it checks the project's model over the captured
// window; see package driftfn for the event and the named errors.
package main

import (
	"context"

	"github.com/stewardml/steward/internal/app"
)

func main() {
	app.StartLambda("drift", func(_ context.Context, a *app.App) (any, error) {
		return a.DriftHandler()
	})
}
