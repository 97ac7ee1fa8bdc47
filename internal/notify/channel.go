package notify

import (
	"context"
	"fmt"
	"strings"
)

// Channel delivers a notification to one destination: an email route's
// recipients, or one chat webhook. Each delivery through a Channel is
// retried and, if it still fails, recorded on its own.
type Channel interface {
	// Name is the channel's kind, as routes and failure records spell it.
	Name() string
	// Target names the destination in failure records; never a secret.
	Target() string
	// Send delivers m. An error wrapping ErrPermanent or ErrInvalid is not
	// retried; any other error is.
	Send(ctx context.Context, m Message) error
}

// ChannelKind is one kind of channel a route can name. A Dispatcher's
// Channels list the kinds it delivers through; adding a kind is one
// ChannelKind and one entry in that list.
type ChannelKind struct {
	// Name is the key routes use ("email", "slack").
	Name string
	// Check validates one target of a route.
	Check func(target string) error
	// Open returns the channels that deliver to a route's targets, one per
	// delivery.
	Open func(targets []string) []Channel
}

// Names of the channel kinds in this package.
const (
	EmailChannel = "email"
	SlackChannel = "slack"
)

// Email is the channel kind that sends one email, through m, to all of a
// route's addresses. Which Mailer (the local outbox, SMTP, SES) is the
// composition root's choice.
func Email(m Mailer) ChannelKind {
	return ChannelKind{
		Name: EmailChannel,
		Check: func(addr string) error {
			return Message{From: addr, To: []string{addr}, Subject: "x", Text: "x"}.Validate()
		},
		Open: func(to []string) []Channel { return []Channel{emailChannel{m, to}} },
	}
}

type emailChannel struct {
	mailer Mailer
	to     []string
}

func (c emailChannel) Name() string   { return EmailChannel }
func (c emailChannel) Target() string { return strings.Join(c.to, ",") }
func (c emailChannel) Send(ctx context.Context, m Message) error {
	m.To = c.to
	return c.mailer.Send(ctx, m)
}

// Slack is the channel kind that posts, through p, to the incoming
// webhook of each Slack channel a route names, one delivery per channel.
// webhooks maps channel names to webhook URLs, which are secrets: routes,
// failure records and errors only ever name the channel.
func Slack(p Poster, webhooks map[string]string) ChannelKind {
	return ChannelKind{
		Name: SlackChannel,
		Check: func(name string) error {
			if strings.Contains(name, "://") {
				return fmt.Errorf("slack: a route names a channel, not its webhook URL")
			}
			if _, ok := webhooks[name]; !ok {
				return fmt.Errorf("slack: no webhook for channel %q", name)
			}
			return nil
		},
		Open: func(names []string) []Channel {
			out := make([]Channel, len(names))
			for i, n := range names {
				out[i] = slackChannel{p, n, webhooks[n]}
			}
			return out
		},
	}
}

type slackChannel struct {
	poster  Poster
	name    string
	webhook string
}

func (c slackChannel) Name() string   { return SlackChannel }
func (c slackChannel) Target() string { return c.name }
func (c slackChannel) Send(ctx context.Context, m Message) error {
	if m.Event == nil {
		return fmt.Errorf("%w: no event to post", ErrInvalid)
	}
	if c.webhook == "" {
		return fmt.Errorf("%w: no webhook URL for Slack channel %q", ErrInvalid, c.name)
	}
	return c.poster.Post(ctx, c.webhook, *m.Event)
}

func lookupKind(kinds []ChannelKind, name string) (ChannelKind, bool) {
	for _, k := range kinds {
		if k.Name == name {
			return k, true
		}
	}
	return ChannelKind{}, false
}

func kindNames(kinds []ChannelKind) []string {
	names := make([]string, len(kinds))
	for i, k := range kinds {
		names[i] = k.Name
	}
	return names
}
