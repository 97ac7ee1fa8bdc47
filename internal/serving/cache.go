package serving

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sort"
	"strconv"
	"sync"
	"sync/atomic"
	"time"
)

// Loaded is a model version compiled for serving: the model and its
// feature set. It is immutable.
type Loaded struct {
	Model    Model
	Features *FeatureSet
}

// Name returns the model name.
func (l *Loaded) Name() string { return l.Model.Name() }

// Version returns the model version.
func (l *Loaded) Version() int { return l.Model.Version() }

// CacheConfig configures a Cache.
type CacheConfig struct {
	// RefreshInterval is how often an alias is checked for a move; 0
	// means 10 s. An alias is never checked more often than this.
	RefreshInterval time.Duration
	// Inline makes the request that finds an alias due for a check do the
	// check itself (and load a moved alias's version) before it is
	// served; concurrent requests keep the current model meanwhile. That
	// suits Lambda, where nothing runs between invocations. Otherwise the
	// check runs in a goroutine and Run polls in the background.
	Inline bool
	// MaxVersions bounds the versions kept for ?version=N requests; 0
	// means 16.
	MaxVersions int
	// LoadTimeout bounds one resolve-and-load; 0 means 30 s.
	LoadTimeout time.Duration
	// Now is the clock; nil means time.Now.
	Now func() time.Time
	// Logger receives swaps and refresh failures; nil discards them.
	Logger *slog.Logger
}

// Cache keeps loaded models by alias and by version. Reads are lock-free:
// each alias holds its current model behind an atomic pointer that a
// refresh replaces only once the new version has loaded, so a request
// always scores with one complete model and no request waits for a swap.
//
// It is safe for concurrent use.
type Cache struct {
	src ModelSource
	cfg CacheConfig

	aliases  atomic.Pointer[map[string]*aliasEntry] // copy-on-write
	versions atomic.Pointer[map[string]*Loaded]     // copy-on-write
	mu       sync.Mutex                             // serialises the slow paths and map copies

	swaps atomic.Uint64
	// missing remembers, for one RefreshInterval, the aliases and versions
	// that were not found, so a client asking again and again for a
	// version that does not exist costs a map read, not a registry call
	// under the load lock.
	missing  sync.Map // key -> missingEntry
	missingN atomic.Int64
}

// maxMissing bounds the remembered not-found keys; past it they are all
// forgotten (a flood of made-up names must not grow memory).
const maxMissing = 10000

type missingEntry struct {
	err   error
	until time.Time
}

// known returns the remembered not-found error of k, if still fresh.
func (c *Cache) known(k string) error {
	if v, ok := c.missing.Load(k); ok {
		m := v.(missingEntry)
		if c.cfg.Now().Before(m.until) {
			return m.err
		}
		c.missing.Delete(k)
	}
	return nil
}

// remember keeps a not-found error of k for one RefreshInterval.
func (c *Cache) remember(k string, err error) error {
	if errors.Is(err, ErrNotFound) {
		if c.missingN.Add(1) > maxMissing {
			c.missing.Range(func(k, _ any) bool { c.missing.Delete(k); return true })
			c.missingN.Store(0)
		}
		c.missing.Store(k, missingEntry{err: err, until: c.cfg.Now().Add(c.cfg.RefreshInterval)})
	}
	return err
}

type aliasEntry struct {
	name, alias string
	cur         atomic.Pointer[aliasState]
	refreshing  atomic.Bool
}

type aliasState struct {
	model   *Loaded
	checked time.Time
}

