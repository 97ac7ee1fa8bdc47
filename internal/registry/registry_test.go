package registry_test

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/stewardml/steward/internal/local/sqlite"
	"github.com/stewardml/steward/internal/registry"
	"github.com/stewardml/steward/internal/store"
)

func openSQLite(t testing.TB, path string) store.RecordStore {
	t.Helper()
	s, err := sqlite.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// clock is a fake time source that advances one second per reading.
type clock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(time.Second)
	return c.now
}

func newRegistry(t testing.TB) (*registry.Registry, *clock) {
	t.Helper()
	r := registry.New(openSQLite(t, filepath.Join(t.TempDir(), "records.db")))
	c := &clock{now: time.Date(2025, 3, 1, 9, 0, 0, 0, time.UTC)}
	r.Now = c.Now
	return r, c
}

func nv(i int) registry.NewVersion {
	return registry.NewVersion{
		BundleKey: fmt.Sprintf("models/heart/%d/bundle.json", i), BundleDigest: fmt.Sprintf("sha256:%064d", i),
		DatasetDigest: "sha256:data", Family: "logistic", Params: map[string]any{"C": 1.0},
		Metrics: map[string]float64{"auc": 0.9}, CreatedBy: "trainer", SourceRun: fmt.Sprintf("run-%d", i),
	}
}

func registerN(t testing.TB, r *registry.Registry, model string, n int) {
	t.Helper()
	for i := 1; i <= n; i++ {
		v, err := r.Register(context.Background(), model, nv(i))
		if err != nil {
			t.Fatalf("Register %d: %v", i, err)
		}
		if v.Number != i {
			t.Fatalf("Register %d got number %d", i, v.Number)
		}
	}
}

func TestRegisterAssignsSequentialNumbers(t *testing.T) {
	r, _ := newRegistry(t)
	ctx := context.Background()
	registerN(t, r, "heart", 3)
	registerN(t, r, "other", 1)
	v2, err := r.Version(ctx, "heart", 2)
	if err != nil {
		t.Fatal(err)
	}
	if v2.BundleKey != "models/heart/2/bundle.json" || v2.SourceRun != "run-2" || v2.Metrics["auc"] != 0.9 || v2.Params["C"] != 1.0 || v2.CreatedAt.IsZero() {
		t.Errorf("version 2 = %+v, want the registered fields back", v2)
	}
	vs, err := r.Versions(ctx, "heart")
	if err != nil || len(vs) != 3 || vs[0].Number != 1 || vs[2].Number != 3 {
		t.Fatalf("Versions = %+v, %v; want 1..3", vs, err)
	}
	if _, err := r.MoveAlias(ctx, "heart", registry.Champion, 0, 3, "alice", "best"); err != nil {
		t.Fatal(err)
	}
	models, err := r.Models(ctx)
	if err != nil || len(models) != 2 || models[0].Name != "heart" || models[0].LatestVersion != 3 || models[0].Aliases[registry.Champion] != 3 || models[1].Name != "other" {
		t.Fatalf("Models = %+v, %v; want heart (latest 3, champion 3), other", models, err)
	}
	if _, err := r.Version(ctx, "heart", 4); !errors.Is(err, registry.ErrNotFound) {
		t.Errorf("Version 4: err = %v, want ErrNotFound", err)
	}
	if _, err := r.Versions(ctx, "nope"); !errors.Is(err, registry.ErrNotFound) {
		t.Errorf("Versions of unknown model: err = %v, want ErrNotFound", err)
	}
}

