package app

import (
	"context"
	"fmt"
	"maps"
	"path/filepath"
	"slices"

	"github.com/stewardml/steward/internal/app/adapters/platform"
	"github.com/stewardml/steward/internal/notify"
	"github.com/stewardml/steward/internal/report"
	"github.com/stewardml/steward/internal/slack"
)

// wireNotify builds the Dispatcher from the project's notify settings:
// the SMTP relay in place of the outbox when notify.email.smtp is set
// locally, the Slack webhooks (locally from the environment or the data
// directory, on AWS from Secrets Manager), the routes and the subject
// prefix.
func (a *App) wireNotify(ctx context.Context) error {
	var hooks map[string]string
	if a.Project != nil {
		n := a.Project.Notify
		if a.local != nil && n.Email.SMTP != nil {
			m := platform.SMTPMailer(*n.Email.SMTP, a.Runtime.SMTPPassword)
			m.Now = a.Now
			a.Mailer = m
		}
		var err error
		switch {
		case a.aws != nil:
			hooks, err = platform.SlackWebhooks(ctx, a.aws)
		case len(n.Slack) > 0:
			var missing []string
			hooks, missing, err = platform.LocalSlackWebhooks(a.local, n.Slack, a.Runtime.Getenv)
			slices.Sort(missing)
			for _, name := range missing {
				where := n.Slack[name].WebhookEnv
				if where == "" {
					where = "the file " + filepath.Join(a.local.Dir, n.Slack[name].WebhookFile)
				}
				fmt.Fprintf(a.Console, "notify: Slack channel %s has no webhook URL (set %s); its messages are recorded as failed deliveries\n", name, where)
			}
		}
		if err != nil {
			return err
		}
	}
	a.Notifier = &notify.Dispatcher{
		Channels: []notify.ChannelKind{notify.Email(a.Mailer), notify.Slack(slack.New(), hooks)},
		Records:  a.Records, Now: a.Now,
	}
	if a.Project != nil {
		n := a.Project.Notify
		a.Notifier.From = n.From
		a.Notifier.SubjectPrefix = n.SubjectPrefix
		a.Notifier.Routes = notify.Routes{"default": {notify.EmailChannel: n.To}}
		for _, kind := range slices.Sorted(maps.Keys(n.Routes)) {
			a.Notifier.Routes[kind] = notify.Route(maps.Clone(n.Routes[kind]))
		}
		if _, ok := a.Notifier.Routes[notify.ApprovalRequested]; !ok {
			// Approvers get their own signed links by email; the default
			// route's other channels hear that a decision is asked.
			r := maps.Clone(a.Notifier.Routes["default"])
			delete(r, notify.EmailChannel)
			a.Notifier.Routes[notify.ApprovalRequested] = r
		}
	}
	return nil
}

// Notifications is what the workflow and the agent tell people through:
// the Dispatcher, with the reports each event names linked on the
// dashboard and the main one attached to the email (see report.Notifier).
func (a *App) Notifications() *report.Notifier {
	return &report.Notifier{
		Next: a.Notifier,
		Reports: &report.Service{
			Loader:    &report.Loader{Artifacts: a.Artifacts, Registry: a.Registry(), Audit: a.Audit(), Approvals: a.Approvals(nil, nil)},
			Artifacts: a.Artifacts, Now: a.Now,
		},
		Dashboard: a.LinkBase(),
	}
}
