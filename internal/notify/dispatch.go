package notify

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/stewardml/steward/internal/store"
)

// Event kinds Steward notifies about.
const (
	ApprovalRequested = "approval_requested"
	Promoted          = "promoted"
	Rejected          = "rejected"
	RolledBack        = "rolled_back"
	Escalated         = "escalated"
	DriftDetected     = "drift_detected"
	AgentAction       = "agent_action"
	Failure           = "failure"
)

// Kinds lists every event kind, for validating routes.
var Kinds = []string{ApprovalRequested, Promoted, Rejected, RolledBack, Escalated, DriftDetected, AgentAction, Failure}

// Event is something people should hear about.
type Event struct {
	Kind    string            `json:"kind"`
	Model   string            `json:"model,omitempty"`
	Title   string            `json:"title"`
	Text    string            `json:"text"`
	Link    string            `json:"link,omitempty"`
	Fields  map[string]string `json:"fields,omitempty"`
	Subject string            `json:"subject,omitempty"` // the id the event is about (execution, version, check)
}

// Poster delivers an Event to a chat channel (Slack incoming webhooks).
// Post returns an error wrapping ErrPermanent when retrying cannot help.
type Poster interface {
	Post(ctx context.Context, webhook string, e Event) error
}

// ErrPermanent marks a delivery failure that retrying cannot fix (a 4xx).
var ErrPermanent = errors.New("notify: permanent delivery failure")

// Route says who hears about one kind of event.
type Route struct {
	Email []string `json:"email,omitempty" yaml:"email,omitempty"`
	Slack []string `json:"slack,omitempty" yaml:"slack,omitempty"` // incoming-webhook URLs
}

// Routes maps event kinds to recipients; the "default" key applies to kinds
// without their own route.
type Routes map[string]Route

// Validate checks kinds and addresses.
func (r Routes) Validate() error {
	for kind, route := range r {
		if kind != "default" && !contains(Kinds, kind) {
			return fmt.Errorf("notify: route %q: unknown event kind (want one of %s or default)", kind, strings.Join(Kinds, ", "))
		}
		for _, a := range route.Email {
			if err := (Message{From: a, To: []string{a}, Subject: "x", Text: "x"}).Validate(); err != nil {
				return fmt.Errorf("notify: route %q: %w", kind, err)
			}
		}
		for _, u := range route.Slack {
			if !strings.HasPrefix(u, "https://") && !strings.HasPrefix(u, "http://127.0.0.1") && !strings.HasPrefix(u, "http://localhost") {
				return fmt.Errorf("notify: route %q: slack webhook %q must be an https URL", kind, u)
			}
		}
	}
	return nil
}

// Failed is the record kept for a delivery that failed after every retry.
type Failed struct {
	ID       string    `json:"id"`
	At       time.Time `json:"at"`
	Channel  string    `json:"channel"` // "email" or "slack"
	Target   string    `json:"target"`  // address, or webhook host (never the secret path)
	Event    Event     `json:"event"`
	Error    string    `json:"error"`
	Attempts int       `json:"attempts"`
}

// Dispatcher routes events to email and chat, retrying with exponential
// backoff, and records every delivery that still fails in the record store
// (partition NOTIFY#FAILED), so nothing is dropped silently.
type Dispatcher struct {
	Routes   Routes
	From     string
	Mailer   Mailer
	Poster   Poster
	Records  store.RecordStore
	Attempts int           // per delivery, default 4
	Backoff  time.Duration // first wait, doubled each retry; default 200ms
	Sleep    func(context.Context, time.Duration) error
	Now      func() time.Time
}

