// Package stack defines Steward's AWS deployment as one CDK stack: the
// artifact bucket, the single-table record store, one Lambda per
// functions/<name>, the REST API in front of the serving, approval and
// dashboard handlers, the retraining state machine read from
// statemachines/retrain.asl.json, the approval signing secret, SES sending
// rights, the drift schedule, the agent's EventBridge rules and the
// operational alarms.
//
// Configuration comes from CDK context (cdk.json or -c key=value) and is
// validated by LoadConfig before any construct exists, so a bad value
// fails synth with one line naming the key instead of a jsii stack trace.
// The function list lives in one table (Functions) and every function is
// made by one helper, so all of them get the same runtime, architecture,
// log group and least-privilege role.
package stack
