package apikeys

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"regexp"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/stewardml/steward/internal/store"
)

// Sentinel errors, checked with errors.Is.
var (
	// ErrNotFound reports no key with that name or id.
	ErrNotFound = errors.New("apikeys: no such key")
	// ErrExists reports a live key with that name already.
	ErrExists = errors.New("apikeys: a live key has that name")
	// ErrInvalidName reports a name outside [A-Za-z0-9._-]{1,64}.
	ErrInvalidName = errors.New("apikeys: invalid key name")
	// ErrInvalid reports a key that is unknown, malformed or revoked.
	ErrInvalid = errors.New("apikeys: invalid API key")
)

// Prefix starts every key, so a leaked key is recognisable in logs and
// secret scanners.
const Prefix = "stw_"

const partition = "APIKEY"

var nameRE = regexp.MustCompile(`^[A-Za-z0-9._-]{1,64}$`)

// Key is one stored API key, without its plaintext.
type Key struct {
	ID        string    `json:"id"`
	Name      string    `json:"name"`
	Hint      string    `json:"hint"` // the first characters of the key, to tell keys apart
	Hash      string    `json:"hash"` // SHA-256 of the key, lowercase hex
	CreatedAt time.Time `json:"createdAt"`
	RevokedAt time.Time `json:"revokedAt,omitzero"`
}

// Revoked reports whether the key was revoked.
func (k Key) Revoked() bool { return !k.RevokedAt.IsZero() }

// Store keeps API keys in a record store. It is safe for concurrent use.
type Store struct {
	rs   store.RecordStore
	now  func() time.Time
	rand io.Reader
}

// New returns a key store over rs; now nil means time.Now, r nil
// crypto/rand.
func New(rs store.RecordStore, now func() time.Time, r io.Reader) *Store {
	if now == nil {
		now = time.Now
	}
	if r == nil {
		r = rand.Reader
	}
	return &Store{rs: rs, now: now, rand: r}
}

// Hash returns the stored form of a key.
func Hash(key string) string {
	sum := sha256.Sum256([]byte(key))
	return hex.EncodeToString(sum[:])
}

const alphabet = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"

// Create makes a key named name and returns its plaintext, which is not
// stored and cannot be shown again.
func (s *Store) Create(ctx context.Context, name string) (string, Key, error) {
	if !nameRE.MatchString(name) {
		return "", Key{}, fmt.Errorf("%w: %q (letters, digits, '.', '_', '-', at most 64)", ErrInvalidName, name)
	}
	// 43 base-62 characters carry 256 bits; rejection sampling keeps
	// every character uniform.
	var b strings.Builder
	b.WriteString(Prefix)
	buf := make([]byte, 64)
	for b.Len() < len(Prefix)+43 {
		if _, err := io.ReadFull(s.rand, buf); err != nil {
			return "", Key{}, fmt.Errorf("apikeys: read random bits: %w", err)
		}
		for _, c := range buf {
			if c < 248 && b.Len() < len(Prefix)+43 {
				b.WriteByte(alphabet[int(c)%62])
			}
		}
	}
	plain := b.String()
	var idb [5]byte
	if _, err := io.ReadFull(s.rand, idb[:]); err != nil {
		return "", Key{}, fmt.Errorf("apikeys: read random bits: %w", err)
	}
	k := Key{ID: "key_" + hex.EncodeToString(idb[:]), Name: name, Hint: plain[:len(Prefix)+4], Hash: Hash(plain), CreatedAt: s.now().UTC()}
	body, err := json.Marshal(k)
	if err != nil {
		return "", Key{}, fmt.Errorf("apikeys: encode: %w", err)
	}
	ref, _ := json.Marshal(map[string]string{"hash": k.Hash})
	err = s.rs.Write(ctx,
		store.Write{Record: store.Record{PK: partition, SK: "KEY#" + k.Hash, Body: body, Version: 1}, Cond: store.Cond{Kind: store.CondAbsent}},
		store.Write{Record: store.Record{PK: partition, SK: "NAME#" + name, Body: ref, Version: 1}, Cond: store.Cond{Kind: store.CondAbsent}},
	)
	if errors.Is(err, store.ErrConflict) {
		return "", Key{}, fmt.Errorf("%w: %q (revoke it first or pick another name)", ErrExists, name)
	}
	if err != nil {
		return "", Key{}, fmt.Errorf("apikeys: create %q: %w", name, err)
	}
	return plain, k, nil
}

