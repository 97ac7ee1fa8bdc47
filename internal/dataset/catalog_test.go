package dataset_test

import (
	"context"
	"errors"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/stewardml/steward/internal/dataset"
	"github.com/stewardml/steward/internal/local/sqlite"
)

func TestCatalogKeepsFirstSeenAndEverySource(t *testing.T) {
	db, err := sqlite.Open(filepath.Join(t.TempDir(), "steward.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	clock := time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC)
	c := &dataset.Catalog{Records: db, Now: func() time.Time { clock = clock.Add(time.Minute); return clock }}
	ctx := context.Background()
	ref := dataset.Ref{Digest: "ab", Size: 10}
	if err := c.Note(ctx, ref, 3, 14, "a.csv", "ana"); err != nil {
		t.Fatal(err)
	}
	if err := c.Note(ctx, ref, 3, 14, "a.csv", "bo"); err != nil { // the same name again: no new source
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	for _, name := range []string{"b.csv", "c.csv", "d.csv"} {
		wg.Add(1)
		go func() { defer wg.Done(); _ = c.Note(ctx, ref, 3, 14, name, "cy") }()
	}
	wg.Wait()
	e, err := c.Get(ctx, "ab")
	if err != nil {
		t.Fatal(err)
	}
	if e.Rows != 3 || e.Columns != 14 || len(e.Sources) != 4 || e.Sources[0].Name != "a.csv" || e.Sources[0].By != "ana" || !e.FirstSeen.Equal(time.Date(2026, 12, 1, 9, 1, 0, 0, time.UTC)) {
		t.Errorf("entry %+v", e)
	}
	if _, err := c.Get(ctx, "cd"); !errors.Is(err, dataset.ErrNotCataloged) {
		t.Errorf("unknown digest: %v", err)
	}
	if err := c.Note(ctx, dataset.Ref{Digest: "cd"}, 1, 1, "x", ""); err != nil {
		t.Fatal(err)
	}
	list, err := c.List(ctx)
	if err != nil || len(list) != 2 || list[0].Digest != "ab" || list[1].Digest != "cd" {
		t.Errorf("list %+v %v, want both oldest first", list, err)
	}
}
