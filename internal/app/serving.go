package app

import (
	"github.com/stewardml/steward/internal/app/predictapp"
)

// ServingOptions say how to run the prediction service.
type ServingOptions = predictapp.Options

// Serving is the wired prediction service.
type Serving = predictapp.Serving

// Serving builds the prediction service over the application's stores and
// the project's serving settings.
func (a *App) Serving(opts ServingOptions) *Serving {
	if opts.Now == nil {
		opts.Now = a.Now
	}
	if opts.SigningKey == nil {
		opts.SigningKey = a.SigningKey
	}
	return predictapp.Build(a.Artifacts, a.Records, a.Project, opts)
}
