package app

import (
	"github.com/stewardml/steward/internal/audit"
	"github.com/stewardml/steward/internal/registry"
	"github.com/stewardml/steward/internal/release"
	"github.com/stewardml/steward/internal/tracking"
)

// Registry returns the model registry over the record store.
func (a *App) Registry() *registry.Registry {
	r := registry.New(a.Records)
	r.Now = a.Now
	return r
}

// Audit returns the audit log over the record store.
func (a *App) Audit() *audit.Store {
	l := audit.New(a.Records)
	l.Now = a.Now
	return l
}

// Runs returns the run tracker over the record store.
func (a *App) Runs() *tracking.Tracker { return tracking.New(a.Records) }

// Release returns the audited promote/rollback service.
func (a *App) Release() *release.Service {
	return &release.Service{Registry: a.Registry(), Audit: a.Audit()}
}
