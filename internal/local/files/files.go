package files

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"syscall"
	"time"

	"github.com/stewardml/steward/internal/store"
)

var _ store.ArtifactStore = (*Store)(nil)

// DefaultContentType is recorded for artifacts put without a content type.
const DefaultContentType = "application/octet-stream"

// Store is an ArtifactStore in a directory tree. It is safe for concurrent
// use by multiple goroutines and, on Unix, by multiple processes sharing
// the directory.
type Store struct {
	root string
	// Now stamps LastModified; it defaults to time.Now.
	Now func() time.Time
}

type meta struct {
	SHA256       string    `json:"sha256"`
	Size         int64     `json:"size"`
	ContentType  string    `json:"contentType"`
	LastModified time.Time `json:"lastModified"`
}

// New opens the artifact store rooted at dir, creating its layout if needed.
func New(dir string) (*Store, error) {
	if dir == "" {
		return nil, errors.New("files: new: empty directory")
	}
	for _, sub := range []string{"objects", "meta", "tmp"} {
		if err := os.MkdirAll(filepath.Join(dir, sub), 0o755); err != nil {
			return nil, fmt.Errorf("files: new %s: %w", dir, err)
		}
	}
	return &Store{root: dir, Now: time.Now}, nil
}

func (s *Store) now() time.Time {
	if s.Now == nil {
		return time.Now().UTC()
	}
	return s.Now().UTC()
}

func (s *Store) objectPath(key string) string {
	return filepath.Join(s.root, "objects", filepath.FromSlash(key))
}

func (s *Store) metaPath(key string) string {
	sum := sha256.Sum256([]byte(key))
	return filepath.Join(s.root, "meta", hex.EncodeToString(sum[:])+".json")
}

func (s *Store) lock(exclusive bool) (func(), error) {
	return lockFile(filepath.Join(s.root, "lock"), exclusive)
}

// Put writes body under key atomically and records its SHA-256.
func (s *Store) Put(ctx context.Context, key string, body []byte, contentType string) (store.ObjectInfo, error) {
	if err := store.ValidateArtifactKey(key); err != nil {
		return store.ObjectInfo{}, fmt.Errorf("files: put: %w", err)
	}
	if err := ctx.Err(); err != nil {
		return store.ObjectInfo{}, fmt.Errorf("files: put %s: %w", key, err)
	}
	if contentType == "" {
		contentType = DefaultContentType
	}
	sum := sha256.Sum256(body)
	m := meta{SHA256: hex.EncodeToString(sum[:]), Size: int64(len(body)), ContentType: contentType, LastModified: s.now()}
	mbytes, err := json.Marshal(m)
	if err != nil {
		return store.ObjectInfo{}, fmt.Errorf("files: put %s: %w", key, err)
	}
	obj := s.objectPath(key)
	if err := os.MkdirAll(filepath.Dir(obj), 0o755); err != nil {
		return store.ObjectInfo{}, fmt.Errorf("files: put %s: a parent of the key is an object: %w", key, errors.Join(store.ErrInvalid, err))
	}
	if fi, err := os.Stat(obj); err == nil && fi.IsDir() {
		return store.ObjectInfo{}, fmt.Errorf("files: put %s: key is a prefix of other objects: %w", key, store.ErrInvalid)
	}
	release, err := s.lock(true)
	if err != nil {
		return store.ObjectInfo{}, fmt.Errorf("files: put %s: %w", key, err)
	}
	defer release()
	if err := s.writeAtomic(obj, body); err != nil {
		return store.ObjectInfo{}, fmt.Errorf("files: put %s: %w", key, err)
	}
	if err := s.writeAtomic(s.metaPath(key), mbytes); err != nil {
		return store.ObjectInfo{}, fmt.Errorf("files: put %s: metadata: %w", key, err)
	}
	return m.info(key), nil
}

// writeAtomic writes data to a synced temporary file and renames it to dst.
func (s *Store) writeAtomic(dst string, data []byte) (err error) {
	f, err := os.CreateTemp(filepath.Join(s.root, "tmp"), "put-*")
	if err != nil {
		return err
	}
	defer func() {
		if err != nil {
			f.Close()
			os.Remove(f.Name())
		}
	}()
	if _, err = f.Write(data); err != nil {
		return err
	}
	if err = f.Sync(); err != nil {
		return err
	}
	if err = f.Close(); err != nil {
		return err
	}
	if err = os.Rename(f.Name(), dst); err != nil {
		return err
	}
	return syncDir(filepath.Dir(dst))
}

func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	if err := d.Sync(); err != nil && !errors.Is(err, os.ErrInvalid) {
		return err
	}
	return nil
}

