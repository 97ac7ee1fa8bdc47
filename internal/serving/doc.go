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
//	GET  /metrics                    Prometheus text (when the metrics.Recorder can expose it)
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
// Every prediction (sampled at Config.CaptureRate) is handed to a
// capture.Capturer (package capture: the batch writer locally, log lines on
// Lambda) and every request to a metrics.Recorder (package metrics:
// Prometheus locally, Embedded Metric Format on Lambda); prediction ids
// come from package uuidv7 and the JSON bytes of answers from package
// jsonappend. Those are packages of their own because the drift monitor,
// the local alarms and the capture function read them without the
// prediction service. The strict JSON scanner stays here: only the
// request decoders use it.
//
// The package does not know API Gateway: package httpedge/apigw converts
// proxy events to httpedge.Request and back, and the local gateway builds
// httpedge.Request directly.
package serving
