package storetest

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"

	"github.com/stewardml/steward/internal/store"
)

// DefaultContentType is the content type an ArtifactStore reports for an
// object put without one.
const DefaultContentType = "application/octet-stream"

// RunArtifactStore checks that the stores newStore returns honour the
// store.ArtifactStore contract. newStore must return an empty store.
func RunArtifactStore(t *testing.T, newStore func(t *testing.T) store.ArtifactStore) {
	t.Helper()
	for _, tc := range []struct {
		name string
		run  func(*testing.T, func(t *testing.T) store.ArtifactStore)
	}{
		{"PutThenGetReturnsSameBytesAndInfo", artifactPutThenGetReturnsSameBytesAndInfo},
		{"GetMissingIsNotFound", artifactGetMissingIsNotFound},
		{"ExistsReportsPresence", artifactExistsReportsPresence},
		{"EmptyBodyIsAnObject", artifactEmptyBodyIsAnObject},
		{"BinaryAndLargeBodiesRoundTrip", artifactBinaryAndLargeBodiesRoundTrip},
		{"PutReplacesWholeObject", artifactPutReplacesWholeObject},
		{"UnusualButValidKeys", artifactUnusualButValidKeys},
		{"ListByPrefixIsSortedAndExact", artifactListByPrefixIsSortedAndExact},
		{"InvalidKeysAreRejected", artifactInvalidKeysAreRejected},
		{"ConcurrentPutsNeverTearObjects", artifactConcurrentPutsNeverTearObjects},
	} {
		t.Run(tc.name, func(t *testing.T) { tc.run(t, newStore) })
	}
}

func artifactPutThenGetReturnsSameBytesAndInfo(t *testing.T, newStore func(t *testing.T) store.ArtifactStore) {
	ctx := context.Background()
	s := newStore(t)
	body := []byte(`{"hello":"world"}`)
	info, err := s.Put(ctx, "models/heart/v1/bundle.json", body, "application/json")
	if err != nil {
		t.Fatalf("Put: %v", err)
	}
	want := store.ObjectInfo{Key: "models/heart/v1/bundle.json", Size: int64(len(body)), SHA256: hexSHA(body), ContentType: "application/json"}
	checkInfo(t, "Put", info, want)
	got, ginfo, err := s.Get(ctx, "models/heart/v1/bundle.json")
	if err != nil {
		t.Fatalf("Get: %v", err)
	}
	if !bytes.Equal(got, body) {
		t.Errorf("Get body = %q, want %q", got, body)
	}
	checkInfo(t, "Get", ginfo, want)
}

func artifactGetMissingIsNotFound(t *testing.T, newStore func(t *testing.T) store.ArtifactStore) {
	ctx := context.Background()
	s := newStore(t)
	_, _, err := s.Get(ctx, "nothing/here")
	if !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("Get missing: err = %v, want ErrNotFound", err)
	}
}

func artifactExistsReportsPresence(t *testing.T, newStore func(t *testing.T) store.ArtifactStore) {
	ctx := context.Background()
	s := newStore(t)
	ok, err := s.Exists(ctx, "a/b")
	if err != nil || ok {
		t.Fatalf("Exists before Put = %v, %v; want false, nil", ok, err)
	}
	mustPut(t, s, "a/b", []byte("x"))
	ok, err = s.Exists(ctx, "a/b")
	if err != nil || !ok {
		t.Fatalf("Exists after Put = %v, %v; want true, nil", ok, err)
	}
	ok, err = s.Exists(ctx, "a")
	if err != nil || ok {
		t.Fatalf("Exists of a mere prefix = %v, %v; want false, nil", ok, err)
	}
}

func artifactEmptyBodyIsAnObject(t *testing.T, newStore func(t *testing.T) store.ArtifactStore) {
	ctx := context.Background()
	s := newStore(t)
	info, err := s.Put(ctx, "empty", nil, "")
	if err != nil {
		t.Fatalf("Put empty: %v", err)
	}
	checkInfo(t, "Put", info, store.ObjectInfo{Key: "empty", Size: 0, SHA256: hexSHA(nil), ContentType: DefaultContentType})
	got, ginfo, err := s.Get(ctx, "empty")
	if err != nil {
		t.Fatalf("Get empty: %v", err)
	}
	if len(got) != 0 {
		t.Errorf("Get empty body = %d bytes, want 0", len(got))
	}
	checkInfo(t, "Get", ginfo, store.ObjectInfo{Key: "empty", Size: 0, SHA256: hexSHA(nil), ContentType: DefaultContentType})
}

