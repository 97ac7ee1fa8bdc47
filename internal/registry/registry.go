package registry

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"strconv"
	"strings"
	"time"

	"github.com/stewardml/steward/internal/store"
)

// Well-known aliases.
const (
	// Champion is the alias of the version that serves predictions.
	Champion = "champion"
	// Challenger is the alias of a candidate under evaluation.
	Challenger = "challenger"
)

// Sentinel errors, checked with errors.Is.
var (
	// ErrNotFound reports a missing model or version, or an unset alias.
	ErrNotFound = errors.New("registry: not found")
	// ErrConflict reports that an alias was not where the caller expected:
	// someone else moved it first. Nothing was written.
	ErrConflict = errors.New("registry: alias moved concurrently")
	// ErrInvalid reports a malformed name, reference or argument.
	ErrInvalid = errors.New("registry: invalid argument")
	// ErrNoPrevious reports a rollback with no earlier champion to return to.
	ErrNoPrevious = errors.New("registry: no previous champion to roll back to")
)

// Model is a named model and a summary of its state.
type Model struct {
	Name          string    `json:"name"`
	CreatedAt     time.Time `json:"createdAt"`
	CreatedBy     string    `json:"createdBy"`
	LatestVersion int       `json:"latestVersion"`
	// Aliases maps each set alias to its version number.
	Aliases map[string]int `json:"aliases,omitempty"`
}

// NewVersion describes a version to register.
type NewVersion struct {
	BundleKey     string             `json:"bundleKey"`     // artifact key of the model bundle
	BundleDigest  string             `json:"bundleDigest"`  // SHA-256 of the bundle
	DatasetDigest string             `json:"datasetDigest"` // digest of the training data
	Family        string             `json:"family"`        // e.g. "logistic", "forest", "gbdt"
	Params        map[string]any     `json:"params,omitempty"`
	Metrics       map[string]float64 `json:"metrics,omitempty"`
	CreatedBy     string             `json:"createdBy"`
	SourceRun     string             `json:"sourceRun,omitempty"` // tracking run id
	Note          string             `json:"note,omitempty"`
}

// Version is an immutable registered version of a model.
type Version struct {
	Model     string    `json:"model"`
	Number    int       `json:"number"`
	CreatedAt time.Time `json:"createdAt"`
	NewVersion
}

// Alias is where an alias points now.
type Alias struct {
	Model   string    `json:"model"`
	Name    string    `json:"name"`
	Version int       `json:"version"` // 0 when unset
	Seq     int64     `json:"seq"`     // number of moves so far
	MovedAt time.Time `json:"movedAt"`
	MovedBy string    `json:"movedBy"`
}

// Move kinds recorded in the history.
const (
	KindMove     = "move"
	KindRollback = "rollback"
)

// AliasMove is one entry of an alias's history.
type AliasMove struct {
	Model  string    `json:"model"`
	Alias  string    `json:"alias"`
	Seq    int64     `json:"seq"` // 1 for the first move, then +1 each move
	From   int       `json:"from"`
	To     int       `json:"to"`
	Actor  string    `json:"actor"`
	Reason string    `json:"reason"`
	At     time.Time `json:"at"`
	Kind   string    `json:"kind"` // KindMove or KindRollback
}

// Registry reads and writes the registry in a RecordStore. It is safe for
// concurrent use, and several Registries (in several processes) may share
// one store.
type Registry struct {
	store store.RecordStore
	// Now stamps versions and moves; defaults to time.Now.
	Now func() time.Time
}

// New returns a Registry over rs.
func New(rs store.RecordStore) *Registry {
	return &Registry{store: rs, Now: time.Now}
}

func (r *Registry) now() time.Time {
	if r.Now == nil {
		return time.Now().UTC()
	}
	return r.Now().UTC()
}

// nameOK reports whether s is 1 to max bytes of a-z, 0-9 and the bytes
// of extra, starting with a letter (or a digit when digitFirst). It is
// on the prediction path (every request names a model), so it is a loop
// rather than a regular expression.
func nameOK(s string, max int, extra string, digitFirst bool) bool {
	if len(s) == 0 || len(s) > max {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c >= 'a' && c <= 'z':
		case c >= '0' && c <= '9':
			if i == 0 && !digitFirst {
				return false
			}
		case i > 0 && strings.IndexByte(extra, c) >= 0:
		default:
			return false
		}
	}
	return true
}

