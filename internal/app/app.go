package app

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsconfig "github.com/aws/aws-sdk-go-v2/config"
	awsddb "github.com/aws/aws-sdk-go-v2/service/dynamodb"
	awseb "github.com/aws/aws-sdk-go-v2/service/eventbridge"
	awslambda "github.com/aws/aws-sdk-go-v2/service/lambda"
	awss3 "github.com/aws/aws-sdk-go-v2/service/s3"
	awssm "github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	awsses "github.com/aws/aws-sdk-go-v2/service/sesv2"
	awssfn "github.com/aws/aws-sdk-go-v2/service/sfn"

	"github.com/stewardml/steward/internal/approval"
	"github.com/stewardml/steward/internal/aws/dynamodb"
	"github.com/stewardml/steward/internal/aws/eventbridge"
	"github.com/stewardml/steward/internal/aws/s3"
	"github.com/stewardml/steward/internal/aws/secrets"
	"github.com/stewardml/steward/internal/aws/ses"
	"github.com/stewardml/steward/internal/aws/sfn"
	"github.com/stewardml/steward/internal/bus"
	"github.com/stewardml/steward/internal/config"
	"github.com/stewardml/steward/internal/local/files"
	"github.com/stewardml/steward/internal/local/outbox"
	"github.com/stewardml/steward/internal/local/sqlite"
	"github.com/stewardml/steward/internal/notify"
	"github.com/stewardml/steward/internal/slack"
	"github.com/stewardml/steward/internal/store"
)

// Options say how to build the application.
type Options struct {
	Runtime config.Runtime
	// Project is the loaded project configuration; nil when the caller has
	// none (New then loads Runtime.ConfigPath, a file if it exists or
	// artifact:KEY in the artifact store).
	Project *config.Project
	// Console receives one-line notices (outbox links, scheduler runs).
	Console io.Writer
	// Now is the clock; default time.Now.
	Now func() time.Time
}

// App holds the adapters and services of one process.
type App struct {
	Runtime   config.Runtime
	Project   *config.Project
	Artifacts store.ArtifactStore
	Records   store.RecordStore
	Events    bus.Publisher
	// LocalBus is the in-process bus when running locally, for subscribers.
	LocalBus *bus.Local
	Mailer   notify.Mailer
	Notifier *notify.Dispatcher
	// SigningKey signs approval links.
	SigningKey []byte
	// StepFunctions is set on AWS; locally the ASL runner plays its part.
	StepFunctions *sfn.Client
	Console       io.Writer
	Now           func() time.Time

	// lambdaAPI is set on AWS when STEWARD_PREDICT_ALIAS_ARN names the
	// predict alias whose provisioned concurrency the agent sets.
	lambdaAPI *awslambda.Client

	closers []func() error
}

// New builds the application from opts.
func New(ctx context.Context, opts Options) (*App, error) {
	a := &App{Runtime: opts.Runtime, Project: opts.Project, Console: opts.Console, Now: opts.Now}
	if a.Now == nil {
		a.Now = time.Now
	}
	if a.Console == nil {
		a.Console = io.Discard
	}
	var err error
	if opts.Runtime.AWS() {
		err = a.wireAWS(ctx)
	} else {
		err = a.wireLocal()
	}
	if err != nil {
		a.Close()
		return nil, err
	}
	if a.Project == nil {
		if a.Project, err = a.loadProject(ctx); err != nil {
			a.Close()
			return nil, err
		}
	}
	a.Notifier = &notify.Dispatcher{
		Channels: []notify.ChannelKind{notify.Email(a.Mailer), notify.Slack(slack.New())},
		Records:  a.Records, Now: a.Now,
	}
	if a.Project != nil {
		a.Notifier.From = a.Project.Notify.From
		a.Notifier.Routes = notify.Routes{"default": {notify.EmailChannel: a.Project.Notify.To}}
	}
	if esc := a.Escalation(); len(esc) > 0 {
		if a.Notifier.Routes == nil {
			a.Notifier.Routes = notify.Routes{}
		}
		r := a.Notifier.Routes[notify.Escalated]
		if r == nil {
			r = notify.Route{}
		}
		r[notify.EmailChannel] = esc
		a.Notifier.Routes[notify.Escalated] = r
	}
	if a.Runtime.EmailFrom != "" {
		a.Notifier.From = a.Runtime.EmailFrom
	}
	if a.Notifier.From == "" {
		a.Notifier.From = "steward@localhost.localdomain"
	}
	return a, nil
}

// Approvers returns who is asked to approve a promotion: the
// deployment's list (STEWARD_APPROVERS, which the CDK stack sets from its
// approverEmails) when there is one, else the project's
// approval.approvers.
func (a *App) Approvers() []string {
	if len(a.Runtime.Approvers) > 0 {
		return a.Runtime.Approvers
	}
	if a.Project != nil {
		return a.Project.Approval.Approvers
	}
	return nil
}

