package store

import (
	"context"
	"encoding/json"
	"errors"
	"time"
)

// Sentinel errors returned by every adapter, checked with errors.Is.
var (
	// ErrNotFound reports that a key does not exist (or its record expired).
	ErrNotFound = errors.New("store: not found")
	// ErrConflict reports that a write's condition did not hold; nothing was written.
	ErrConflict = errors.New("store: condition failed")
	// ErrInvalid reports a malformed key, condition or batch; nothing was written.
	ErrInvalid = errors.New("store: invalid request")
	// ErrChecksum reports that stored bytes no longer match their recorded checksum.
	ErrChecksum = errors.New("store: checksum mismatch")
)

// ObjectInfo describes one stored artifact.
type ObjectInfo struct {
	Key          string    `json:"key"`
	Size         int64     `json:"size"`
	SHA256       string    `json:"sha256"` // lowercase hex of the content's SHA-256
	ContentType  string    `json:"contentType,omitempty"`
	LastModified time.Time `json:"lastModified"`
}

// ArtifactStore holds immutable-by-convention blobs under slash-separated keys,
// with S3 semantics: a Put replaces the whole object atomically, readers never
// see a partial object. Keys are non-empty, do not start with "/" and contain
// no ".." segment; others get ErrInvalid.
//
// Implementations are safe for concurrent use by multiple goroutines.
type ArtifactStore interface {
	// Put stores body under key, recording its SHA-256, and returns its info.
	Put(ctx context.Context, key string, body []byte, contentType string) (ObjectInfo, error)
	// Get returns the object's bytes and info, ErrNotFound if absent, and
	// ErrChecksum if the bytes do not match the checksum recorded at Put.
	Get(ctx context.Context, key string) ([]byte, ObjectInfo, error)
	// List returns the objects whose keys start with prefix, sorted by key.
	// Key, Size and LastModified are always set; SHA256 and ContentType may
	// be empty (an S3 listing does not carry them): use Get to have them.
	List(ctx context.Context, prefix string) ([]ObjectInfo, error)
	// Exists reports whether key is present.
	Exists(ctx context.Context, key string) (bool, error)
}

// Record is one item of the single-table record store. PK groups records
// that are read together (for example "MODEL#heart"); SK orders them within
// the partition (for example "VERSION#000004"). Body is the domain object as
// JSON. Version is an optimistic-concurrency counter kept by the caller: the
// store writes it as given and conditions compare against it.
type Record struct {
	PK      string          `json:"pk"`
	SK      string          `json:"sk"`
	Body    json.RawMessage `json:"body"`
	Version int64           `json:"version"`
	// ExpiresAt is the TTL: from it on the record is no longer returned by
	// Get or Query, conditions treat it as absent, and it is eventually
	// deleted. Adapters keep whole seconds, rounding up (see TTLSeconds).
	// Zero means never.
	ExpiresAt time.Time `json:"expiresAt,omitzero"`
}

// CondKind says what a Write expects of the record currently stored at its key.
type CondKind int

const (
	// CondNone writes unconditionally.
	CondNone CondKind = iota
	// CondAbsent writes only if no live record exists at the key.
	CondAbsent
	// CondVersion writes only if a live record exists with Version == Cond.Version.
	CondVersion
	// CondExists writes only if a live record exists at the key, whatever its version.
	CondExists
)

// Cond is the condition of one Write.
type Cond struct {
	Kind    CondKind
	Version int64
}

// Write is one put or delete in an atomic batch.
type Write struct {
	Record Record // for a delete only PK and SK are used
	Delete bool
	Cond   Cond
}

// Query selects records of one partition by sort key. With neither Prefix
// nor a range every record of the partition matches. From and To bound the
// sort key inclusively when non-empty.
type Query struct {
	Prefix     string
	From, To   string
	Limit      int  // 0 means no limit
	Descending bool // newest-last keys come first when true
}

// RecordStore is a DynamoDB-like single-table store.
//
// Implementations are safe for concurrent use by multiple goroutines and,
// for the local adapter, by multiple processes sharing one data directory.
type RecordStore interface {
	// Get returns the live record at pk/sk or ErrNotFound.
	Get(ctx context.Context, pk, sk string) (Record, error)
	// Query returns the live records of partition pk that match q, ordered
	// by sort key (reversed when q.Descending).
	Query(ctx context.Context, pk string, q Query) ([]Record, error)
	// Write applies up to 25 writes atomically: either every condition holds
	// and all are applied, or ErrConflict is returned and none is. Two
	// writes to the same key in one batch, a bad key or a put whose body is
	// not JSON are ErrInvalid (see ValidateWrites). No writes is a no-op.
	Write(ctx context.Context, writes ...Write) error
}

// MaxBatch is the largest number of writes one RecordStore.Write accepts.
const MaxBatch = 25
