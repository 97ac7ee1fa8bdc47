// Package alarms raises Steward's operational alarms locally, the part
// CloudWatch alarms play on AWS: `steward serve` evaluates, once a period,
// the share of requests answered 5xx and the p99 latency of the prediction
// API from its metrics registry (metrics.PromRecorder), and publishes each
// alarm's state change as a "CloudWatch Alarm State Change" event on the
// local bus — the shape EventBridge delivers to functions/agent — so that
// the agent diagnoses and acts on it as it does on AWS.
//
// The alarms follow CloudWatch's rules: one datapoint per period, ALARM
// when at least Datapoints of the last Periods datapoints breach the
// threshold, OK otherwise; a period with fewer than MinRequests requests
// has no datapoint and counts as not breaching (the stack's
// TreatMissingData NOT_BREACHING). An alarm starts OK, and only a change
// of state is published: ALARM on a breach, OK on recovery, nothing while
// the state holds. An event the bus could not deliver (its subscriber
// failed) is published again, unchanged, at the next evaluation.
//
// Names are the stack's: "<prefix>-predict-5xx" and
// "<prefix>-predict-latency-p99". There is no throttle alarm: nothing
// throttles the local server.
package alarms