func artifactBinaryAndLargeBodiesRoundTrip(t *testing.T, newStore func(t *testing.T) store.ArtifactStore) {
	ctx := context.Background()
	s := newStore(t)
	bin := make([]byte, 256)
	for i := range bin {
		bin[i] = byte(i)
	}
	large := bytes.Repeat([]byte("0123456789abcdef"), 1<<16) // 1 MiB
	for key, body := range map[string][]byte{"bin": bin, "large": large} {
		mustPut(t, s, key, body)
		got, info, err := s.Get(ctx, key)
		if err != nil {
			t.Fatalf("Get %s: %v", key, err)
		}
		if !bytes.Equal(got, body) {
			t.Errorf("Get %s: body differs (%d bytes, want %d)", key, len(got), len(body))
		}
		if info.SHA256 != hexSHA(body) {
			t.Errorf("Get %s: SHA256 = %s, want %s", key, info.SHA256, hexSHA(body))
		}
	}
}

func artifactPutReplacesWholeObject(t *testing.T, newStore func(t *testing.T) store.ArtifactStore) {
	ctx := context.Background()
	s := newStore(t)
	mustPut(t, s, "k", []byte("a much longer first version"))
	mustPut(t, s, "k", []byte("short"))
	got, info, err := s.Get(ctx, "k")
	if err != nil {
		t.Fatalf("Get: %v", err)
	}
	if string(got) != "short" || info.Size != 5 || info.SHA256 != hexSHA([]byte("short")) {
		t.Fatalf("after overwrite Get = %q (size %d, sha %s), want %q", got, info.Size, info.SHA256, "short")
	}
}

func artifactUnusualButValidKeys(t *testing.T, newStore func(t *testing.T) store.ArtifactStore) {
	ctx := context.Background()
	s := newStore(t)
	for _, key := range []string{"with space/and+plus", "unicodé/数据/ü.csv", "a=b&c/d%20e", ".hidden-ish/x", "a.b/c..d"} {
		body := []byte("body of " + key)
		mustPut(t, s, key, body)
		got, _, err := s.Get(ctx, key)
		if err != nil || !bytes.Equal(got, body) {
			t.Errorf("Get %q = %q, %v; want %q", key, got, err, body)
		}
	}
}

func artifactListByPrefixIsSortedAndExact(t *testing.T, newStore func(t *testing.T) store.ArtifactStore) {
	ctx := context.Background()
	s := newStore(t)
	keys := []string{"b/1", "a/2", "ab", "a/b/3", "a/1", "c"}
	for _, k := range keys {
		mustPut(t, s, k, []byte(k))
	}
	cases := []struct {
		prefix string
		want   []string
	}{
		{"a/", []string{"a/1", "a/2", "a/b/3"}},
		{"a", []string{"a/1", "a/2", "a/b/3", "ab"}},
		{"a/b", []string{"a/b/3"}},
		{"a/b/", []string{"a/b/3"}},
		{"", []string{"a/1", "a/2", "a/b/3", "ab", "b/1", "c"}},
		{"zzz", nil},
		{"b/1", []string{"b/1"}},
	}
	for _, c := range cases {
		infos, err := s.List(ctx, c.prefix)
		if err != nil {
			t.Fatalf("List(%q): %v", c.prefix, err)
		}
		var got []string
		for _, in := range infos {
			got = append(got, in.Key)
			if in.Size != int64(len(in.Key)) {
				t.Errorf("List(%q): %s size = %d, want %d", c.prefix, in.Key, in.Size, len(in.Key))
			}
			if in.LastModified.IsZero() {
				t.Errorf("List(%q): %s has no LastModified", c.prefix, in.Key)
			}
			if in.SHA256 != "" && in.SHA256 != hexSHA([]byte(in.Key)) {
				t.Errorf("List(%q): %s SHA256 = %s, want empty or %s", c.prefix, in.Key, in.SHA256, hexSHA([]byte(in.Key)))
			}
		}
		if !slices.Equal(got, c.want) {
			t.Errorf("List(%q) = %q, want %q", c.prefix, got, c.want)
		}
	}
}

