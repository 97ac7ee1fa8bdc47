package app

import (
	"context"
	"errors"
	"io"
	"time"

	awslambda "github.com/aws/aws-sdk-go-v2/service/lambda"

	"github.com/stewardml/steward/internal/app/adapters"
	"github.com/stewardml/steward/internal/app/adapters/platform"
	"github.com/stewardml/steward/internal/app/adapters/records"
	"github.com/stewardml/steward/internal/app/adapters/signingkey"
	"github.com/stewardml/steward/internal/approval"
	"github.com/stewardml/steward/internal/aws/sfn"
	"github.com/stewardml/steward/internal/bus"
	"github.com/stewardml/steward/internal/config"
	"github.com/stewardml/steward/internal/notify"
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
	// aws makes the AWS adapters; nil locally.
	aws *adapters.AWS
	// local makes the local adapters; nil on AWS.
	local *adapters.Local

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
	if err := a.wireNotify(ctx); err != nil {
		a.Close()
		return nil, err
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
	l, err := adapters.NewLocal(a.Runtime.DataDir)
	if err != nil {
		return err
	}
	if a.Artifacts, err = l.Artifacts(); err != nil {
		return err
	}
	db, err := records.Local(l)
	if err != nil {
		return err
	}
	a.Records = db
	a.closers = append(a.closers, db.Close)
	a.LocalBus = &bus.Local{}
	a.Events = a.LocalBus
	a.local = l
	ob, err := platform.LocalMailer(l, a.Console)
	if err != nil {
		return err
	}
	ob.Now = a.Now
	a.Mailer = ob
	a.SigningKey, err = signingkey.Local(l)
	return err
}

func (a *App) wireAWS(ctx context.Context) error {
	c, err := adapters.NewAWS(ctx, a.Runtime)
	if err != nil {
		return err
	}
	a.aws = c
	a.Artifacts = c.Artifacts()
	a.Records = records.AWS(c)
	a.Events = platform.Events(c)
	a.Mailer = platform.Mailer(c)
	a.StepFunctions = platform.StepFunctions(c)
	a.lambdaAPI = platform.Lambda(c)
	a.SigningKey, err = signingkey.AWS(ctx, c)
	return err
}

// Approvals returns the approval service calling back through cb.
func (a *App) Approvals(cb approval.Callback, rec approval.Recorder) *approval.Service {
	return &approval.Service{Records: a.Records, Signer: approval.Signer{Key: a.SigningKey}, Callback: cb, Recorder: rec, Now: a.Now}
}
