package audit

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"time"
	"unicode/utf8"

	"github.com/google/uuid"

	"github.com/stewardml/steward/internal/store"
)

// Sentinel errors, checked with errors.Is.
var (
	// ErrInvalid reports an event or filter that cannot be stored or run.
	ErrInvalid = errors.New("audit: invalid")
)

// Log is the audit log as its consumers see it. Implementations are safe
// for concurrent use.
type Log interface {
	// Append stores e, filling ID and Time when empty, and returns the
	// stored event. It never overwrites an existing event.
	Append(ctx context.Context, e Event) (Event, error)
	// List returns the events matching f in time order (newest first when
	// f.Newest is set).
	List(ctx context.Context, f Filter) ([]Event, error)
}

// Subject says what an event is about; any field may be empty.
type Subject struct {
	Model     string `json:"model,omitempty"`
	Version   int    `json:"version,omitempty"`
	Execution string `json:"execution,omitempty"` // a retraining workflow execution
	Run       string `json:"run,omitempty"`       // a tracking run
}

// Event is one audit record.
type Event struct {
	ID     string    `json:"id"`
	Time   time.Time `json:"time"`
	Actor  string    `json:"actor"`  // a person ("alice@example.com") or component ("agent", "scheduler")
	Action string    `json:"action"` // e.g. "alias.move", "model.rollback", "retrain.start"
	Subject
	Reason string `json:"reason,omitempty"`
	// Evidence links what the decision was based on: artifact keys or URLs.
	Evidence []string `json:"evidence,omitempty"`
	// CorrelationID ties the events of one chain together (a drift alarm,
	// the agent's decision, the retraining, the approval, the promotion).
	CorrelationID string          `json:"correlationId,omitempty"`
	Details       json.RawMessage `json:"details,omitempty"`
}

// Filter selects events. The zero Filter lists every event, oldest first.
type Filter struct {
	Model    string    // "" for all models
	From, To time.Time // inclusive bounds; zero for open
	Limit    int       // 0 for no limit
	Newest   bool      // newest first
}

var _ Log = (*Store)(nil)

// Store is the Log on a RecordStore. It is safe for concurrent use.
type Store struct {
	records store.RecordStore
	// Now stamps events appended without a time; defaults to time.Now.
	Now func() time.Time
	// NewID makes event ids; defaults to UUIDv7.
	NewID func() (string, error)
}

// New returns a Store over rs.
func New(rs store.RecordStore) *Store {
	return &Store{records: rs, Now: time.Now, NewID: newUUIDv7}
}

func newUUIDv7() (string, error) {
	id, err := uuid.NewV7()
	if err != nil {
		return "", err
	}
	return id.String(), nil
}

const (
	globalPK   = "AUDIT#ALL"
	timeLayout = "2006-01-02T15:04:05.000000000Z"
)

func modelPK(model string) string { return "AUDIT#MODEL#" + model }

func timeKey(t time.Time) string { return t.UTC().Format(timeLayout) }

// Size caps of an event's fields: some carry text from outside (a link's
// approver, a comment), and the log is append-only, so no field may grow
// it without bound. A longer string is cut and ends in "…"; details
// longer than MaxDetailsBytes are replaced by a note of their size.
const (
	MaxFieldBytes   = 1 << 10 // actor, action, subject, correlation id, each piece of evidence
	MaxReasonBytes  = 4 << 10
	MaxEvidence     = 64
	MaxDetailsBytes = 64 << 10
)

// capped returns s cut to at most n bytes, on a rune boundary, ending in
// "…" when cut.
func capped(s string, n int) string {
	if len(s) <= n {
		return s
	}
	cut := n - len("…")
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + "…"
}

