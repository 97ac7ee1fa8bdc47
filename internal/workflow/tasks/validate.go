package tasks

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/stewardml/steward/internal/bus"
	"github.com/stewardml/steward/internal/dataset"
	"github.com/stewardml/steward/internal/lambdaerr"
	"github.com/stewardml/steward/internal/store"
	"github.com/stewardml/steward/internal/validation"
)

// ErrValidationFailed reports data that failed its suite
// (DataValidationFailed).
var ErrValidationFailed = errors.New("tasks: validate: data failed validation")

// ValidateRules map the handler's errors to stable names: InvalidInput for a bad
// event or suite, DataValidationFailed for data that is unreadable or fails
// the suite; anything else is InternalError (and retried).
var ValidateRules = []lambdaerr.Rule{
	{Name: lambdaerr.InvalidInput, Match: lambdaerr.Is(ErrInvalidEvent)},
	{Name: lambdaerr.InvalidInput, Match: lambdaerr.Is(validation.ErrSuite)},
	{Name: lambdaerr.DataValidationFailed, Match: lambdaerr.Is(ErrValidationFailed)},
	{Name: lambdaerr.DataValidationFailed, Match: lambdaerr.Is(dataset.ErrMalformed)},
	{Name: lambdaerr.DataValidationFailed, Match: lambdaerr.Is(dataset.ErrEmpty)},
	{Name: lambdaerr.DataValidationFailed, Match: lambdaerr.Is(dataset.ErrDigest)},
}

// ValidateEvent is the handler's input.
type ValidateEvent struct {
	// Dataset locates the data: by digest (checked against the bytes), or
	// by artifact-store key, optionally with the bucket it is in.
	Dataset Location `json:"dataset"`
	// Suite is an expectation suite inline, in Great Expectations JSON.
	Suite json.RawMessage `json:"suite,omitempty"`
	// SuiteKey names a suite in the artifact store. With neither Suite nor
	// SuiteKey the project's suite is used.
	SuiteKey string `json:"suiteKey,omitempty"`
	// ResultFormat overrides the project's: BOOLEAN_ONLY, BASIC, SUMMARY or
	// COMPLETE.
	ResultFormat string `json:"resultFormat,omitempty"`
	// FailOnInvalid, true by default, makes data that fails the suite a
	// DataValidationFailed error; false returns the failed result instead.
	FailOnInvalid *bool `json:"failOnInvalid,omitempty"`
	// ExecutionID is the workflow execution, written as the run name.
	ExecutionID string `json:"executionId,omitempty"`
}

// Location names a dataset.
type Location struct {
	Bucket string `json:"bucket,omitempty"`
	Key    string `json:"key,omitempty"`
	Digest string `json:"digest,omitempty"`
}

// ValidateOutput is the handler's result.
type ValidateOutput struct {
	Success bool `json:"success"`
	// Dataset is the data validated: digest, key and size.
	Dataset dataset.Ref `json:"dataset"`
	Rows    int         `json:"rows"`
	// Summary counts the expectations and lists the failed ones.
	Summary validation.Summary `json:"summary"`
	// ResultKey is where the full result is stored.
	ResultKey string `json:"resultKey"`
	// Result is the Great Expectations ExpectationSuiteValidationResult.
	Result *validation.SuiteResult `json:"result"`
}

// Validate validates datasets held in an artifact store.
type Validate struct {
	// Artifacts holds the datasets and suites, and receives the results.
	Artifacts store.ArtifactStore
	// Bucket is the artifact store's bucket, if it has one: an event
	// naming another bucket is refused rather than read from the wrong one.
	Bucket string
	// Schema gives the data's columns; nil means the data has a header.
	Schema *dataset.Schema
	// Suite is the default suite (the project's), used when the event
	// names none; nil makes a suite required.
	Suite *validation.Suite
	// ResultFormat is the default result format; "" means SUMMARY.
	ResultFormat string
	// Now is the clock; nil means time.Now.
	Now func() time.Time
	// Events, when set, receives a ValidationFailed event for every failed
	// validation, so the agent hears about bad incoming data; Model names
	// the model in it.
	Events bus.Publisher
	Model  string
}

