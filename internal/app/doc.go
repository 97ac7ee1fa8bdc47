// Package app is the one place that turns configuration into a running
// Steward: it picks the local adapters (a directory, SQLite, the outbox,
// the in-process bus and runner) or the AWS ones (S3, DynamoDB, SES,
// EventBridge, Step Functions, Secrets Manager) and builds the services on
// top of them; package adapters makes the adapters themselves. The CLI,
// `steward serve` (NewServer) and every Lambda main call New, so the same
// handlers run in both modes.
package app