// Notify delivers e to every recipient of its route. It returns an error
// joining the deliveries that failed (each also recorded).
func (d *Dispatcher) Notify(ctx context.Context, e Event) error {
	route, ok := d.Routes[e.Kind]
	if !ok {
		route = d.Routes["default"]
	}
	var errs []error
	if len(route.Email) > 0 && d.Mailer != nil {
		msg := Message{From: d.From, To: route.Email, Subject: "[Steward] " + e.Title, Text: plain(e), Kind: e.Kind, Link: e.Link}
		if err := d.retry(ctx, func() error { return d.Mailer.Send(ctx, msg) }); err != nil {
			errs = append(errs, d.fail(ctx, "email", strings.Join(route.Email, ","), e, err))
		}
	}
	for _, hook := range route.Slack {
		if d.Poster == nil {
			break
		}
		if err := d.retry(ctx, func() error { return d.Poster.Post(ctx, hook, e) }); err != nil {
			errs = append(errs, d.fail(ctx, "slack", hostOf(hook), e, err))
		}
	}
	return errors.Join(errs...)
}

func (d *Dispatcher) retry(ctx context.Context, send func() error) error {
	attempts, wait := d.Attempts, d.Backoff
	if attempts <= 0 {
		attempts = 4
	}
	if wait <= 0 {
		wait = 200 * time.Millisecond
	}
	sleep := d.Sleep
	if sleep == nil {
		sleep = func(ctx context.Context, d time.Duration) error {
			t := time.NewTimer(d)
			defer t.Stop()
			select {
			case <-ctx.Done():
				return ctx.Err()
			case <-t.C:
				return nil
			}
		}
	}
	var err error
	for i := 0; i < attempts; i++ {
		if err = send(); err == nil || errors.Is(err, ErrPermanent) || errors.Is(err, ErrInvalid) {
			return err
		}
		if i < attempts-1 {
			if serr := sleep(ctx, wait); serr != nil {
				return errors.Join(err, serr)
			}
			wait *= 2
		}
	}
	return err
}

func (d *Dispatcher) fail(ctx context.Context, channel, target string, e Event, cause error) error {
	now := time.Now
	if d.Now != nil {
		now = d.Now
	}
	id, _ := uuid.NewV7()
	f := Failed{ID: id.String(), At: now().UTC(), Channel: channel, Target: target, Event: e, Error: cause.Error(), Attempts: d.Attempts}
	err := fmt.Errorf("notify: %s to %s failed: %w", channel, target, cause)
	if d.Records == nil {
		return err
	}
	body, _ := json.Marshal(f)
	if werr := d.Records.Write(ctx, store.Write{Record: store.Record{PK: FailedPartition, SK: f.At.Format(time.RFC3339Nano) + "#" + f.ID, Body: body, Version: 1}}); werr != nil {
		return errors.Join(err, fmt.Errorf("notify: record failed delivery: %w", werr))
	}
	return err
}

// FailedPartition is the record-store partition of failed deliveries.
const FailedPartition = "NOTIFY#FAILED"

// ListFailed returns recorded failed deliveries, newest first.
func ListFailed(ctx context.Context, rs store.RecordStore, limit int) ([]Failed, error) {
	recs, err := rs.Query(ctx, FailedPartition, store.Query{Descending: true, Limit: limit})
	if err != nil {
		return nil, fmt.Errorf("notify: list failed: %w", err)
	}
	out := make([]Failed, 0, len(recs))
	for _, r := range recs {
		var f Failed
		if err := json.Unmarshal(r.Body, &f); err != nil {
			return nil, fmt.Errorf("notify: decode failed delivery %s: %w", r.SK, err)
		}
		out = append(out, f)
	}
	return out, nil
}

func plain(e Event) string {
	var b strings.Builder
	b.WriteString(e.Text)
	b.WriteString("\n")
	keys := make([]string, 0, len(e.Fields))
	for k := range e.Fields {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		fmt.Fprintf(&b, "\n%s: %s", k, e.Fields[k])
	}
	if e.Link != "" {
		fmt.Fprintf(&b, "\n\n%s\n", e.Link)
	}
	return b.String()
}

func hostOf(u string) string {
	s := strings.TrimPrefix(strings.TrimPrefix(u, "https://"), "http://")
	if i := strings.IndexByte(s, '/'); i >= 0 {
		s = s[:i]
	}
	return s
}

func contains(xs []string, x string) bool {
	for _, v := range xs {
		if v == x {
			return true
		}
	}
	return false
}
