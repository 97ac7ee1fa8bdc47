package platform

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"

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
	"github.com/stewardml/steward/internal/local/outbox"
)

// LocalMailer opens the email outbox of the data directory, which announces
// each message on console.
func LocalMailer(l *adapters.Local, console io.Writer) (*outbox.Outbox, error) {
	return outbox.New(filepath.Join(l.Dir, adapters.OutboxDir), console)
}

// LocalSigningKey reads, or creates once (mode 0600), the approval signing key
// of the data directory.
func LocalSigningKey(l *adapters.Local) ([]byte, error) {
	path := filepath.Join(l.Dir, adapters.SigningKeyFile)
	if b, err := os.ReadFile(path); err == nil && len(b) >= 32 {
		return b, nil
	}
	key := make([]byte, 32)
	if _, err := rand.Read(key); err != nil {
		return nil, fmt.Errorf("platform: signing key: %w", err)
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if errors.Is(err, os.ErrExist) { // another process made it first
		return os.ReadFile(path)
	}
	if err != nil {
		return nil, fmt.Errorf("platform: signing key: %w", err)
	}
	defer f.Close()
	if _, err := f.Write(key); err != nil {
		return nil, fmt.Errorf("platform: signing key: %w", err)
	}
	return key, nil
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

// SigningKey reads the approval signing key from the secret
// STEWARD_APPROVAL_SECRET names; it returns nil and no error when none is
// named.
func SigningKey(ctx context.Context, a *adapters.AWS) ([]byte, error) {
	rt := a.Runtime()
	if rt.ApprovalSecret == "" {
		return nil, nil
	}
	return secrets.Key(ctx, awssm.NewFromConfig(a.Config(), func(o *awssm.Options) {
		o.BaseEndpoint = adapters.Endpoint(rt.Endpoints.SecretsManager)
	}), rt.ApprovalSecret)
}
