// Package capturefn is the Lambda handler of functions/capture, the AWS
// half of capture delivery. On Lambda the predict function writes each
// captured prediction as one JSON line to its log (capture.LogCapturer)
// before it answers; a CloudWatch Logs subscription filter on its log
// group ({ $.kind = "capture" }) sends those lines, in batches, to this
// handler, which writes them to the artifact store under
// captures/{model}/dt=YYYY-MM-DD/hour=HH/ as JSON lines, where drift
// checks, reports and the dashboard read captures locally too.
//
// The event is CloudWatch Logs' subscription event: {"awslogs":{"data":
// base64 of gzip of JSON}}, read by Decode with bounds on every size.
// Each batch becomes one object per model and hour of its lines, named
// from the log group, stream and event ids it holds, so that a batch
// delivered again (Lambda retries asynchronous invocations) rewrites the
// same objects with the same bytes instead of adding duplicates. Lines
// that are not capture lines are skipped and reported, never guessed at;
// an undecodable payload is InvalidInput, a failed write InternalError,
// so that Lambda retries it and finally parks it in the stack's queue of
// undelivered captures.
package capturefn
