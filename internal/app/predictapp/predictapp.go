package predictapp

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"time"

	"github.com/stewardml/steward/internal/app/adapters"
	"github.com/stewardml/steward/internal/app/adapters/records"
	"github.com/stewardml/steward/internal/app/adapters/signingkey"
	"github.com/stewardml/steward/internal/app/projectsource"
	"github.com/stewardml/steward/internal/capture"
	"github.com/stewardml/steward/internal/config"
	"github.com/stewardml/steward/internal/httpedge/apigw"
	"github.com/stewardml/steward/internal/metrics"
	"github.com/stewardml/steward/internal/registry"
	"github.com/stewardml/steward/internal/serving"
	"github.com/stewardml/steward/internal/store"
	"github.com/stewardml/steward/internal/uuidv7"
)

// Options say how to run the prediction service.
type Options struct {
	// Lambda selects the Lambda flavour: captures and metrics are written
	// as log lines to Stdout before each invocation returns, and alias
	// checks run inline. Otherwise captures are batched to the artifact
	// store and metrics kept for GET /metrics.
	Lambda bool
	// Stdout receives the Lambda log lines; nil means io.Discard.
	Stdout io.Writer
	// RefreshInterval is how often an alias is checked for a move; 0
	// means 10 s.
	RefreshInterval time.Duration
	// Detail is how much error bodies say.
	Detail serving.Detail
	// FlushInterval is how long a local capture may wait before it is
	// written; 0 means 1 s.
	FlushInterval time.Duration
	// Logger receives model swaps and failures; nil discards.
	Logger *slog.Logger
	// Now is the clock; nil means time.Now.
	Now func() time.Time
	// SigningKey seals prediction ids (through a key derived from it), so
	// that feedback is accepted only for ids this service issued; nil
	// issues unsealed ids and accepts feedback for any past UUIDv7.
	SigningKey []byte
}

// Serving is the wired prediction service.
type Serving struct {
	Handler *serving.Handler
	// APIGateway is Handler as an API Gateway proxy handler.
	APIGateway *apigw.Handler
	Models     *serving.Cache
	// Captures is the local batch writer (nil on Lambda); close it after
	// the server stops, to write what is buffered.
	Captures *capture.BatchWriter
	// Metrics is the local Prometheus recorder (nil on Lambda).
	Metrics *metrics.PromRecorder
}

