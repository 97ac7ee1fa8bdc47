package app

import (
	"github.com/stewardml/steward/internal/audit"
	"github.com/stewardml/steward/internal/buildinfo"
	"github.com/stewardml/steward/internal/modelimport"
	"github.com/stewardml/steward/internal/registry"
	"github.com/stewardml/steward/internal/tracking"
)

// ImportService returns the service that imports models trained elsewhere,
// over the stores a training run uses: the bundle in the artifact store,
// the version in the registry, the import as a tracking run with its run
// record, the events in the audit log. actor names
// who imports ("cli", ...).
func (a *App) ImportService(actor string) *modelimport.Service {
	reg := registry.New(a.Records)
	reg.Now = a.Now
	runs := tracking.New(a.Records)
	runs.Now = a.Now
	log := audit.New(a.Records)
	log.Now = a.Now
	return &modelimport.Service{
		Artifacts:   a.Artifacts,
		Registry:    trainRegistry{reg},
		Runs:        trainRuns{runs},
		Audit:       trainAudit{log},
		Now:         a.Now,
		Actor:       actor,
		CodeVersion: buildinfo.Version(),
	}
}
