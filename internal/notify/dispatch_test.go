package notify_test

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stewardml/steward/internal/notify"
)

type mailerFunc func(context.Context, notify.Message) error

func (f mailerFunc) Send(ctx context.Context, m notify.Message) error { return f(ctx, m) }

type posterFunc func(context.Context, string, notify.Event) error

func (f posterFunc) Post(ctx context.Context, hook string, e notify.Event) error {
	return f(ctx, hook, e)
}

func TestDispatcherDeliversThroughEachChannelOfTheRoute(t *testing.T) {
	var got []string
	mail := mailerFunc(func(_ context.Context, m notify.Message) error {
		got = append(got, "mail "+strings.Join(m.To, ",")+" "+m.Subject)
		return nil
	})
	post := posterFunc(func(_ context.Context, hook string, e notify.Event) error {
		got = append(got, "post "+hook+" "+e.Title)
		return nil
	})
	hooks := map[string]string{"ml": "https://hooks.example/1", "ops": "https://hooks.example/2"}
	for _, tc := range []struct {
		name, prefix string
		want         []string
	}{
		{"the default prefix", "", []string{"mail a@example.com,b@example.com [steward] Promoted", "post https://hooks.example/1 Promoted", "post https://hooks.example/2 Promoted"}},
		{"a configured prefix", "[heart] ", []string{"mail a@example.com,b@example.com [heart] Promoted", "post https://hooks.example/1 Promoted", "post https://hooks.example/2 Promoted"}},
		{"a prefix without its space", "[heart]", []string{"mail a@example.com,b@example.com [heart] Promoted", "post https://hooks.example/1 Promoted", "post https://hooks.example/2 Promoted"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got = nil
			d := &notify.Dispatcher{
				Routes: notify.Routes{"default": {
					notify.SlackChannel: {"ml", "ops"},
					notify.EmailChannel: {"a@example.com", "b@example.com"},
					"pager":             {"ignored: no such channel kind"},
				}},
				Channels:      []notify.ChannelKind{notify.Email(mail), notify.Slack(post, hooks)},
				From:          "steward@example.com",
				SubjectPrefix: tc.prefix,
			}
			if err := d.Notify(context.Background(), notify.Event{Kind: notify.Promoted, Title: "Promoted", Text: "v3"}); err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(got, tc.want) {
				t.Errorf("deliveries %q, want %q", got, tc.want)
			}
		})
	}
}

func TestDispatcherRetriesAndReportsEachChannelOnItsOwn(t *testing.T) {
	mails := 0
	mail := mailerFunc(func(context.Context, notify.Message) error { mails++; return errors.New("connection refused") })
	posts := 0
	post := posterFunc(func(context.Context, string, notify.Event) error { posts++; return nil })
	d := &notify.Dispatcher{
		Routes: notify.Routes{notify.Failure: {
			notify.EmailChannel: {"a@example.com"},
			notify.SlackChannel: {"ops"},
		}},
		Channels: []notify.ChannelKind{notify.Email(mail), notify.Slack(post, map[string]string{"ops": "https://hooks.example/secret-path"})},
		From:     "steward@example.com",
		Attempts: 3,
		Sleep:    func(context.Context, time.Duration) error { return nil },
	}
	err := d.Notify(context.Background(), notify.Event{Kind: notify.Failure, Title: "Failed"})
	if err == nil || !strings.Contains(err.Error(), "email to a@example.com failed: connection refused") {
		t.Errorf("error %v, want the email failure", err)
	}
	if mails != 3 || posts != 1 {
		t.Errorf("%d mail attempts and %d posts, want 3 and 1", mails, posts)
	}
}

func TestRoutesValidateAgainstTheChannelKinds(t *testing.T) {
	kinds := []notify.ChannelKind{notify.Email(mailerFunc(nil)), notify.Slack(posterFunc(nil), map[string]string{"ops": "https://hooks.example/x"})}
	for _, tc := range []struct {
		name   string
		routes notify.Routes
		says   string
	}{
		{"valid routes pass", notify.Routes{"default": {notify.EmailChannel: {"a@example.com"}, notify.SlackChannel: {"ops"}}}, ""},
		{"an unknown event kind is refused", notify.Routes{"deployed": {}}, `route "deployed": unknown event kind`},
		{"an unknown channel is refused", notify.Routes{"default": {"pager": {"x"}}}, `unknown channel "pager" (want one of email, slack)`},
		{"a bad address is refused", notify.Routes{"default": {notify.EmailChannel: {"not an address"}}}, `address "not an address"`},
		{"a webhook URL in place of a channel is refused", notify.Routes{"default": {notify.SlackChannel: {"https://hooks.example/x"}}}, `names a channel, not its webhook URL`},
		{"a channel without a webhook is refused", notify.Routes{"default": {notify.SlackChannel: {"ml"}}}, `no webhook for channel "ml"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.routes.Validate(kinds)
			if tc.says == "" {
				if err != nil {
					t.Errorf("Validate = %v, want nil", err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tc.says) {
				t.Errorf("Validate = %v, want it to say %q", err, tc.says)
			}
		})
	}
}
