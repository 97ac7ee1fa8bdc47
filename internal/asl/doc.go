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
// The pieces can be used on their own: Parse validates a definition,
// Substitute fills ${Name} placeholders, ParsePath and ParseIntrinsic
// evaluate JSONPath expressions and intrinsic functions.
package asl
