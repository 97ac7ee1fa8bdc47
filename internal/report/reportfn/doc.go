// Package reportfn is the report function: the handler behind
// functions/report on Lambda, which the retraining state machine and the
// agent invoke to render a report after a training run, a drift check or a
// promotion, and behind the same step when `steward serve` runs it locally.
//
// The event names a report and the formats to render:
//
//	{"kind": "training",   "id": "<run id>",            "formats": ["html", "pdf"]}
//	{"kind": "drift",      "id": "<model>/<check id>"}
//	{"kind": "deployment", "id": "<model>[:<seq>]"}
//
// Formats default to both. The result lists each stored rendering with
// its artifact key and the URL readers open (a presigned S3 URL on AWS, a
// dashboard address locally), ready to go into a notification. Errors
// leave under stable names: InvalidInput for a malformed event or a report
// whose source does not exist, InternalError for the rest.
package reportfn
