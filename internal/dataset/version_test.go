package dataset

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stewardml/steward/internal/store"
)

// memStore is an in-memory ArtifactStore with S3 semantics, counting puts.
type memStore struct {
	mu   sync.Mutex
	objs map[string][]byte
	puts int
}

func newMemStore() *memStore { return &memStore{objs: map[string][]byte{}} }

func (m *memStore) info(key string, body []byte) store.ObjectInfo {
	sum := sha256.Sum256(body)
	return store.ObjectInfo{Key: key, Size: int64(len(body)), SHA256: hex.EncodeToString(sum[:]), LastModified: time.Unix(0, 0)}
}

func (m *memStore) Put(ctx context.Context, key string, body []byte, contentType string) (store.ObjectInfo, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.puts++
	m.objs[key] = append([]byte(nil), body...)
	return m.info(key, body), nil
}

func (m *memStore) Get(ctx context.Context, key string) ([]byte, store.ObjectInfo, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	b, ok := m.objs[key]
	if !ok {
		return nil, store.ObjectInfo{}, store.ErrNotFound
	}
	return append([]byte(nil), b...), m.info(key, b), nil
}

func (m *memStore) List(ctx context.Context, prefix string) ([]store.ObjectInfo, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	var out []store.ObjectInfo
	for k, b := range m.objs {
		if strings.HasPrefix(k, prefix) {
			out = append(out, m.info(k, b))
		}
	}
	return out, nil
}

func (m *memStore) Exists(ctx context.Context, key string) (bool, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	_, ok := m.objs[key]
	return ok, nil
}

func TestDigestIsCanonical(t *testing.T) {
	base := Digest([]byte("a,b\n1,2\n"))
	for _, in := range []string{"a,b\r\n1,2\r\n", "\xEF\xBB\xBFa,b\n1,2\n", "a,b\n1,2"} {
		if got := Digest([]byte(in)); got != base {
			t.Errorf("Digest(%q) = %s, want %s (same data)", in, got, base)
		}
	}
	if got := Digest([]byte("a,b\n1,3\n")); got == base {
		t.Error("different data, same digest")
	}
	// The Cleveland file is already canonical: its digest is its sha256.
	const cleveland = "a74b7efa387bc9d108d7d0115d831fe9b414b29ae7124f331b622b4efa0427c8"
	if got := Digest(readHeart(t, "processed.cleveland.data")); got != cleveland {
		t.Errorf("Digest(cleveland) = %s, want %s", got, cleveland)
	}
}

func TestStoreAndFetch(t *testing.T) {
	ctx := context.Background()
	m := newMemStore()
	raw := []byte("a,b\r\n1,2\r\n")
	ref, err := Store(ctx, m, raw)
	if err != nil {
		t.Fatal(err)
	}
	if ref.Digest != Digest(raw) || ref.Key != "datasets/sha256/"+ref.Digest || ref.Size != int64(len("a,b\n1,2\n")) {
		t.Errorf("ref = %+v", ref)
	}
	if _, err := Store(ctx, m, []byte("a,b\n1,2\n")); err != nil || m.puts != 1 {
		t.Errorf("second store of the same content: err %v, puts = %d, want 1", err, m.puts)
	}
	got, err := Fetch(ctx, m, ref.Digest)
	if err != nil || string(got) != "a,b\n1,2\n" {
		t.Errorf("Fetch = %q, %v", got, err)
	}
	// Tampered bytes are refused.
	m.objs[ref.Key] = []byte("a,b\n9,9\n")
	if _, err := Fetch(ctx, m, ref.Digest); !errors.Is(err, ErrDigest) {
		t.Errorf("tampered Fetch err = %v, want ErrDigest", err)
	}
	if _, err := Fetch(ctx, m, strings.Repeat("0", 64)); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("absent Fetch err = %v, want store.ErrNotFound", err)
	}
	if _, err := Fetch(ctx, m, "../etc/passwd"); !errors.Is(err, ErrDigest) {
		t.Errorf("bad digest err = %v, want ErrDigest", err)
	}
}
