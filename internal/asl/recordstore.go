package asl

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/stewardml/steward/internal/store"
)

// Record store layout: every execution is one record in a shared partition
// (so listing is one Query), and each save's events are one record in the
// execution's own events partition, keyed by the first event's ID, so that
// a save is a single atomic two-item write.
const (
	execPartition   = "ASL#EXECUTIONS"
	eventsPartition = "ASL#EVENTS#"
)

// RecordStoreBackend is a Store on top of Steward's record store (SQLite
// locally, DynamoDB on AWS).
type RecordStoreBackend struct {
	rs store.RecordStore
}

var _ Store = (*RecordStoreBackend)(nil)

// NewRecordStoreBackend returns a Store that keeps executions in rs.
func NewRecordStoreBackend(rs store.RecordStore) *RecordStoreBackend {
	return &RecordStoreBackend{rs: rs}
}

// SaveExecution implements Store.
func (b *RecordStoreBackend) SaveExecution(ctx context.Context, rec ExecutionRecord, events []Event) error {
	body, err := json.Marshal(rec)
	if err != nil {
		return fmt.Errorf("asl: encode execution %s: %w", rec.ID, err)
	}
	cond := store.Cond{Kind: store.CondVersion, Version: rec.Version - 1}
	if rec.Version == 1 {
		cond = store.Cond{Kind: store.CondAbsent}
	}
	if len(body) > store.MaxBodyLen {
		return fmt.Errorf("asl: save execution %s: its state is %d bytes, more than the record store's %d (payloads that large belong in the artifact store)", rec.ID, len(body), store.MaxBodyLen)
	}
	writes := []store.Write{{Record: store.Record{PK: execPartition, SK: rec.ID, Body: body, Version: rec.Version}, Cond: cond}}
	chunks, err := chunkEvents(events, store.MaxBodyLen)
	if err != nil {
		return fmt.Errorf("asl: save events of %s: %w", rec.ID, err)
	}
	if len(chunks)+1 > store.MaxBatch {
		return fmt.Errorf("asl: save execution %s: %d event chunks do not fit one atomic batch", rec.ID, len(chunks))
	}
	for _, c := range chunks {
		writes = append(writes, store.Write{
			Record: store.Record{PK: eventsPartition + rec.ID, SK: fmt.Sprintf("%012d", c.first), Body: c.body, Version: 1},
			Cond:   store.Cond{Kind: store.CondAbsent},
		})
	}
	err = b.rs.Write(ctx, writes...)
	switch {
	case errors.Is(err, store.ErrConflict) && rec.Version == 1:
		return fmt.Errorf("%w: %s", ErrExecutionExists, rec.ID)
	case errors.Is(err, store.ErrConflict):
		return fmt.Errorf("%w: %s version %d", ErrVersionConflict, rec.ID, rec.Version)
	case err != nil:
		return fmt.Errorf("asl: save execution %s: %w", rec.ID, err)
	}
	return nil
}

type eventChunk struct {
	first int64
	body  json.RawMessage
}

// chunkEvents encodes events as JSON arrays of at most limit bytes each.
func chunkEvents(events []Event, limit int) ([]eventChunk, error) {
	var chunks []eventChunk
	var cur []json.RawMessage
	size, first := 2, int64(0)
	flush := func() {
		if len(cur) > 0 {
			body := append([]byte("["), bytesJoin(cur)...)
			chunks = append(chunks, eventChunk{first: first, body: append(body, ']')})
		}
		cur, size = nil, 2
	}
	for _, e := range events {
		b, err := json.Marshal(e)
		if err != nil {
			return nil, err
		}
		if len(b)+2 > limit {
			return nil, fmt.Errorf("event %d (%s) is %d bytes, more than %d", e.ID, e.Type, len(b), limit)
		}
		if size+len(b)+1 > limit {
			flush()
		}
		if len(cur) == 0 {
			first = e.ID
		}
		cur = append(cur, b)
		size += len(b) + 1
	}
	flush()
	return chunks, nil
}

func bytesJoin(parts []json.RawMessage) []byte {
	var out []byte
	for i, p := range parts {
		if i > 0 {
			out = append(out, ',')
		}
		out = append(out, p...)
	}
	return out
}

// LoadExecution implements Store.
func (b *RecordStoreBackend) LoadExecution(ctx context.Context, id string) (ExecutionRecord, error) {
	r, err := b.rs.Get(ctx, execPartition, id)
	if errors.Is(err, store.ErrNotFound) {
		return ExecutionRecord{}, fmt.Errorf("%w: %s", ErrExecutionNotFound, id)
	}
	if err != nil {
		return ExecutionRecord{}, fmt.Errorf("asl: load execution %s: %w", id, err)
	}
	return decodeRecord(r)
}

func decodeRecord(r store.Record) (ExecutionRecord, error) {
	var rec ExecutionRecord
	if err := json.Unmarshal(r.Body, &rec); err != nil {
		return ExecutionRecord{}, fmt.Errorf("asl: decode execution %s: %w", r.SK, err)
	}
	rec.Version = r.Version
	return rec, nil
}

// ListExecutions implements Store.
func (b *RecordStoreBackend) ListExecutions(ctx context.Context, filter ListFilter) ([]ExecutionRecord, error) {
	recs, err := b.rs.Query(ctx, execPartition, store.Query{})
	if err != nil {
		return nil, fmt.Errorf("asl: list executions: %w", err)
	}
	var out []ExecutionRecord
	for _, r := range recs {
		rec, err := decodeRecord(r)
		if err != nil {
			return nil, err
		}
		if filter.match(rec) {
			out = append(out, rec)
		}
	}
	sortRecords(out)
	return out, nil
}

// LoadEvents implements Store.
func (b *RecordStoreBackend) LoadEvents(ctx context.Context, id string, after int64) ([]Event, error) {
	if _, err := b.LoadExecution(ctx, id); err != nil {
		return nil, err
	}
	chunks, err := b.rs.Query(ctx, eventsPartition+id, store.Query{})
	if err != nil {
		return nil, fmt.Errorf("asl: load events of %s: %w", id, err)
	}
	var out []Event
	for _, c := range chunks {
		if !strings.HasPrefix(c.PK, eventsPartition) {
			continue
		}
		var events []Event
		if err := json.Unmarshal(c.Body, &events); err != nil {
			return nil, fmt.Errorf("asl: decode events of %s: %w", id, err)
		}
		for _, e := range events {
			if e.ID > after {
				out = append(out, e)
			}
		}
	}
	return out, nil
}