// Escalation returns who hears about approvals nobody decided in time and
// about the agent's escalations: the deployment's list
// (STEWARD_ESCALATION) when there is one, else the project's
// (approval.escalate_to, else notify.to).
func (a *App) Escalation() []string {
	if len(a.Runtime.Escalation) > 0 {
		return a.Runtime.Escalation
	}
	if a.Project != nil {
		return a.Project.Escalation()
	}
	return nil
}

// Close releases the adapters' resources.
func (a *App) Close() error {
	var errs []error
	for i := len(a.closers) - 1; i >= 0; i-- {
		errs = append(errs, a.closers[i]())
	}
	a.closers = nil
	return errors.Join(errs...)
}

func (a *App) wireLocal() error {
	dir := a.Runtime.DataDir
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("app: data directory %s: %w", dir, err)
	}
	arts, err := files.New(filepath.Join(dir, "artifacts"))
	if err != nil {
		return err
	}
	a.Artifacts = arts
	db, err := sqlite.Open(filepath.Join(dir, "steward.db"))
	if err != nil {
		return err
	}
	a.Records = db
	a.closers = append(a.closers, db.Close)
	a.LocalBus = &bus.Local{}
	a.Events = a.LocalBus
	ob, err := outbox.New(filepath.Join(dir, "outbox"), a.Console)
	if err != nil {
		return err
	}
	ob.Now = a.Now
	a.Mailer = ob
	key, err := localKey(filepath.Join(dir, "signing.key"))
	if err != nil {
		return err
	}
	a.SigningKey = key
	return nil
}

// localKey reads, or creates once, the local approval signing key (0600).
func localKey(path string) ([]byte, error) {
	if b, err := os.ReadFile(path); err == nil && len(b) >= 32 {
		return b, nil
	}
	key := make([]byte, 32)
	if _, err := rand.Read(key); err != nil {
		return nil, fmt.Errorf("app: signing key: %w", err)
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if errors.Is(err, os.ErrExist) { // another process made it first
		return os.ReadFile(path)
	}
	if err != nil {
		return nil, fmt.Errorf("app: signing key: %w", err)
	}
	defer f.Close()
	if _, err := f.Write(key); err != nil {
		return nil, fmt.Errorf("app: signing key: %w", err)
	}
	return key, nil
}

func (a *App) wireAWS(ctx context.Context) error {
	rt := a.Runtime
	cfg, err := awsconfig.LoadDefaultConfig(ctx, awsconfig.WithRegion(rt.Region))
	if err != nil {
		return fmt.Errorf("app: aws config: %w", err)
	}
	ep := func(u string) *string {
		if u == "" {
			return nil
		}
		return aws.String(u)
	}
	a.Artifacts = s3.New(awss3.NewFromConfig(cfg, func(o *awss3.Options) {
		o.BaseEndpoint = ep(rt.Endpoints.S3)
		o.UsePathStyle = rt.Endpoints.S3 != ""
	}), rt.Bucket)
	a.Records = dynamodb.New(awsddb.NewFromConfig(cfg, func(o *awsddb.Options) { o.BaseEndpoint = ep(rt.Endpoints.DynamoDB) }), rt.Table)
	a.Events = eventbridge.New(awseb.NewFromConfig(cfg, func(o *awseb.Options) { o.BaseEndpoint = ep(rt.Endpoints.EventBridge) }), rt.EventBus)
	a.Mailer = ses.New(awsses.NewFromConfig(cfg, func(o *awsses.Options) { o.BaseEndpoint = ep(rt.Endpoints.SES) }))
	if rt.StateMachineARN != "" {
		a.StepFunctions = sfn.New(awssfn.NewFromConfig(cfg, func(o *awssfn.Options) { o.BaseEndpoint = ep(rt.Endpoints.SFN) }), rt.StateMachineARN)
	}
	if rt.PredictAliasARN != "" {
		a.lambdaAPI = awslambda.NewFromConfig(cfg, func(o *awslambda.Options) { o.BaseEndpoint = ep(rt.Endpoints.Lambda) })
	}
	if rt.ApprovalSecret != "" {
		sm := awssm.NewFromConfig(cfg, func(o *awssm.Options) { o.BaseEndpoint = ep(rt.Endpoints.SecretsManager) })
		key, err := secrets.Key(ctx, sm, rt.ApprovalSecret)
		if err != nil {
			return err
		}
		a.SigningKey = key
	}
	return nil
}

// Approvals returns the approval service calling back through cb.
func (a *App) Approvals(cb approval.Callback, rec approval.Recorder) *approval.Service {
	return &approval.Service{Records: a.Records, Signer: approval.Signer{Key: a.SigningKey}, Callback: cb, Recorder: rec, Now: a.Now}
}
