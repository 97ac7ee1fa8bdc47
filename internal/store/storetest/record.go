package storetest

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stewardml/steward/internal/store"
)

// RunRecordStore checks that the stores newStore returns honour the
// store.RecordStore contract: conditions, all-or-nothing batches, TTL,
// queries, key validation and compare-and-set under contention. newStore
// must return an empty store.
//
// TTL is checked with expiry times an hour away from the wall clock, so
// adapters need no injected clock for the suite.
func RunRecordStore(t *testing.T, newStore func(t *testing.T) store.RecordStore) {
	t.Helper()
	for _, tc := range []struct {
		name string
		run  func(*testing.T, func(t *testing.T) store.RecordStore)
	}{
		{"GetMissingIsNotFound", recordGetMissingIsNotFound},
		{"PutThenGetRoundTrips", recordPutThenGetRoundTrips},
		{"UnconditionalPutOverwrites", recordUnconditionalPutOverwrites},
		{"CondAbsent", recordCondAbsent},
		{"CondVersion", recordCondVersion},
		{"CondExists", recordCondExists},
		{"Delete", recordDelete},
		{"BatchIsAllOrNothing", recordBatchIsAllOrNothing},
		{"BatchLimits", recordBatchLimits},
		{"InvalidRequestsAreRejected", recordInvalidRequestsAreRejected},
		{"LargeBodyRoundTrips", recordLargeBodyRoundTrips},
		{"ExpiredRecordsAreAbsent", recordExpiredRecordsAreAbsent},
		{"QuerySelectsAndOrders", recordQuerySelectsAndOrders},
		{"QueryLimitSkipsExpired", recordQueryLimitSkipsExpired},
		{"ConcurrentCASExactlyOneWins", recordConcurrentCASExactlyOneWins},
		{"ConcurrentCASLosesNoUpdates", recordConcurrentCASLosesNoUpdates},
	} {
		t.Run(tc.name, func(t *testing.T) { tc.run(t, newStore) })
	}
}

func recordGetMissingIsNotFound(t *testing.T, newStore func(t *testing.T) store.RecordStore) {
	ctx := context.Background()
	s := newStore(t)
	if _, err := s.Get(ctx, "P", "S"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("Get missing: err = %v, want ErrNotFound", err)
	}
}

func recordPutThenGetRoundTrips(t *testing.T, newStore func(t *testing.T) store.RecordStore) {
	s := newStore(t)
	exp := time.Now().Add(time.Hour).Truncate(time.Second).Add(300 * time.Millisecond)
	r := store.Record{PK: "MODEL#heart", SK: "VERSION#0001", Body: json.RawMessage(`{"a":1,"b":[true,null,"é"]}`), Version: 7, ExpiresAt: exp}
	mustWrite(t, s, store.Write{Record: r})
	got := mustGet(t, s, r.PK, r.SK)
	want := r
	want.ExpiresAt = exp.Truncate(time.Second).Add(time.Second) // whole seconds, rounded up
	checkRecord(t, got, want)

	r2 := store.Record{PK: "MODEL#heart", SK: "VERSION#0002", Body: json.RawMessage(`"plain"`)}
	mustWrite(t, s, store.Write{Record: r2})
	checkRecord(t, mustGet(t, s, r2.PK, r2.SK), r2)
}

func recordUnconditionalPutOverwrites(t *testing.T, newStore func(t *testing.T) store.RecordStore) {
	s := newStore(t)
	mustWrite(t, s, put("P", "S", 1, `{"v":1}`, store.Cond{}))
	mustWrite(t, s, put("P", "S", 5, `{"v":2}`, store.Cond{}))
	checkRecord(t, mustGet(t, s, "P", "S"), rec("P", "S", 5, `{"v":2}`))
}

func recordCondAbsent(t *testing.T, newStore func(t *testing.T) store.RecordStore) {
	ctx := context.Background()
	s := newStore(t)
	absent := store.Cond{Kind: store.CondAbsent}
	mustWrite(t, s, put("P", "S", 1, `1`, absent))
	err := s.Write(ctx, put("P", "S", 2, `2`, absent))
	if !errors.Is(err, store.ErrConflict) {
		t.Fatalf("second CondAbsent put: err = %v, want ErrConflict", err)
	}
	checkRecord(t, mustGet(t, s, "P", "S"), rec("P", "S", 1, `1`))
}

