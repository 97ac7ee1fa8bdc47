package app

import (
	"io"
	"log/slog"
	"time"

	"github.com/stewardml/steward/internal/registry"
	"github.com/stewardml/steward/internal/serving"
	"github.com/stewardml/steward/internal/serving/apigw"
)

// ServingOptions say how to run the prediction service.
type ServingOptions struct {
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
}

// Serving is the wired prediction service.
type Serving struct {
	Handler *serving.Handler
	// APIGateway is Handler as an API Gateway proxy handler.
	APIGateway *apigw.Handler
	Models     *serving.Cache
	// Captures is the local batch writer (nil on Lambda); close it after
	// the server stops, to write what is buffered.
	Captures *serving.BatchWriter
	// Metrics is the local Prometheus recorder (nil on Lambda).
	Metrics *serving.PromRecorder
}

// Serving builds the prediction service over the application's stores and
// the project's serving settings.
func (a *App) Serving(opts ServingOptions) *Serving {
	cfg := serving.DefaultConfig()
	cfg.Detail = opts.Detail
	if a.Project != nil {
		s := a.Project.Serving
		cfg.DefaultAlias = s.DefaultAlias
		if s.CaptureRate != nil {
			cfg.CaptureRate = *s.CaptureRate
		}
		cfg.Limits.MaxInstances = s.MaxInstances
		cfg.MaxBodyBytes = s.MaxBodyBytes
	}
	if opts.Stdout == nil {
		opts.Stdout = io.Discard
	}
	src := &serving.RegistrySource{Registry: registry.New(a.Records), Artifacts: a.Artifacts}
	out := &Serving{Models: serving.NewCache(src, serving.CacheConfig{
		RefreshInterval: opts.RefreshInterval, Inline: opts.Lambda, Now: a.Now, Logger: opts.Logger,
	})}
	deps := serving.Deps{Models: out.Models, Catalog: src, Feedback: a.Records, Now: a.Now, Logger: opts.Logger}
	if opts.Lambda {
		deps.Capturer = serving.NewLogCapturer(opts.Stdout)
		deps.Metrics = serving.NewEMFRecorder(opts.Stdout, "Steward/Serving", a.Now)
	} else {
		out.Captures = serving.NewBatchWriter(a.Artifacts, serving.BatchWriterConfig{FlushInterval: opts.FlushInterval, Now: a.Now, Logger: opts.Logger})
		out.Metrics = serving.NewPromRecorder()
		w := out.Captures
		out.Metrics.AddCounterFunc("steward_captured_predictions_total", "Predictions written to the artifact store.", func() float64 { return float64(w.Stats().Written) })
		out.Metrics.AddGaugeFunc("steward_capture_pending", "Captured predictions waiting to be written.", func() float64 { return float64(w.Stats().Pending) })
		out.Metrics.AddCounterFunc("steward_capture_write_failures_total", "Failed capture writes (each retried).", func() float64 { return float64(w.Stats().Failures) })
		deps.Capturer = w
		deps.Metrics = out.Metrics
	}
	out.Handler = serving.NewHandler(cfg, deps)
	out.APIGateway = apigw.New(out.Handler, opts.Logger)
	return out
}
