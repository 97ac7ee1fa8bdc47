package dataset

import (
	"fmt"
	"math"
	"strconv"
)

// Observed column types, named as pandas names the dtype that read_csv
// would give the same column.
const (
	TypeInt64   = "int64"   // every cell an integer literal, none missing
	TypeFloat64 = "float64" // a decimal point or exponent somewhere, or a missing cell
)

// Frame is a table held by column: Cols[j][i] is row i of column Names[j],
// NaN where the cell was missing. A Frame read by Parse also keeps the
// original bytes, so the text of a cell can be had back (Text) without
// the loader paying for strings it does not need.
//
// A Frame is not modified by this package after it is returned, and is safe
// for concurrent reads.
type Frame struct {
	Names []string
	Cols  [][]float64
	Rows  int
	// Types holds the observed type of each column (TypeInt64 or TypeFloat64).
	Types []string

	raw       []byte // the parsed bytes, nil for frames built in memory
	dataStart int    // offset of the first data line in raw
	missing   []string
}

// Matrix is a dense row-major matrix: element (i, j) is Data[i*Cols+j].
// It has the layout of the model code's matrix type, so converting one to
// the other is a type conversion.
type Matrix struct {
	Rows, Cols int
	Data       []float64
}

// NewFrame builds a frame from columns held in memory. Every column must
// have the same length; names must be unique and non-empty. Types are
// TypeFloat64, and Text formats the numbers.
func NewFrame(names []string, cols [][]float64) (*Frame, error) {
	if len(names) != len(cols) {
		return nil, fmt.Errorf("%w: %d names for %d columns", ErrSchema, len(names), len(cols))
	}
	seen := make(map[string]bool, len(names))
	rows := 0
	for j, n := range names {
		if n == "" || seen[n] {
			return nil, fmt.Errorf("%w: column %d: name %q is empty or repeated", ErrSchema, j+1, n)
		}
		seen[n] = true
		if j == 0 {
			rows = len(cols[0])
		} else if len(cols[j]) != rows {
			return nil, fmt.Errorf("%w: column %q has %d rows, column %q has %d", ErrSchema, n, len(cols[j]), names[0], rows)
		}
	}
	types := make([]string, len(names))
	for j := range types {
		types[j] = TypeFloat64
	}
	return &Frame{Names: names, Cols: cols, Rows: rows, Types: types}, nil
}

// Index returns the position of the named column, or -1.
func (f *Frame) Index(name string) int {
	for j, n := range f.Names {
		if n == name {
			return j
		}
	}
	return -1
}

// Column returns the values of the named column (NaN = missing). The slice is
// shared with the frame and must not be modified. An unknown name gives an
// error wrapping ErrUnknownColumn.
func (f *Frame) Column(name string) ([]float64, error) {
	j := f.Index(name)
	if j < 0 {
		return nil, fmt.Errorf("%w %q (columns: %v)", ErrUnknownColumn, name, f.Names)
	}
	return f.Cols[j], nil
}

// Matrix returns the named columns as a row-major matrix, in the order given,
// for the model code. Missing cells stay NaN.
func (f *Frame) Matrix(features []string) (Matrix, error) {
	src := make([][]float64, len(features))
	for k, name := range features {
		c, err := f.Column(name)
		if err != nil {
			return Matrix{}, err
		}
		src[k] = c
	}
	m := Matrix{Rows: f.Rows, Cols: len(features), Data: make([]float64, f.Rows*len(features))}
	for k, c := range src {
		for i, v := range c {
			m.Data[i*m.Cols+k] = v
		}
	}
	return m, nil
}

// Text returns the cell texts of the named column as written in the source
// (quotes removed), or, for a frame built in memory, the shortest decimal
// form of each number. Missing cells give their marker text ("?", "") in a
// parsed frame and "" in a built one; callers that care test the number for
// NaN. The texts are recovered by rescanning the source, so this costs a pass
// over the bytes; call it once per column.
func (f *Frame) Text(name string) ([]string, error) {
	j := f.Index(name)
	if j < 0 {
		return nil, fmt.Errorf("%w %q (columns: %v)", ErrUnknownColumn, name, f.Names)
	}
	out := make([]string, f.Rows)
	if f.raw == nil {
		for i, v := range f.Cols[j] {
			if !math.IsNaN(v) {
				out[i] = strconv.FormatFloat(v, 'g', -1, 64)
			}
		}
		return out, nil
	}
	// Gather every cell's bytes into one buffer and convert it once: the
	// strings handed out are substrings of it, not one allocation each.
	b := f.raw
	buf := make([]byte, 0, len(b)/max(1, len(f.Names)))
	ends := make([]int, f.Rows)
	i, row := f.dataStart, 0
	for i < len(b) && row < f.Rows {
		end := lineEnd(b, i)
		line := b[i:end]
		i = end + 1
		if len(line) > 0 && line[len(line)-1] == '\r' {
			line = line[:len(line)-1]
		}
		if len(line) == 0 {
			continue
		}
		buf = appendField(buf, line, j)
		ends[row] = len(buf)
		row++
	}
	all := string(buf)
	start := 0
	for r := range out {
		out[r] = all[start:ends[r]]
		start = ends[r]
	}
	return out, nil
}

// lineEnd returns the index of the '\n' ending the line that starts at i,
// or len(b).
func lineEnd(b []byte, i int) int {
	for k := i; k < len(b); k++ {
		if b[k] == '\n' {
			return k
		}
	}
	return len(b)
}

// appendField appends field j of a well-formed line (one Parse accepted),
// unquoted, to buf.
func appendField(buf, line []byte, j int) []byte {
	k := 0
	for f := 0; ; f++ {
		var next int
		if k < len(line) && line[k] == '"' {
			m := k + 1
			for m < len(line) {
				if line[m] == '"' {
					if m+1 < len(line) && line[m+1] == '"' {
						if f == j {
							buf = append(buf, '"')
						}
						m += 2
						continue
					}
					m++
					break
				}
				if f == j {
					buf = append(buf, line[m])
				}
				m++
			}
			next = m
		} else {
			m := k
			for m < len(line) && line[m] != ',' {
				m++
			}
			if f == j {
				buf = append(buf, line[k:m]...)
			}
			next = m
		}
		if f == j || next >= len(line) {
			return buf
		}
		k = next + 1
	}
}