func recordCondVersion(t *testing.T, newStore func(t *testing.T) store.RecordStore) {
	ctx := context.Background()
	s := newStore(t)
	if err := s.Write(ctx, put("P", "S", 1, `1`, ver(0))); !errors.Is(err, store.ErrConflict) {
		t.Fatalf("CondVersion on absent record: err = %v, want ErrConflict", err)
	}
	mustWrite(t, s, put("P", "S", 1, `1`, store.Cond{}))
	if err := s.Write(ctx, put("P", "S", 3, `3`, ver(2))); !errors.Is(err, store.ErrConflict) {
		t.Fatalf("CondVersion with stale version: err = %v, want ErrConflict", err)
	}
	checkRecord(t, mustGet(t, s, "P", "S"), rec("P", "S", 1, `1`))
	mustWrite(t, s, put("P", "S", 2, `2`, ver(1)))
	checkRecord(t, mustGet(t, s, "P", "S"), rec("P", "S", 2, `2`))
}

func recordCondExists(t *testing.T, newStore func(t *testing.T) store.RecordStore) {
	ctx := context.Background()
	s := newStore(t)
	exists := store.Cond{Kind: store.CondExists}
	if err := s.Write(ctx, put("P", "S", 1, `1`, exists)); !errors.Is(err, store.ErrConflict) {
		t.Fatalf("CondExists on absent record: err = %v, want ErrConflict", err)
	}
	if _, err := s.Get(ctx, "P", "S"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("failed CondExists put wrote a record: Get err = %v", err)
	}
	mustWrite(t, s, put("P", "S", 1, `1`, store.Cond{}))
	mustWrite(t, s, put("P", "S", 9, `9`, exists))
	checkRecord(t, mustGet(t, s, "P", "S"), rec("P", "S", 9, `9`))
}

func recordDelete(t *testing.T, newStore func(t *testing.T) store.RecordStore) {
	ctx := context.Background()
	s := newStore(t)
	mustWrite(t, s, del("P", "missing", store.Cond{})) // deleting nothing is fine
	mustWrite(t, s, put("P", "S", 4, `4`, store.Cond{}))
	if err := s.Write(ctx, del("P", "S", ver(3))); !errors.Is(err, store.ErrConflict) {
		t.Fatalf("delete with stale version: err = %v, want ErrConflict", err)
	}
	checkRecord(t, mustGet(t, s, "P", "S"), rec("P", "S", 4, `4`))
	if err := s.Write(ctx, del("P", "missing", store.Cond{Kind: store.CondExists})); !errors.Is(err, store.ErrConflict) {
		t.Fatalf("CondExists delete of absent record: err = %v, want ErrConflict", err)
	}
	mustWrite(t, s, del("P", "S", ver(4)))
	if _, err := s.Get(ctx, "P", "S"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("Get after delete: err = %v, want ErrNotFound", err)
	}
	mustWrite(t, s, put("P", "S", 1, `1`, store.Cond{Kind: store.CondAbsent}))
}

func recordBatchIsAllOrNothing(t *testing.T, newStore func(t *testing.T) store.RecordStore) {
	ctx := context.Background()
	s := newStore(t)
	mustWrite(t, s, put("A", "1", 1, `"a1"`, store.Cond{}), put("B", "1", 1, `"b1"`, store.Cond{}))
	// The last write's condition fails: nothing of the batch may land.
	err := s.Write(ctx,
		put("A", "1", 2, `"a1v2"`, ver(1)),
		put("A", "2", 1, `"a2"`, store.Cond{Kind: store.CondAbsent}),
		del("B", "1", store.Cond{}),
		put("C", "1", 1, `"c1"`, store.Cond{}),
		put("B", "2", 1, `"b2"`, store.Cond{Kind: store.CondExists}),
	)
	if !errors.Is(err, store.ErrConflict) {
		t.Fatalf("batch with a failing condition: err = %v, want ErrConflict", err)
	}
	checkRecord(t, mustGet(t, s, "A", "1"), rec("A", "1", 1, `"a1"`))
	checkRecord(t, mustGet(t, s, "B", "1"), rec("B", "1", 1, `"b1"`))
	for _, k := range [][2]string{{"A", "2"}, {"C", "1"}, {"B", "2"}} {
		if _, err := s.Get(ctx, k[0], k[1]); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("Get %s/%s after failed batch: err = %v, want ErrNotFound", k[0], k[1], err)
		}
	}
	// The same batch with the condition satisfied applies every write.
	mustWrite(t, s,
		put("A", "1", 2, `"a1v2"`, ver(1)),
		put("A", "2", 1, `"a2"`, store.Cond{Kind: store.CondAbsent}),
		del("B", "1", store.Cond{Kind: store.CondExists}),
		put("C", "1", 1, `"c1"`, store.Cond{}),
	)
	checkRecord(t, mustGet(t, s, "A", "1"), rec("A", "1", 2, `"a1v2"`))
	checkRecord(t, mustGet(t, s, "A", "2"), rec("A", "2", 1, `"a2"`))
	checkRecord(t, mustGet(t, s, "C", "1"), rec("C", "1", 1, `"c1"`))
	if _, err := s.Get(ctx, "B", "1"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("Get B/1 after batch delete: err = %v, want ErrNotFound", err)
	}
}

