// Package notifytest reads back what Steward sends, for tests that assert
// on what a recipient received: an email as rendered (its headers, text,
// HTML and attachments) and a Slack webhook body.
package notifytest
