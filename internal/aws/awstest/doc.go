// Package awstest runs AWS emulators for the AWS adapters' tests, so those
// adapters are exercised over the services' real HTTP protocols through the
// real SDK clients:
//
//   - S3 is gofakes3, served in-process by net/http/httptest.
//   - DynamoDB is dynalite from npm (a devDependency in the repository's
//     package.json), run by node as a child process on a free loopback port.
//     dynalite lacks TransactWriteItems; the launcher script embedded here
//     adds it on dynalite's own storage and condition code.
//
// When node or dynalite is missing, DynamoDB skips the test with a message
// saying how to install it, except under CI (CI=true), where it fails: a CI
// run must never pass by skipping the emulator.
package awstest
