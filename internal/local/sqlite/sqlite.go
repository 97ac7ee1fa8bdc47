package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"time"

	"github.com/stewardml/steward/internal/store"

	_ "modernc.org/sqlite" // registers the "sqlite" database/sql driver
)

var _ store.RecordStore = (*Store)(nil)

// DefaultBusyTimeout is how long a writer waits for another process's write
// transaction before giving up.
const DefaultBusyTimeout = 10 * time.Second

const schema = `CREATE TABLE IF NOT EXISTS records (
	pk      TEXT    NOT NULL,
	sk      TEXT    NOT NULL,
	body    BLOB    NOT NULL,
	version INTEGER NOT NULL,
	ttl     INTEGER NOT NULL DEFAULT 0,
	PRIMARY KEY (pk, sk)
) WITHOUT ROWID`

// Store is a RecordStore backed by one SQLite database file. It is safe for
// concurrent use by multiple goroutines and by multiple processes opening
// the same file.
type Store struct {
	db *sql.DB
	// Prepared once: parsing SQL costs more than running these statements.
	getStmt, versionStmt, upsertStmt, deleteStmt *sql.Stmt
	// Now is the clock that decides which records have expired; tests may
	// replace it before first use. It defaults to time.Now.
	Now func() time.Time
}

// Option configures Open.
type Option func(*options)

type options struct {
	busyTimeout time.Duration
}

// WithBusyTimeout sets how long a write waits for the database lock.
func WithBusyTimeout(d time.Duration) Option {
	return func(o *options) { o.busyTimeout = d }
}

// restrict makes the database file, and its WAL and shared-memory files
// when present, readable by their owner only (0600): they hold password
// and key hashes and task tokens. SQLite creates the WAL and shared-memory
// files with the database file's permissions, so a database created here
// keeps all three private.
func restrict(path string) error {
	f, err := os.OpenFile(path, os.O_RDONLY|os.O_CREATE, 0o600)
	if err != nil {
		return err
	}
	f.Close()
	for _, p := range []string{path, path + "-wal", path + "-shm"} {
		fi, err := os.Stat(p)
		if errors.Is(err, os.ErrNotExist) {
			continue
		}
		if err != nil {
			return err
		}
		if fi.Mode().Perm()&0o077 != 0 {
			if err := os.Chmod(p, fi.Mode().Perm()&0o700); err != nil {
				return err
			}
		}
	}
	return nil
}

// Open opens (creating if needed) the database at path, switches it to WAL
// mode and creates the records table. The directory must exist or be
// creatable. The database and its WAL and shared-memory files are made
// readable by their owner only.
func Open(path string, opts ...Option) (*Store, error) {
	o := options{busyTimeout: DefaultBusyTimeout}
	for _, opt := range opts {
		opt(&o)
	}
	if path == "" {
		return nil, errors.New("sqlite: open: empty path")
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return nil, fmt.Errorf("sqlite: open %s: %w", path, err)
	}
	if err := restrict(path); err != nil {
		return nil, fmt.Errorf("sqlite: open %s: %w", path, err)
	}
	q := url.Values{}
	// busy_timeout comes first so that switching the journal mode waits for
	// another process that is opening the same file.
	q.Add("_pragma", fmt.Sprintf("busy_timeout(%d)", o.busyTimeout.Milliseconds()))
	q.Add("_pragma", "journal_mode(WAL)")
	q.Add("_pragma", "synchronous(NORMAL)")
	q.Add("_pragma", "foreign_keys(ON)")
	q.Set("_txlock", "immediate")
	dsn := "file:" + (&url.URL{Path: path}).EscapedPath() + "?" + q.Encode()
	db, err := sql.Open("sqlite", dsn)
	if err != nil {
		return nil, fmt.Errorf("sqlite: open %s: %w", path, err)
	}
	db.SetMaxOpenConns(4)
	db.SetMaxIdleConns(4)
	ctx, cancel := context.WithTimeout(context.Background(), o.busyTimeout+5*time.Second)
	defer cancel()
	if _, err := db.ExecContext(ctx, schema); err != nil {
		db.Close()
		return nil, fmt.Errorf("sqlite: open %s: create schema: %w", path, err)
	}
	var mode string
	if err := db.QueryRowContext(ctx, "PRAGMA journal_mode").Scan(&mode); err != nil {
		db.Close()
		return nil, fmt.Errorf("sqlite: open %s: %w", path, err)
	}
	if mode != "wal" {
		db.Close()
		return nil, fmt.Errorf("sqlite: open %s: journal mode is %q, want wal (is the file on a network filesystem?)", path, mode)
	}
	s := &Store{db: db, Now: time.Now}
	for _, p := range []struct {
		stmt **sql.Stmt
		sql  string
	}{
		{&s.getStmt, `SELECT body, version, ttl FROM records WHERE pk = ? AND sk = ? AND (ttl = 0 OR ttl > ?)`},
		{&s.versionStmt, `SELECT version, ttl FROM records WHERE pk = ? AND sk = ?`},
		{&s.upsertStmt, `INSERT INTO records (pk, sk, body, version, ttl) VALUES (?, ?, ?, ?, ?)
			ON CONFLICT (pk, sk) DO UPDATE SET body = excluded.body, version = excluded.version, ttl = excluded.ttl`},
		{&s.deleteStmt, `DELETE FROM records WHERE pk = ? AND sk = ?`},
	} {
		if *p.stmt, err = db.PrepareContext(ctx, p.sql); err != nil {
			db.Close()
			return nil, fmt.Errorf("sqlite: open %s: prepare: %w", path, err)
		}
	}
	return s, nil
}

