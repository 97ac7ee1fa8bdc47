// Package cli implements the steward command line: global flags, command
// dispatch, exit codes and the shared output helpers. Each command lives in
// its own file as a run function registered in commands.go; commands build
// the application through internal/app, the same constructor the Lambda
// mains and the local server use.
package cli
