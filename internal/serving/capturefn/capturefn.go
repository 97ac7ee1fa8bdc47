package capturefn

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/stewardml/steward/internal/capture"
	"github.com/stewardml/steward/internal/lambdaerr"
	"github.com/stewardml/steward/internal/registry"
	"github.com/stewardml/steward/internal/store"
)

// ContentType is the content type of the capture files written.
const ContentType = "application/x-ndjson"

// Rules map the handler's errors to stable names: a payload that cannot
// be read is InvalidInput; anything else (a failed write) InternalError.
var Rules = []lambdaerr.Rule{
	{Name: lambdaerr.InvalidInput, Match: lambdaerr.Is(ErrPayload)},
}

// Writer is what the handler needs of the artifact store: it only puts
// (the function's role may put under captures/ and do nothing else).
type Writer interface {
	Put(ctx context.Context, key string, body []byte, contentType string) (store.ObjectInfo, error)
}

// Handler writes the capture lines of subscription batches to the
// artifact store. It is safe for concurrent use.
type Handler struct {
	Artifacts Writer
	// Logger receives the skipped lines; nil discards.
	Logger *slog.Logger
}

// Output says what one batch became.
type Output struct {
	// Files are the keys written, in order.
	Files []string `json:"files"`
	// Captured counts the capture lines written.
	Captured int `json:"captured"`
	// Skipped are the lines that are not capture lines.
	Skipped []Skip `json:"skipped,omitempty"`
	// Control is set for CloudWatch Logs' control message, which carries
	// no log events.
	Control bool `json:"control,omitempty"`
}

// Skip is a line not written, and why.
type Skip struct {
	EventID string `json:"eventId"`
	Line    int    `json:"line"` // 1-based, within the event's message
	Reason  string `json:"reason"`
}

// Invoke implements lambda.Handler: the subscription event's JSON in, the
// Output's JSON out, errors named by Rules.
func (h *Handler) Invoke(ctx context.Context, payload []byte) ([]byte, error) {
	return lambdaerr.Handler("capturefn", h.decodeAndHandle, Rules...)(ctx, payload)
}

// decodeAndHandle reads the subscription event as the runtime would (not
// strictly: CloudWatch Logs may add fields) and handles it.
func (h *Handler) decodeAndHandle(ctx context.Context, payload json.RawMessage) (*Output, error) {
	var ev events.CloudwatchLogsEvent
	if err := json.Unmarshal(payload, &ev); err != nil {
		return nil, fmt.Errorf("%w: event: %v", ErrPayload, strings.TrimPrefix(err.Error(), "json: "))
	}
	return h.Handle(ctx, ev)
}

// file is the capture lines of one model and hour within a batch.
type file struct {
	prefix string
	ids    []string
	body   []byte
	lines  int
}

// Handle decodes the batch, groups its capture lines by model and hour,
// and writes each group to captures/{model}/dt=YYYY-MM-DD/hour=HH/
// logs-{digest}.jsonl, where digest covers the log group, the log stream
// and the ids of the group's events: a redelivered batch rewrites the
// same keys with the same bytes. A failed write fails the batch (Lambda
// retries it whole; what was written is written again, identically).
func (h *Handler) Handle(ctx context.Context, ev events.CloudwatchLogsEvent) (*Output, error) {
	if ev.AWSLogs.Data == "" {
		return nil, fmt.Errorf("%w: no awslogs.data: expected a CloudWatch Logs subscription event", ErrPayload)
	}
	data, err := Decode(ev.AWSLogs.Data)
	if err != nil {
		return nil, err
	}
	out := &Output{Files: []string{}}
	if data.MessageType == ControlMessage {
		out.Control = true
		return out, nil
	}
	var files []*file
	byPrefix := map[string]*file{}
	for _, le := range data.LogEvents {
		// One event is one line on Lambda; split anyway, so that a
		// message holding several lines loses none of them.
		for n, line := range strings.Split(strings.TrimRight(le.Message, "\r\n"), "\n") {
			line = strings.TrimSpace(line)
			if line == "" {
				continue
			}
			c, err := ParseLine([]byte(line))
			if err != nil {
				out.Skipped = append(out.Skipped, Skip{EventID: le.ID, Line: n + 1, Reason: err.Error()})
				continue
			}
			prefix := capture.Prefix(c.Model, c.Time)
			f := byPrefix[prefix]
			if f == nil {
				f = &file{prefix: prefix}
				byPrefix[prefix] = f
				files = append(files, f)
			}
			if len(f.ids) == 0 || f.ids[len(f.ids)-1] != le.ID {
				f.ids = append(f.ids, le.ID)
			}
			f.body = append(append(f.body, line...), '\n')
			f.lines++
		}
	}
	for _, s := range out.Skipped {
		h.logger().Warn("capturefn: line skipped", "logGroup", data.LogGroup, "logStream", data.LogStream, "eventId", s.EventID, "line", s.Line, "reason", s.Reason)
	}
	for _, f := range files {
		key := f.prefix + "logs-" + batchID(data.LogGroup, data.LogStream, f.ids) + ".jsonl"
		if _, err := h.Artifacts.Put(ctx, key, f.body, ContentType); err != nil {
			return nil, fmt.Errorf("capturefn: write %d captures of %s to %s: %w", f.lines, data.LogStream, key, err)
		}
		out.Files = append(out.Files, key)
		out.Captured += f.lines
	}
	return out, nil
}

func (h *Handler) logger() *slog.Logger {
	if h.Logger == nil {
		return slog.New(slog.DiscardHandler)
	}
	return h.Logger
}

// batchID names a group of log events: 32 hex digits of the SHA-256 of
// the log group, the stream and the event ids (which CloudWatch Logs
// makes unique within a log group).
func batchID(group, stream string, ids []string) string {
	h := sha256.New()
	h.Write([]byte(group))
	h.Write([]byte{0})
	h.Write([]byte(stream))
	for _, id := range ids {
		h.Write([]byte{0})
		h.Write([]byte(id))
	}
	return hex.EncodeToString(h.Sum(nil))[:32]
}

// ErrLine reports a log line that is not a capture line.
var ErrLine = errors.New("not a capture line")

// ParseLine checks that line is one capture line as serving writes it (a
// JSON object with kind "capture", an id, a valid model name and a time)
// and returns it. Fields it does not know are kept in the line as they
// are. Errors wrap ErrLine and name the field.
func ParseLine(line []byte) (capture.Line, error) {
	var c capture.Line
	dec := json.NewDecoder(bytes.NewReader(line))
	if err := dec.Decode(&c); err != nil {
		return c, fmt.Errorf("%w: JSON: %v", ErrLine, strings.TrimPrefix(err.Error(), "json: "))
	}
	if _, err := dec.Token(); err != io.EOF {
		return c, fmt.Errorf("%w: text after the JSON object", ErrLine)
	}
	switch {
	case c.Kind != "capture":
		return c, fmt.Errorf("%w: kind %q: expected \"capture\"", ErrLine, c.Kind)
	case c.ID == "":
		return c, fmt.Errorf("%w: id: missing", ErrLine)
	case c.Time.IsZero():
		return c, fmt.Errorf("%w: time: missing", ErrLine)
	case c.Time.Year() < 2000 || c.Time.Year() > 9999:
		return c, fmt.Errorf("%w: time %s: expected a year from 2000 to 9999", ErrLine, c.Time.Format(time.RFC3339))
	}
	if err := registry.ValidateModelName(c.Model); err != nil {
		return c, fmt.Errorf("%w: model %q: expected a model name (a-z 0-9 . _ -)", ErrLine, c.Model)
	}
	return c, nil
}
