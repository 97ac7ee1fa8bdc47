package train

import (
	"errors"
	"fmt"
)

// Sentinel errors of a training run, checked with errors.Is. The Lambda
// boundary maps them to stable error names.
var (
	// ErrInvalidData reports a dataset that cannot be trained on: a target
	// with one class, an all-missing feature, an infinite value, fewer rows
	// than the folds need.
	ErrInvalidData = errors.New("train: invalid training data")
	// ErrInvalidConfig reports a training configuration that cannot be
	// run: an unknown family, metric or parameter, a bad value.
	ErrInvalidConfig = errors.New("train: invalid training configuration")
	// ErrTrainingFailed reports that no candidate could be trained.
	ErrTrainingFailed = errors.New("train: training failed")
)

// DataError describes a problem with the training data: the 1-based data
// row (0 when not tied to one), the column (empty when not tied to one) and
// what was expected. It wraps ErrInvalidData.
type DataError struct {
	Row    int
	Column string
	Msg    string
}

// Error renders `train: row 17, column "chol": value +Inf, want a finite number`.
func (e *DataError) Error() string {
	s := "train: "
	if e.Row > 0 {
		s += fmt.Sprintf("row %d", e.Row)
		if e.Column != "" {
			s += ", "
		}
	}
	if e.Column != "" {
		s += fmt.Sprintf("column %q", e.Column)
	}
	if e.Row > 0 || e.Column != "" {
		s += ": "
	}
	return s + e.Msg
}

// Unwrap makes errors.Is(err, ErrInvalidData) true.
func (e *DataError) Unwrap() error { return ErrInvalidData }
