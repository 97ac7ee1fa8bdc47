package files_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/stewardml/steward/internal/local/files"
	"github.com/stewardml/steward/internal/store"
	"github.com/stewardml/steward/internal/store/storetest"
)

func TestContract(t *testing.T) {
	storetest.RunArtifactStore(t, func(t *testing.T) store.ArtifactStore {
		s, err := files.New(t.TempDir())
		if err != nil {
			t.Fatal(err)
		}
		return s
	})
}

func TestObjectsArePlainFiles(t *testing.T) {
	dir := t.TempDir()
	s, err := files.New(dir)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.Put(context.Background(), "reports/heart/drift.html", []byte("<h1>ok</h1>"), "text/html"); err != nil {
		t.Fatal(err)
	}
	got, err := os.ReadFile(filepath.Join(dir, "objects", "reports", "heart", "drift.html"))
	if err != nil || string(got) != "<h1>ok</h1>" {
		t.Fatalf("object file = %q, %v; want the bytes put", got, err)
	}
	tmp, _ := os.ReadDir(filepath.Join(dir, "tmp"))
	if len(tmp) != 0 {
		t.Fatalf("tmp/ holds %d leftover files after Put", len(tmp))
	}
}

func TestCorruptedObjectIsChecksumError(t *testing.T) {
	dir := t.TempDir()
	s, err := files.New(dir)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if _, err := s.Put(ctx, "data/heart.csv", []byte("1,2,3\n"), "text/csv"); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "objects", "data", "heart.csv"), []byte("1,2,4\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, _, err := s.Get(ctx, "data/heart.csv"); !errors.Is(err, store.ErrChecksum) {
		t.Fatalf("Get of a tampered file: err = %v, want ErrChecksum", err)
	}
}

func TestKeyUnderAnObjectIsInvalid(t *testing.T) {
	s, err := files.New(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if _, err := s.Put(ctx, "a", []byte("x"), ""); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Put(ctx, "a/b", []byte("y"), ""); !errors.Is(err, store.ErrInvalid) {
		t.Fatalf("Put under an object: err = %v, want ErrInvalid", err)
	}
	if _, _, err := s.Get(ctx, "a/b"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("Get under an object: err = %v, want ErrNotFound", err)
	}
	if ok, err := s.Exists(ctx, "a/b"); ok || err != nil {
		t.Fatalf("Exists under an object = %v, %v; want false, nil", ok, err)
	}
	if got, err := s.List(ctx, "a/"); err != nil || len(got) != 0 {
		t.Fatalf("List under an object = %v, %v; want none", got, err)
	}
}
