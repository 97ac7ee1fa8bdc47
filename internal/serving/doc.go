// Package serving is Steward's prediction service: the hot path between a
// request (an API Gateway event on AWS, the local gateway on a laptop) and a
// registered model.
//
// A Handler is an httpedge.Handler; it routes transport-neutral requests:
//
//	POST /v1/models/{name}/predict   score instances (?version=N or ?alias=A)
//	GET  /v1/models                  the registered models
//	GET  /v1/models/{name}           one model: versions, aliases, metrics
//	POST /v1/feedback                ground truth for a prediction id
//	GET  /health                     liveness and the versions being served
//	GET  /metrics                    Prometheus text (when the Recorder can expose it)
//
// Request bodies are decoded strictly against the model's schema by a
// hand-written scanner (DecodePredict) that reports every problem with its
// instance index, field and what was expected; a client mistake is always a
// 4xx, never a 500.
//
// Models come from a ModelSource through a Cache that keeps the loaded model
// of each alias behind an atomic pointer: requests never take a lock, and an
// alias move (checked at most every Config.RefreshInterval) swaps the pointer
// only once the new version is loaded, so no request fails during a swap and
// every response names the version that produced it.
//
// Every prediction (sampled at Config.CaptureRate) is handed to a Capturer:
// locally a BatchWriter that formats each capture's JSON lines on the
// request path (a microsecond or two), buffers them, and writes them off it
// to captures/{model}/dt=YYYY-MM-DD/hour=HH/ in the artifact store,
// flushing on Close; on Lambda a LogCapturer that writes
// the same lines to the function's log stream before the response returns.
// Metrics go to a Recorder: Prometheus counters and histograms locally
// (PromRecorder), CloudWatch Embedded Metric Format lines on Lambda
// (EMFRecorder).
//
// The package does not know API Gateway: package httpedge/apigw converts
// proxy events to httpedge.Request and back, and the local gateway builds
// httpedge.Request directly.
package serving
