package asl_test

import (
	"context"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/stewardml/steward/internal/asl"
	"github.com/stewardml/steward/internal/asl/asltest"
	"github.com/stewardml/steward/internal/store"
)

func TestMemStoreContract(t *testing.T) {
	asltest.TestStore(t, func(t *testing.T) asl.Store { return asl.NewMemStore() })
}

func TestRecordStoreBackendContract(t *testing.T) {
	asltest.TestStore(t, func(t *testing.T) asl.Store { return asl.NewRecordStoreBackend(newFakeRecordStore()) })
}

// fakeRecordStore is a minimal in-memory store.RecordStore with the
// port's conditional, atomic batch semantics (TTL aside).
type fakeRecordStore struct {
	mu   sync.Mutex
	recs map[[2]string]store.Record
}

func newFakeRecordStore() *fakeRecordStore {
	return &fakeRecordStore{recs: map[[2]string]store.Record{}}
}

func (f *fakeRecordStore) Get(ctx context.Context, pk, sk string) (store.Record, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	r, ok := f.recs[[2]string{pk, sk}]
	if !ok {
		return store.Record{}, store.ErrNotFound
	}
	return r, nil
}

func (f *fakeRecordStore) Query(ctx context.Context, pk string, q store.Query) ([]store.Record, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []store.Record
	for k, r := range f.recs {
		if k[0] == pk && strings.HasPrefix(k[1], q.Prefix) {
			out = append(out, r)
		}
	}
	slices.SortFunc(out, func(a, b store.Record) int { return strings.Compare(a.SK, b.SK) })
	return out, nil
}

func (f *fakeRecordStore) Write(ctx context.Context, writes ...store.Write) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if len(writes) > store.MaxBatch {
		return store.ErrInvalid
	}
	for _, w := range writes {
		cur, exists := f.recs[[2]string{w.Record.PK, w.Record.SK}]
		switch w.Cond.Kind {
		case store.CondAbsent:
			if exists {
				return store.ErrConflict
			}
		case store.CondVersion:
			if !exists || cur.Version != w.Cond.Version {
				return store.ErrConflict
			}
		case store.CondExists:
			if !exists {
				return store.ErrConflict
			}
		}
	}
	for _, w := range writes {
		k := [2]string{w.Record.PK, w.Record.SK}
		if w.Delete {
			delete(f.recs, k)
			continue
		}
		r := w.Record
		r.Body = append([]byte(nil), r.Body...)
		f.recs[k] = r
	}
	return nil
}