func artifactInvalidKeysAreRejected(t *testing.T, newStore func(t *testing.T) store.ArtifactStore) {
	ctx := context.Background()
	s := newStore(t)
	long := string(bytes.Repeat([]byte("k"), store.MaxKeyLen+1))
	for _, key := range []string{"", "/abs", "a//b", "a/../b", "..", "a/./b", "trailing/", `back\slash`, "nul\x00", string([]byte{0xff, 0xfe}), long} {
		if _, err := s.Put(ctx, key, []byte("x"), ""); !errors.Is(err, store.ErrInvalid) {
			t.Errorf("Put(%q): err = %v, want ErrInvalid", key, err)
		}
		if _, _, err := s.Get(ctx, key); !errors.Is(err, store.ErrInvalid) {
			t.Errorf("Get(%q): err = %v, want ErrInvalid", key, err)
		}
		if _, err := s.Exists(ctx, key); !errors.Is(err, store.ErrInvalid) {
			t.Errorf("Exists(%q): err = %v, want ErrInvalid", key, err)
		}
	}
	for _, prefix := range []string{"/abs", "../x", "a/../", "a//"} {
		if _, err := s.List(ctx, prefix); !errors.Is(err, store.ErrInvalid) {
			t.Errorf("List(%q): err = %v, want ErrInvalid", prefix, err)
		}
	}
	infos, err := s.List(ctx, "")
	if err != nil || len(infos) != 0 {
		t.Errorf("after rejected puts List(\"\") = %v, %v; want nothing stored", infos, err)
	}
}

func artifactConcurrentPutsNeverTearObjects(t *testing.T, newStore func(t *testing.T) store.ArtifactStore) {
	ctx := context.Background()
	s := newStore(t)
	const writers, rounds = 4, 8
	bodies := make(map[string]bool)
	for w := range writers {
		bodies[string(bytes.Repeat([]byte{byte('A' + w)}, 64<<10+w))] = true
	}
	var wg sync.WaitGroup
	errs := make(chan error, writers*rounds*2)
	mustPut(t, s, "contended", bytes.Repeat([]byte{'A'}, 64<<10))
	for w := range writers {
		body := bytes.Repeat([]byte{byte('A' + w)}, 64<<10+w)
		wg.Add(2)
		go func() {
			defer wg.Done()
			for range rounds {
				if _, err := s.Put(ctx, "contended", body, ""); err != nil {
					errs <- fmt.Errorf("Put: %w", err)
				}
			}
		}()
		go func() {
			defer wg.Done()
			for range rounds {
				got, info, err := s.Get(ctx, "contended")
				if err != nil {
					errs <- fmt.Errorf("Get: %w", err)
					continue
				}
				if !bodies[string(got)] {
					errs <- fmt.Errorf("Get returned a torn object of %d bytes", len(got))
				}
				if info.SHA256 != hexSHA(got) {
					errs <- fmt.Errorf("Get info SHA256 %s does not match the bytes returned", info.SHA256)
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}

func mustPut(t *testing.T, s store.ArtifactStore, key string, body []byte) {
	t.Helper()
	if _, err := s.Put(context.Background(), key, body, ""); err != nil {
		t.Fatalf("Put(%q): %v", key, err)
	}
}

func checkInfo(t *testing.T, op string, got, want store.ObjectInfo) {
	t.Helper()
	if got.Key != want.Key || got.Size != want.Size || got.SHA256 != want.SHA256 || got.ContentType != want.ContentType {
		t.Errorf("%s info = {%q %d %s %q}, want {%q %d %s %q}", op,
			got.Key, got.Size, got.SHA256, got.ContentType, want.Key, want.Size, want.SHA256, want.ContentType)
	}
	if got.LastModified.IsZero() {
		t.Errorf("%s info has no LastModified", op)
	}
}

func hexSHA(b []byte) string {
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}
