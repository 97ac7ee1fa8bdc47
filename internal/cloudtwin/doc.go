// Package cloudtwin runs Steward's AWS deployment on this machine: the
// real bootstrap binaries of functions/<name>, under aws-lambda-rie (the
// Lambda runtime API as AWS runs it), configured with the environment the
// CDK stack gives each function, talking through the AWS adapters to
// emulated services over their real protocols:
//
//   - S3: gofakes3, in process;
//   - DynamoDB: dynalite (npm), behind a proxy;
//   - Secrets Manager (the approval-link key), SES v2 (sent mail is kept),
//     Step Functions (task tokens wait and are answered once; executions
//     are recorded) and EventBridge: small endpoints of this package
//     speaking the services' JSON protocols;
//   - API Gateway: Gateway turns a URL under the stage into the REST
//     proxy event of the stack's routes, checking the API key on /v1.
//
// Every endpoint stands behind IAM: each function signs with its own
// credentials and may do what its Access bits in the stack grant, on the
// resources they name (WritePrefixes included); other calls are refused as
// AWS refuses them and recorded, so a missing grant shows up here rather
// than after a deploy.
//
// The stack (infra/, its own Go module) stays the one description of the
// deployment: ReadStack reads its function table and string constants
// (environment names, the configuration key, the capture filter pattern)
// from source, and cdk.json gives the stage, approvers and sender.
// Deployment.StackEnvironment is the one place that mirrors how the stack
// sets a function's environment; DeployProject uploads steward.yaml and
// its suite as the stack's configuration upload does; Deliver plays a
// CloudWatch Logs subscription filter (the predict function's capture
// lines to functions/capture), batch and encoding as AWS sends them.
//
// The end-to-end test of this package builds every function of the stack
// once and runs a model's life through them: validate, train, predict
// through the API, captures delivered from predict's log to S3, Hungarian
// traffic checked for drift on schedule, the agent starting a retraining,
// a candidate trained and evaluated, an approval requested and decided,
// the promotion, its record and report, and the dashboard; then it checks
// that no call was refused by the grants. It is skipped with -short.
package cloudtwin
