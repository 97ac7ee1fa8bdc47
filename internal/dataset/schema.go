package dataset

import (
	"errors"
	"fmt"
	"math"
	"slices"
	"strings"
)

// Sentinel errors, checked with errors.Is. Parse errors wrap ErrMalformed and
// are also *ParseError values carrying the row and column.
var (
	// ErrEmpty reports a file with no lines at all.
	ErrEmpty = errors.New("dataset: empty file")
	// ErrMalformed reports data that cannot be read: a cell that is not a
	// number, a wrong field count, an over-long field, a bad header.
	ErrMalformed = errors.New("dataset: malformed data")
	// ErrSchema reports an invalid schema or target definition.
	ErrSchema = errors.New("dataset: invalid schema")
	// ErrUnknownColumn reports a column name that the frame does not have.
	ErrUnknownColumn = errors.New("dataset: unknown column")
	// ErrDigest reports stored bytes that do not match their digest.
	ErrDigest = errors.New("dataset: digest mismatch")
)

// Kind is the type of a column.
type Kind string

// Column kinds. All are read as float64; the kind says how the numbers are
// meant (and which checks a generated suite applies).
const (
	// Numeric is a measured quantity, optionally bounded by Min and Max.
	Numeric Kind = "numeric"
	// Categorical is a code from a fixed set of Levels.
	Categorical Kind = "categorical"
	// Binary is 0 or 1.
	Binary Kind = "binary"
)

// Level is one allowed code of a categorical column.
type Level struct {
	Value float64 `yaml:"value" json:"value"`
	Label string  `yaml:"label,omitempty" json:"label,omitempty"`
}

// Column describes one column of a dataset.
type Column struct {
	Name        string   `yaml:"name" json:"name"`
	Kind        Kind     `yaml:"kind" json:"kind"`
	Unit        string   `yaml:"unit,omitempty" json:"unit,omitempty"`
	Description string   `yaml:"description,omitempty" json:"description,omitempty"`
	Min         *float64 `yaml:"min,omitempty" json:"min,omitempty"` // inclusive lower bound, numeric only
	Max         *float64 `yaml:"max,omitempty" json:"max,omitempty"` // inclusive upper bound, numeric only
	Levels      []Level  `yaml:"levels,omitempty" json:"levels,omitempty"`
}

// Allowed returns the allowed codes of a categorical or binary column
// ({0, 1} for a binary column without levels), or nil for a numeric column.
func (c Column) Allowed() []float64 {
	if c.Kind == Binary && len(c.Levels) == 0 {
		return []float64{0, 1}
	}
	if c.Kind == Numeric {
		return nil
	}
	out := make([]float64, len(c.Levels))
	for i, l := range c.Levels {
		out[i] = l.Value
	}
	return out
}

// DefaultMissing are the cell texts read as missing when a schema names none:
// the UCI "?" and the empty cell.
var DefaultMissing = []string{"?", ""}

// Schema describes the columns of a dataset in file order, which texts mean
// "missing", and which column (and rule) is the prediction target.
type Schema struct {
	Columns []Column
	Missing []string // nil means DefaultMissing
	Target  Target
}

// Names returns the column names in file order.
func (s *Schema) Names() []string {
	out := make([]string, len(s.Columns))
	for i, c := range s.Columns {
		out[i] = c.Name
	}
	return out
}

// Index returns the position of the named column, or -1.
func (s *Schema) Index(name string) int {
	for i, c := range s.Columns {
		if c.Name == name {
			return i
		}
	}
	return -1
}

// Features returns the columns that are model inputs: every column but the
// target column.
func (s *Schema) Features() []Column {
	out := make([]Column, 0, len(s.Columns))
	for _, c := range s.Columns {
		if c.Name != s.Target.Column {
			out = append(out, c)
		}
	}
	return out
}

// FeatureNames returns the names of Features in file order.
func (s *Schema) FeatureNames() []string {
	fs := s.Features()
	out := make([]string, len(fs))
	for i, c := range fs {
		out[i] = c.Name
	}
	return out
}

// MissingMarkers returns s.Missing, or DefaultMissing when it is nil.
func (s *Schema) MissingMarkers() []string {
	if s.Missing == nil {
		return DefaultMissing
	}
	return s.Missing
}

// Validate checks the schema itself: at least one column, unique non-empty
// names, known kinds, bounds only on numeric columns with min <= max, levels
// on categorical columns, binary levels within {0, 1}, and a target that
// names a column (when set). Errors wrap ErrSchema and name the column.
func (s *Schema) Validate() error {
	if len(s.Columns) == 0 {
		return fmt.Errorf("%w: no columns", ErrSchema)
	}
	seen := make(map[string]bool, len(s.Columns))
	for i, c := range s.Columns {
		where := fmt.Sprintf("column %d (%q)", i+1, c.Name)
		if c.Name == "" {
			return fmt.Errorf("%w: column %d has no name", ErrSchema, i+1)
		}
		if strings.ContainsAny(c.Name, ",\"\r\n") {
			return fmt.Errorf("%w: %s: name may not contain a comma, quote or line break", ErrSchema, where)
		}
		if seen[c.Name] {
			return fmt.Errorf("%w: %s: duplicate column name", ErrSchema, where)
		}
		seen[c.Name] = true
		switch c.Kind {
		case Numeric:
			if len(c.Levels) > 0 {
				return fmt.Errorf("%w: %s: levels are for categorical or binary columns, not numeric", ErrSchema, where)
			}
		case Categorical:
			if len(c.Levels) == 0 {
				return fmt.Errorf("%w: %s: a categorical column needs levels", ErrSchema, where)
			}
		case Binary:
			for _, l := range c.Levels {
				if l.Value != 0 && l.Value != 1 {
					return fmt.Errorf("%w: %s: a binary level must be 0 or 1, got %g", ErrSchema, where, l.Value)
				}
			}
		default:
			return fmt.Errorf("%w: %s: kind must be numeric, categorical or binary, got %q", ErrSchema, where, c.Kind)
		}
		if c.Kind != Numeric && (c.Min != nil || c.Max != nil) {
			return fmt.Errorf("%w: %s: min and max are for numeric columns; use levels", ErrSchema, where)
		}
		for _, p := range []*float64{c.Min, c.Max} {
			if p != nil && (math.IsNaN(*p) || math.IsInf(*p, 0)) {
				return fmt.Errorf("%w: %s: bounds must be finite numbers", ErrSchema, where)
			}
		}
		if c.Min != nil && c.Max != nil && *c.Min > *c.Max {
			return fmt.Errorf("%w: %s: min %g is greater than max %g", ErrSchema, where, *c.Min, *c.Max)
		}
		vals := make([]float64, 0, len(c.Levels))
		for _, l := range c.Levels {
			if math.IsNaN(l.Value) || math.IsInf(l.Value, 0) {
				return fmt.Errorf("%w: %s: levels must be finite numbers", ErrSchema, where)
			}
			if slices.Contains(vals, l.Value) {
				return fmt.Errorf("%w: %s: level %g listed twice", ErrSchema, where, l.Value)
			}
			vals = append(vals, l.Value)
		}
	}
	if s.Target.Column != "" && !seen[s.Target.Column] {
		return fmt.Errorf("%w: target column %q is not among the columns", ErrSchema, s.Target.Column)
	}
	return nil
}
