package reportfn

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"

	"github.com/stewardml/steward/internal/lambdaerr"
	"github.com/stewardml/steward/internal/report"
)

// Event asks for one report.
type Event struct {
	Kind    string   `json:"kind"`
	ID      string   `json:"id"`
	Formats []string `json:"formats,omitempty"`
}

// Output is the function's result.
type Output struct {
	Kind    report.Kind        `json:"kind"`
	ID      string             `json:"id"`
	Reports []report.Published `json:"reports"`
}

// ErrInvalidEvent reports an event that cannot be decoded or names no
// report.
var ErrInvalidEvent = errors.New("reportfn: invalid event")

// Rules name the handler's errors.
var Rules = []lambdaerr.Rule{
	{Name: lambdaerr.InvalidInput, Match: lambdaerr.Is(ErrInvalidEvent)},
	{Name: lambdaerr.InvalidInput, Match: lambdaerr.Is(report.ErrInvalid)},
	{Name: lambdaerr.InvalidInput, Match: lambdaerr.Is(report.ErrNotFound)},
}

// Publisher renders and stores reports; *report.Service implements it.
type Publisher interface {
	Publish(ctx context.Context, ref report.Ref, formats ...report.Format) ([]report.Published, error)
}

// Handler renders the reports events ask for.
type Handler struct {
	Reports Publisher
}

// Decode reads an event strictly: unknown fields, trailing data, a bad
// kind, id or format are errors wrapping ErrInvalidEvent that name the
// field.
func Decode(payload []byte) (report.Ref, []report.Format, error) {
	var ev Event
	dec := json.NewDecoder(bytes.NewReader(payload))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&ev); err != nil {
		return report.Ref{}, nil, fmt.Errorf("%w: %v", ErrInvalidEvent, err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return report.Ref{}, nil, fmt.Errorf("%w: data after the event object", ErrInvalidEvent)
	}
	kind, err := report.ParseKind(ev.Kind)
	if err != nil {
		return report.Ref{}, nil, fmt.Errorf("%w: field \"kind\": %v", ErrInvalidEvent, err)
	}
	ref, err := report.ParseRef(kind, ev.ID)
	if err != nil {
		return report.Ref{}, nil, fmt.Errorf("%w: field \"id\": %v", ErrInvalidEvent, err)
	}
	if len(ev.Formats) > 2 {
		return report.Ref{}, nil, fmt.Errorf("%w: field \"formats\": at most html and pdf", ErrInvalidEvent)
	}
	formats := []report.Format{report.HTML, report.PDF}
	if ev.Formats != nil {
		formats = formats[:0]
		seen := map[report.Format]bool{}
		for i, s := range ev.Formats {
			f, err := report.ParseFormat(s)
			if err != nil {
				return report.Ref{}, nil, fmt.Errorf("%w: field \"formats[%d]\": %v", ErrInvalidEvent, i, err)
			}
			if seen[f] {
				return report.Ref{}, nil, fmt.Errorf("%w: field \"formats[%d]\": %q given twice", ErrInvalidEvent, i, s)
			}
			seen[f] = true
			formats = append(formats, f)
		}
		if len(formats) == 0 {
			return report.Ref{}, nil, fmt.Errorf("%w: field \"formats\": empty; omit it for both", ErrInvalidEvent)
		}
	}
	return ref, formats, nil
}

// Handle renders and stores the report the event names.
func (h *Handler) Handle(ctx context.Context, payload []byte) (Output, error) {
	ref, formats, err := Decode(payload)
	if err != nil {
		return Output{}, err
	}
	pubs, err := h.Reports.Publish(ctx, ref, formats...)
	if err != nil {
		return Output{}, err
	}
	return Output{Kind: ref.Kind, ID: ref.String(), Reports: pubs}, nil
}

// Invoke implements lambda.Handler: the JSON path of the function, with
// errors under their stable names.
func (h *Handler) Invoke(ctx context.Context, payload []byte) ([]byte, error) {
	return lambdaerr.Handler("reportfn", h.Handle, Rules...)(ctx, payload)
}
