package driftfn

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/stewardml/steward/internal/drift"
	"github.com/stewardml/steward/internal/lambdaerr"
	"github.com/stewardml/steward/internal/monitor"
)

// ErrInvalidEvent reports an event the handler does not take.
var ErrInvalidEvent = errors.New("driftfn: invalid event")

// Rules map the handler's errors to stable names.
var Rules = []lambdaerr.Rule{
	{Name: lambdaerr.InvalidInput, Match: lambdaerr.Is(ErrInvalidEvent)},
	{Name: lambdaerr.InvalidInput, Match: lambdaerr.Is(monitor.ErrInvalid)},
	{Name: lambdaerr.InvalidInput, Match: lambdaerr.Is(drift.ErrSchema)},
	{Name: lambdaerr.ModelNotFound, Match: lambdaerr.Is(monitor.ErrNoModel)},
	{Name: lambdaerr.ModelNotFound, Match: lambdaerr.Is(monitor.ErrNoProfile)},
}

// Event is an EventBridge scheduled event.
type Event struct {
	Version    string          `json:"version"`
	ID         string          `json:"id"`
	DetailType string          `json:"detail-type"`
	Source     string          `json:"source"`
	Account    string          `json:"account"`
	Time       time.Time       `json:"time"`
	Region     string          `json:"region"`
	Resources  []string        `json:"resources"`
	Detail     json.RawMessage `json:"detail"`
}

// Detail is what a rule's constant input may set.
type Detail struct {
	// Window overrides the project's drift.window ("24h", "7d").
	Window string `json:"window,omitempty"`
	// Version checks that version instead of champion.
	Version int `json:"version,omitempty"`
}

// Handler runs the scheduled check.
type Handler struct {
	Service *monitor.Service
	// Model is the deployment's model.
	Model string
	// ParseWindow reads detail.window ("7d" included); nil means
	// time.ParseDuration.
	ParseWindow func(string) (time.Duration, error)
}

// Invoke implements lambda.Handler: the JSON event in, the check's Summary
// out.
func (h *Handler) Invoke(ctx context.Context, payload []byte) ([]byte, error) {
	return lambdaerr.Handler("driftfn", h.handle, Rules...)(ctx, payload)
}

func (h *Handler) handle(ctx context.Context, payload []byte) (*monitor.Summary, error) {
	ev, err := Parse(payload)
	if err != nil {
		return nil, err
	}
	var d Detail
	if len(bytes.TrimSpace(ev.Detail)) > 0 && !bytes.Equal(bytes.TrimSpace(ev.Detail), []byte("null")) {
		dec := json.NewDecoder(bytes.NewReader(ev.Detail))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&d); err != nil {
			return nil, fmt.Errorf("%w: detail: %v (it may set window and version)", ErrInvalidEvent, strings.TrimPrefix(err.Error(), "json: "))
		}
	}
	req := monitor.Request{Model: h.Model, End: ev.Time, Version: d.Version, Trigger: "schedule"}
	if d.Version < 0 {
		return nil, fmt.Errorf("%w: detail.version %d", ErrInvalidEvent, d.Version)
	}
	if d.Window != "" {
		parse := h.ParseWindow
		if parse == nil {
			parse = time.ParseDuration
		}
		w, err := parse(d.Window)
		if err != nil || w <= 0 {
			return nil, fmt.Errorf("%w: detail.window %q: expected a positive duration such as 24h", ErrInvalidEvent, d.Window)
		}
		req.Window = w
	}
	res, err := h.Service.Check(ctx, req)
	if err != nil {
		if res != nil {
			// Stored, but DriftChecked was not sent: retrying would
			// check again, which is what the schedule does anyway.
			return &res.Summary, err
		}
		return nil, err
	}
	return &res.Summary, nil
}

// Parse reads a scheduled event, refusing other events with what was
// expected.
func Parse(payload []byte) (Event, error) {
	var ev Event
	dec := json.NewDecoder(bytes.NewReader(payload))
	if err := dec.Decode(&ev); err != nil {
		return Event{}, fmt.Errorf("%w: %v", ErrInvalidEvent, strings.TrimPrefix(err.Error(), "json: "))
	}
	switch {
	case ev.Source != "aws.events" || ev.DetailType != "Scheduled Event":
		return Event{}, fmt.Errorf("%w: source %q, detail-type %q: expected an EventBridge schedule (aws.events, Scheduled Event)", ErrInvalidEvent, ev.Source, ev.DetailType)
	case ev.Time.IsZero():
		return Event{}, fmt.Errorf("%w: the scheduled event has no time", ErrInvalidEvent)
	}
	return ev, nil
}