// capFields applies the size caps to e.
func capFields(e *Event) {
	for _, f := range []*string{&e.Actor, &e.Action, &e.Model, &e.Execution, &e.Run, &e.CorrelationID} {
		*f = capped(*f, MaxFieldBytes)
	}
	e.Reason = capped(e.Reason, MaxReasonBytes)
	if len(e.Evidence) > MaxEvidence {
		e.Evidence = append(e.Evidence[:MaxEvidence-1:MaxEvidence-1], fmt.Sprintf("… and %d more", len(e.Evidence)-MaxEvidence+1))
	}
	for i := range e.Evidence {
		e.Evidence[i] = capped(e.Evidence[i], MaxFieldBytes)
	}
	if len(e.Details) > MaxDetailsBytes {
		e.Details = json.RawMessage(fmt.Sprintf(`{"truncated":true,"bytes":%d}`, len(e.Details)))
	}
}

// Append stores e in its model's partition and the global one atomically,
// its fields cut to their size caps.
func (s *Store) Append(ctx context.Context, e Event) (Event, error) {
	e.Evidence = slices.Clone(e.Evidence)
	capFields(&e)
	switch {
	case e.Actor == "":
		return Event{}, fmt.Errorf("audit: append: %w: actor is empty", ErrInvalid)
	case e.Action == "":
		return Event{}, fmt.Errorf("audit: append: %w: action is empty", ErrInvalid)
	case len(e.Details) > 0 && !json.Valid(e.Details):
		return Event{}, fmt.Errorf("audit: append %s: %w: details are not valid JSON", e.Action, ErrInvalid)
	}
	if e.Time.IsZero() {
		now := time.Now
		if s.Now != nil {
			now = s.Now
		}
		e.Time = now()
	}
	e.Time = e.Time.UTC()
	if y := e.Time.Year(); y < 1 || y > 9999 {
		return Event{}, fmt.Errorf("audit: append %s: %w: time %v out of range", e.Action, ErrInvalid, e.Time)
	}
	if e.ID == "" {
		newID := newUUIDv7
		if s.NewID != nil {
			newID = s.NewID
		}
		id, err := newID()
		if err != nil {
			return Event{}, fmt.Errorf("audit: append %s: new id: %w", e.Action, err)
		}
		e.ID = id
	}
	body, err := json.Marshal(e)
	if err != nil {
		return Event{}, fmt.Errorf("audit: append %s: %w", e.Action, err)
	}
	sk := timeKey(e.Time) + "#" + e.ID
	absent := store.Cond{Kind: store.CondAbsent}
	writes := []store.Write{{Record: store.Record{PK: globalPK, SK: sk, Body: body, Version: 1}, Cond: absent}}
	if e.Model != "" {
		writes = append(writes, store.Write{Record: store.Record{PK: modelPK(e.Model), SK: sk, Body: body, Version: 1}, Cond: absent})
	}
	if err := s.records.Write(ctx, writes...); err != nil {
		if errors.Is(err, store.ErrInvalid) {
			err = errors.Join(ErrInvalid, err)
		}
		return Event{}, fmt.Errorf("audit: append %s %s: %w", e.Action, e.ID, err)
	}
	return e, nil
}

// List returns the events matching f, in time order.
func (s *Store) List(ctx context.Context, f Filter) ([]Event, error) {
	if f.Limit < 0 {
		return nil, fmt.Errorf("audit: list: %w: negative limit %d", ErrInvalid, f.Limit)
	}
	if !f.From.IsZero() && !f.To.IsZero() && f.From.After(f.To) {
		return nil, fmt.Errorf("audit: list: %w: from %v is after to %v", ErrInvalid, f.From, f.To)
	}
	pk := globalPK
	if f.Model != "" {
		pk = modelPK(f.Model)
	}
	q := store.Query{Limit: f.Limit, Descending: f.Newest}
	if !f.From.IsZero() {
		q.From = timeKey(f.From)
	}
	if !f.To.IsZero() {
		q.To = timeKey(f.To) + "#~" // after every id at that instant
	}
	recs, err := s.records.Query(ctx, pk, q)
	if err != nil {
		return nil, fmt.Errorf("audit: list %s: %w", pk, err)
	}
	out := make([]Event, 0, len(recs))
	for _, r := range recs {
		var e Event
		if err := json.Unmarshal(r.Body, &e); err != nil {
			return nil, fmt.Errorf("audit: list: decode %s/%s: %w", r.PK, r.SK, err)
		}
		out = append(out, e)
	}
	return out, nil
}