func recordBatchLimits(t *testing.T, newStore func(t *testing.T) store.RecordStore) {
	ctx := context.Background()
	s := newStore(t)
	if err := s.Write(ctx); err != nil {
		t.Fatalf("empty batch: err = %v, want nil", err)
	}
	var full []store.Write
	for i := range store.MaxBatch {
		full = append(full, put("FULL", fmt.Sprintf("%02d", i), 1, `1`, store.Cond{Kind: store.CondAbsent}))
	}
	mustWrite(t, s, full...)
	got, err := s.Query(ctx, "FULL", store.Query{})
	if err != nil || len(got) != store.MaxBatch {
		t.Fatalf("after a full batch Query = %d records, %v; want %d", len(got), err, store.MaxBatch)
	}
	var over []store.Write
	for i := range store.MaxBatch + 1 {
		over = append(over, put("OVER", fmt.Sprintf("%02d", i), 1, `1`, store.Cond{}))
	}
	if err := s.Write(ctx, over...); !errors.Is(err, store.ErrInvalid) {
		t.Fatalf("batch of %d: err = %v, want ErrInvalid", len(over), err)
	}
	err = s.Write(ctx, put("DUP", "1", 1, `1`, store.Cond{}), put("DUP", "2", 1, `1`, store.Cond{}), del("DUP", "1", store.Cond{}))
	if !errors.Is(err, store.ErrInvalid) {
		t.Fatalf("batch writing one key twice: err = %v, want ErrInvalid", err)
	}
	for _, pk := range []string{"OVER", "DUP"} {
		if got, err := s.Query(ctx, pk, store.Query{}); err != nil || len(got) != 0 {
			t.Errorf("rejected batch left %d records in %s (err %v)", len(got), pk, err)
		}
	}
}

func recordInvalidRequestsAreRejected(t *testing.T, newStore func(t *testing.T) store.RecordStore) {
	ctx := context.Background()
	s := newStore(t)
	long := strings.Repeat("k", store.MaxKeyLen+1)
	badKeys := [][2]string{{"", "S"}, {"P", ""}, {string([]byte{0xff}), "S"}, {"P", "bad\x00"}, {"P\n", "S"}, {long, "S"}, {"P", long}}
	for _, k := range badKeys {
		if err := s.Write(ctx, put(k[0], k[1], 1, `1`, store.Cond{})); !errors.Is(err, store.ErrInvalid) {
			t.Errorf("Write key %q/%q: err = %v, want ErrInvalid", k[0], k[1], err)
		}
		if _, err := s.Get(ctx, k[0], k[1]); !errors.Is(err, store.ErrInvalid) {
			t.Errorf("Get key %q/%q: err = %v, want ErrInvalid", k[0], k[1], err)
		}
	}
	for _, body := range []string{"", "{", "not json", `{"a":1}x`} {
		if err := s.Write(ctx, put("P", "S", 1, body, store.Cond{})); !errors.Is(err, store.ErrInvalid) {
			t.Errorf("Write body %q: err = %v, want ErrInvalid", body, err)
		}
	}
	huge := `"` + strings.Repeat("x", store.MaxBodyLen) + `"`
	if err := s.Write(ctx, put("P", "S", 1, huge, store.Cond{})); !errors.Is(err, store.ErrInvalid) {
		t.Errorf("Write body of %d bytes: err = %v, want ErrInvalid", len(huge), err)
	}
	if err := s.Write(ctx, store.Write{Record: rec("P", "S", 1, `1`), Cond: store.Cond{Kind: 99}}); !errors.Is(err, store.ErrInvalid) {
		t.Errorf("Write with unknown condition kind: err = %v, want ErrInvalid", err)
	}
	// A bad write poisons its batch: the good write beside it is not applied.
	if err := s.Write(ctx, put("P", "good", 1, `1`, store.Cond{}), put("P", "", 1, `1`, store.Cond{})); !errors.Is(err, store.ErrInvalid) {
		t.Errorf("batch with one bad key: err = %v, want ErrInvalid", err)
	}
	for _, q := range []struct {
		pk string
		q  store.Query
	}{{"", store.Query{}}, {"P", store.Query{Limit: -1}}, {"P", store.Query{From: "b", To: "a"}}, {string([]byte{0xc3}), store.Query{}}} {
		if _, err := s.Query(ctx, q.pk, q.q); !errors.Is(err, store.ErrInvalid) {
			t.Errorf("Query(%q, %+v): err = %v, want ErrInvalid", q.pk, q.q, err)
		}
	}
	if got, err := s.Query(ctx, "P", store.Query{}); err != nil || len(got) != 0 {
		t.Errorf("rejected writes left %d records (err %v)", len(got), err)
	}
}

