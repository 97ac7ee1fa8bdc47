package app

import (
	"github.com/stewardml/steward/internal/buildinfo"
	"github.com/stewardml/steward/internal/modelimport"
)

// ImportService returns the service that imports models trained elsewhere,
// over the stores a training run uses: the bundle in the artifact store,
// the version in the registry, the import as a tracking run with its run
// record, the events in the audit log. actor names
// who imports ("cli", ...).
func (a *App) ImportService(actor string) *modelimport.Service {
	reg, runs, log := a.trainStores()
	return &modelimport.Service{
		Artifacts:   a.Artifacts,
		Registry:    reg,
		Runs:        runs,
		Audit:       log,
		Now:         a.Now,
		Actor:       actor,
		CodeVersion: buildinfo.Version(),
	}
}
