package apikeys

import (
	"context"
	"errors"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stewardml/steward/internal/local/sqlite"
	"github.com/stewardml/steward/internal/store"
)

func newStore(t *testing.T, now func() time.Time) (*Store, store.RecordStore) {
	t.Helper()
	db, err := sqlite.Open(filepath.Join(t.TempDir(), "steward.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return New(db, now, nil), db
}

func TestCreateCheckListRevoke(t *testing.T) {
	ctx := context.Background()
	s, db := newStore(t, nil)
	plain, k, err := s.Create(ctx, "ci")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(plain, Prefix) || len(plain) != len(Prefix)+43 || k.Hint != plain[:8] || k.Hash != Hash(plain) {
		t.Errorf("key %q, record %+v", plain, k)
	}
	got, err := s.Check(ctx, plain)
	if err != nil || got.ID != k.ID || got.Name != "ci" {
		t.Errorf("Check = %+v, %v", got, err)
	}
	// The plaintext is stored nowhere.
	recs, _ := db.Query(ctx, partition, store.Query{})
	for _, r := range recs {
		if strings.Contains(string(r.Body), plain[len(Prefix):]) || strings.Contains(r.SK, plain[len(Prefix):]) {
			t.Errorf("record %s/%s holds the plaintext", r.PK, r.SK)
		}
	}
	if _, _, err := s.Create(ctx, "ci"); !errors.Is(err, ErrExists) {
		t.Errorf("second key named ci: %v, want ErrExists", err)
	}
	plain2, _, err := s.Create(ctx, "laptop")
	if err != nil || plain2 == plain {
		t.Fatalf("second key %q, %v", plain2, err)
	}
	list, err := s.List(ctx)
	if err != nil || len(list) != 2 || list[0].Name != "ci" || list[1].Name != "laptop" {
		t.Fatalf("List = %+v, %v", list, err)
	}
	rk, err := s.Revoke(ctx, "ci")
	if err != nil || !rk.Revoked() {
		t.Fatalf("Revoke = %+v, %v", rk, err)
	}
	if _, err := s.Check(ctx, plain); !errors.Is(err, ErrInvalid) {
		t.Errorf("Check after revoke = %v, want ErrInvalid", err)
	}
	if _, err := s.Revoke(ctx, "ci"); !errors.Is(err, ErrNotFound) {
		t.Errorf("second revoke = %v, want ErrNotFound", err)
	}
	// The name is free again; the revoked key stays listed.
	if _, _, err := s.Create(ctx, "ci"); err != nil {
		t.Errorf("re-create ci after revoke: %v", err)
	}
	list, _ = s.List(ctx)
	if len(list) != 3 || !list[0].Revoked() {
		t.Errorf("List = %+v, want 3 with the first revoked", list)
	}
	// Revoke by id.
	if _, err := s.Revoke(ctx, list[1].ID); err != nil {
		t.Errorf("revoke by id: %v", err)
	}
}

func TestCheckRefusesWhatIsNotAKey(t *testing.T) {
	s, _ := newStore(t, nil)
	for _, k := range []string{"", "stw_", "nope", "stw_" + strings.Repeat("a", 43), "stw_" + strings.Repeat("a", 500)} {
		if _, err := s.Check(context.Background(), k); !errors.Is(err, ErrInvalid) {
			t.Errorf("Check(%.20q) = %v, want ErrInvalid", k, err)
		}
	}
	for _, name := range []string{"", "has space", "a/b", strings.Repeat("x", 65)} {
		if _, _, err := s.Create(context.Background(), name); !errors.Is(err, ErrInvalidName) {
			t.Errorf("Create(%q) = %v, want ErrInvalidName", name, err)
		}
	}
}

func TestCheckerCachesForTTL(t *testing.T) {
	ctx := context.Background()
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	s, _ := newStore(t, func() time.Time { return now })
	plain, k, _ := s.Create(ctx, "ci")
	c := NewChecker(s, 5*time.Second)
	if id, ok, err := c.Check(ctx, plain); !ok || err != nil || id != k.ID {
		t.Fatalf("Check = %s %v %v", id, ok, err)
	}
	if _, ok, _ := c.Check(ctx, "stw_unknown"); ok {
		t.Error("unknown key accepted")
	}
	s.Revoke(ctx, "ci")
	if _, ok, _ := c.Check(ctx, plain); !ok {
		t.Error("revocation visible before the TTL; the cache is not used")
	}
	now = now.Add(6 * time.Second)
	if _, ok, _ := c.Check(ctx, plain); ok {
		t.Error("revoked key still accepted after the TTL")
	}
}