// List returns every key, live and revoked, oldest first.
func (s *Store) List(ctx context.Context) ([]Key, error) {
	recs, err := s.rs.Query(ctx, partition, store.Query{Prefix: "KEY#"})
	if err != nil {
		return nil, fmt.Errorf("apikeys: list: %w", err)
	}
	out := make([]Key, 0, len(recs))
	for _, r := range recs {
		var k Key
		if err := json.Unmarshal(r.Body, &k); err != nil {
			return nil, fmt.Errorf("apikeys: record %s: %w", r.SK, err)
		}
		out = append(out, k)
	}
	sort.SliceStable(out, func(i, j int) bool {
		if !out[i].CreatedAt.Equal(out[j].CreatedAt) {
			return out[i].CreatedAt.Before(out[j].CreatedAt)
		}
		return out[i].ID < out[j].ID
	})
	return out, nil
}

// Revoke revokes the live key with that name, or the key with that id,
// and frees its name. Revoking a revoked key is ErrNotFound.
func (s *Store) Revoke(ctx context.Context, nameOrID string) (Key, error) {
	keys, err := s.List(ctx)
	if err != nil {
		return Key{}, err
	}
	for _, k := range keys {
		if k.Revoked() || (k.Name != nameOrID && k.ID != nameOrID) {
			continue
		}
		cur, err := s.rs.Get(ctx, partition, "KEY#"+k.Hash)
		if err != nil {
			return Key{}, fmt.Errorf("apikeys: revoke %q: %w", nameOrID, err)
		}
		k.RevokedAt = s.now().UTC()
		body, err := json.Marshal(k)
		if err != nil {
			return Key{}, fmt.Errorf("apikeys: encode: %w", err)
		}
		err = s.rs.Write(ctx,
			store.Write{Record: store.Record{PK: partition, SK: "KEY#" + k.Hash, Body: body, Version: cur.Version + 1}, Cond: store.Cond{Kind: store.CondVersion, Version: cur.Version}},
			store.Write{Record: store.Record{PK: partition, SK: "NAME#" + k.Name}, Delete: true},
		)
		if err != nil {
			return Key{}, fmt.Errorf("apikeys: revoke %q: %w", nameOrID, err)
		}
		return k, nil
	}
	return Key{}, fmt.Errorf("%w: no live key named or with id %q", ErrNotFound, nameOrID)
}

// Check returns the key if plaintext is a live key, and an error wrapping
// ErrInvalid otherwise.
func (s *Store) Check(ctx context.Context, plaintext string) (Key, error) {
	if !strings.HasPrefix(plaintext, Prefix) || len(plaintext) > 128 {
		return Key{}, ErrInvalid
	}
	r, err := s.rs.Get(ctx, partition, "KEY#"+Hash(plaintext))
	if errors.Is(err, store.ErrNotFound) {
		return Key{}, ErrInvalid
	}
	if err != nil {
		return Key{}, fmt.Errorf("apikeys: check: %w", err)
	}
	var k Key
	if err := json.Unmarshal(r.Body, &k); err != nil {
		return Key{}, fmt.Errorf("apikeys: record %s: %w", r.SK, err)
	}
	if k.Revoked() {
		return Key{}, ErrInvalid
	}
	return k, nil
}

// Checker answers the gateway's question "is this key live?" from a
// Store, with a cache: an accepted or refused key is remembered for TTL, so
// the request path does not read the record store each time. A revocation
// therefore takes effect within TTL.
//
// It is safe for concurrent use.
type Checker struct {
	s   *Store
	ttl time.Duration
	now func() time.Time

	mu      sync.RWMutex
	entries map[string]entry // by hash
}

type entry struct {
	id      string
	ok      bool
	expires time.Time
}

// maxEntries bounds the cache; it is emptied when full (a flood of random
// keys must not grow memory).
const maxEntries = 10000

// NewChecker returns a caching checker; ttl 0 means 5 s.
func NewChecker(s *Store, ttl time.Duration) *Checker {
	if ttl <= 0 {
		ttl = 5 * time.Second
	}
	return &Checker{s: s, ttl: ttl, now: s.now, entries: map[string]entry{}}
}

// Check reports whether plaintext is a live key and, if so, its id. err is
// set only when the store cannot answer; such answers are not cached.
func (c *Checker) Check(ctx context.Context, plaintext string) (id string, ok bool, err error) {
	h := Hash(plaintext)
	now := c.now()
	c.mu.RLock()
	e, hit := c.entries[h]
	c.mu.RUnlock()
	if hit && now.Before(e.expires) {
		return e.id, e.ok, nil
	}
	k, err := c.s.Check(ctx, plaintext)
	if err != nil && !errors.Is(err, ErrInvalid) {
		return "", false, err
	}
	e = entry{ok: err == nil, id: k.ID, expires: now.Add(c.ttl)}
	c.mu.Lock()
	if len(c.entries) >= maxEntries {
		c.entries = map[string]entry{}
	}
	c.entries[h] = e
	c.mu.Unlock()
	return e.id, e.ok, nil
}
