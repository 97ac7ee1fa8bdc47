// Package tasks holds every task handler of the retraining state machine
// (statemachines/retrain.asl.json), one per functions/<name>:
//
//	Validate         a dataset location and an expectation suite in, a Great
//	                 Expectations validation result out (stored under
//	                 validations/<digest>/<suite>/<time>.json, so that a
//	                 DataValidationFailed error can still be read in full)
//	Train            train (the whole search), plan (the candidates, one per
//	                 Map item) or candidate (train ONE candidate: the Map
//	                 iterator's work)
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
// Each handler is a small struct over domain ports and the project
// configuration. Its Invoke method is the Lambda JSON path (functions/<name>
// on AWS, the local runner's invoker in `steward serve` and the CLI): the
// event is decoded strictly, and every error leaves under a stable name from
// internal/lambdaerr (InvalidInput, DataValidationFailed, TrainingFailed,
// ModelNotFound, Conflict, NotificationFailed, InternalError for the rest)
// that the state machine's Retry and Catch clauses match.
//
// It is an edge package: it imports domain packages only; internal/app
// builds the handlers and binds them to the local runner.
package tasks
