// Package metrics records what each request of the prediction service
// contributes to the operational figures: request counts by route and
// status, latency histograms, predicted-probability histograms and the
// versions served. A Recorder receives one Observation per request:
// PromRecorder keeps counters and histograms for the Prometheus text at
// GET /metrics of `steward serve` and takes the Snapshots that the local
// alarms (local/alarms) evaluate; EMFRecorder writes CloudWatch Embedded
// Metric Format lines on Lambda, which CloudWatch turns into the metrics
// its alarms watch.
//
// Observe is on the request path: PromRecorder's takes no lock and
// allocates nothing for a route, status and model already seen.
package metrics
