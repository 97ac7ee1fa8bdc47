// Package asl is Steward's local interpreter for the Amazon States Language
// (JSONPath query language).
//
// On AWS, Step Functions runs Steward's state machines; locally, `steward serve`
// and the CLI run the very same definition files with this package, with each
// Task bound to an in-process handler through the Invoker port. The package
// covers what the specification defines for Task, Choice, Pass, Wait,
// Succeed, Fail, Parallel and Map states: input and output processing in the
// specification's order (InputPath, Parameters, ResultSelector, ResultPath,
// OutputPath), payload templates, the context object ($$), intrinsic
// functions, Retry and Catch, task and execution timeouts, and the callback
// pattern (.waitForTaskToken with SendTaskSuccess, SendTaskFailure and
// SendTaskHeartbeat).
//
// Executions are durable: every step is saved through the Store port with an
// optimistic version, together with the execution's event history, so an
// execution waiting for a callback survives a restart and continues in
// whichever process receives the callback. Time and randomness are injected
// (Clock, Rand, Entropy), so tests never sleep.
//
// Wiring: parse the definition once (Substitute, then Parse), build one
// Runner per process with NewRunner over a shared Store (NewMemStore in
// tests, NewRecordStoreBackend over the record store otherwise) and
// Config.Resources binding each Lambda function name or ARN to an Invoker,
// and keep Runner.Run going in long-lived processes so Wait states, retry
// delays and timeouts fire; Start, SendTaskSuccess, SendTaskFailure and
// SendTaskHeartbeat run the execution on synchronously until it waits or
// ends. Task tokens name their execution, so any Runner over the same
// Store accepts a callback. Invokers that fail return errors whose
// ErrorName is what Retry and Catch match (see ErrorName and TaskError).
//
// Where the specification and Step Functions differ, the interpreter does
// what Step Functions does: Task TimeoutSeconds has no 60-second default,
// Retry supports MaxDelaySeconds and JitterStrategy, Fail supports
// ErrorPath and CausePath, lambda:invoke results have the service
// integration's shape ({"Payload": ..., "StatusCode": 200, ...}), and
// States.Runtime failures (bad InputPath, OutputPath or Choice variables)
// cannot be caught.
//
// The pieces can be used on their own: Parse validates a definition,
// Substitute fills ${Name} placeholders, ParsePath and ParseIntrinsic
// evaluate JSONPath expressions and intrinsic functions.
package asl
