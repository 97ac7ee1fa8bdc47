// Package trainfn is the training function: the handler behind
// functions/train on Lambda and behind the retraining workflow's training
// steps when `steward serve` runs them locally.
//
// One event type carries an action:
//
//	train      dataset (+ optional training config) in, the run record out:
//	           search, select, store the bundle, register the version
//	plan       the candidates the training config searches, one per Map item
//	candidate  train ONE candidate (cross-validated scores, the bundle
//	           refitted and stored, not registered): the Map iterator's work
//
// The dataset is named by its version (dataset.Ref: digest, or an
// artifact-store key). Errors leave the handler under stable names that the
// state machine's Retry and Catch clauses match: InvalidInput,
// DataValidationFailed, TrainingFailed, ModelNotFound, Conflict, and
// InternalError for the rest.
package trainfn
