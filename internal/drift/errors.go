package drift

import (
	"errors"
	"fmt"
	"strconv"
)

// Sentinel errors, checked with errors.Is.
var (
	// ErrEmpty reports a sample with no values where a statistic needs some.
	ErrEmpty = errors.New("drift: empty sample")
	// ErrNonFinite reports a NaN (or, where numbers must be finite, an
	// infinity) in the input of a statistic.
	ErrNonFinite = errors.New("drift: value is not a finite number")
	// ErrInvalid reports an argument that is out of its domain (negative
	// counts, frequencies that do not sum alike, an unknown test name).
	ErrInvalid = errors.New("drift: invalid input")
	// ErrSchema reports a current window whose columns do not match the
	// reference profile.
	ErrSchema = errors.New("drift: columns do not match the profile")
)

// DataError locates a bad value: the column (if any), the row and what was
// expected there. It wraps one of the sentinel errors.
type DataError struct {
	Column   string
	Row      int
	Value    float64
	Expected string
	Err      error
}

func (e *DataError) Error() string {
	msg := "drift: "
	if e.Column != "" {
		msg += "column " + strconv.Quote(e.Column) + ", "
	}
	return msg + fmt.Sprintf("row %d: got %v, expected %s", e.Row, e.Value, e.Expected)
}

func (e *DataError) Unwrap() error { return e.Err }
