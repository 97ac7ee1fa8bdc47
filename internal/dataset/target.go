package dataset

import (
	"fmt"
	"math"
	"strconv"
	"strings"
)

// Target says how the binary label is derived from a column: either by a
// comparison ("num > 0": positive when the column value is greater than 0)
// or, with an empty Op, by reading a 0/1 label column as is.
type Target struct {
	Column string  `json:"column"`
	Op     string  `json:"op,omitempty"` // one of > >= < <= == !=, or "" for a 0/1 label column
	Value  float64 `json:"value,omitempty"`
}

var targetOps = []string{">=", "<=", "==", "!=", ">", "<"} // two-byte operators first

// ParseTarget reads a target expression: "num > 0", "num>=1", "target != 0",
// or a bare column name such as "target" for a 0/1 label column. Errors wrap
// ErrSchema.
func ParseTarget(expr string) (Target, error) {
	s := strings.TrimSpace(expr)
	if s == "" {
		return Target{}, fmt.Errorf("%w: empty target expression", ErrSchema)
	}
	for _, op := range targetOps {
		i := strings.Index(s, op)
		if i < 0 {
			continue
		}
		col := strings.TrimSpace(s[:i])
		num := strings.TrimSpace(s[i+len(op):])
		if col == "" || !isIdent(col) {
			return Target{}, fmt.Errorf("%w: target %q: expected a column name before %q", ErrSchema, expr, op)
		}
		v, err := strconv.ParseFloat(num, 64)
		if err != nil || math.IsNaN(v) || math.IsInf(v, 0) {
			return Target{}, fmt.Errorf("%w: target %q: expected a finite number after %q, got %q", ErrSchema, expr, op, num)
		}
		return Target{Column: col, Op: op, Value: v}, nil
	}
	if !isIdent(s) {
		return Target{}, fmt.Errorf("%w: target %q: expected \"column OP number\" (OP one of > >= < <= == !=) or a 0/1 label column name", ErrSchema, expr)
	}
	return Target{Column: s}, nil
}

func isIdent(s string) bool {
	for _, r := range s {
		if r == ' ' || r == '\t' || strings.ContainsRune("<>=!,\"", r) {
			return false
		}
	}
	return s != ""
}

// String returns the expression ParseTarget reads back.
func (t Target) String() string {
	if t.Op == "" {
		return t.Column
	}
	return t.Column + " " + t.Op + " " + strconv.FormatFloat(t.Value, 'g', -1, 64)
}

// Positive reports whether a target-column value v means the positive class.
// For a label column (empty Op) v must be 0 or 1; other values are not
// positive (Labels reports them as errors).
func (t Target) Positive(v float64) bool {
	switch t.Op {
	case ">":
		return v > t.Value
	case ">=":
		return v >= t.Value
	case "<":
		return v < t.Value
	case "<=":
		return v <= t.Value
	case "==":
		return v == t.Value
	case "!=":
		return v != t.Value
	}
	return v == 1
}

// Labels returns the 0/1 label of every row of f. A missing target value, or
// a label column value other than 0 or 1, is a *ParseError naming the row.
func (t Target) Labels(f *Frame) ([]float64, error) {
	col, err := f.Column(t.Column)
	if err != nil {
		return nil, err
	}
	out := make([]float64, len(col))
	for i, v := range col {
		if math.IsNaN(v) {
			return nil, &ParseError{Row: i + 1, Column: t.Column, Msg: "the target value is missing"}
		}
		if t.Op == "" && v != 0 && v != 1 {
			return nil, &ParseError{Row: i + 1, Column: t.Column, Msg: fmt.Sprintf("a label column holds 0 or 1, got %g", v)}
		}
		if t.Positive(v) {
			out[i] = 1
		}
	}
	return out, nil
}
