package asl

import (
	"context"
	"encoding/json"
	"slices"
	"strings"
	"sync"
	"time"
)

// Status is an execution's status, named as Step Functions names it.
type Status string

// Execution statuses.
const (
	StatusRunning   Status = "RUNNING"
	StatusSucceeded Status = "SUCCEEDED"
	StatusFailed    Status = "FAILED"
	StatusTimedOut  Status = "TIMED_OUT"
	StatusAborted   Status = "ABORTED"
)

// ExecutionRecord is what a Store keeps for one execution. Data is the
// interpreter's state, opaque to the store; the other fields let the store
// list and filter without decoding it.
type ExecutionRecord struct {
	ID           string          `json:"id"`
	Version      int64           `json:"version"` // 1 when created, one more at every save
	StateMachine string          `json:"stateMachine"`
	Name         string          `json:"name"`
	Status       Status          `json:"status"`
	StartTime    time.Time       `json:"startTime"`
	StopTime     time.Time       `json:"stopTime,omitzero"`
	WakeAt       time.Time       `json:"wakeAt,omitzero"` // earliest timer (Wait, retry, timeout, lease); zero if none
	Data         json.RawMessage `json:"data"`
}

// ListFilter selects executions for Store.ListExecutions. Zero fields match all.
type ListFilter struct {
	Status       Status
	StateMachine string
}

func (f ListFilter) match(r ExecutionRecord) bool {
	return (f.Status == "" || r.Status == f.Status) && (f.StateMachine == "" || r.StateMachine == f.StateMachine)
}

// Store persists executions and their event histories.
//
// SaveExecution is the only write and it is atomic: the record and its new
// events are stored together or not at all. rec.Version must be exactly one
// more than the stored version; a new execution has Version 1. Otherwise
// nothing is written and the error wraps ErrVersionConflict (or
// ErrExecutionExists for Version 1 when the ID is taken). Events carry
// consecutive IDs starting at 1 and are appended in order.
//
// LoadExecution returns ErrExecutionNotFound for an unknown ID.
// ListExecutions returns matching records ordered by StartTime, then ID.
// LoadEvents returns the events with ID > after, in order.
//
// Implementations are safe for concurrent use by multiple goroutines and,
// where they share storage, by multiple processes.
type Store interface {
	SaveExecution(ctx context.Context, rec ExecutionRecord, events []Event) error
	LoadExecution(ctx context.Context, id string) (ExecutionRecord, error)
	ListExecutions(ctx context.Context, filter ListFilter) ([]ExecutionRecord, error)
	LoadEvents(ctx context.Context, id string, after int64) ([]Event, error)
}

// MemStore is an in-memory Store for tests and for single-process use.
type MemStore struct {
	mu     sync.Mutex
	recs   map[string]ExecutionRecord
	events map[string][]Event
}

var _ Store = (*MemStore)(nil)

// NewMemStore returns an empty MemStore.
func NewMemStore() *MemStore {
	return &MemStore{recs: map[string]ExecutionRecord{}, events: map[string][]Event{}}
}

// SaveExecution implements Store.
func (m *MemStore) SaveExecution(ctx context.Context, rec ExecutionRecord, events []Event) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	old, exists := m.recs[rec.ID]
	switch {
	case rec.Version == 1 && exists:
		return ErrExecutionExists
	case rec.Version != 1 && (!exists || old.Version != rec.Version-1):
		return ErrVersionConflict
	}
	rec.Data = append(json.RawMessage(nil), rec.Data...)
	m.recs[rec.ID] = rec
	for _, e := range events {
		m.events[rec.ID] = append(m.events[rec.ID], e.clone())
	}
	return nil
}

// LoadExecution implements Store.
func (m *MemStore) LoadExecution(ctx context.Context, id string) (ExecutionRecord, error) {
	if err := ctx.Err(); err != nil {
		return ExecutionRecord{}, err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	rec, ok := m.recs[id]
	if !ok {
		return ExecutionRecord{}, ErrExecutionNotFound
	}
	rec.Data = append(json.RawMessage(nil), rec.Data...)
	return rec, nil
}

// ListExecutions implements Store.
func (m *MemStore) ListExecutions(ctx context.Context, filter ListFilter) ([]ExecutionRecord, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	var out []ExecutionRecord
	for _, r := range m.recs {
		if filter.match(r) {
			r.Data = append(json.RawMessage(nil), r.Data...)
			out = append(out, r)
		}
	}
	sortRecords(out)
	return out, nil
}

// LoadEvents implements Store.
func (m *MemStore) LoadEvents(ctx context.Context, id string, after int64) ([]Event, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if _, ok := m.recs[id]; !ok {
		return nil, ErrExecutionNotFound
	}
	var out []Event
	for _, e := range m.events[id] {
		if e.ID > after {
			out = append(out, e.clone())
		}
	}
	return out, nil
}

func sortRecords(recs []ExecutionRecord) {
	slices.SortFunc(recs, func(a, b ExecutionRecord) int {
		if c := a.StartTime.Compare(b.StartTime); c != 0 {
			return c
		}
		return strings.Compare(a.ID, b.ID)
	})
}