// ValidateModelName reports whether name is a valid model name: 1 to 64
// lowercase letters, digits, '.', '_' or '-', starting with a letter or digit.
func ValidateModelName(name string) error {
	if !nameOK(name, 64, "._-", true) {
		return fmt.Errorf("%w: model name %q: want 1-64 of a-z 0-9 . _ -, starting with a letter or digit", ErrInvalid, name)
	}
	return nil
}

// ValidateAliasName reports whether name is a valid alias: 1 to 40
// lowercase letters, digits, '_' or '-', starting with a letter.
func ValidateAliasName(name string) error {
	if !nameOK(name, 40, "_-", false) {
		return fmt.Errorf("%w: alias %q: want 1-40 of a-z 0-9 _ -, starting with a letter", ErrInvalid, name)
	}
	return nil
}

func modelPK(model string) string              { return "MODEL#" + model }
func versionSK(n int) string                   { return fmt.Sprintf("VERSION#%010d", n) }
func aliasSK(alias string) string              { return "ALIAS#" + alias }
func historySK(alias string, seq int64) string { return fmt.Sprintf("HISTORY#%s#%010d", alias, seq) }

const (
	modelsPK = "MODELS"
	modelSK  = "MODEL"
)

func encode(v any) (json.RawMessage, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return nil, fmt.Errorf("registry: encode: %w", err)
	}
	return b, nil
}

func decode[T any](rec store.Record) (T, error) {
	var v T
	if err := json.Unmarshal(rec.Body, &v); err != nil {
		return v, fmt.Errorf("registry: decode %s/%s: %w", rec.PK, rec.SK, err)
	}
	return v, nil
}

// maxRegisterAttempts bounds the retries when concurrent registrations
// race for the next version number.
const maxRegisterAttempts = 20

// Register adds the next version of model (creating the model on its first
// version) and returns it with its number.
func (r *Registry) Register(ctx context.Context, model string, nv NewVersion) (Version, error) {
	if err := ValidateModelName(model); err != nil {
		return Version{}, fmt.Errorf("registry: register: %w", err)
	}
	switch {
	case nv.BundleKey == "":
		return Version{}, fmt.Errorf("registry: register %s: %w: bundleKey is empty", model, ErrInvalid)
	case nv.BundleDigest == "":
		return Version{}, fmt.Errorf("registry: register %s: %w: bundleDigest is empty", model, ErrInvalid)
	case nv.CreatedBy == "":
		return Version{}, fmt.Errorf("registry: register %s: %w: createdBy is empty", model, ErrInvalid)
	}
	for attempt := 0; ; attempt++ {
		v, err := r.tryRegister(ctx, model, nv)
		if !errors.Is(err, store.ErrConflict) {
			return v, err
		}
		if attempt == maxRegisterAttempts {
			return Version{}, fmt.Errorf("registry: register %s: gave up after %d concurrent attempts: %w", model, attempt+1, err)
		}
		select {
		case <-ctx.Done():
			return Version{}, fmt.Errorf("registry: register %s: %w", model, ctx.Err())
		case <-time.After(time.Duration(rand.IntN(5*(attempt+1))) * time.Millisecond):
		}
	}
}