// Handle validates the dataset the event names. Errors are named for Step
// Functions (see ValidateRules).
func (h *Validate) Handle(ctx context.Context, raw json.RawMessage) (*ValidateOutput, error) {
	out, err := h.handle(ctx, raw)
	return out, lambdaerr.Map(err, ValidateRules...)
}

// Invoke implements lambda.Handler, so that even a payload that is not
// JSON is answered as InvalidInput.
func (h *Validate) Invoke(ctx context.Context, payload []byte) ([]byte, error) {
	return lambdaerr.Handler("tasks: validate", h.Handle)(ctx, payload)
}

func (h *Validate) handle(ctx context.Context, raw json.RawMessage) (*ValidateOutput, error) {
	var ev ValidateEvent
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&ev); err != nil {
		return nil, invalid("decode event: %v", err)
	}
	if dec.More() {
		return nil, invalid("decode event: more than one JSON value")
	}
	format := h.ResultFormat
	if ev.ResultFormat != "" {
		format = ev.ResultFormat
	}
	if format == "" {
		format = "SUMMARY"
	}
	switch format {
	case "BOOLEAN_ONLY", "BASIC", "SUMMARY", "COMPLETE":
	default:
		return nil, invalid("resultFormat %q: expected BOOLEAN_ONLY, BASIC, SUMMARY or COMPLETE", format)
	}
	suite, err := h.suite(ctx, ev)
	if err != nil {
		return nil, err
	}
	ref, body, err := h.fetch(ctx, ev.Dataset)
	if err != nil {
		return nil, err
	}
	frame, err := dataset.Parse(body, h.Schema, dataset.Options{})
	if err != nil {
		return nil, fmt.Errorf("tasks: validate: dataset %s: %w", ref.Digest, err)
	}
	now := h.Now
	if now == nil {
		now = time.Now
	}
	runTime := now().UTC()
	res := validation.Validate(suite, frame, validation.Options{
		ResultFormat: format,
		RunName:      ev.ExecutionID,
		Now:          func() time.Time { return runTime },
		BatchKwargs:  validation.Object{{Key: "key", Value: ref.Key}, {Key: "dataset_sha256", Value: ref.Digest}, {Key: "rows", Value: frame.Rows}},
	})
	doc, err := res.MarshalIndent()
	if err != nil {
		return nil, err
	}
	key := validation.ResultKey(ref.Digest, suite.Name, runTime)
	if _, err := h.Artifacts.Put(ctx, key, doc, "application/json"); err != nil {
		return nil, fmt.Errorf("tasks: validate: store result: %w", err)
	}
	out := &ValidateOutput{Success: res.Success, Dataset: ref, Rows: frame.Rows, Summary: validation.Summarize(res), ResultKey: key, Result: res}
	var published error
	if !res.Success && h.Events != nil {
		published = h.publishFailure(ctx, out, runTime)
	}
	if !res.Success && (ev.FailOnInvalid == nil || *ev.FailOnInvalid) {
		return nil, errors.Join(fmt.Errorf("%w: %s (full result: %s)", ErrValidationFailed, out.Summary, key), published)
	}
	if published != nil {
		return nil, published
	}
	return out, nil
}