// Close closes the database.
func (s *Store) Close() error {
	for _, st := range []*sql.Stmt{s.getStmt, s.versionStmt, s.upsertStmt, s.deleteStmt} {
		st.Close()
	}
	if err := s.db.Close(); err != nil {
		return fmt.Errorf("sqlite: close: %w", err)
	}
	return nil
}

func (s *Store) now() time.Time {
	if s.Now == nil {
		return time.Now()
	}
	return s.Now()
}

// Get returns the live record at pk/sk, or store.ErrNotFound.
func (s *Store) Get(ctx context.Context, pk, sk string) (store.Record, error) {
	if err := store.ValidateRecordKey(pk, sk); err != nil {
		return store.Record{}, fmt.Errorf("sqlite: get: %w", err)
	}
	r := store.Record{PK: pk, SK: sk}
	var ttl int64
	err := s.getStmt.QueryRowContext(ctx, pk, sk, s.now().Unix()).Scan(&r.Body, &r.Version, &ttl)
	if errors.Is(err, sql.ErrNoRows) {
		return store.Record{}, fmt.Errorf("sqlite: get %s/%s: %w", pk, sk, store.ErrNotFound)
	}
	if err != nil {
		return store.Record{}, fmt.Errorf("sqlite: get %s/%s: %w", pk, sk, err)
	}
	r.ExpiresAt = store.ExpiresAtFromTTL(ttl)
	return r, nil
}

// Query returns the live records of partition pk matching q.
func (s *Store) Query(ctx context.Context, pk string, q store.Query) ([]store.Record, error) {
	if err := store.ValidateQuery(pk, q); err != nil {
		return nil, fmt.Errorf("sqlite: query: %w", err)
	}
	stmt := `SELECT sk, body, version, ttl FROM records WHERE pk = ? AND (ttl = 0 OR ttl > ?)`
	args := []any{pk, s.now().Unix()}
	if q.Prefix != "" {
		stmt += ` AND sk >= ?`
		args = append(args, q.Prefix)
		if end, ok := prefixEnd(q.Prefix); ok {
			stmt += ` AND sk < ?`
			args = append(args, end)
		}
	}
	if q.From != "" {
		stmt += ` AND sk >= ?`
		args = append(args, q.From)
	}
	if q.To != "" {
		stmt += ` AND sk <= ?`
		args = append(args, q.To)
	}
	if q.Descending {
		stmt += ` ORDER BY sk DESC`
	} else {
		stmt += ` ORDER BY sk ASC`
	}
	if q.Limit > 0 {
		stmt += ` LIMIT ?`
		args = append(args, q.Limit)
	}
	rows, err := s.db.QueryContext(ctx, stmt, args...)
	if err != nil {
		return nil, fmt.Errorf("sqlite: query %s: %w", pk, err)
	}
	defer rows.Close()
	var out []store.Record
	for rows.Next() {
		r := store.Record{PK: pk}
		var ttl int64
		if err := rows.Scan(&r.SK, &r.Body, &r.Version, &ttl); err != nil {
			return nil, fmt.Errorf("sqlite: query %s: %w", pk, err)
		}
		r.ExpiresAt = store.ExpiresAtFromTTL(ttl)
		out = append(out, r)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("sqlite: query %s: %w", pk, err)
	}
	return out, nil
}

