// Package bus carries platform events between Steward's parts: the drift
// check publishes DriftChecked, the agent subscribes. On AWS the Publisher
// is EventBridge and subscriptions are EventBridge rules; locally an
// in-process Bus delivers to subscribed handlers.
package bus

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"time"
)

// Source is the EventBridge source of every Steward event.
const Source = "steward"

// Detail types of Steward events.
const (
	DriftChecked       = "DriftChecked"
	ValidationFailed   = "ValidationFailed"
	PerformanceChecked = "PerformanceChecked"
	// RetrainScheduled is training.schedule firing: an EventBridge
	// schedule on AWS, the local scheduler of `steward serve`.
	RetrainScheduled = "RetrainScheduled"
	AlarmStateChange = "CloudWatch Alarm State Change"
)

// Event is one platform event, shaped like an EventBridge event.
type Event struct {
	ID         string          `json:"id,omitempty"`
	Source     string          `json:"source"`
	DetailType string          `json:"detail-type"`
	Time       time.Time       `json:"time"`
	Resources  []string        `json:"resources,omitempty"`
	Detail     json.RawMessage `json:"detail"`
}

// Publisher sends events. Publish returns an error when the event was not
// accepted; it is safe for concurrent use.
type Publisher interface {
	Publish(ctx context.Context, e Event) error
}

// Handler consumes one event.
type Handler func(ctx context.Context, e Event) error

// Local is the in-process bus: Publish calls every handler subscribed to the
// event's detail type, in order, and joins their errors.
type Local struct {
	mu   sync.RWMutex
	subs map[string][]Handler
}

var _ Publisher = (*Local)(nil)

// Subscribe adds h for events of detailType ("*" for all).
func (l *Local) Subscribe(detailType string, h Handler) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.subs == nil {
		l.subs = map[string][]Handler{}
	}
	l.subs[detailType] = append(l.subs[detailType], h)
}

// Publish delivers e synchronously.
func (l *Local) Publish(ctx context.Context, e Event) error {
	if e.Source == "" || e.DetailType == "" || !json.Valid(e.Detail) {
		return fmt.Errorf("bus: event needs a source, a detail type and JSON detail")
	}
	l.mu.RLock()
	hs := append(append([]Handler(nil), l.subs[e.DetailType]...), l.subs["*"]...)
	l.mu.RUnlock()
	var errs []error
	for _, h := range hs {
		if err := h(ctx, e); err != nil {
			errs = append(errs, fmt.Errorf("bus: %s handler: %w", e.DetailType, err))
		}
	}
	return errors.Join(errs...)
}

// New returns an event with detail marshalled from v.
func New(detailType string, at time.Time, v any) (Event, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return Event{}, fmt.Errorf("bus: %w", err)
	}
	return Event{Source: Source, DetailType: detailType, Time: at.UTC(), Detail: b}, nil
}
