// Package lambdaconcurrency is the agent's Scaler on AWS Lambda, through
// aws-sdk-go-v2: it reads and sets the provisioned concurrency of the
// predict function's live alias (GetProvisionedConcurrencyConfig and
// PutProvisionedConcurrencyConfig, Lambda's REST-JSON API under
// /2019-09-30/functions/{name}/provisioned-concurrency?Qualifier=live).
//
// The agent decides how far to raise (the current figure plus the
// policy's step, within its bounds); the adapter refuses anything outside
// the bounds it was given, so that a wrong decision cannot buy more
// concurrency than the deployment allows. An alias without provisioned
// concurrency reads as 0.
//
// The adapter depends on a private interface naming only the two SDK
// calls it makes, so a *lambda.Client from the SDK or a test fake both
// fit; SDK errors become the package's sentinel errors (an update already
// in progress is ErrBusy, an unknown function or alias ErrNotFound).
// Package lambdaconcurrencytest is an emulator of those two calls for
// tests.
package lambdaconcurrency
