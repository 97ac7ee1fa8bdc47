package adapters

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/stewardml/steward/internal/local/files"
)

// Layout of the local data directory.
const (
	ArtifactsDir   = "artifacts"
	RecordsFile    = "steward.db"
	OutboxDir      = "outbox"
	SigningKeyFile = "signing.key"
)

// Local makes the adapters over one local data directory.
type Local struct {
	// Dir is the data directory.
	Dir string
}

// NewLocal returns the local adapters over dir, creating the directory
// if it does not exist.
func NewLocal(dir string) (*Local, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("adapters: data directory %s: %w", dir, err)
	}
	return &Local{Dir: dir}, nil
}

// Artifacts opens the artifact store, the artifacts folder of the data
// directory.
func (l *Local) Artifacts() (*files.Store, error) {
	return files.New(filepath.Join(l.Dir, ArtifactsDir))
}
