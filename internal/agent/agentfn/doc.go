// Package agentfn is the Lambda handler of functions/agent. EventBridge
// rules deliver to it Steward's DriftChecked and ValidationFailed events
// (source "steward") and CloudWatch alarm state changes (source
// "aws.cloudwatch"); it parses the event, lets the agent diagnose, decide,
// act and record, and returns the decision's Entry.
//
// Errors leave under stable names: InvalidInput for an event or policy
// the agent cannot act on (nothing was done, and a retry would not help),
// InternalError for anything else (EventBridge retries the delivery; the
// action ids make the retry act at most once).
package agentfn
