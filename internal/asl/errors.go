package asl

import (
	"errors"
	"fmt"
	"reflect"
	"strings"
)

// Error names predefined by the States Language and by Step Functions.
// User-defined error names must not start with "States.".
const (
	ErrorAll                        = "States.ALL"
	ErrorHeartbeatTimeout           = "States.HeartbeatTimeout"
	ErrorTimeout                    = "States.Timeout"
	ErrorTaskFailed                 = "States.TaskFailed"
	ErrorPermissions                = "States.Permissions"
	ErrorResultPathMatchFailure     = "States.ResultPathMatchFailure"
	ErrorParameterPathFailure       = "States.ParameterPathFailure"
	ErrorBranchFailed               = "States.BranchFailed"
	ErrorNoChoiceMatched            = "States.NoChoiceMatched"
	ErrorIntrinsicFailure           = "States.IntrinsicFailure"
	ErrorDataLimitExceeded          = "States.DataLimitExceeded"
	ErrorRuntime                    = "States.Runtime"
	ErrorExceedToleratedFailure     = "States.ExceedToleratedFailureThreshold"
	ErrorItemReaderFailed           = "States.ItemReaderFailed"
	ErrorResultWriterFailed         = "States.ResultWriterFailed"
	errorLambdaResourceNotFound     = "Lambda.ResourceNotFoundException"
	errorLambdaUnknown              = "Lambda.Unknown"
	maxPayloadBytes                 = 262144
	maxErrorNameLen, maxCauseLength = 256, 32768
)

// knownStatesErrors lists every predefined name, for validating ErrorEquals.
var knownStatesErrors = map[string]bool{
	ErrorAll: true, ErrorHeartbeatTimeout: true, ErrorTimeout: true, ErrorTaskFailed: true,
	ErrorPermissions: true, ErrorResultPathMatchFailure: true, ErrorParameterPathFailure: true,
	ErrorBranchFailed: true, ErrorNoChoiceMatched: true, ErrorIntrinsicFailure: true,
	ErrorDataLimitExceeded: true, ErrorRuntime: true, ErrorExceedToleratedFailure: true,
	ErrorItemReaderFailed: true, ErrorResultWriterFailed: true,
}

// Sentinel errors, checked with errors.Is.
var (
	// ErrInvalidDefinition wraps every problem found by Parse.
	ErrInvalidDefinition = errors.New("asl: invalid state machine definition")
	// ErrMissingPlaceholder reports ${Name} placeholders without a value.
	ErrMissingPlaceholder = errors.New("asl: placeholder without a value")
	// ErrInvalidPath reports a malformed JSONPath.
	ErrInvalidPath = errors.New("asl: invalid path")
	// ErrPathNotFound reports a definite path that selects nothing.
	ErrPathNotFound = errors.New("asl: path matches nothing")
	// ErrInvalidIntrinsic reports a malformed intrinsic function call.
	ErrInvalidIntrinsic = errors.New("asl: invalid intrinsic function")
	// ErrUnboundResource reports a Task resource no Invoker is bound to.
	ErrUnboundResource = errors.New("asl: task resource not bound")
	// ErrExecutionNotFound reports an unknown execution.
	ErrExecutionNotFound = errors.New("asl: execution does not exist")
	// ErrExecutionExists reports a second execution with the same name.
	ErrExecutionExists = errors.New("asl: execution already exists")
	// ErrExecutionNotRunning reports an operation on an execution that ended.
	ErrExecutionNotRunning = errors.New("asl: execution is not running")
	// ErrVersionConflict is returned by a Store when the stored version is not
	// the one the caller read: somebody else saved in between.
	ErrVersionConflict = errors.New("asl: execution version conflict")
	// ErrInvalidToken is SendTask*'s InvalidToken: the token is malformed.
	ErrInvalidToken = errors.New("asl: InvalidToken: the task token is not valid")
	// ErrTaskDoesNotExist is SendTask*'s TaskDoesNotExist: the token names no
	// known execution.
	ErrTaskDoesNotExist = errors.New("asl: TaskDoesNotExist: no task for this token")
	// ErrTaskTimedOut is SendTask*'s TaskTimedOut: the task behind the token
	// has already been closed (succeeded, failed, timed out or stopped).
	ErrTaskTimedOut = errors.New("asl: TaskTimedOut: the task has expired or was already closed")
	// ErrInvalidOutput is SendTaskSuccess's InvalidOutput: the output is not JSON.
	ErrInvalidOutput = errors.New("asl: InvalidOutput: the task output is not valid JSON")
)