func recordLargeBodyRoundTrips(t *testing.T, newStore func(t *testing.T) store.RecordStore) {
	s := newStore(t)
	body := `"` + strings.Repeat("é", (store.MaxBodyLen-2)/2-8) + `"`
	mustWrite(t, s, put("P", "big", 1, body, store.Cond{}))
	got := mustGet(t, s, "P", "big")
	if !bytes.Equal(got.Body, []byte(body)) {
		t.Fatalf("large body came back as %d bytes, want %d", len(got.Body), len(body))
	}
}

func recordExpiredRecordsAreAbsent(t *testing.T, newStore func(t *testing.T) store.RecordStore) {
	ctx := context.Background()
	s := newStore(t)
	past := time.Now().Add(-time.Hour)
	future := time.Now().Add(time.Hour)
	mustWrite(t, s,
		store.Write{Record: store.Record{PK: "P", SK: "old", Body: json.RawMessage(`1`), Version: 3, ExpiresAt: past}},
		store.Write{Record: store.Record{PK: "P", SK: "new", Body: json.RawMessage(`2`), Version: 1, ExpiresAt: future}},
		store.Write{Record: store.Record{PK: "P", SK: "forever", Body: json.RawMessage(`3`), Version: 1}},
	)
	if _, err := s.Get(ctx, "P", "old"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("Get expired: err = %v, want ErrNotFound", err)
	}
	mustGet(t, s, "P", "new")
	got, err := s.Query(ctx, "P", store.Query{})
	if err != nil {
		t.Fatalf("Query: %v", err)
	}
	if keys := sks(got); !slices.Equal(keys, []string{"forever", "new"}) {
		t.Errorf("Query with an expired record = %q, want [forever new]", keys)
	}
	if err := s.Write(ctx, put("P", "old", 4, `4`, ver(3))); !errors.Is(err, store.ErrConflict) {
		t.Errorf("CondVersion on expired record: err = %v, want ErrConflict", err)
	}
	if err := s.Write(ctx, put("P", "old", 4, `4`, store.Cond{Kind: store.CondExists})); !errors.Is(err, store.ErrConflict) {
		t.Errorf("CondExists on expired record: err = %v, want ErrConflict", err)
	}
	mustWrite(t, s, put("P", "old", 1, `"reborn"`, store.Cond{Kind: store.CondAbsent}))
	checkRecord(t, mustGet(t, s, "P", "old"), rec("P", "old", 1, `"reborn"`))
}