// publishFailure sends the ValidationFailed event the agent subscribes to.
// Its id is derived from the stored result, so a retried invocation sends
// the same alert again and the agent's deduplication sees one.
func (h *Validate) publishFailure(ctx context.Context, out *ValidateOutput, at time.Time) error {
	e, err := bus.New(bus.ValidationFailed, at, map[string]any{
		"model": h.Model, "dataset": out.Dataset.Digest, "resultKey": out.ResultKey,
		"failed": out.Summary.Unsuccessful, "summary": out.Summary.String(),
	})
	if err != nil {
		return err
	}
	e.ID = "validation-" + out.Dataset.Digest[:min(16, len(out.Dataset.Digest))] + "-" + at.Format("20060102T150405.000000Z")
	if err := h.Events.Publish(ctx, e); err != nil {
		return fmt.Errorf("tasks: validate: publish ValidationFailed: %w", err)
	}
	return nil
}

// suite returns the event's suite, inline or stored, or the default one.
func (h *Validate) suite(ctx context.Context, ev ValidateEvent) (*validation.Suite, error) {
	inline := len(bytes.TrimSpace(ev.Suite)) > 0 && string(bytes.TrimSpace(ev.Suite)) != "null"
	switch {
	case inline && ev.SuiteKey != "":
		return nil, invalid("give suite or suiteKey, not both")
	case inline:
		return validation.ParseSuite(ev.Suite)
	case ev.SuiteKey != "":
		body, _, err := h.Artifacts.Get(ctx, ev.SuiteKey)
		if errors.Is(err, store.ErrNotFound) || errors.Is(err, store.ErrInvalid) {
			return nil, invalid("suiteKey %q: %v", ev.SuiteKey, err)
		}
		if err != nil {
			return nil, fmt.Errorf("tasks: validate: suite %s: %w", ev.SuiteKey, err)
		}
		s, err := validation.ParseSuite(body)
		if err != nil {
			return nil, fmt.Errorf("suite %s: %w", ev.SuiteKey, err)
		}
		return s, nil
	case h.Suite != nil:
		return h.Suite, nil
	}
	return nil, invalid("suite or suiteKey is required (this deployment has no default suite)")
}

// fetch reads the dataset and returns its Ref and bytes.
func (h *Validate) fetch(ctx context.Context, loc Location) (dataset.Ref, []byte, error) {
	if loc.Bucket != "" && h.Bucket != "" && loc.Bucket != h.Bucket {
		return dataset.Ref{}, nil, invalid("dataset.bucket %q is not this deployment's bucket %q", loc.Bucket, h.Bucket)
	}
	digest := loc.Digest
	if digest == "" {
		if d, ok := strings.CutPrefix(loc.Key, dataset.KeyPrefix); ok {
			digest = d
		}
	}
	if digest != "" {
		if !dataset.ValidDigest(digest) {
			return dataset.Ref{}, nil, invalid("dataset digest %q: expected 64 lowercase hex digits", digest)
		}
		if loc.Key != "" && loc.Key != dataset.KeyFor(digest) {
			return dataset.Ref{}, nil, invalid("dataset.key %q does not match dataset.digest %s", loc.Key, digest)
		}
		body, err := dataset.Fetch(ctx, h.Artifacts, digest)
		if errors.Is(err, store.ErrNotFound) {
			return dataset.Ref{}, nil, invalid("dataset %s is not stored", digest)
		}
		if err != nil {
			return dataset.Ref{}, nil, err
		}
		return dataset.Ref{Digest: digest, Key: dataset.KeyFor(digest), Size: int64(len(body))}, body, nil
	}
	if loc.Key == "" {
		return dataset.Ref{}, nil, invalid("dataset.key or dataset.digest is required")
	}
	body, _, err := h.Artifacts.Get(ctx, loc.Key)
	if errors.Is(err, store.ErrNotFound) || errors.Is(err, store.ErrInvalid) {
		return dataset.Ref{}, nil, invalid("dataset key %q: %v", loc.Key, err)
	}
	if err != nil {
		return dataset.Ref{}, nil, fmt.Errorf("tasks: validate: dataset %s: %w", loc.Key, err)
	}
	return dataset.Ref{Digest: dataset.Digest(body), Key: loc.Key, Size: int64(len(body))}, body, nil
}
