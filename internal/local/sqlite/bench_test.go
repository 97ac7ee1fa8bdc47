package sqlite_test

import (
	"context"
	"encoding/json"
	"fmt"
	"path/filepath"
	"testing"

	"github.com/stewardml/steward/internal/store"
)

var benchBody = json.RawMessage(`{"model":"heart","number":12,"bundleKey":"models/heart/12/bundle.json","metrics":{"auc":0.91,"f1":0.84}}`)

// BenchmarkWrite measures one conditional put per transaction (a durable
// commit each, WAL with synchronous=NORMAL).
func BenchmarkWrite(b *testing.B) {
	s := open(b, filepath.Join(b.TempDir(), "records.db"))
	ctx := context.Background()
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		w := store.Write{Record: store.Record{PK: "BENCH", SK: fmt.Sprintf("%010d", i), Body: benchBody, Version: 1}, Cond: store.Cond{Kind: store.CondAbsent}}
		if err := s.Write(ctx, w); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkWriteCASBatch measures the registry's alias move: a two-write
// batch with a version condition and an absence condition.
func BenchmarkWriteCASBatch(b *testing.B) {
	s := open(b, filepath.Join(b.TempDir(), "records.db"))
	ctx := context.Background()
	if err := s.Write(ctx, store.Write{Record: store.Record{PK: "M", SK: "ALIAS", Body: benchBody, Version: 0}}); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for i := int64(0); b.Loop(); i++ {
		err := s.Write(ctx,
			store.Write{Record: store.Record{PK: "M", SK: "ALIAS", Body: benchBody, Version: i + 1}, Cond: store.Cond{Kind: store.CondVersion, Version: i}},
			store.Write{Record: store.Record{PK: "M", SK: fmt.Sprintf("HISTORY#%010d", i+1), Body: benchBody, Version: 1}, Cond: store.Cond{Kind: store.CondAbsent}},
		)
		if err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkGet measures a point read among 10,000 records.
func BenchmarkGet(b *testing.B) {
	s := open(b, filepath.Join(b.TempDir(), "records.db"))
	ctx := context.Background()
	const n = 10000
	for i := 0; i < n; i += store.MaxBatch {
		var ws []store.Write
		for j := i; j < i+store.MaxBatch; j++ {
			ws = append(ws, store.Write{Record: store.Record{PK: "BENCH", SK: fmt.Sprintf("%010d", j), Body: benchBody, Version: 1}})
		}
		if err := s.Write(ctx, ws...); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		if _, err := s.Get(ctx, "BENCH", fmt.Sprintf("%010d", (i*7919)%n)); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkGetParallel measures point reads from concurrent goroutines.
func BenchmarkGetParallel(b *testing.B) {
	s := open(b, filepath.Join(b.TempDir(), "records.db"))
	ctx := context.Background()
	if err := s.Write(ctx, store.Write{Record: store.Record{PK: "P", SK: "S", Body: benchBody, Version: 1}}); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if _, err := s.Get(ctx, "P", "S"); err != nil {
				b.Error(err)
				return
			}
		}
	})
}

// BenchmarkQuery measures a descending prefix query returning 20 of 1,000
// records (a model's latest versions).
func BenchmarkQuery(b *testing.B) {
	s := open(b, filepath.Join(b.TempDir(), "records.db"))
	ctx := context.Background()
	for i := 0; i < 1000; i += store.MaxBatch {
		var ws []store.Write
		for j := i; j < i+store.MaxBatch; j++ {
			ws = append(ws, store.Write{Record: store.Record{PK: "MODEL#heart", SK: fmt.Sprintf("VERSION#%010d", j), Body: benchBody, Version: 1}})
		}
		if err := s.Write(ctx, ws...); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportAllocs()
	for b.Loop() {
		got, err := s.Query(ctx, "MODEL#heart", store.Query{Prefix: "VERSION#", Descending: true, Limit: 20})
		if err != nil || len(got) != 20 {
			b.Fatalf("Query = %d, %v", len(got), err)
		}
	}
}
