package tracking

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"math"
	"slices"
	"time"

	"github.com/google/uuid"

	"github.com/stewardml/steward/internal/store"
)

// Sentinel errors, checked with errors.Is.
var (
	// ErrNotFound reports an unknown run.
	ErrNotFound = errors.New("tracking: run not found")
	// ErrFinished reports an update to a run that has already ended.
	ErrFinished = errors.New("tracking: run already finished")
	// ErrInvalid reports bad input.
	ErrInvalid = errors.New("tracking: invalid")
)

// Status is a run's state.
type Status string

// Run states.
const (
	StatusRunning   Status = "running"
	StatusSucceeded Status = "succeeded"
	StatusFailed    Status = "failed"
)

// Run is one training run.
type Run struct {
	ID            string             `json:"id"`
	Model         string             `json:"model"`
	Params        map[string]any     `json:"params,omitempty"`
	Metrics       map[string]float64 `json:"metrics,omitempty"`
	Artifacts     []string           `json:"artifacts,omitempty"` // artifact store keys
	DatasetDigest string             `json:"datasetDigest,omitempty"`
	CodeVersion   string             `json:"codeVersion,omitempty"`
	StartedAt     time.Time          `json:"startedAt"`
	EndedAt       time.Time          `json:"endedAt,omitzero"`
	// Duration is EndedAt - StartedAt, zero while running.
	Duration time.Duration `json:"durationNs,omitempty"`
	Status   Status        `json:"status"`
	Error    string        `json:"error,omitempty"`
}

// Start describes a run about to begin.
type Start struct {
	Model         string
	Params        map[string]any
	DatasetDigest string
	CodeVersion   string
}

// Update adds results to a running run: metrics are merged (a name given
// again is replaced), artifacts appended unless already listed.
type Update struct {
	Metrics   map[string]float64
	Artifacts []string
}

// Tracker stores runs in a RecordStore. It is safe for concurrent use.
type Tracker struct {
	records store.RecordStore
	// Now stamps start and end times; defaults to time.Now.
	Now func() time.Time
	// NewID makes run ids; defaults to UUIDv7.
	NewID func() (string, error)
}

// New returns a Tracker over rs.
func New(rs store.RecordStore) *Tracker {
	return &Tracker{records: rs, Now: time.Now, NewID: newUUIDv7}
}

func newUUIDv7() (string, error) {
	id, err := uuid.NewV7()
	if err != nil {
		return "", err
	}
	return id.String(), nil
}

func (t *Tracker) now() time.Time {
	if t.Now == nil {
		return time.Now().UTC()
	}
	return t.Now().UTC()
}

func runPK(id string) string      { return "RUN#" + id }
func modelPK(model string) string { return "RUNS#" + model }

const runSK = "RUN"

// Start records a new running run and returns it.
func (t *Tracker) Start(ctx context.Context, s Start) (Run, error) {
	if s.Model == "" {
		return Run{}, fmt.Errorf("tracking: start: %w: model is empty", ErrInvalid)
	}
	newID := t.NewID
	if newID == nil {
		newID = newUUIDv7
	}
	id, err := newID()
	if err != nil {
		return Run{}, fmt.Errorf("tracking: start %s: new id: %w", s.Model, err)
	}
	r := Run{
		ID: id, Model: s.Model, Params: s.Params, DatasetDigest: s.DatasetDigest,
		CodeVersion: s.CodeVersion, StartedAt: t.now(), Status: StatusRunning,
	}
	if err := t.put(ctx, r, 1, store.Cond{Kind: store.CondAbsent}); err != nil {
		return Run{}, fmt.Errorf("tracking: start %s: %w", s.Model, err)
	}
	return r, nil
}

func (t *Tracker) put(ctx context.Context, r Run, version int64, cond store.Cond) error {
	body, err := json.Marshal(r)
	if err != nil {
		return err
	}
	listCond := cond
	if cond.Kind == store.CondVersion {
		listCond = store.Cond{Kind: store.CondExists}
	}
	err = t.records.Write(ctx,
		store.Write{Record: store.Record{PK: runPK(r.ID), SK: runSK, Body: body, Version: version}, Cond: cond},
		store.Write{Record: store.Record{PK: modelPK(r.Model), SK: r.ID, Body: body, Version: version}, Cond: listCond},
	)
	if errors.Is(err, store.ErrInvalid) {
		return errors.Join(ErrInvalid, err)
	}
	return err
}

// Get returns a run by id.
func (t *Tracker) Get(ctx context.Context, id string) (Run, error) {
	r, _, err := t.get(ctx, id)
	return r, err
}