// prefixEnd returns the smallest string greater than every string that
// starts with prefix, comparing bytes; ok is false when there is none.
func prefixEnd(prefix string) (string, bool) {
	b := []byte(prefix)
	for i := len(b) - 1; i >= 0; i-- {
		if b[i] < 0xff {
			b[i]++
			return string(b[:i+1]), true
		}
	}
	return "", false
}

// Write applies writes atomically in one BEGIN IMMEDIATE transaction.
func (s *Store) Write(ctx context.Context, writes ...store.Write) error {
	if err := store.ValidateWrites(writes); err != nil {
		return fmt.Errorf("sqlite: write: %w", err)
	}
	if len(writes) == 0 {
		return nil
	}
	tx, err := s.db.BeginTx(ctx, nil) // _txlock=immediate: BEGIN IMMEDIATE
	if err != nil {
		return fmt.Errorf("sqlite: write: begin: %w", err)
	}
	defer tx.Rollback()
	now := s.now()
	for i, w := range writes {
		if err := check(ctx, tx.StmtContext(ctx, s.versionStmt), w, now); err != nil {
			return fmt.Errorf("sqlite: write %d (%s/%s): %w", i, w.Record.PK, w.Record.SK, err)
		}
	}
	for i, w := range writes {
		r := w.Record
		if w.Delete {
			_, err = tx.StmtContext(ctx, s.deleteStmt).ExecContext(ctx, r.PK, r.SK)
		} else {
			_, err = tx.StmtContext(ctx, s.upsertStmt).ExecContext(ctx, r.PK, r.SK, []byte(r.Body), r.Version, store.TTLSeconds(r.ExpiresAt))
		}
		if err != nil {
			return fmt.Errorf("sqlite: write %d (%s/%s): %w", i, r.PK, r.SK, err)
		}
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("sqlite: write: commit: %w", err)
	}
	return nil
}

// check evaluates w's condition against the record stored now.
func check(ctx context.Context, versionStmt *sql.Stmt, w store.Write, now time.Time) error {
	if w.Cond.Kind == store.CondNone {
		return nil
	}
	var version, ttl int64
	err := versionStmt.QueryRowContext(ctx, w.Record.PK, w.Record.SK).Scan(&version, &ttl)
	live := err == nil && store.LiveAt(ttl, now)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return err
	}
	switch w.Cond.Kind {
	case store.CondAbsent:
		if live {
			return fmt.Errorf("record exists: %w", store.ErrConflict)
		}
	case store.CondExists:
		if !live {
			return fmt.Errorf("record does not exist: %w", store.ErrConflict)
		}
	case store.CondVersion:
		if !live {
			return fmt.Errorf("want version %d, record does not exist: %w", w.Cond.Version, store.ErrConflict)
		}
		if version != w.Cond.Version {
			return fmt.Errorf("want version %d, have %d: %w", w.Cond.Version, version, store.ErrConflict)
		}
	}
	return nil
}

// DeleteExpired removes the records whose TTL has passed and reports how
// many it removed. Reads already skip them; this only reclaims space.
func (s *Store) DeleteExpired(ctx context.Context) (int64, error) {
	res, err := s.db.ExecContext(ctx, `DELETE FROM records WHERE ttl != 0 AND ttl <= ?`, s.now().Unix())
	if err != nil {
		return 0, fmt.Errorf("sqlite: delete expired: %w", err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return 0, fmt.Errorf("sqlite: delete expired: %w", err)
	}
	return n, nil
}
