// Command validate is the data-validation Lambda: it checks a stored dataset
// against a Great Expectations suite (the project's, or one named in the
// event) and returns the validation result, or fails with
// DataValidationFailed so the retraining workflow stops before training.
package main

import (
	"context"

	"github.com/stewardml/steward/internal/app"
)

func main() {
	app.StartLambda("validate", func(_ context.Context, a *app.App) (any, error) {
		return a.ValidateHandler()
	})
}
