package app

import (
	"context"
	"fmt"
	"os"

	"github.com/stewardml/steward/internal/app/projectsource"
	"github.com/stewardml/steward/internal/config"
)

// loadProject loads the project configuration Runtime.ConfigPath names: a
// file, or "artifact:KEY" in the artifact store (how a Lambda, which has
// no steward.yaml on disk, finds it; see package projectsource). A
// configuration from the store is copied into a temporary directory that
// Close removes. No configuration file is not an error: nil is returned.
func (a *App) loadProject(ctx context.Context) (*config.Project, error) {
	ref := a.Runtime.ConfigPath
	dir := ""
	if _, ok := projectsource.InStore(ref); ok {
		d, err := os.MkdirTemp("", "steward-project-")
		if err != nil {
			return nil, fmt.Errorf("app: project configuration %s: %w", ref, err)
		}
		a.closers = append(a.closers, func() error { return os.RemoveAll(d) })
		dir = d
	}
	return projectsource.Load(ctx, ref, a.Artifacts, dir)
}
