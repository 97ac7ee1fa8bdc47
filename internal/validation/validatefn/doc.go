// Package validatefn is the validate Lambda's handler: a dataset location
// and an expectation suite in, a Great Expectations validation result out.
//
// The result is also stored in the artifact store under
// validations/<dataset digest>/<suite>/<run time>.json, so that a failed
// validation, which reaches Step Functions as a DataValidationFailed error
// carrying only a message, can still be read in full.
package validatefn
