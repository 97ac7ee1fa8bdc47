package dataset

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/stewardml/steward/internal/store"
)

// Catalog records the dataset versions Steward has stored: when each was
// first seen, its shape, and every source name it arrived under. The bytes
// themselves are in the artifact store under KeyFor(digest).
//
// Records (single table):
//
//	pk        sk        body
//	DATASETS  <digest>  Entry
//
// It is safe for concurrent use.
type Catalog struct {
	Records store.RecordStore
	// Now reads the clock; nil means time.Now.
	Now func() time.Time
}

// ErrNotCataloged reports a digest the catalog has no entry for.
var ErrNotCataloged = errors.New("dataset: not in the catalog")

// Entry is one dataset version in the catalog.
type Entry struct {
	Digest    string    `json:"digest"`
	Size      int64     `json:"size"`
	Rows      int       `json:"rows"`
	Columns   int       `json:"columns"`
	FirstSeen time.Time `json:"firstSeen"`
	// Sources are the names the bytes arrived under (file names or keys),
	// in the order first seen.
	Sources []Source `json:"sources"`
}

// Source is one name a dataset version arrived under.
type Source struct {
	Name string    `json:"name"`
	Seen time.Time `json:"seen"`
	By   string    `json:"by,omitempty"`
}

const catalogPK = "DATASETS"

// maxSources bounds the names kept per version: the first ones stay.
const maxSources = 20

// Note records that the version ref, of rows × columns, arrived as source
// (by whom). A version seen before keeps its first-seen time and gains the
// source if it is a new name.
func (c *Catalog) Note(ctx context.Context, ref Ref, rows, columns int, source, by string) error {
	now := time.Now
	if c.Now != nil {
		now = c.Now
	}
	for attempt := 0; attempt < 5; attempt++ {
		rec, err := c.Records.Get(ctx, catalogPK, ref.Digest)
		var e Entry
		cond := store.Cond{Kind: store.CondAbsent}
		switch {
		case errors.Is(err, store.ErrNotFound):
			t := now().UTC()
			e = Entry{Digest: ref.Digest, Size: ref.Size, Rows: rows, Columns: columns, FirstSeen: t}
		case err != nil:
			return fmt.Errorf("dataset: catalog %s: %w", ref.Digest, err)
		default:
			if err := json.Unmarshal(rec.Body, &e); err != nil {
				return fmt.Errorf("dataset: catalog %s: %w", ref.Digest, err)
			}
			if slices.ContainsFunc(e.Sources, func(s Source) bool { return s.Name == source }) || len(e.Sources) >= maxSources {
				return nil
			}
			cond = store.Cond{Kind: store.CondVersion, Version: rec.Version}
		}
		e.Sources = append(e.Sources, Source{Name: source, Seen: now().UTC(), By: by})
		body, err := json.Marshal(e)
		if err != nil {
			return err
		}
		err = c.Records.Write(ctx, store.Write{Record: store.Record{PK: catalogPK, SK: ref.Digest, Body: body, Version: rec.Version + 1}, Cond: cond})
		if errors.Is(err, store.ErrConflict) {
			continue // noted concurrently: read again
		}
		if err != nil {
			return fmt.Errorf("dataset: catalog %s: %w", ref.Digest, err)
		}
		return nil
	}
	return fmt.Errorf("dataset: catalog %s: %w (5 attempts)", ref.Digest, store.ErrConflict)
}

// Get returns the entry of digest, or ErrNotCataloged.
func (c *Catalog) Get(ctx context.Context, digest string) (Entry, error) {
	rec, err := c.Records.Get(ctx, catalogPK, digest)
	if errors.Is(err, store.ErrNotFound) {
		return Entry{}, fmt.Errorf("dataset: %s: %w", digest, ErrNotCataloged)
	}
	if err != nil {
		return Entry{}, fmt.Errorf("dataset: catalog %s: %w", digest, err)
	}
	var e Entry
	if err := json.Unmarshal(rec.Body, &e); err != nil {
		return Entry{}, fmt.Errorf("dataset: catalog %s: %w", digest, err)
	}
	return e, nil
}

// List returns every entry, oldest first.
func (c *Catalog) List(ctx context.Context) ([]Entry, error) {
	recs, err := c.Records.Query(ctx, catalogPK, store.Query{})
	if err != nil {
		return nil, fmt.Errorf("dataset: catalog: %w", err)
	}
	out := make([]Entry, 0, len(recs))
	for _, r := range recs {
		var e Entry
		if err := json.Unmarshal(r.Body, &e); err != nil {
			return nil, fmt.Errorf("dataset: catalog %s: %w", r.SK, err)
		}
		out = append(out, e)
	}
	slices.SortStableFunc(out, func(a, b Entry) int { return a.FirstSeen.Compare(b.FirstSeen) })
	return out, nil
}
