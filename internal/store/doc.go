// Package store declares Steward's two storage ports: an ArtifactStore with S3
// semantics for blobs (datasets, model bundles, reports, captures) and a
// RecordStore with DynamoDB single-table semantics for small records (the
// registry, runs, audit events, executions, approvals).
//
// Adapters live in their own packages, one per dependency (a directory tree
// and SQLite locally, S3 and DynamoDB on AWS). Every adapter runs the
// importable contract suites in package storetest, so they all behave alike.
package store