func recordQuerySelectsAndOrders(t *testing.T, newStore func(t *testing.T) store.RecordStore) {
	ctx := context.Background()
	s := newStore(t)
	keys := []string{"a#1", "a#2", "a#3", "b#1", "b#2", "c", "z", "é#1", "é#2"}
	var ws []store.Write
	for i, k := range keys {
		ws = append(ws, put("P", k, int64(i), fmt.Sprintf("%q", k), store.Cond{}))
	}
	mustWrite(t, s, ws...)
	mustWrite(t, s, put("P2", "a#0", 1, `1`, store.Cond{}), put("P#", "a#1", 1, `1`, store.Cond{}))
	cases := []struct {
		name string
		q    store.Query
		want []string
	}{
		{"All", store.Query{}, keys},
		{"Prefix", store.Query{Prefix: "a#"}, []string{"a#1", "a#2", "a#3"}},
		{"PrefixNonASCII", store.Query{Prefix: "é"}, []string{"é#1", "é#2"}},
		{"PrefixNoMatch", store.Query{Prefix: "d"}, nil},
		{"PrefixIsWholeKey", store.Query{Prefix: "c"}, []string{"c"}},
		{"RangeInclusive", store.Query{From: "a#2", To: "b#1"}, []string{"a#2", "a#3", "b#1"}},
		{"FromOnly", store.Query{From: "c"}, []string{"c", "z", "é#1", "é#2"}},
		{"ToOnly", store.Query{To: "a#2"}, []string{"a#1", "a#2"}},
		{"RangeBetweenKeys", store.Query{From: "a#25", To: "b#15"}, []string{"a#3", "b#1"}},
		{"PrefixAndRange", store.Query{Prefix: "a#", From: "a#2", To: "z"}, []string{"a#2", "a#3"}},
		{"Limit", store.Query{Limit: 2}, []string{"a#1", "a#2"}},
		{"Descending", store.Query{Descending: true}, reversed(keys)},
		{"DescendingLimit", store.Query{Descending: true, Limit: 3}, []string{"é#2", "é#1", "z"}},
		{"DescendingPrefixLimit", store.Query{Prefix: "a#", Descending: true, Limit: 1}, []string{"a#3"}},
		{"DescendingRange", store.Query{From: "a#3", To: "b#2", Descending: true}, []string{"b#2", "b#1", "a#3"}},
		{"LimitAboveCount", store.Query{Prefix: "b#", Limit: 10}, []string{"b#1", "b#2"}},
	}
	for _, c := range cases {
		got, err := s.Query(ctx, "P", c.q)
		if err != nil {
			t.Errorf("%s: Query: %v", c.name, err)
			continue
		}
		if g := sks(got); !slices.Equal(g, c.want) {
			t.Errorf("%s: Query(%+v) = %q, want %q", c.name, c.q, g, c.want)
		}
		for _, r := range got {
			if r.PK != "P" || string(r.Body) != fmt.Sprintf("%q", r.SK) {
				t.Errorf("%s: record %s/%s has body %s", c.name, r.PK, r.SK, r.Body)
			}
		}
	}
	if got, err := s.Query(ctx, "EMPTY", store.Query{}); err != nil || len(got) != 0 {
		t.Errorf("Query of an empty partition = %v, %v; want none, nil", got, err)
	}
}

func recordQueryLimitSkipsExpired(t *testing.T, newStore func(t *testing.T) store.RecordStore) {
	ctx := context.Background()
	s := newStore(t)
	past := time.Now().Add(-time.Hour)
	var ws []store.Write
	for i := range 10 {
		r := rec("P", fmt.Sprintf("k%02d", i), 1, `1`)
		if i%2 == 0 {
			r.ExpiresAt = past
		}
		ws = append(ws, store.Write{Record: r})
	}
	mustWrite(t, s, ws...)
	got, err := s.Query(ctx, "P", store.Query{Limit: 3})
	if err != nil {
		t.Fatalf("Query: %v", err)
	}
	if g := sks(got); !slices.Equal(g, []string{"k01", "k03", "k05"}) {
		t.Errorf("Query limit 3 over expired records = %q, want [k01 k03 k05]", g)
	}
}

func recordConcurrentCASExactlyOneWins(t *testing.T, newStore func(t *testing.T) store.RecordStore) {
	ctx := context.Background()
	s := newStore(t)
	mustWrite(t, s, put("CAS", "x", 1, `{"by":-1}`, store.Cond{}))
	const n = 12
	var wg, read sync.WaitGroup
	start := make(chan struct{})
	results := make(chan error, n)
	for i := range n {
		wg.Add(1)
		read.Add(1)
		go func() {
			defer wg.Done()
			r, err := s.Get(ctx, "CAS", "x")
			read.Done()
			if err != nil {
				results <- err
				return
			}
			<-start // everyone has read version 1 before anyone writes
			results <- s.Write(ctx, put("CAS", "x", r.Version+1, fmt.Sprintf(`{"by":%d}`, i), ver(r.Version)))
		}()
	}
	read.Wait()
	close(start)
	wg.Wait()
	close(results)
	wins := 0
	for err := range results {
		switch {
		case err == nil:
			wins++
		case errors.Is(err, store.ErrConflict):
		default:
			t.Errorf("CAS write: unexpected error %v", err)
		}
	}
	if wins != 1 {
		t.Fatalf("%d of %d writers won the same CAS, want exactly 1", wins, n)
	}
	if got := mustGet(t, s, "CAS", "x"); got.Version != 2 {
		t.Fatalf("version after the race = %d, want 2", got.Version)
	}
}

