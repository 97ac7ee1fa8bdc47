// Package workflow holds the task handlers of the retraining state machine
// (statemachines/retrain.asl.json) other than data validation and training:
//
//	Evaluate         picks the best trained candidate, registers it, and scores
//	                 it and the champion on the same hold-out rows
//	RequestApproval  stores the task token with an approval request and emails
//	                 each approver a signed link; the execution then waits
//	Promote          moves champion to the candidate by compare-and-set against
//	                 the champion the evaluation saw
//	Record           writes the audit event and the notification of each step
//	                 and outcome (started, promoted, not_better, rejected,
//	                 escalated, failed)
//
// Each handler is a small struct over domain ports. Its Invoke method is the
// Lambda JSON path (functions/<name> on AWS, the local runner's invoker in
// `steward serve` and the CLI): the event is decoded strictly, and every
// error leaves under a stable name from internal/lambdaerr that the state
// machine's Retry and Catch clauses match.
//
// Every audit event of an execution carries the execution id as its
// correlation id, so `steward audit --correlation ID` reads the whole chain:
// who asked, on which data, how the candidate compared, who decided, what
// moved.
package workflow
