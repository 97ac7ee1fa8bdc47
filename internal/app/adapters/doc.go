// Package adapters makes Steward's adapters from the runtime settings
// (config.Runtime), once and in one place: the local ones over a data
// directory (a directory of artifacts, the SQLite record store, the email
// outbox, the approval signing key, the in-process bus) and the AWS ones
// (S3, DynamoDB, EventBridge, SES, Step Functions, Lambda, Secrets
// Manager), every AWS client built from one loaded SDK configuration with
// the endpoint overrides of config.Endpoints.
//
// This package makes the artifact store and loads the SDK configuration;
// subpackage records makes the record store and subpackage platform the
// rest. The split follows what each binary needs, because Go links every
// imported package's initialisation whether or not its clients are made:
// capture (artifacts only) links neither SQLite nor DynamoDB, predict
// (artifacts and records) none of the SDK clients of platform. Package app
// builds the whole application from all three; the slim per-function
// builders (predictapp, captureapp) use only what they need.
package adapters