func recordConcurrentCASLosesNoUpdates(t *testing.T, newStore func(t *testing.T) store.RecordStore) {
	ctx := context.Background()
	s := newStore(t)
	const workers, each = 6, 8
	var wg sync.WaitGroup
	errs := make(chan error, workers)
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs <- increment(ctx, s, w, each)
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	counter := mustGet(t, s, "CTR", "counter")
	if counter.Version != workers*each {
		t.Fatalf("counter version = %d, want %d (lost updates)", counter.Version, workers*each)
	}
	logs, err := s.Query(ctx, "CTR", store.Query{Prefix: "log#"})
	if err != nil {
		t.Fatalf("Query log: %v", err)
	}
	if len(logs) != workers*each {
		t.Fatalf("log has %d entries, want %d", len(logs), workers*each)
	}
	perWorker := map[int]int{}
	for i, l := range logs {
		if want := fmt.Sprintf("log#%04d", i+1); l.SK != want {
			t.Fatalf("log entry %d is %s, want %s (gap or duplicate)", i, l.SK, want)
		}
		var e struct{ Worker int }
		if err := json.Unmarshal(l.Body, &e); err != nil {
			t.Fatalf("log body %s: %v", l.Body, err)
		}
		perWorker[e.Worker]++
	}
	for w := range workers {
		if perWorker[w] != each {
			t.Errorf("worker %d has %d log entries, want %d", w, perWorker[w], each)
		}
	}
}

// increment performs n compare-and-set increments of CTR/counter, each
// with a log entry written in the same batch, retrying on conflict.
func increment(ctx context.Context, s store.RecordStore, worker, n int) error {
	for done := 0; done < n; {
		var cond store.Cond
		cur, err := s.Get(ctx, "CTR", "counter")
		switch {
		case errors.Is(err, store.ErrNotFound):
			cond = store.Cond{Kind: store.CondAbsent}
		case err != nil:
			return fmt.Errorf("worker %d: Get: %w", worker, err)
		default:
			cond = ver(cur.Version)
		}
		next := cur.Version + 1
		err = s.Write(ctx,
			put("CTR", "counter", next, fmt.Sprintf(`{"n":%d}`, next), cond),
			put("CTR", fmt.Sprintf("log#%04d", next), 1, fmt.Sprintf(`{"Worker":%d}`, worker), store.Cond{Kind: store.CondAbsent}),
		)
		switch {
		case err == nil:
			done++
		case errors.Is(err, store.ErrConflict):
		default:
			return fmt.Errorf("worker %d: Write: %w", worker, err)
		}
	}
	return nil
}

func rec(pk, sk string, version int64, body string) store.Record {
	return store.Record{PK: pk, SK: sk, Body: json.RawMessage(body), Version: version}
}

func put(pk, sk string, version int64, body string, c store.Cond) store.Write {
	return store.Write{Record: rec(pk, sk, version, body), Cond: c}
}

func del(pk, sk string, c store.Cond) store.Write {
	return store.Write{Record: store.Record{PK: pk, SK: sk}, Delete: true, Cond: c}
}

func ver(v int64) store.Cond { return store.Cond{Kind: store.CondVersion, Version: v} }

func mustWrite(t *testing.T, s store.RecordStore, ws ...store.Write) {
	t.Helper()
	if err := s.Write(context.Background(), ws...); err != nil {
		t.Fatalf("Write: %v", err)
	}
}

func mustGet(t *testing.T, s store.RecordStore, pk, sk string) store.Record {
	t.Helper()
	r, err := s.Get(context.Background(), pk, sk)
	if err != nil {
		t.Fatalf("Get %s/%s: %v", pk, sk, err)
	}
	return r
}

func checkRecord(t *testing.T, got, want store.Record) {
	t.Helper()
	if got.PK != want.PK || got.SK != want.SK || got.Version != want.Version || !bytes.Equal(got.Body, want.Body) || !got.ExpiresAt.Equal(want.ExpiresAt) {
		t.Errorf("record = {%s %s %s v%d exp %v}, want {%s %s %s v%d exp %v}",
			got.PK, got.SK, got.Body, got.Version, got.ExpiresAt, want.PK, want.SK, want.Body, want.Version, want.ExpiresAt)
	}
}

func sks(rs []store.Record) []string {
	var out []string
	for _, r := range rs {
		out = append(out, r.SK)
	}
	return out
}

func reversed(s []string) []string {
	out := slices.Clone(s)
	slices.Reverse(out)
	return out
}