func TestRegisterRejectsBadInput(t *testing.T) {
	r, _ := newRegistry(t)
	ctx := context.Background()
	bad := []struct {
		model string
		v     registry.NewVersion
	}{
		{"Heart", nv(1)}, {"", nv(1)}, {"a@b", nv(1)}, {"a:1", nv(1)}, {"a#b", nv(1)},
		{"heart", registry.NewVersion{BundleDigest: "d", CreatedBy: "x"}},
		{"heart", registry.NewVersion{BundleKey: "k", CreatedBy: "x"}},
		{"heart", registry.NewVersion{BundleKey: "k", BundleDigest: "d"}},
	}
	for _, b := range bad {
		if _, err := r.Register(ctx, b.model, b.v); !errors.Is(err, registry.ErrInvalid) {
			t.Errorf("Register(%q, %+v): err = %v, want ErrInvalid", b.model, b.v, err)
		}
	}
}

func TestConcurrentRegistrationsGetDistinctNumbers(t *testing.T) {
	r, _ := newRegistry(t)
	const n = 12
	var wg sync.WaitGroup
	nums := make(chan int, n)
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			v, err := r.Register(context.Background(), "heart", nv(i))
			if err != nil {
				t.Error(err)
				return
			}
			nums <- v.Number
		}()
	}
	wg.Wait()
	close(nums)
	seen := map[int]bool{}
	for num := range nums {
		if seen[num] {
			t.Errorf("number %d assigned twice", num)
		}
		seen[num] = true
	}
	for i := 1; i <= n; i++ {
		if !seen[i] {
			t.Errorf("number %d never assigned", i)
		}
	}
}

func TestMoveAliasIsCompareAndSet(t *testing.T) {
	r, _ := newRegistry(t)
	ctx := context.Background()
	registerN(t, r, "heart", 3)
	m, err := r.MoveAlias(ctx, "heart", registry.Champion, 0, 1, "alice", "first model")
	if err != nil {
		t.Fatal(err)
	}
	if m.Seq != 1 || m.From != 0 || m.To != 1 || m.Actor != "alice" || m.Kind != registry.KindMove {
		t.Errorf("first move = %+v", m)
	}
	if _, err := r.MoveAlias(ctx, "heart", registry.Champion, 0, 2, "bob", "stale view"); !errors.Is(err, registry.ErrConflict) {
		t.Fatalf("move with stale expectation: err = %v, want ErrConflict", err)
	}
	if _, err := r.MoveAlias(ctx, "heart", registry.Champion, 1, 9, "bob", "no such version"); !errors.Is(err, registry.ErrNotFound) {
		t.Fatalf("move to a missing version: err = %v, want ErrNotFound", err)
	}
	if _, err := r.MoveAlias(ctx, "nope", registry.Champion, 0, 0, "bob", "no such model"); !errors.Is(err, registry.ErrNotFound) {
		t.Fatalf("move in a missing model: err = %v, want ErrNotFound", err)
	}
	if _, err := r.MoveAlias(ctx, "heart", registry.Champion, 1, 1, "bob", "same"); !errors.Is(err, registry.ErrInvalid) {
		t.Fatalf("move to the current version: err = %v, want ErrInvalid", err)
	}
	for _, bad := range []string{"", "Champion", "1st", "a b", "x@y"} {
		if _, err := r.MoveAlias(ctx, "heart", bad, 0, 1, "bob", "bad alias"); !errors.Is(err, registry.ErrInvalid) {
			t.Errorf("alias %q: err = %v, want ErrInvalid", bad, err)
		}
	}
	if _, err := r.MoveAlias(ctx, "heart", registry.Champion, 1, 2, "", "no actor"); !errors.Is(err, registry.ErrInvalid) {
		t.Errorf("empty actor: err = %v, want ErrInvalid", err)
	}
	if _, err := r.MoveAlias(ctx, "heart", "canary-eu", 0, 3, "bob", "custom alias"); err != nil {
		t.Fatalf("custom alias: %v", err)
	}
	if _, err := r.MoveAlias(ctx, "heart", registry.Champion, 1, 2, "bob", "better auc"); err != nil {
		t.Fatal(err)
	}
	m2, err := r.Model(ctx, "heart")
	if err != nil {
		t.Fatal(err)
	}
	if m2.Aliases[registry.Champion] != 2 || m2.Aliases["canary-eu"] != 3 {
		t.Errorf("aliases = %v, want champion 2, canary-eu 3", m2.Aliases)
	}
	hist, err := r.History(ctx, "heart", registry.Champion)
	if err != nil || len(hist) != 2 || hist[1].From != 1 || hist[1].To != 2 || hist[1].Reason != "better auc" || hist[1].Seq != 2 {
		t.Fatalf("champion history = %+v, %v", hist, err)
	}
	all, err := r.History(ctx, "heart", "")
	if err != nil || len(all) != 3 {
		t.Fatalf("all history = %d entries, %v; want 3", len(all), err)
	}
	// Unsetting is a move to 0.
	if _, err := r.MoveAlias(ctx, "heart", "canary-eu", 3, 0, "bob", "canary over"); err != nil {
		t.Fatal(err)
	}
	if a, err := r.Alias(ctx, "heart", "canary-eu"); err != nil || a.Version != 0 || a.Seq != 2 {
		t.Fatalf("unset alias = %+v, %v; want version 0 seq 2", a, err)
	}
}

