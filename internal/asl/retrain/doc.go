// Package retrain runs the retraining state machine on this machine: the
// very file statemachines/retrain.asl.json, with each ${...FunctionArn}
// placeholder filled with "local:<function>" and bound to the in-process
// handler of that function, invoked through the same JSON path as on
// Lambda (so events, results and named errors are exactly what Step
// Functions would see).
//
// Executions and their histories live in the record store (SQLite in the
// data directory), so an execution waiting for an approval survives a
// restart, and continues in whichever process receives the callback: a
// `steward retrain` in the terminal starts it, `steward serve` resumes it
// when an approver clicks Approve. The Runner is the workflow.Executions and the approval.Callback of
// the local platform.
//
// It is an adapter of the asl runner: the retraining domain (internal/workflow)
// declares the port, internal/app binds the task handlers.
package retrain
