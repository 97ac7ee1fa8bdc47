package serving

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"

	"github.com/stewardml/steward/internal/bundle"
	"github.com/stewardml/steward/internal/registry"
	"github.com/stewardml/steward/internal/store"
)

// RegistryReader is the part of the model registry the serving path reads;
// *registry.Registry satisfies it.
type RegistryReader interface {
	Model(ctx context.Context, name string) (registry.Model, error)
	Models(ctx context.Context) ([]registry.Model, error)
	Versions(ctx context.Context, model string) ([]registry.Version, error)
	Version(ctx context.Context, model string, n int) (registry.Version, error)
	Alias(ctx context.Context, model, alias string) (registry.Alias, error)
	Aliases(ctx context.Context, model string) ([]registry.Alias, error)
}

// ArtifactGetter reads bundles; store.ArtifactStore satisfies it.
type ArtifactGetter interface {
	Get(ctx context.Context, key string) ([]byte, store.ObjectInfo, error)
}

// RegistrySource resolves aliases in the registry and loads bundles from
// the artifact store. It is both the ModelSource and the Catalog of the
// prediction service, and is safe for concurrent use.
type RegistrySource struct {
	Registry  RegistryReader
	Artifacts ArtifactGetter
}

var (
	_ ModelSource = (*RegistrySource)(nil)
	_ Catalog     = (*RegistrySource)(nil)
)

// registryErr maps registry errors: an unknown model, version or an
// invalid name become ErrNotFound; anything else ErrUnavailable.
func registryErr(err error, format string, args ...any) error {
	what := fmt.Sprintf(format, args...)
	if errors.Is(err, registry.ErrNotFound) || errors.Is(err, registry.ErrInvalid) {
		return fmt.Errorf("%w: %s", ErrNotFound, what)
	}
	return fmt.Errorf("%w: %s: %w", ErrUnavailable, what, err)
}

// Resolve returns the version an alias points to; an unset alias (or an
// unknown model) is ErrNotFound.
func (s *RegistrySource) Resolve(ctx context.Context, name, alias string) (int, error) {
	a, err := s.Registry.Alias(ctx, name, alias)
	if err != nil {
		return 0, registryErr(err, "model %q alias %q", name, alias)
	}
	if a.Version == 0 {
		return 0, s.unset(ctx, name, alias)
	}
	return a.Version, nil
}

// unset explains an alias that points nowhere: the model does not exist,
// or it does and the alias is not set (naming the ones that are).
func (s *RegistrySource) unset(ctx context.Context, name, alias string) error {
	if _, err := s.Registry.Model(ctx, name); err != nil {
		if errors.Is(err, registry.ErrNotFound) {
			return notFoundf("no model named %q", name)
		}
		return registryErr(err, "model %q", name)
	}
	var set []string
	if as, err := s.Registry.Aliases(ctx, name); err == nil {
		for _, a := range as {
			if a.Version > 0 {
				set = append(set, a.Name)
			}
		}
	}
	if len(set) == 0 {
		return notFoundf("model %q has no alias %q set, and no other (train it, or pass ?version=N)", name, alias)
	}
	return notFoundf("model %q has no alias %q set (set: %s; or pass ?version=N)", name, alias, strings.Join(set, ", "))
}

// Load reads version's bundle and opens its predictor.
func (s *RegistrySource) Load(ctx context.Context, name string, version int) (Model, error) {
	v, err := s.Registry.Version(ctx, name, version)
	if err != nil {
		return nil, registryErr(err, "model %q has no version %d", name, version)
	}
	data, _, err := s.Artifacts.Get(ctx, v.BundleKey)
	if err != nil {
		return nil, fmt.Errorf("%w: bundle %s of %s:%d: %w", ErrUnavailable, v.BundleKey, name, version, err)
	}
	p, err := bundle.Open(data)
	if err != nil {
		return nil, fmt.Errorf("%w: bundle %s of %s:%d: %w", ErrUnavailable, v.BundleKey, name, version, err)
	}
	if m := p.Manifest().Model; m != "" && m != name {
		return nil, fmt.Errorf("%w: bundle %s of %s:%d was trained for model %q", ErrUnavailable, v.BundleKey, name, version, m)
	}
	return NewBundleModel(name, version, p), nil
}

// List returns every model with its aliases.
func (s *RegistrySource) List(ctx context.Context) ([]ModelSummary, error) {
	ms, err := s.Registry.Models(ctx)
	if err != nil {
		return nil, registryErr(err, "models")
	}
	out := make([]ModelSummary, 0, len(ms))
	for _, m := range ms {
		full, err := s.Registry.Model(ctx, m.Name)
		if err != nil {
			return nil, registryErr(err, "model %q", m.Name)
		}
		out = append(out, summary(full))
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out, nil
}

func summary(m registry.Model) ModelSummary {
	aliases := m.Aliases
	if aliases == nil {
		aliases = map[string]int{}
	}
	return ModelSummary{Name: m.Name, LatestVersion: m.LatestVersion, Aliases: aliases}
}

// Describe returns a model with its versions, newest first.
func (s *RegistrySource) Describe(ctx context.Context, name string) (ModelDetail, error) {
	m, err := s.Registry.Model(ctx, name)
	if err != nil {
		return ModelDetail{}, registryErr(err, "no model named %q", name)
	}
	vs, err := s.Registry.Versions(ctx, name)
	if err != nil {
		return ModelDetail{}, registryErr(err, "versions of %q", name)
	}
	byVersion := map[int][]string{}
	for a, v := range m.Aliases {
		byVersion[v] = append(byVersion[v], a)
	}
	d := ModelDetail{ModelSummary: summary(m), Versions: make([]VersionInfo, 0, len(vs))}
	for i := len(vs) - 1; i >= 0; i-- {
		v := vs[i]
		aliases := byVersion[v.Number]
		sort.Strings(aliases)
		d.Versions = append(d.Versions, VersionInfo{Version: v.Number, Family: v.Family, CreatedAt: v.CreatedAt, Aliases: aliases, Metrics: v.Metrics})
	}
	return d, nil
}