// NewCache returns an empty cache over src.
func NewCache(src ModelSource, cfg CacheConfig) *Cache {
	if cfg.RefreshInterval <= 0 {
		cfg.RefreshInterval = 10 * time.Second
	}
	if cfg.MaxVersions <= 0 {
		cfg.MaxVersions = 16
	}
	if cfg.LoadTimeout <= 0 {
		cfg.LoadTimeout = 30 * time.Second
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	c := &Cache{src: src, cfg: cfg}
	c.aliases.Store(&map[string]*aliasEntry{})
	c.versions.Store(&map[string]*Loaded{})
	return c
}

func key(name, sub string) string { return name + "\x00" + sub }

// Alias returns the model that alias of model name points to. The first
// call for an alias resolves and loads it; later calls return the cached
// model, checking for a move at most every RefreshInterval.
func (c *Cache) Alias(ctx context.Context, name, alias string) (*Loaded, error) {
	k := key(name, alias)
	e := (*c.aliases.Load())[k]
	if e == nil {
		if err := c.known(k); err != nil {
			return nil, err
		}
		m, err := c.addAlias(ctx, name, alias)
		return m, c.remember(k, err)
	}
	st := e.cur.Load()
	if c.cfg.Now().Sub(st.checked) >= c.cfg.RefreshInterval && e.refreshing.CompareAndSwap(false, true) {
		if c.cfg.Inline {
			c.refresh(ctx, e)
			e.refreshing.Store(false)
			st = e.cur.Load()
		} else {
			go func() {
				defer e.refreshing.Store(false)
				c.refresh(context.Background(), e)
			}()
		}
	}
	return st.model, nil
}

func (c *Cache) addAlias(ctx context.Context, name, alias string) (*Loaded, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	old := *c.aliases.Load()
	if e := old[key(name, alias)]; e != nil { // another request got here first
		return e.cur.Load().model, nil
	}
	ctx, cancel := context.WithTimeout(ctx, c.cfg.LoadTimeout)
	defer cancel()
	v, err := c.src.Resolve(ctx, name, alias)
	if err != nil {
		return nil, fmt.Errorf("serving: resolve %s@%s: %w", name, alias, err)
	}
	m, err := c.versionLocked(ctx, name, v)
	if err != nil {
		return nil, err
	}
	e := &aliasEntry{name: name, alias: alias}
	e.cur.Store(&aliasState{model: m, checked: c.cfg.Now()})
	next := make(map[string]*aliasEntry, len(old)+1)
	for k, v := range old {
		next[k] = v
	}
	next[key(name, alias)] = e
	c.aliases.Store(&next)
	c.cfg.Logger.Info("serving: model loaded", "model", name, "alias", alias, "version", v)
	return m, nil
}

// Version returns version v of model name, loading it on first use.
func (c *Cache) Version(ctx context.Context, name string, v int) (*Loaded, error) {
	k := key(name, strconv.Itoa(v))
	if m := (*c.versions.Load())[k]; m != nil {
		return m, nil
	}
	if err := c.known(k); err != nil {
		return nil, err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	ctx, cancel := context.WithTimeout(ctx, c.cfg.LoadTimeout)
	defer cancel()
	m, err := c.versionLocked(ctx, name, v)
	return m, c.remember(k, err)
}

// versionLocked loads (or finds) a version; c.mu is held.
func (c *Cache) versionLocked(ctx context.Context, name string, v int) (*Loaded, error) {
	k := key(name, strconv.Itoa(v))
	old := *c.versions.Load()
	if m := old[k]; m != nil {
		return m, nil
	}
	model, err := c.src.Load(ctx, name, v)
	if err != nil {
		return nil, fmt.Errorf("serving: load %s:%d: %w", name, v, err)
	}
	if model.Name() != name || model.Version() != v {
		return nil, fmt.Errorf("%w: load %s:%d returned %s:%d", ErrUnavailable, name, v, model.Name(), model.Version())
	}
	fs, err := NewFeatureSet(model.Features())
	if err != nil {
		return nil, fmt.Errorf("%w: %s:%d: %w", ErrUnavailable, name, v, err)
	}
	m := &Loaded{Model: model, Features: fs}
	next := make(map[string]*Loaded, len(old)+1)
	if len(old) < c.cfg.MaxVersions {
		for k, v := range old {
			next[k] = v
		}
	} // else start afresh: aliases keep their own pointers
	next[k] = m
	c.versions.Store(&next)
	return m, nil
}

// refresh checks one alias and swaps in the version it now points to. On
// any failure the current model stays and the next check is one interval
// later.
func (c *Cache) refresh(ctx context.Context, e *aliasEntry) {
	ctx, cancel := context.WithTimeout(ctx, c.cfg.LoadTimeout)
	defer cancel()
	st := e.cur.Load()
	keep := func() { e.cur.Store(&aliasState{model: st.model, checked: c.cfg.Now()}) }
	v, err := c.src.Resolve(ctx, e.name, e.alias)
	if err != nil {
		level := slog.LevelWarn
		if errors.Is(err, ErrNotFound) {
			level = slog.LevelError
		}
		c.cfg.Logger.Log(ctx, level, "serving: alias check failed; keeping the current model",
			"model", e.name, "alias", e.alias, "version", st.model.Version(), "err", err)
		keep()
		return
	}
	if v == st.model.Version() {
		keep()
		return
	}
	c.mu.Lock()
	m, err := c.versionLocked(ctx, e.name, v)
	c.mu.Unlock()
	if err != nil {
		c.cfg.Logger.Error("serving: alias moved but the new version did not load; keeping the current model",
			"model", e.name, "alias", e.alias, "from", st.model.Version(), "to", v, "err", err)
		keep()
		return
	}
	e.cur.Store(&aliasState{model: m, checked: c.cfg.Now()})
	c.swaps.Add(1)
	c.cfg.Logger.Info("serving: alias moved; now serving the new version",
		"model", e.name, "alias", e.alias, "from", st.model.Version(), "to", v)
}

// Refresh checks every cached alias now, whatever its last check.
func (c *Cache) Refresh(ctx context.Context) {
	for _, e := range *c.aliases.Load() {
		if e.refreshing.CompareAndSwap(false, true) {
			c.refresh(ctx, e)
			e.refreshing.Store(false)
		}
	}
}

// Run checks the cached aliases every RefreshInterval until ctx is done.
func (c *Cache) Run(ctx context.Context) {
	t := time.NewTicker(c.cfg.RefreshInterval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			c.Refresh(ctx)
		}
	}
}

// Swaps returns how many alias moves the cache has applied.
func (c *Cache) Swaps() uint64 { return c.swaps.Load() }

// Served describes one cached alias.
type Served struct {
	Model   string `json:"model"`
	Alias   string `json:"alias"`
	Version int    `json:"version"`
}

// Served lists the cached aliases and the versions they serve, sorted.
func (c *Cache) Served() []Served {
	m := *c.aliases.Load()
	out := make([]Served, 0, len(m))
	for _, e := range m {
		out = append(out, Served{Model: e.name, Alias: e.alias, Version: e.cur.Load().model.Version()})
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Model != out[j].Model {
			return out[i].Model < out[j].Model
		}
		return out[i].Alias < out[j].Alias
	})
	return out
}