// Get returns the artifact's bytes and info, verifying its SHA-256.
func (s *Store) Get(ctx context.Context, key string) ([]byte, store.ObjectInfo, error) {
	if err := store.ValidateArtifactKey(key); err != nil {
		return nil, store.ObjectInfo{}, fmt.Errorf("files: get: %w", err)
	}
	if err := ctx.Err(); err != nil {
		return nil, store.ObjectInfo{}, fmt.Errorf("files: get %s: %w", key, err)
	}
	release, err := s.lock(false)
	if err != nil {
		return nil, store.ObjectInfo{}, fmt.Errorf("files: get %s: %w", key, err)
	}
	defer release()
	body, err := os.ReadFile(s.objectPath(key))
	if errors.Is(err, fs.ErrNotExist) || errors.Is(err, syscall.ENOTDIR) || errors.Is(err, syscall.EISDIR) {
		return nil, store.ObjectInfo{}, fmt.Errorf("files: get %s: %w", key, store.ErrNotFound)
	}
	if err != nil {
		return nil, store.ObjectInfo{}, fmt.Errorf("files: get %s: %w", key, err)
	}
	sum := sha256.Sum256(body)
	got := hex.EncodeToString(sum[:])
	m, err := s.readMeta(key)
	if errors.Is(err, fs.ErrNotExist) {
		// Placed by hand, not by Put: nothing recorded to verify against.
		fi, serr := os.Stat(s.objectPath(key))
		if serr != nil {
			return nil, store.ObjectInfo{}, fmt.Errorf("files: get %s: %w", key, serr)
		}
		return body, store.ObjectInfo{Key: key, Size: int64(len(body)), SHA256: got, ContentType: DefaultContentType, LastModified: fi.ModTime().UTC()}, nil
	}
	if err != nil {
		return nil, store.ObjectInfo{}, fmt.Errorf("files: get %s: %w", key, err)
	}
	if got != m.SHA256 || int64(len(body)) != m.Size {
		return nil, store.ObjectInfo{}, fmt.Errorf("files: get %s: %d bytes with SHA-256 %s, recorded %d bytes with %s: %w",
			key, len(body), got, m.Size, m.SHA256, store.ErrChecksum)
	}
	return body, m.info(key), nil
}

func (s *Store) readMeta(key string) (meta, error) {
	b, err := os.ReadFile(s.metaPath(key))
	if err != nil {
		return meta{}, err
	}
	var m meta
	if err := json.NewDecoder(bytes.NewReader(b)).Decode(&m); err != nil {
		return meta{}, fmt.Errorf("metadata %s: %w", s.metaPath(key), err)
	}
	return m, nil
}

func (m meta) info(key string) store.ObjectInfo {
	return store.ObjectInfo{Key: key, Size: m.Size, SHA256: m.SHA256, ContentType: m.ContentType, LastModified: m.LastModified}
}

// List returns the artifacts whose keys start with prefix, sorted by key,
// with their recorded checksum and content type.
func (s *Store) List(ctx context.Context, prefix string) ([]store.ObjectInfo, error) {
	if err := store.ValidateArtifactPrefix(prefix); err != nil {
		return nil, fmt.Errorf("files: list: %w", err)
	}
	release, err := s.lock(false)
	if err != nil {
		return nil, fmt.Errorf("files: list %q: %w", prefix, err)
	}
	defer release()
	objects := filepath.Join(s.root, "objects")
	// Walk only the deepest directory the prefix names in full.
	start := objects
	if i := strings.LastIndex(prefix, "/"); i >= 0 {
		start = filepath.Join(objects, filepath.FromSlash(prefix[:i]))
	}
	var out []store.ObjectInfo
	err = filepath.WalkDir(start, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			if p == start && (errors.Is(err, fs.ErrNotExist) || errors.Is(err, syscall.ENOTDIR)) {
				return fs.SkipAll // nothing stored under the prefix's directory
			}
			return err
		}
		if err := ctx.Err(); err != nil {
			return err
		}
		if d.IsDir() {
			return nil
		}
		rel, err := filepath.Rel(objects, p)
		if err != nil {
			return err
		}
		key := filepath.ToSlash(rel)
		if !strings.HasPrefix(key, prefix) {
			return nil
		}
		info := store.ObjectInfo{Key: key}
		if m, err := s.readMeta(key); err == nil {
			info = m.info(key)
		} else {
			fi, err := d.Info()
			if err != nil {
				return err
			}
			info.Size, info.LastModified = fi.Size(), fi.ModTime().UTC()
		}
		out = append(out, info)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("files: list %q: %w", prefix, err)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Key < out[j].Key })
	return out, nil
}

// Exists reports whether an artifact is stored under key.
func (s *Store) Exists(ctx context.Context, key string) (bool, error) {
	if err := store.ValidateArtifactKey(key); err != nil {
		return false, fmt.Errorf("files: exists: %w", err)
	}
	fi, err := os.Stat(s.objectPath(key))
	switch {
	case err == nil:
		return fi.Mode().IsRegular(), nil
	case errors.Is(err, fs.ErrNotExist), errors.Is(err, syscall.ENOTDIR):
		return false, nil
	default:
		return false, fmt.Errorf("files: exists %s: %w", key, err)
	}
}
