package sqlite_test

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/stewardml/steward/internal/local/sqlite"
	"github.com/stewardml/steward/internal/store"
	"github.com/stewardml/steward/internal/store/storetest"
)

func open(t testing.TB, path string) *sqlite.Store {
	t.Helper()
	s, err := sqlite.Open(path)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func TestContract(t *testing.T) {
	storetest.RunRecordStore(t, func(t *testing.T) store.RecordStore {
		return open(t, filepath.Join(t.TempDir(), "records.db"))
	})
}

func TestTwoHandlesShareOneFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "sub", "records.db")
	a, b := open(t, path), open(t, path)
	ctx := context.Background()
	w := store.Write{Record: store.Record{PK: "P", SK: "S", Body: json.RawMessage(`1`), Version: 1}, Cond: store.Cond{Kind: store.CondAbsent}}
	if err := a.Write(ctx, w); err != nil {
		t.Fatalf("Write through a: %v", err)
	}
	if err := b.Write(ctx, w); !errors.Is(err, store.ErrConflict) {
		t.Fatalf("same CondAbsent write through b: err = %v, want ErrConflict", err)
	}
	got, err := b.Get(ctx, "P", "S")
	if err != nil || got.Version != 1 {
		t.Fatalf("Get through b = %+v, %v; want version 1", got, err)
	}
}

func TestExpiryFollowsInjectedClock(t *testing.T) {
	s := open(t, filepath.Join(t.TempDir(), "records.db"))
	ctx := context.Background()
	now := time.Date(2030, 1, 1, 12, 0, 0, 0, time.UTC)
	s.Now = func() time.Time { return now }
	r := store.Record{PK: "P", SK: "S", Body: json.RawMessage(`1`), ExpiresAt: now.Add(90 * time.Second)}
	if err := s.Write(ctx, store.Write{Record: r}); err != nil {
		t.Fatal(err)
	}
	now = now.Add(89 * time.Second)
	if _, err := s.Get(ctx, "P", "S"); err != nil {
		t.Fatalf("Get 1s before expiry: %v", err)
	}
	if n, err := s.DeleteExpired(ctx); err != nil || n != 0 {
		t.Fatalf("DeleteExpired before expiry = %d, %v; want 0", n, err)
	}
	now = now.Add(time.Second)
	if _, err := s.Get(ctx, "P", "S"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("Get at expiry: err = %v, want ErrNotFound", err)
	}
	if n, err := s.DeleteExpired(ctx); err != nil || n != 1 {
		t.Fatalf("DeleteExpired at expiry = %d, %v; want 1", n, err)
	}
	now = now.Add(-time.Hour)
	if _, err := s.Get(ctx, "P", "S"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("Get after DeleteExpired: err = %v, want ErrNotFound (row removed)", err)
	}
}

func TestOpenRejectsEmptyPath(t *testing.T) {
	if _, err := sqlite.Open(""); err == nil {
		t.Fatal("Open(\"\") succeeded, want an error")
	}
}

func TestDatabaseFilesAreOwnerOnly(t *testing.T) {
	dir := t.TempDir()
	old := syscall.Umask(0o022)
	defer syscall.Umask(old)
	path := filepath.Join(dir, "steward.db")
	// An existing database made readable by all is tightened too.
	if err := os.WriteFile(path+"-wal", nil, 0o644); err != nil {
		t.Fatal(err)
	}
	s, err := sqlite.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if err := s.Write(context.Background(), store.Write{Record: store.Record{PK: "P", SK: "S", Body: []byte(`{}`)}}); err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{path, path + "-wal", path + "-shm"} {
		fi, err := os.Stat(p)
		if err != nil {
			t.Fatal(err)
		}
		if fi.Mode().Perm() != 0o600 {
			t.Errorf("%s mode %v, want 0600", filepath.Base(p), fi.Mode().Perm())
		}
	}
}