func (r *Registry) tryRegister(ctx context.Context, model string, nv NewVersion) (Version, error) {
	now := r.now()
	var m Model
	cond := store.Cond{Kind: store.CondAbsent}
	rec, err := r.store.Get(ctx, modelPK(model), modelSK)
	switch {
	case errors.Is(err, store.ErrNotFound):
		m = Model{Name: model, CreatedAt: now, CreatedBy: nv.CreatedBy}
	case err != nil:
		return Version{}, fmt.Errorf("registry: register %s: %w", model, err)
	default:
		if m, err = decode[Model](rec); err != nil {
			return Version{}, err
		}
		cond = store.Cond{Kind: store.CondVersion, Version: rec.Version}
	}
	m.LatestVersion++
	m.Aliases = nil
	v := Version{Model: model, Number: m.LatestVersion, CreatedAt: now, NewVersion: nv}
	mb, err := encode(m)
	if err != nil {
		return Version{}, err
	}
	vb, err := encode(v)
	if err != nil {
		return Version{}, err
	}
	writes := []store.Write{
		{Record: store.Record{PK: modelPK(model), SK: modelSK, Body: mb, Version: int64(m.LatestVersion)}, Cond: cond},
		{Record: store.Record{PK: modelPK(model), SK: versionSK(v.Number), Body: vb, Version: 1}, Cond: store.Cond{Kind: store.CondAbsent}},
	}
	if cond.Kind == store.CondAbsent {
		eb, err := encode(modelEntry{Name: model, CreatedAt: now})
		if err != nil {
			return Version{}, err
		}
		writes = append(writes, store.Write{Record: store.Record{PK: modelsPK, SK: model, Body: eb, Version: 1}, Cond: store.Cond{Kind: store.CondAbsent}})
	}
	if err := r.store.Write(ctx, writes...); err != nil {
		return Version{}, fmt.Errorf("registry: register %s v%d: %w", model, v.Number, err)
	}
	return v, nil
}

type modelEntry struct {
	Name      string    `json:"name"`
	CreatedAt time.Time `json:"createdAt"`
}

// Model returns a model with its aliases.
func (r *Registry) Model(ctx context.Context, name string) (Model, error) {
	if err := ValidateModelName(name); err != nil {
		return Model{}, fmt.Errorf("registry: model: %w", err)
	}
	rec, err := r.store.Get(ctx, modelPK(name), modelSK)
	if errors.Is(err, store.ErrNotFound) {
		return Model{}, fmt.Errorf("registry: model %s: %w", name, ErrNotFound)
	}
	if err != nil {
		return Model{}, fmt.Errorf("registry: model %s: %w", name, err)
	}
	m, err := decode[Model](rec)
	if err != nil {
		return Model{}, err
	}
	aliases, err := r.Aliases(ctx, name)
	if err != nil {
		return Model{}, err
	}
	for _, a := range aliases {
		if a.Version != 0 {
			if m.Aliases == nil {
				m.Aliases = map[string]int{}
			}
			m.Aliases[a.Name] = a.Version
		}
	}
	return m, nil
}

// Models lists every model with its aliases, sorted by name.
func (r *Registry) Models(ctx context.Context) ([]Model, error) {
	entries, err := r.store.Query(ctx, modelsPK, store.Query{})
	if err != nil {
		return nil, fmt.Errorf("registry: models: %w", err)
	}
	out := make([]Model, 0, len(entries))
	for _, e := range entries {
		m, err := r.Model(ctx, e.SK)
		if err != nil {
			return nil, fmt.Errorf("registry: models: %w", err)
		}
		out = append(out, m)
	}
	return out, nil
}

