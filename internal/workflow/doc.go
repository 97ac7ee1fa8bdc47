// Package workflow is the retraining domain: the input of a retraining
// (RetrainInput, checked by Validate), the rules that start one
// (Service.StartNamed: defaults, validation, idempotent execution names),
// the data it trains on (Service.RetrainingData), and the Executions port
// through which the state machine statemachines/retrain.asl.json runs —
// Step Functions on AWS (internal/aws/sfn), the local ASL runner on one
// machine (internal/asl/retrain). Execution and Status are the domain's
// view of an execution, whichever runs it.
//
// The state machine's task handlers live in the edge package
// workflow/tasks, which names their errors for Step Functions.
//
// Every audit event of an execution carries the execution id as its
// correlation id (AuditRecorder does so for the approval service), so
// `steward audit --correlation ID` reads the whole chain: who asked, on
// which data, how the candidate compared, who decided, what moved.
package workflow