func TestChampionAtAnswersFromHistory(t *testing.T) {
	r, c := newRegistry(t)
	ctx := context.Background()
	registerN(t, r, "heart", 3)
	before := c.Now()
	m1, _ := r.MoveAlias(ctx, "heart", registry.Champion, 0, 1, "a", "r")
	m2, _ := r.MoveAlias(ctx, "heart", registry.Champion, 1, 3, "a", "r")
	m3, err := r.MoveAlias(ctx, "heart", registry.Champion, 3, 2, "a", "r")
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		at   time.Time
		want int
	}{
		{m1.At, 1}, {m1.At.Add(500 * time.Millisecond), 1}, {m2.At, 3}, {m3.At.Add(-time.Nanosecond), 3}, {m3.At, 2}, {m3.At.Add(24 * time.Hour), 2},
	}
	for _, cs := range cases {
		got, err := r.ChampionAt(ctx, "heart", cs.at)
		if err != nil || got != cs.want {
			t.Errorf("ChampionAt(%v) = %d, %v; want %d", cs.at, got, err, cs.want)
		}
	}
	if _, err := r.ChampionAt(ctx, "heart", before); !errors.Is(err, registry.ErrNotFound) {
		t.Errorf("ChampionAt before any move: err = %v, want ErrNotFound", err)
	}
}

func TestRollbackWalksBackThroughPromotions(t *testing.T) {
	r, _ := newRegistry(t)
	ctx := context.Background()
	registerN(t, r, "heart", 3)
	if _, err := r.Rollback(ctx, "heart", "ops", "nothing yet"); !errors.Is(err, registry.ErrNoPrevious) {
		t.Fatalf("rollback with no champion: err = %v, want ErrNoPrevious", err)
	}
	for _, mv := range [][2]int{{0, 1}, {1, 2}, {2, 3}} {
		if _, err := r.MoveAlias(ctx, "heart", registry.Champion, mv[0], mv[1], "ci", "promote"); err != nil {
			t.Fatal(err)
		}
	}
	for _, want := range []int{2, 1} {
		m, err := r.Rollback(ctx, "heart", "ops", "drift alarm")
		if err != nil {
			t.Fatalf("rollback to %d: %v", want, err)
		}
		if m.To != want || m.Kind != registry.KindRollback || m.Actor != "ops" {
			t.Fatalf("rollback = %+v, want to v%d as a rollback", m, want)
		}
	}
	if _, err := r.Rollback(ctx, "heart", "ops", "again"); !errors.Is(err, registry.ErrNoPrevious) {
		t.Fatalf("rollback past the first champion: err = %v, want ErrNoPrevious", err)
	}
	// A new promotion after rollbacks can itself be rolled back.
	if _, err := r.MoveAlias(ctx, "heart", registry.Champion, 1, 3, "ci", "retrained"); err != nil {
		t.Fatal(err)
	}
	if m, err := r.Rollback(ctx, "heart", "ops", "bad again"); err != nil || m.To != 1 {
		t.Fatalf("rollback after re-promotion = %+v, %v; want to v1", m, err)
	}
	hist, _ := r.History(ctx, "heart", registry.Champion)
	if len(hist) != 7 {
		t.Fatalf("history has %d entries, want 7", len(hist))
	}
}