func (t *Tracker) get(ctx context.Context, id string) (Run, int64, error) {
	if id == "" {
		return Run{}, 0, fmt.Errorf("tracking: get: %w: id is empty", ErrInvalid)
	}
	rec, err := t.records.Get(ctx, runPK(id), runSK)
	if errors.Is(err, store.ErrNotFound) {
		return Run{}, 0, fmt.Errorf("tracking: run %s: %w", id, ErrNotFound)
	}
	if errors.Is(err, store.ErrInvalid) {
		return Run{}, 0, fmt.Errorf("tracking: run %q: %w", id, errors.Join(ErrInvalid, err))
	}
	if err != nil {
		return Run{}, 0, fmt.Errorf("tracking: run %s: %w", id, err)
	}
	var r Run
	if err := json.Unmarshal(rec.Body, &r); err != nil {
		return Run{}, 0, fmt.Errorf("tracking: run %s: decode: %w", id, err)
	}
	return r, rec.Version, nil
}

// maxAttempts bounds retries of updates that race each other.
const maxAttempts = 20

// modify applies change to a running run by compare-and-set, retrying when
// another update got there first.
func (t *Tracker) modify(ctx context.Context, id string, change func(*Run) error) (Run, error) {
	for attempt := 0; ; attempt++ {
		r, version, err := t.get(ctx, id)
		if err != nil {
			return Run{}, err
		}
		if r.Status != StatusRunning {
			return Run{}, fmt.Errorf("tracking: run %s is %s: %w", id, r.Status, ErrFinished)
		}
		if err := change(&r); err != nil {
			return Run{}, err
		}
		err = t.put(ctx, r, version+1, store.Cond{Kind: store.CondVersion, Version: version})
		if err == nil {
			return r, nil
		}
		if !errors.Is(err, store.ErrConflict) || attempt == maxAttempts {
			return Run{}, fmt.Errorf("tracking: update run %s: %w", id, err)
		}
	}
}

func checkMetrics(m map[string]float64) error {
	for _, k := range slices.Sorted(maps.Keys(m)) {
		if k == "" {
			return fmt.Errorf("%w: metric with an empty name", ErrInvalid)
		}
		if v := m[k]; math.IsNaN(v) || math.IsInf(v, 0) {
			return fmt.Errorf("%w: metric %q is %v, want a finite number", ErrInvalid, k, v)
		}
	}
	return nil
}

// Record merges metrics and artifacts into a running run.
func (t *Tracker) Record(ctx context.Context, id string, u Update) (Run, error) {
	if err := checkMetrics(u.Metrics); err != nil {
		return Run{}, fmt.Errorf("tracking: record run %s: %w", id, err)
	}
	return t.modify(ctx, id, func(r *Run) error {
		merge(r, u)
		return nil
	})
}

func merge(r *Run, u Update) {
	if len(u.Metrics) > 0 && r.Metrics == nil {
		r.Metrics = map[string]float64{}
	}
	maps.Copy(r.Metrics, u.Metrics)
	for _, a := range u.Artifacts {
		if !slices.Contains(r.Artifacts, a) {
			r.Artifacts = append(r.Artifacts, a)
		}
	}
}

// Finish ends a running run: succeeded when runErr is nil, failed with its
// message otherwise, merging the final results and recording the duration.
func (t *Tracker) Finish(ctx context.Context, id string, u Update, runErr error) (Run, error) {
	if err := checkMetrics(u.Metrics); err != nil {
		return Run{}, fmt.Errorf("tracking: finish run %s: %w", id, err)
	}
	return t.modify(ctx, id, func(r *Run) error {
		merge(r, u)
		r.EndedAt = t.now()
		r.Duration = r.EndedAt.Sub(r.StartedAt)
		r.Status = StatusSucceeded
		if runErr != nil {
			r.Status, r.Error = StatusFailed, runErr.Error()
		}
		return nil
	})
}

// List returns a model's runs, newest first, at most limit (0 for all).
func (t *Tracker) List(ctx context.Context, model string, limit int) ([]Run, error) {
	if model == "" {
		return nil, fmt.Errorf("tracking: list: %w: model is empty", ErrInvalid)
	}
	recs, err := t.records.Query(ctx, modelPK(model), store.Query{Descending: true, Limit: limit})
	if err != nil {
		return nil, fmt.Errorf("tracking: list %s: %w", model, err)
	}
	out := make([]Run, 0, len(recs))
	for _, rec := range recs {
		var r Run
		if err := json.Unmarshal(rec.Body, &r); err != nil {
			return nil, fmt.Errorf("tracking: list %s: decode %s: %w", model, rec.SK, err)
		}
		out = append(out, r)
	}
	return out, nil
}
