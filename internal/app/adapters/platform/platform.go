package platform

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	awseb "github.com/aws/aws-sdk-go-v2/service/eventbridge"
	awslambda "github.com/aws/aws-sdk-go-v2/service/lambda"
	awssm "github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	awsses "github.com/aws/aws-sdk-go-v2/service/sesv2"
	awssfn "github.com/aws/aws-sdk-go-v2/service/sfn"

	"github.com/stewardml/steward/internal/app/adapters"
	"github.com/stewardml/steward/internal/aws/eventbridge"
	"github.com/stewardml/steward/internal/aws/secrets"
	"github.com/stewardml/steward/internal/aws/ses"
	"github.com/stewardml/steward/internal/aws/sfn"
	"github.com/stewardml/steward/internal/config"
	"github.com/stewardml/steward/internal/local/outbox"
	"github.com/stewardml/steward/internal/smtp"
)

// LocalMailer opens the email outbox of the data directory, which announces
// each message on console.
func LocalMailer(l *adapters.Local, console io.Writer) (*outbox.Outbox, error) {
	return outbox.New(filepath.Join(l.Dir, adapters.OutboxDir), console)
}

// Events returns the publisher to the event bus STEWARD_EVENT_BUS names.
func Events(a *adapters.AWS) *eventbridge.Publisher {
	rt := a.Runtime()
	return eventbridge.New(awseb.NewFromConfig(a.Config(), func(o *awseb.Options) {
		o.BaseEndpoint = adapters.Endpoint(rt.Endpoints.EventBridge)
	}), rt.EventBus)
}

// Mailer returns the SES mailer.
func Mailer(a *adapters.AWS) *ses.Mailer {
	return ses.New(awsses.NewFromConfig(a.Config(), func(o *awsses.Options) {
		o.BaseEndpoint = adapters.Endpoint(a.Runtime().Endpoints.SES)
	}))
}

// StepFunctions returns the client of the state machine
// STEWARD_STATE_MACHINE_ARN names, nil when it names none.
func StepFunctions(a *adapters.AWS) *sfn.Client {
	rt := a.Runtime()
	if rt.StateMachineARN == "" {
		return nil
	}
	return sfn.New(awssfn.NewFromConfig(a.Config(), func(o *awssfn.Options) {
		o.BaseEndpoint = adapters.Endpoint(rt.Endpoints.SFN)
	}), rt.StateMachineARN)
}

// Lambda returns the Lambda client, nil unless STEWARD_PREDICT_ALIAS_ARN
// names the predict alias whose provisioned concurrency the agent sets.
func Lambda(a *adapters.AWS) *awslambda.Client {
	rt := a.Runtime()
	if rt.PredictAliasARN == "" {
		return nil
	}
	return awslambda.NewFromConfig(a.Config(), func(o *awslambda.Options) {
		o.BaseEndpoint = adapters.Endpoint(rt.Endpoints.Lambda)
	})
}

// SMTPMailer returns the mailer of the relay notify.email.smtp names; the
// password is STEWARD_SMTP_PASSWORD's.
func SMTPMailer(c config.SMTP, password string) *smtp.Mailer {
	return &smtp.Mailer{Addr: net.JoinHostPort(c.Host, strconv.Itoa(c.Port)), Security: c.Security, Username: c.User, Password: password}
}

// LocalSlackWebhooks reads the webhook URL of each notify.slack channel
// from the environment variable or the data-directory file it names. A
// channel whose URL is not there is left out (its deliveries fail and are
// recorded) and named in missing.
func LocalSlackWebhooks(l *adapters.Local, channels map[string]config.SlackWebhook, getenv func(string) string) (hooks map[string]string, missing []string, err error) {
	hooks = map[string]string{}
	for name, w := range channels {
		var u string
		if w.WebhookEnv != "" && getenv != nil {
			u = strings.TrimSpace(getenv(w.WebhookEnv))
		}
		if w.WebhookFile != "" {
			b, err := os.ReadFile(filepath.Join(l.Dir, w.WebhookFile))
			if err != nil && !errors.Is(err, os.ErrNotExist) {
				return nil, nil, fmt.Errorf("platform: slack channel %s: %w", name, err)
			}
			u = strings.TrimSpace(string(b))
		}
		if u == "" {
			missing = append(missing, name)
			continue
		}
		if err := CheckWebhook(u); err != nil {
			return nil, nil, fmt.Errorf("platform: slack channel %s: %w", name, err)
		}
		hooks[name] = u
	}
	return hooks, missing, nil
}

// SlackWebhooks reads the webhook URLs from the secret STEWARD_SLACK_SECRET
// names (a JSON object of channel name → URL); none when it names none.
func SlackWebhooks(ctx context.Context, a *adapters.AWS) (map[string]string, error) {
	rt := a.Runtime()
	if rt.SlackSecret == "" {
		return map[string]string{}, nil
	}
	hooks, err := secrets.Strings(ctx, awssm.NewFromConfig(a.Config(), func(o *awssm.Options) {
		o.BaseEndpoint = adapters.Endpoint(rt.Endpoints.SecretsManager)
	}), rt.SlackSecret)
	if err != nil {
		return nil, err
	}
	for name, u := range hooks {
		if err := CheckWebhook(u); err != nil {
			return nil, fmt.Errorf("platform: slack channel %s in %s: %w", name, rt.SlackSecret, err)
		}
	}
	return hooks, nil
}

// CheckWebhook accepts an https URL, or an http one to the local host
// (a test endpoint); the error never repeats the URL, a secret.
func CheckWebhook(u string) error {
	if strings.HasPrefix(u, "https://") || strings.HasPrefix(u, "http://127.0.0.1") || strings.HasPrefix(u, "http://localhost") {
		return nil
	}
	return errors.New("platform: a webhook URL must start with https://")
}
