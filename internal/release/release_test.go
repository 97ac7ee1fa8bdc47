package release

import (
	"context"
	"errors"
	"path/filepath"
	"testing"

	"github.com/stewardml/steward/internal/audit"
	"github.com/stewardml/steward/internal/local/sqlite"
	"github.com/stewardml/steward/internal/registry"
)

func TestPromoteAndRollbackAreAudited(t *testing.T) {
	ctx := context.Background()
	db, err := sqlite.Open(filepath.Join(t.TempDir(), "s.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	reg := registry.New(db)
	log := audit.New(db)
	s := &Service{Registry: reg, Audit: log}
	for i := 0; i < 3; i++ {
		if _, err := reg.Register(ctx, "heart", registry.NewVersion{BundleKey: "b", BundleDigest: "d", DatasetDigest: "x", Family: "logreg", CreatedBy: "test"}); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := reg.MoveAlias(ctx, "heart", registry.Challenger, 0, 3, "train", "new candidate"); err != nil {
		t.Fatal(err)
	}
	for _, v := range []int{1, 2, 3} {
		if _, err := s.Promote(ctx, Request{Model: "heart", To: v, Expected: -1, Actor: "ana", Reason: "better", CorrelationID: "c1"}); err != nil {
			t.Fatalf("promote v%d: %v", v, err)
		}
	}
	if ch, err := reg.Alias(ctx, "heart", registry.Challenger); err != nil || ch.Version != 0 {
		t.Errorf("challenger after promoting it = v%d, %v; want unset", ch.Version, err)
	}
	if _, err := s.Promote(ctx, Request{Model: "heart", To: 3, Expected: -1, Actor: "ana", Reason: "again"}); !errors.Is(err, ErrRefused) {
		t.Errorf("promoting the champion again = %v, want ErrRefused", err)
	}
	if _, err := s.Promote(ctx, Request{Model: "heart", To: 1, Expected: 2, Actor: "ana", Reason: "stale"}); !errors.Is(err, registry.ErrConflict) {
		t.Errorf("stale expected version = %v, want ErrConflict", err)
	}
	if _, err := s.Promote(ctx, Request{Model: "heart", To: 9, Expected: -1, Actor: "ana", Reason: "x"}); !errors.Is(err, registry.ErrNotFound) {
		t.Errorf("unknown version = %v, want ErrNotFound", err)
	}
	m, err := s.Rollback(ctx, Request{Model: "heart", Actor: "agent", Reason: "error rate 12% after promotion"})
	if err != nil || m.From != 3 || m.To != 2 {
		t.Fatalf("rollback = %+v, %v; want 3→2", m, err)
	}
	events, err := log.List(ctx, audit.Filter{Model: "heart"})
	if err != nil {
		t.Fatal(err)
	}
	var actions []string
	for _, e := range events {
		actions = append(actions, e.Action)
	}
	want := []string{"model.promote", "model.promote", "model.promote", "model.rollback"}
	if len(actions) != len(want) {
		t.Fatalf("audit actions = %v, want %v", actions, want)
	}
	for i := range want {
		if actions[i] != want[i] {
			t.Errorf("audit[%d] = %s, want %s", i, actions[i], want[i])
		}
	}
	if last := events[3]; last.Actor != "agent" || last.Reason == "" || last.Version != 2 {
		t.Errorf("rollback audit = %+v", last)
	}
}
