// Package notify declares how Steward tells people what happened: an email
// Message and the Mailer port that delivers it, the Poster port for chat,
// and the Dispatcher that routes events to channels (see channel.go).
// Mailers: an outbox directory locally (internal/local/outbox, the
// default), an SMTP relay (internal/smtp) and SES v2 on AWS; the Poster is
// Slack's incoming webhooks (internal/slack).
package notify

import (
	"context"
	"errors"
	"fmt"
	"net/mail"
	"strings"
)

// ErrInvalid reports a message that cannot be sent as given.
var ErrInvalid = errors.New("notify: invalid message")

// Message is one email. Text is required; HTML is optional. Headers must not
// carry a task token or any other credential. The Dispatcher hands every
// channel the same Message; chat channels format its Event instead.
type Message struct {
	From    string   `json:"from"`
	To      []string `json:"to"`
	Subject string   `json:"subject"`
	Text    string   `json:"text"`
	HTML    string   `json:"html,omitempty"`
	// Kind names the event (approval_requested, promoted, ...) for routing
	// and for the console line of the local outbox.
	Kind string `json:"kind,omitempty"`
	// Link is the one URL a reader is asked to open, if any.
	Link string `json:"link,omitempty"`
	// Attachments go as parts of a multipart/mixed message.
	Attachments []Attachment `json:"-"`
	// Event is the event the message reports, when a Dispatcher built it;
	// chat channels format it themselves. It is not part of the email.
	Event *Event `json:"-"`
}

// Validate checks addresses and required fields.
func (m Message) Validate() error {
	if len(m.To) == 0 {
		return fmt.Errorf("%w: no recipient", ErrInvalid)
	}
	for _, a := range append([]string{m.From}, m.To...) {
		if _, err := mail.ParseAddress(a); err != nil {
			return fmt.Errorf("%w: address %q: %v", ErrInvalid, a, err)
		}
	}
	if strings.TrimSpace(m.Subject) == "" || strings.ContainsAny(m.Subject, "\r\n") {
		return fmt.Errorf("%w: subject must be one non-empty line", ErrInvalid)
	}
	if m.Text == "" {
		return fmt.Errorf("%w: empty text body", ErrInvalid)
	}
	return nil
}

// Attachment is one file sent with an email (a report PDF).
type Attachment struct {
	Name        string
	ContentType string
	Data        []byte
}

// MaxAttachmentBytes caps what one email carries as attachments; a
// larger report is linked instead (SES and most relays refuse messages
// near 10 MB, and base64 adds a third).
const MaxAttachmentBytes = 5 << 20

// Mailer delivers email. Send returns ErrInvalid for a message that fails
// Validate and a wrapped transport error otherwise; it is safe for
// concurrent use.
type Mailer interface {
	Send(ctx context.Context, m Message) error
}