func TestParseRef(t *testing.T) {
	good := []struct {
		in   string
		want registry.Ref
	}{
		{"heart", registry.Ref{Model: "heart"}},
		{"heart@champion", registry.Ref{Model: "heart", Alias: "champion"}},
		{"heart@canary-eu", registry.Ref{Model: "heart", Alias: "canary-eu"}},
		{"heart:12", registry.Ref{Model: "heart", Version: 12}},
		{"heart.v2_x-y", registry.Ref{Model: "heart.v2_x-y"}},
	}
	for _, g := range good {
		got, err := registry.ParseRef(g.in)
		if err != nil || got != g.want {
			t.Errorf("ParseRef(%q) = %+v, %v; want %+v", g.in, got, err, g.want)
		}
		if got.String() != g.in {
			t.Errorf("ParseRef(%q).String() = %q", g.in, got.String())
		}
	}
	for _, bad := range []string{"", "@champion", "heart@", "heart:", "heart:0", "heart:-1", "heart:x", "heart:1.5", "heart@champ@x", "heart@c:1", "Heart", "he art", "heart@Champion"} {
		if _, err := registry.ParseRef(bad); !errors.Is(err, registry.ErrInvalid) {
			t.Errorf("ParseRef(%q): err = %v, want ErrInvalid", bad, err)
		}
	}
}

func FuzzParseRef(f *testing.F) {
	for _, s := range []string{"heart", "heart@champion", "heart:3", "a@b:1", "", ":", "@", "heart:99999999999999999999"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		ref, err := registry.ParseRef(s)
		if err != nil {
			if !errors.Is(err, registry.ErrInvalid) {
				t.Fatalf("ParseRef(%q): error %v does not wrap ErrInvalid", s, err)
			}
			return
		}
		again, err := registry.ParseRef(ref.String())
		if err != nil || again != ref {
			t.Fatalf("ParseRef(%q) = %+v does not round-trip: %+v, %v", s, ref, again, err)
		}
	})
}

func TestResolve(t *testing.T) {
	r, _ := newRegistry(t)
	ctx := context.Background()
	registerN(t, r, "heart", 2)
	resolve := func(s string) (registry.Version, error) {
		ref, err := registry.ParseRef(s)
		if err != nil {
			t.Fatal(err)
		}
		return r.Resolve(ctx, ref)
	}
	if _, err := resolve("heart"); !errors.Is(err, registry.ErrNotFound) {
		t.Errorf("resolve heart with no champion: err = %v, want ErrNotFound", err)
	}
	if _, err := r.MoveAlias(ctx, "heart", registry.Champion, 0, 2, "a", "r"); err != nil {
		t.Fatal(err)
	}
	if _, err := r.MoveAlias(ctx, "heart", registry.Challenger, 0, 1, "a", "r"); err != nil {
		t.Fatal(err)
	}
	for in, want := range map[string]int{"heart": 2, "heart@champion": 2, "heart@challenger": 1, "heart:1": 1} {
		v, err := resolve(in)
		if err != nil || v.Number != want {
			t.Errorf("resolve %s = v%d, %v; want v%d", in, v.Number, err, want)
		}
	}
	for _, in := range []string{"heart:3", "heart@canary", "nope", "nope@champion"} {
		if _, err := resolve(in); !errors.Is(err, registry.ErrNotFound) {
			t.Errorf("resolve %s: err = %v, want ErrNotFound", in, err)
		}
	}
}
