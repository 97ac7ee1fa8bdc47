// Package driftfn is the Lambda handler of functions/drift: an EventBridge
// schedule (rate(...) or cron(...)) fires it, and it runs one drift check
// of the deployment's model over the window that ends at the event's time,
// storing the report and the history record and sending DriftChecked.
//
// The event is EventBridge's scheduled event ("source": "aws.events",
// "detail-type": "Scheduled Event", "detail": {}). A rule with a constant
// input may set detail.window ("24h", "7d") or detail.version; any other
// detail field is refused. Errors leave under stable names: InvalidInput
// for an event or window that cannot be checked, ModelNotFound for a model
// without a champion or a bundle without a reference profile, and
// InternalError (retried) for the rest.
package driftfn
