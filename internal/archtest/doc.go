// Package archtest holds the import rules of the whole module as one test:
// every package is placed in a layer by its path, and the test checks each
// import of every package (tests excluded) against the table of allowed
// directions. It has no code of its own; see imports_test.go.
//
// The layers, from the outside in:
//
//   - main: cmd/steward, functions/<name>, bench/cmd/<name>; thin mains.
//   - app: internal/app and its subpackages, the one composition root.
//   - cli: internal/cli, flags, prompts and printing over app.
//   - edge: the translations between transport events and the domain
//     (internal/httpedge and its API Gateway conversion, Lambda handlers).
//   - adapter: one package per dependency (internal/aws/<service>,
//     internal/local/<thing>, internal/asl, internal/smtp, internal/slack).
//   - domain: everything else under internal/, plus statemachines and
//     templates.
//   - harness: test-only helpers (packages named *test, internal/cloudtwin).
//
// Arrows point inwards: main → app → cli/edge/adapter → domain. Domain
// packages never import an adapter, the AWS SDK or aws-lambda-go; adapters
// never import one another; cli imports no adapter; nothing but tests,
// harnesses and mains imports a harness.
package archtest
