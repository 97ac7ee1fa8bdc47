// Package lambdaerr gives the errors that leave a Lambda handler stable names.
//
// Lambda reports a returned error under its Go type name, so a wrapped error
// arrives as "wrapError" and no ASL Retry or Catch clause can route it. At
// the Lambda boundary each handler maps its domain errors, with errors.Is or
// errors.As, to one of the names below; the state machines match those names.
package lambdaerr

import (
	"errors"

	"github.com/aws/aws-lambda-go/lambda/messages"
)

// Stable error names seen by Step Functions and by API callers.
const (
	InvalidInput         = "InvalidInput"         // the event itself is malformed
	DataValidationFailed = "DataValidationFailed" // the dataset failed its expectation suite
	TrainingFailed       = "TrainingFailed"       // no candidate could be trained
	ModelNotFound        = "ModelNotFound"        // no such model, version or alias
	Conflict             = "Conflict"             // a compare-and-set lost; safe to retry
	ApprovalExpired      = "ApprovalExpired"      // an approval request passed its expiry
	NotificationFailed   = "NotificationFailed"   // every delivery attempt failed
	Internal             = "InternalError"        // anything unexpected; retried by the ASL
)

// Rule maps errors matching Match to the stable Name.
type Rule struct {
	Name  string
	Match func(error) bool
}

// Is returns a Match function for errors.Is(err, target).
func Is(target error) func(error) bool {
	return func(err error) bool { return errors.Is(err, target) }
}

// Map returns err renamed by the first matching rule, or named Internal when
// none matches. A nil error stays nil. The message is kept as is.
func Map(err error, rules ...Rule) error {
	if err == nil {
		return nil
	}
	var named messages.InvokeResponse_Error
	if errors.As(err, &named) {
		return named
	}
	name := Internal
	for _, r := range rules {
		if r.Match(err) {
			name = r.Name
			break
		}
	}
	return New(name, err.Error())
}

// New returns an error that Lambda reports with the given name.
func New(name, message string) error {
	return messages.InvokeResponse_Error{Type: name, Message: message}
}

// Name returns the name Lambda will report for err.
func Name(err error) string {
	var named messages.InvokeResponse_Error
	if errors.As(err, &named) {
		return named.Type
	}
	return ""
}
