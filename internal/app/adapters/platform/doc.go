// Package platform makes the adapters only the whole application (package
// app) needs beside the artifact and record stores: the event bus, the
// mailer and, on AWS, Step Functions and Lambda.
// It is apart from package adapters so that the slim functions (predict,
// capture) link none of their SDK clients.
package platform