// Build wires the prediction service over the stores and the project's
// serving settings (p may be nil: defaults).
func Build(arts store.ArtifactStore, rs store.RecordStore, p *config.Project, opts Options) *Serving {
	cfg := serving.DefaultConfig()
	cfg.Detail = opts.Detail
	if p != nil {
		s := p.Serving
		if s.DefaultAlias != "" {
			cfg.DefaultAlias = s.DefaultAlias
		}
		if s.CaptureRate != nil {
			cfg.CaptureRate = *s.CaptureRate
		}
		cfg.Limits.MaxInstances = s.MaxInstances
		cfg.MaxBodyBytes = s.MaxBodyBytes
	}
	if opts.Stdout == nil {
		opts.Stdout = io.Discard
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	src := &serving.RegistrySource{Registry: registry.New(rs), Artifacts: arts}
	out := &Serving{Models: serving.NewCache(src, serving.CacheConfig{
		RefreshInterval: opts.RefreshInterval, Inline: opts.Lambda, Now: opts.Now, Logger: opts.Logger,
	})}
	deps := serving.Deps{Models: out.Models, Catalog: src, Feedback: rs, Now: opts.Now, Logger: opts.Logger}
	if len(opts.SigningKey) > 0 {
		deps.IDSigner = uuidv7.NewSigner(opts.SigningKey)
	}
	if opts.Lambda {
		deps.Capturer = capture.NewLogCapturer(opts.Stdout)
		deps.Metrics = metrics.NewEMFRecorder(opts.Stdout, "Steward/Serving", opts.Now)
	} else {
		w := capture.NewBatchWriter(arts, capture.BatchWriterConfig{FlushInterval: opts.FlushInterval, Now: opts.Now, Logger: opts.Logger})
		m := metrics.NewPromRecorder()
		m.AddCounterFunc("steward_captured_predictions_total", "Predictions written to the artifact store.", func() float64 { return float64(w.Stats().Written) })
		m.AddGaugeFunc("steward_capture_pending", "Captured predictions waiting to be written.", func() float64 { return float64(w.Stats().Pending) })
		m.AddCounterFunc("steward_capture_write_failures_total", "Failed capture writes (each retried).", func() float64 { return float64(w.Stats().Failures) })
		out.Captures, out.Metrics = w, m
		deps.Capturer, deps.Metrics = w, m
	}
	out.Handler = serving.NewHandler(cfg, deps)
	out.APIGateway = apigw.New(out.Handler)
	return out
}

// App is the prediction service with its stores and project.
type App struct {
	*Serving
	// Project is the project configuration, nil when there is none.
	Project *config.Project
	closers []func() error
}

// Close releases the stores.
func (a *App) Close() error {
	var errs []error
	for i := len(a.closers) - 1; i >= 0; i-- {
		errs = append(errs, a.closers[i]())
	}
	a.closers = nil
	return errors.Join(errs...)
}

// New opens the stores the runtime settings name (S3 and DynamoDB when a
// bucket or table is set, the data directory otherwise), loads the project
// configuration Runtime.ConfigPath names (a file, used if it exists, or
// artifact:KEY in the artifact store, as on Lambda; see package
// projectsource), and builds the service.
func New(ctx context.Context, rt config.Runtime, opts Options) (*App, error) {
	a := &App{}
	var arts store.ArtifactStore
	var rs store.RecordStore
	if rt.AWS() {
		c, err := adapters.NewAWS(ctx, rt)
		if err != nil {
			return nil, err
		}
		arts, rs = c.Artifacts(), records.AWS(c)
		key, err := signingkey.AWS(ctx, c)
		if err != nil {
			return nil, err
		}
		opts.SigningKey = key
	} else {
		l := &adapters.Local{Dir: rt.DataDir}
		f, err := l.Artifacts()
		if err != nil {
			return nil, err
		}
		db, err := records.Local(l)
		if err != nil {
			return nil, err
		}
		a.closers = append(a.closers, db.Close)
		arts, rs = f, db
		key, err := signingkey.Local(l)
		if err != nil {
			a.Close()
			return nil, err
		}
		opts.SigningKey = key
	}
	p, err := loadProject(ctx, rt.ConfigPath, arts, a)
	if err != nil {
		a.Close()
		return nil, err
	}
	a.Project = p
	a.Serving = Build(arts, rs, a.Project, opts)
	return a, nil
}

// loadProject loads the project configuration ref names. A configuration
// from the artifact store is copied, with its suite, into a temporary
// directory that a.Close removes.
func loadProject(ctx context.Context, ref string, arts store.ArtifactStore, a *App) (*config.Project, error) {
	dir := ""
	if _, ok := projectsource.InStore(ref); ok {
		d, err := os.MkdirTemp("", "steward-project-")
		if err != nil {
			return nil, fmt.Errorf("predictapp: project configuration %s: %w", ref, err)
		}
		a.closers = append(a.closers, func() error { return os.RemoveAll(d) })
		dir = d
	}
	return projectsource.Load(ctx, ref, arts, dir)
}

// Lambda builds the predict Lambda's handler (functions/predict): the
// service in its Lambda flavour, logging JSON to stderr and writing
// captures and metrics to stdout, with the champion loaded during init,
// where Lambda does not bill the first request for it. started is when
// the process started; the ready line logs the init time since then.
func Lambda(ctx context.Context, rt config.Runtime, started time.Time) (handler any, close func() error, err error) {
	logger := slog.New(slog.NewJSONHandler(os.Stderr, nil))
	a, err := New(ctx, rt, Options{Lambda: true, Stdout: os.Stdout, Logger: logger})
	if err != nil {
		return nil, nil, err
	}
	if rt.AWS() && rt.ApprovalSecret == "" {
		logger.Warn("predict: no signing key (STEWARD_APPROVAL_SECRET): prediction ids are not sealed and feedback is accepted for any past id")
	}
	if a.Project != nil {
		// A failure here is not fatal: the first request retries and
		// answers 404 or 503 if it still fails.
		if _, err := a.Models.Alias(ctx, a.Project.Model.Name, a.Project.Serving.DefaultAlias); err != nil {
			logger.Warn("predict: champion not loaded during init", "model", a.Project.Model.Name, "err", err)
		}
	}
	logger.Info("predict: ready", "initMs", float64(time.Since(started).Microseconds())/1000)
	return a.APIGateway.Handle, a.Close, nil
}