// Versions lists a model's versions, oldest first.
func (r *Registry) Versions(ctx context.Context, model string) ([]Version, error) {
	if _, err := r.Model(ctx, model); err != nil {
		return nil, err
	}
	recs, err := r.store.Query(ctx, modelPK(model), store.Query{Prefix: "VERSION#"})
	if err != nil {
		return nil, fmt.Errorf("registry: versions of %s: %w", model, err)
	}
	out := make([]Version, 0, len(recs))
	for _, rec := range recs {
		v, err := decode[Version](rec)
		if err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, nil
}

// Version returns version n of model.
func (r *Registry) Version(ctx context.Context, model string, n int) (Version, error) {
	if err := ValidateModelName(model); err != nil {
		return Version{}, fmt.Errorf("registry: version: %w", err)
	}
	if n < 1 {
		return Version{}, fmt.Errorf("registry: version %s:%d: %w: version numbers start at 1", model, n, ErrInvalid)
	}
	rec, err := r.store.Get(ctx, modelPK(model), versionSK(n))
	if errors.Is(err, store.ErrNotFound) {
		return Version{}, fmt.Errorf("registry: version %s:%d: %w", model, n, ErrNotFound)
	}
	if err != nil {
		return Version{}, fmt.Errorf("registry: version %s:%d: %w", model, n, err)
	}
	return decode[Version](rec)
}

// Aliases lists a model's aliases (including unset ones that have a
// history), sorted by name.
func (r *Registry) Aliases(ctx context.Context, model string) ([]Alias, error) {
	recs, err := r.store.Query(ctx, modelPK(model), store.Query{Prefix: "ALIAS#"})
	if err != nil {
		return nil, fmt.Errorf("registry: aliases of %s: %w", model, err)
	}
	out := make([]Alias, 0, len(recs))
	for _, rec := range recs {
		a, err := decode[Alias](rec)
		if err != nil {
			return nil, err
		}
		out = append(out, a)
	}
	return out, nil
}

// Alias returns where alias points now; an alias never moved reads as
// version 0 with seq 0.
func (r *Registry) Alias(ctx context.Context, model, alias string) (Alias, error) {
	a, _, err := r.alias(ctx, model, alias)
	return a, err
}

func (r *Registry) alias(ctx context.Context, model, alias string) (Alias, bool, error) {
	if err := ValidateModelName(model); err != nil {
		return Alias{}, false, fmt.Errorf("registry: alias: %w", err)
	}
	if err := ValidateAliasName(alias); err != nil {
		return Alias{}, false, fmt.Errorf("registry: alias: %w", err)
	}
	rec, err := r.store.Get(ctx, modelPK(model), aliasSK(alias))
	if errors.Is(err, store.ErrNotFound) {
		return Alias{Model: model, Name: alias}, false, nil
	}
	if err != nil {
		return Alias{}, false, fmt.Errorf("registry: alias %s@%s: %w", model, alias, err)
	}
	a, err := decode[Alias](rec)
	if err != nil {
		return Alias{}, false, err
	}
	if a.Seq != rec.Version {
		return Alias{}, false, fmt.Errorf("registry: alias %s@%s: record version %d disagrees with seq %d", model, alias, rec.Version, a.Seq)
	}
	return a, true, nil
}

// MoveAlias points alias at version to (0 unsets it), provided it still
// points at expected (0 = unset). If another writer moved it first, it
// returns ErrConflict and writes nothing. The move and its history entry
// are written atomically.
func (r *Registry) MoveAlias(ctx context.Context, model, alias string, expected, to int, actor, reason string) (AliasMove, error) {
	return r.move(ctx, model, alias, expected, to, actor, reason, KindMove)
}

func (r *Registry) move(ctx context.Context, model, alias string, expected, to int, actor, reason, kind string) (AliasMove, error) {
	if actor == "" {
		return AliasMove{}, fmt.Errorf("registry: move %s@%s: %w: actor is empty", model, alias, ErrInvalid)
	}
	if reason == "" {
		return AliasMove{}, fmt.Errorf("registry: move %s@%s: %w: reason is empty", model, alias, ErrInvalid)
	}
	if expected < 0 || to < 0 {
		return AliasMove{}, fmt.Errorf("registry: move %s@%s: %w: negative version", model, alias, ErrInvalid)
	}
	cur, exists, err := r.alias(ctx, model, alias)
	if err != nil {
		return AliasMove{}, err
	}
	if to != 0 {
		if _, err := r.Version(ctx, model, to); err != nil {
			return AliasMove{}, fmt.Errorf("registry: move %s@%s: %w", model, alias, err)
		}
	} else if _, err := r.Model(ctx, model); err != nil {
		return AliasMove{}, fmt.Errorf("registry: move %s@%s: %w", model, alias, err)
	}
	if cur.Version != expected {
		return AliasMove{}, fmt.Errorf("registry: move %s@%s to v%d: it points at v%d, not the expected v%d: %w",
			model, alias, to, cur.Version, expected, ErrConflict)
	}
	if to == cur.Version {
		return AliasMove{}, fmt.Errorf("registry: move %s@%s: %w: already at v%d", model, alias, ErrInvalid, to)
	}
	now := r.now()
	m := AliasMove{Model: model, Alias: alias, Seq: cur.Seq + 1, From: cur.Version, To: to, Actor: actor, Reason: reason, At: now, Kind: kind}
	next := Alias{Model: model, Name: alias, Version: to, Seq: m.Seq, MovedAt: now, MovedBy: actor}
	ab, err := encode(next)
	if err != nil {
		return AliasMove{}, err
	}
	hb, err := encode(m)
	if err != nil {
		return AliasMove{}, err
	}
	cond := store.Cond{Kind: store.CondVersion, Version: cur.Seq}
	if !exists {
		cond = store.Cond{Kind: store.CondAbsent}
	}
	err = r.store.Write(ctx,
		store.Write{Record: store.Record{PK: modelPK(model), SK: aliasSK(alias), Body: ab, Version: m.Seq}, Cond: cond},
		store.Write{Record: store.Record{PK: modelPK(model), SK: historySK(alias, m.Seq), Body: hb, Version: 1}, Cond: store.Cond{Kind: store.CondAbsent}},
	)
	if errors.Is(err, store.ErrConflict) {
		return AliasMove{}, fmt.Errorf("registry: move %s@%s from v%d to v%d: %w", model, alias, expected, to, errors.Join(ErrConflict, err))
	}
	if err != nil {
		return AliasMove{}, fmt.Errorf("registry: move %s@%s: %w", model, alias, err)
	}
	return m, nil
}

// History returns an alias's moves in order (seq 1 first). With alias ""
// it returns every alias's moves, ordered by alias then seq.
func (r *Registry) History(ctx context.Context, model, alias string) ([]AliasMove, error) {
	return r.history(ctx, model, alias, 0)
}

// history returns moves with seq <= upTo (every move when upTo is 0).
func (r *Registry) history(ctx context.Context, model, alias string, upTo int64) ([]AliasMove, error) {
	if err := ValidateModelName(model); err != nil {
		return nil, fmt.Errorf("registry: history: %w", err)
	}
	q := store.Query{Prefix: "HISTORY#"}
	if alias != "" {
		if err := ValidateAliasName(alias); err != nil {
			return nil, fmt.Errorf("registry: history: %w", err)
		}
		q.Prefix = "HISTORY#" + alias + "#"
		if upTo > 0 {
			q.To = historySK(alias, upTo)
		}
	}
	recs, err := r.store.Query(ctx, modelPK(model), q)
	if err != nil {
		return nil, fmt.Errorf("registry: history of %s@%s: %w", model, alias, err)
	}
	out := make([]AliasMove, 0, len(recs))
	for _, rec := range recs {
		m, err := decode[AliasMove](rec)
		if err != nil {
			return nil, err
		}
		out = append(out, m)
	}
	return out, nil
}

// AliasAt returns the version alias pointed at, at time t, from its
// history; ErrNotFound if it was unset then.
func (r *Registry) AliasAt(ctx context.Context, model, alias string, t time.Time) (int, error) {
	moves, err := r.History(ctx, model, alias)
	if err != nil {
		return 0, err
	}
	v := 0
	for _, m := range moves {
		if m.At.After(t) {
			break
		}
		v = m.To
	}
	if v == 0 {
		return 0, fmt.Errorf("registry: %s@%s at %s: %w: the alias was unset then", model, alias, t.Format(time.RFC3339), ErrNotFound)
	}
	return v, nil
}

// ChampionAt answers which version was champion at time t.
func (r *Registry) ChampionAt(ctx context.Context, model string, t time.Time) (int, error) {
	return r.AliasAt(ctx, model, Champion, t)
}

// Rollback moves champion back to the version that held it before the
// current holder, by compare-and-set, and records the move as a rollback.
// Repeated rollbacks walk further back: each rollback undoes one promotion
// (replaying the history as a stack), so rolling back twice after v1→v2→v3
// returns to v1 rather than bouncing between v2 and v3. ErrNoPrevious when
// there is no earlier champion; ErrConflict if champion moves meanwhile.
func (r *Registry) Rollback(ctx context.Context, model, actor, reason string) (AliasMove, error) {
	cur, _, err := r.alias(ctx, model, Champion)
	if err != nil {
		return AliasMove{}, err
	}
	if cur.Seq == 0 {
		return AliasMove{}, fmt.Errorf("registry: rollback %s: %w: champion was never set", model, ErrNoPrevious)
	}
	moves, err := r.history(ctx, model, Champion, cur.Seq)
	if err != nil {
		return AliasMove{}, err
	}
	if int64(len(moves)) != cur.Seq {
		return AliasMove{}, fmt.Errorf("registry: rollback %s: champion history has %d entries for %d moves", model, len(moves), cur.Seq)
	}
	var stack []int
	for _, m := range moves {
		switch m.Kind {
		case KindRollback:
			if len(stack) > 0 {
				stack = stack[:len(stack)-1]
			}
		default:
			if m.From != 0 {
				stack = append(stack, m.From)
			}
		}
	}
	for len(stack) > 0 && stack[len(stack)-1] == cur.Version {
		stack = stack[:len(stack)-1]
	}
	if len(stack) == 0 {
		return AliasMove{}, fmt.Errorf("registry: rollback %s: %w (champion is v%d)", model, ErrNoPrevious, cur.Version)
	}
	return r.move(ctx, model, Champion, cur.Version, stack[len(stack)-1], actor, reason, KindRollback)
}

// Ref names a model version: by alias, by number, or (neither set) the
// champion.
type Ref struct {
	Model   string
	Alias   string // set for "name@alias"
	Version int    // set for "name:version"
}

// String renders the reference in the form ParseRef reads.
func (ref Ref) String() string {
	switch {
	case ref.Alias != "":
		return ref.Model + "@" + ref.Alias
	case ref.Version != 0:
		return ref.Model + ":" + strconv.Itoa(ref.Version)
	default:
		return ref.Model
	}
}

// ParseRef reads "name" (the champion), "name@alias" or "name:version".
func ParseRef(s string) (Ref, error) {
	if s == "" {
		return Ref{}, fmt.Errorf("registry: reference is empty: %w: want name, name@alias or name:version", ErrInvalid)
	}
	at, colon := strings.IndexByte(s, '@'), strings.IndexByte(s, ':')
	var ref Ref
	switch {
	case at >= 0 && colon >= 0:
		return Ref{}, fmt.Errorf("registry: reference %q: %w: use either @alias or :version, not both", s, ErrInvalid)
	case at >= 0:
		ref.Model, ref.Alias = s[:at], s[at+1:]
		if err := ValidateAliasName(ref.Alias); err != nil {
			return Ref{}, fmt.Errorf("registry: reference %q: %w", s, err)
		}
	case colon >= 0:
		ref.Model = s[:colon]
		n, err := strconv.Atoi(s[colon+1:])
		if err != nil || n < 1 {
			return Ref{}, fmt.Errorf("registry: reference %q: %w: version %q is not a positive integer", s, ErrInvalid, s[colon+1:])
		}
		ref.Version = n
	default:
		ref.Model = s
	}
	if err := ValidateModelName(ref.Model); err != nil {
		return Ref{}, fmt.Errorf("registry: reference %q: %w", s, err)
	}
	return ref, nil
}

// Resolve returns the version a reference names.
func (r *Registry) Resolve(ctx context.Context, ref Ref) (Version, error) {
	if ref.Version != 0 {
		return r.Version(ctx, ref.Model, ref.Version)
	}
	alias := ref.Alias
	if alias == "" {
		alias = Champion
	}
	a, err := r.Alias(ctx, ref.Model, alias)
	if err != nil {
		return Version{}, err
	}
	if a.Version == 0 {
		if _, err := r.Model(ctx, ref.Model); err != nil {
			return Version{}, fmt.Errorf("registry: resolve %s: %w", ref, err)
		}
		return Version{}, fmt.Errorf("registry: resolve %s: %w: alias %s is unset", ref, ErrNotFound, alias)
	}
	return r.Version(ctx, ref.Model, a.Version)
}
