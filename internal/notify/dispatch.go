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
	// Version is the model version the event is about, if any.
	Version int `json:"version,omitempty"`
	// Links are the pages a reader may open (report, dashboard page,
	// decision page), in order. Opening one only shows it: no link acts.
	Links []Link `json:"links,omitempty"`
	// Reports are the reports the event is about. Whoever delivers the
	// event may link them (and attach them to the email): see Links and
	// Attachments.
	Reports []Report `json:"reports,omitempty"`
	// Attachments go with the email (a report PDF); chat channels link the
	// report instead. They are not kept in failure records.
	Attachments []Attachment `json:"-"`
}

// Report names one report an event is about, as the report service
// names it: a training report by run id, a drift report by
// "{model}/{check id}", a deployment report by "{model}" (the latest
// champion move) or "{model}:{seq}".
type Report struct {
	Kind string `json:"kind"`
	ID   string `json:"id"`
}

// Report kinds.
const (
	TrainingReport   = "training"
	DriftReport      = "drift"
	DeploymentReport = "deployment"
)

// Link is one page an event points at.
type Link struct {
	Label string `json:"label"`
	URL   string `json:"url"`
}

// Poster delivers an Event to a chat channel (Slack incoming webhooks).
// Post returns an error wrapping ErrPermanent when retrying cannot help.
type Poster interface {
	Post(ctx context.Context, webhook string, e Event) error
}

// ErrPermanent marks a delivery failure that retrying cannot fix (a 4xx).
var ErrPermanent = errors.New("notify: permanent delivery failure")

// Route says who hears about one kind of event: channel kind ("email",
// "slack") → that channel's targets (addresses, incoming-webhook URLs).
type Route map[string][]string

// Routes maps event kinds to recipients; the "default" key applies to kinds
// without their own route.
type Routes map[string]Route

// Validate checks event kinds, channel kinds (against kinds) and targets.
func (r Routes) Validate(kinds []ChannelKind) error {
	for _, kind := range sortedKeys(r) {
		if kind != "default" && !contains(Kinds, kind) {
			return fmt.Errorf("notify: route %q: unknown event kind (want one of %s or default)", kind, strings.Join(Kinds, ", "))
		}
		route := r[kind]
		for _, ch := range sortedKeys(route) {
			k, ok := lookupKind(kinds, ch)
			if !ok {
				return fmt.Errorf("notify: route %q: unknown channel %q (want one of %s)", kind, ch, strings.Join(kindNames(kinds), ", "))
			}
			for _, t := range route[ch] {
				if err := k.Check(t); err != nil {
					return fmt.Errorf("notify: route %q: %w", kind, err)
				}
			}
		}
	}
	return nil
}

// Failed is the record kept for a delivery that failed after every retry.
type Failed struct {
	ID       string    `json:"id"`
	At       time.Time `json:"at"`
	Channel  string    `json:"channel"` // the channel kind: "email", "slack"
	Target   string    `json:"target"`  // addresses, or the Slack channel name (never its webhook URL)
	Event    Event     `json:"event"`
	Error    string    `json:"error"`
	Attempts int       `json:"attempts"`
}

// DefaultSubjectPrefix starts every subject when Dispatcher.SubjectPrefix
// is empty; it is the project setting's default (notify.subject_prefix).
const DefaultSubjectPrefix = "[steward]"

// Subject returns title behind prefix (DefaultSubjectPrefix when empty),
// one space between them.
func Subject(prefix, title string) string {
	prefix = strings.TrimSpace(prefix)
	if prefix == "" {
		prefix = DefaultSubjectPrefix
	}
	return prefix + " " + title
}

// Dispatcher routes events to channels, retrying each delivery with
// exponential backoff, and records every delivery that still fails in the
// record store (partition NOTIFY#FAILED), so nothing is dropped silently.
type Dispatcher struct {
	Routes Routes
	// Channels are the channel kinds deliveries go through, in the order
	// they are tried; a route's channel not listed here is skipped.
	Channels []ChannelKind
	From     string
	// SubjectPrefix starts every subject; default DefaultSubjectPrefix.
	SubjectPrefix string
	Records       store.RecordStore
	Attempts      int           // per delivery, default 4
	Backoff       time.Duration // first wait, doubled each retry; default 200ms
	Sleep         func(context.Context, time.Duration) error
	Now           func() time.Time
}

// Notify delivers e to every channel of its route. It returns an error
// joining the deliveries that failed (each also recorded).
func (d *Dispatcher) Notify(ctx context.Context, e Event) error {
	route, ok := d.Routes[e.Kind]
	if !ok {
		route = d.Routes["default"]
	}
	msg := Message{From: d.From, Subject: Subject(d.SubjectPrefix, e.Title), Text: plain(e), Kind: e.Kind, Link: e.Link,
		Attachments: e.Attachments, Event: &e}
	var errs []error
	for _, k := range d.Channels {
		targets := route[k.Name]
		if len(targets) == 0 {
			continue
		}
		for _, ch := range k.Open(targets) {
			if err := d.retry(ctx, func() error { return ch.Send(ctx, msg) }); err != nil {
				errs = append(errs, d.fail(ctx, ch.Name(), ch.Target(), e, err))
			}
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
	if len(e.Links) > 0 {
		b.WriteString("\n")
		for _, l := range e.Links {
			fmt.Fprintf(&b, "\n%s: %s", l.Label, l.URL)
		}
		b.WriteString("\n")
	}
	for _, a := range e.Attachments {
		fmt.Fprintf(&b, "\nAttached: %s\n", a.Name)
	}
	return b.String()
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

func contains(xs []string, x string) bool {
	for _, v := range xs {
		if v == x {
			return true
		}
	}
	return false
}
