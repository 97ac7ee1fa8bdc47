// Package capture records the predictions the prediction service makes,
// for the drift checks, the reports and the dashboard's trends: one JSON
// line per prediction (Line), under
// captures/{model}/dt=YYYY-MM-DD/hour=HH/ in the artifact store (Key,
// Prefix), the one layout every reader (monitor, report, web) reads.
//
// A Capturer takes each request's predictions on the request path.
// Locally a BatchWriter formats the lines there (a microsecond or two),
// buffers them and writes them off it, flushing on Close; on Lambda a
// LogCapturer writes the same lines to the function's log stream before
// the response returns, and a CloudWatch Logs subscription delivers them
// to functions/capture (serving/capturefn), which writes the same
// partitioned files.
//
// The true labels that arrive later (POST /v1/feedback) are stored as
// Feedback records under FeedbackKey, beside the captures they label: the
// drift monitor joins the two by prediction id.
package capture