// ErrorNamer is implemented by errors that carry the name Retry and Catch
// match against (the ErrorEquals names), like the errorType of a Lambda
// function error.
type ErrorNamer interface {
	ErrorName() string
}

// TaskError is a named task failure. Invokers return it (or any error with an
// ErrorName method) so that Retry and Catch clauses can route it.
type TaskError struct {
	Name  string // the error name, e.g. "ModelNotFound"
	Cause string // human-readable detail, becomes the error output's Cause
}

// Error implements error.
func (e *TaskError) Error() string {
	if e.Cause == "" {
		return e.Name
	}
	return e.Name + ": " + e.Cause
}

// ErrorName implements ErrorNamer.
func (e *TaskError) ErrorName() string { return e.Name }

// ErrorName returns the name under which err reaches Retry and Catch,
// following the Lambda Go runtime. It does not unwrap: an error that
// implements ErrorNamer gives its own name, an aws-lambda-go
// messages.InvokeResponse_Error (what lambdaerr.New returns) its Type, and
// any other error the name of its Go type without package or pointer
// ("errorString" for errors.New, "wrapError" for fmt.Errorf with %w). Map
// domain errors to names at the handler boundary.
func ErrorName(err error) string {
	if err == nil {
		return ""
	}
	if n, ok := err.(ErrorNamer); ok {
		return n.ErrorName()
	}
	if name, _, ok := lambdaInvokeError(err); ok {
		return name
	}
	t := reflect.TypeOf(err)
	if t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if t.Name() == "" {
		return errorLambdaUnknown
	}
	return t.Name()
}

// errorCause returns the Cause reported for err.
func errorCause(err error) string {
	if te, ok := err.(*TaskError); ok {
		return te.Cause
	}
	if _, msg, ok := lambdaInvokeError(err); ok {
		return msg
	}
	return err.Error()
}

// lambdaInvokeError recognises aws-lambda-go's messages.InvokeResponse_Error
// (value or pointer), which the Lambda runtime passes on as it is, without
// importing the runtime library into the interpreter.
func lambdaInvokeError(err error) (name, message string, ok bool) {
	v := reflect.ValueOf(err)
	if v.Kind() == reflect.Pointer {
		if v.IsNil() {
			return "", "", false
		}
		v = v.Elem()
	}
	t := v.Type()
	if t.Kind() != reflect.Struct || t.Name() != "InvokeResponse_Error" || !strings.HasSuffix(t.PkgPath(), "aws-lambda-go/lambda/messages") {
		return "", "", false
	}
	typ, msg := v.FieldByName("Type"), v.FieldByName("Message")
	if typ.Kind() != reflect.String || msg.Kind() != reflect.String {
		return "", "", false
	}
	return typ.String(), msg.String(), true
}

// stateError is a failure inside the interpreter, named for Retry and Catch.
type stateError struct {
	Name      string
	Cause     string
	heartbeat bool // a States.Timeout caused by a missed heartbeat
}

// Error implements error.
func (e *stateError) Error() string { return e.Name + ": " + e.Cause }

// failf builds a stateError with a formatted cause.
func failf(name, format string, args ...any) *stateError {
	return &stateError{Name: name, Cause: fmt.Sprintf(format, args...)}
}

// ValidationError lists every problem Parse found in a definition. It wraps
// ErrInvalidDefinition.
type ValidationError struct {
	Problems []Problem
}

// Problem is one thing wrong with a definition: where it is and why.
type Problem struct {
	State string // the state's name, with enclosing Parallel/Map states as "Outer/Inner"; empty for top-level fields
	Field string // the field, e.g. "Retry[0].BackoffRate"
	Msg   string // what was expected
}

// String renders the problem as "state \"X\": Field: message".
func (p Problem) String() string {
	var b strings.Builder
	if p.State != "" {
		fmt.Fprintf(&b, "state %q: ", p.State)
	}
	if p.Field != "" {
		fmt.Fprintf(&b, "%s: ", p.Field)
	}
	b.WriteString(p.Msg)
	return b.String()
}

// Error implements error.
func (e *ValidationError) Error() string {
	var b strings.Builder
	b.WriteString(ErrInvalidDefinition.Error())
	if len(e.Problems) == 1 {
		b.WriteString(": ")
		b.WriteString(e.Problems[0].String())
		return b.String()
	}
	fmt.Fprintf(&b, " (%d problems):", len(e.Problems))
	for _, p := range e.Problems {
		b.WriteString("\n  ")
		b.WriteString(p.String())
	}
	return b.String()
}

// Unwrap makes errors.Is(err, ErrInvalidDefinition) hold.
func (e *ValidationError) Unwrap() error { return ErrInvalidDefinition }
