package projectsource

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path"
	"path/filepath"
	"strings"

	"github.com/stewardml/steward/internal/config"
	"github.com/stewardml/steward/internal/store"
)

// StorePrefix starts a reference to an object of the artifact store.
const StorePrefix = "artifact:"

// Errors of Load, checked with errors.Is.
var (
	// ErrNotFound reports a configuration, or a file it names, that is not
	// in the artifact store.
	ErrNotFound = errors.New("projectsource: not in the artifact store")
	// ErrInvalid reports a reference or a path that cannot be resolved in
	// the artifact store.
	ErrInvalid = errors.New("projectsource: invalid reference")
)

// InStore reports whether ref names an object of the artifact store
// ("artifact:KEY") and returns its key.
func InStore(ref string) (key string, ok bool) {
	if key, ok = strings.CutPrefix(ref, StorePrefix); !ok {
		return "", false
	}
	return key, true
}

// Load returns the project configuration ref names.
//
// For "artifact:KEY" it reads KEY from arts, and the validation suite the
// configuration names (relative to it, and under its folder) from the key
// beside it; it writes both under dir with their relative layout and loads
// the copy, so that Project.SuitePath is a readable file. A missing object
// is an error wrapping ErrNotFound, and a configuration that does not
// validate one wrapping config.ErrInvalid whose messages name the
// reference.
//
// Any other ref is a file path: its configuration when the file exists,
// nil and no error when it does not (steward.yaml is optional).
//
// dir must exist and is used only for a reference into the store.
func Load(ctx context.Context, ref string, arts store.ArtifactStore, dir string) (*config.Project, error) {
	key, ok := InStore(ref)
	if !ok {
		if ref == "" {
			return nil, nil
		}
		if _, err := os.Stat(ref); errors.Is(err, os.ErrNotExist) {
			return nil, nil
		}
		return config.Load(ref)
	}
	if key == "" || strings.HasSuffix(key, "/") {
		return nil, fmt.Errorf("%w: %q: expected %sKEY, the key of the configuration file", ErrInvalid, ref, StorePrefix)
	}
	if arts == nil {
		return nil, fmt.Errorf("%w: %q: no artifact store to read it from", ErrInvalid, ref)
	}
	if dir == "" {
		return nil, fmt.Errorf("%w: %q: no directory to copy it into", ErrInvalid, ref)
	}
	raw, err := get(ctx, arts, ref, key)
	if err != nil {
		return nil, err
	}
	// Parse under the reference's own name first, so that a configuration
	// that does not validate is reported as the user named it.
	p, err := config.Parse(raw, ref)
	if err != nil {
		return nil, err
	}
	files := map[string][]byte{path.Base(key): raw}
	if suite := p.Validation.Suite; suite != "" {
		rel, err := relative(suite)
		if err != nil {
			return nil, fmt.Errorf("%w: %s: validation.suite %q: %v", ErrInvalid, ref, suite, err)
		}
		body, err := get(ctx, arts, ref, path.Join(path.Dir(key), rel))
		if err != nil {
			return nil, err
		}
		files[rel] = body
	}
	for rel, body := range files {
		local := filepath.Join(dir, filepath.FromSlash(rel))
		if err := os.MkdirAll(filepath.Dir(local), 0o755); err != nil {
			return nil, fmt.Errorf("projectsource: copy %s: %w", ref, err)
		}
		if err := os.WriteFile(local, body, 0o644); err != nil {
			return nil, fmt.Errorf("projectsource: copy %s: %w", ref, err)
		}
	}
	return config.Load(filepath.Join(dir, path.Base(key)))
}

// get reads key, naming the configuration ref in its errors.
func get(ctx context.Context, arts store.ArtifactStore, ref, key string) ([]byte, error) {
	body, _, err := arts.Get(ctx, key)
	switch {
	case errors.Is(err, store.ErrNotFound):
		return nil, fmt.Errorf("%w: %s (for %s): upload it with the configuration", ErrNotFound, key, ref)
	case errors.Is(err, store.ErrInvalid):
		return nil, fmt.Errorf("%w: %s (for %s): %v", ErrInvalid, key, ref, err)
	case err != nil:
		return nil, fmt.Errorf("projectsource: read %s (for %s): %w", key, ref, err)
	}
	return body, nil
}

// relative returns p cleaned, in slash form, if it stays under the
// configuration's folder.
func relative(p string) (string, error) {
	s := filepath.ToSlash(p)
	if path.IsAbs(s) || filepath.IsAbs(p) {
		return "", errors.New("expected a path relative to the configuration")
	}
	c := path.Clean(s)
	if c == "." || c == ".." || strings.HasPrefix(c, "../") {
		return "", errors.New("expected a path under the configuration's folder")
	}
	return c, nil
}
