package dataset

import (
	"bytes"
	"fmt"
	"math"
	"os"
	"runtime"
	"strconv"
	"strings"
	"sync"
)

// Format says whether the first line of a file is a header.
type Format int

const (
	// FormatAuto reads the first line as a header when it is not a row of
	// numbers and missing markers. Without a schema a header is required.
	FormatAuto Format = iota
	// FormatRaw reads every line as data, with the columns of the schema, as
	// in the UCI "processed" files.
	FormatRaw
	// FormatHeader requires a header line whose names match the schema's
	// columns, in order.
	FormatHeader
)

// DefaultMaxFieldBytes bounds the length of one cell. A number is never
// longer; a longer cell is a sign of a wrong file, and refusing it early keeps
// error messages short.
const DefaultMaxFieldBytes = 1024

// Options tune Parse. The zero value is ready to use.
type Options struct {
	Format        Format
	MaxFieldBytes int // 0 means DefaultMaxFieldBytes
	Workers       int // parallel chunks; 0 means runtime.GOMAXPROCS(0)

	minChunk int // smallest chunk in bytes; 0 means minChunkBytes (tests lower it)
}

// ParseError reports a problem at one place of the input. Row is the 1-based
// data row (header and blank lines not counted; 0 for the header itself);
// Line is the 1-based line of the file when known (0 otherwise); Column names
// the column when the problem is tied to one.
type ParseError struct {
	Row, Line int
	Column    string
	Msg       string
}

// Error renders `dataset: row 17, column "chol": expected a number, got "abc"`.
func (e *ParseError) Error() string {
	var b strings.Builder
	b.WriteString("dataset: ")
	switch {
	case e.Row > 0:
		fmt.Fprintf(&b, "row %d", e.Row)
		if e.Line > 0 && e.Line != e.Row {
			fmt.Fprintf(&b, " (line %d)", e.Line)
		}
	case e.Line > 0:
		b.WriteString("header")
		if e.Line != 1 {
			fmt.Fprintf(&b, " (line %d)", e.Line)
		}
	}
	if e.Column != "" {
		if e.Row > 0 || e.Line > 0 {
			b.WriteString(", ")
		}
		fmt.Fprintf(&b, "column %s", quoteCut([]byte(e.Column)))
	}
	b.WriteString(": ")
	b.WriteString(e.Msg)
	return b.String()
}

// Unwrap makes errors.Is(err, ErrMalformed) true.
func (e *ParseError) Unwrap() error { return ErrMalformed }

// ReadFile reads and parses the file at path (see Parse) and returns the frame
// and the bytes read, for Digest or Store.
func ReadFile(path string, s *Schema, opt Options) (*Frame, []byte, error) {
	raw, err := os.ReadFile(path)
	if err != nil {
		return nil, nil, fmt.Errorf("dataset: %w", err)
	}
	f, err := Parse(raw, s, opt)
	if err != nil {
		return nil, raw, err
	}
	return f, raw, nil
}

var utf8BOM = []byte{0xEF, 0xBB, 0xBF}

// Parse reads comma-separated data into a Frame. With a schema the columns
// come from it and a header (if any) must match it exactly; without one
// (s == nil) the file must have a header and every column is read as
// numeric. Cells equal to one of the schema's missing markers become NaN;
// every other cell must be a finite decimal number, optionally quoted.
// A leading UTF-8 byte-order mark, CRLF line ends and blank lines are
// accepted. Values outside the schema's ranges or sets are accepted (that is
// for package validation to report).
//
// Errors are *ParseError values (wrapping ErrMalformed) naming the row and
// column, ErrEmpty for a file without lines, or ErrSchema for a bad schema.
func Parse(raw []byte, s *Schema, opt Options) (*Frame, error) {
	if s != nil {
		if err := s.Validate(); err != nil {
			return nil, err
		}
	}
	b := bytes.TrimPrefix(raw, utf8BOM)
	markers := DefaultMissing
	if s != nil {
		markers = s.MissingMarkers()
	}
	p := &parser{markers: markers, maxField: opt.MaxFieldBytes}
	if p.maxField <= 0 {
		p.maxField = DefaultMaxFieldBytes
	}

	// The first non-blank line is the header candidate.
	start := 0
	for start < len(b) {
		end := lineEnd(b, start)
		if len(bytes.TrimRight(b[start:end], "\r")) > 0 {
			break
		}
		start = end + 1
	}
	if start >= len(b) {
		return nil, ErrEmpty
	}
	le := lineEnd(b, start)
	first := bytes.TrimSuffix(b[start:le], []byte{'\r'})
	fields, ferr := splitLine(first)
	headerErr := func(msg string) error {
		return &ParseError{Line: countLines(b, start) + 1, Msg: msg}
	}

	var names []string
	dataStart := start
	switch {
	case s == nil:
		if opt.Format == FormatRaw {
			return nil, fmt.Errorf("%w: a file without a header needs a schema", ErrSchema)
		}
		if ferr != "" {
			return nil, headerErr(ferr)
		}
		if p.numericRow(fields) {
			return nil, headerErr("expected a header line naming the columns, got a row of numbers (pass a schema to read headerless files)")
		}
		seen := make(map[string]bool, len(fields))
		for j, n := range fields {
			if n == "" {
				return nil, headerErr(fmt.Sprintf("column %d has an empty name", j+1))
			}
			if seen[n] {
				return nil, headerErr(fmt.Sprintf("column %s appears twice", quoteCut([]byte(n))))
			}
			seen[n] = true
		}
		names = fields
		dataStart = le + 1
	case opt.Format == FormatHeader || (opt.Format == FormatAuto && ferr == "" && p.looksLikeHeader(fields, s)):
		if ferr != "" {
			return nil, headerErr(ferr)
		}
		if msg := headerMismatch(fields, s.Names()); msg != "" {
			return nil, headerErr(msg)
		}
		names = s.Names()
		dataStart = le + 1
	default:
		names = s.Names()
	}
	if dataStart > len(b) {
		dataStart = len(b)
	}
	for j, n := range names {
		if len(n) > p.maxField {
			return nil, headerErr(fmt.Sprintf("column %d: name is %d bytes long, over the %d-byte limit", j+1, len(n), p.maxField))
		}
	}
	minChunk := opt.minChunk
	if minChunk <= 0 {
		minChunk = minChunkBytes
	}
	f, err := p.parseData(b, dataStart, names, opt.Workers, minChunk)
	if err != nil {
		return nil, err
	}
	f.missing = markers
	return f, nil
}

// numericRow reports whether every field is a number or a missing marker.
func (p *parser) numericRow(fields []string) bool {
	for _, t := range fields {
		if p.isMarker([]byte(t)) {
			continue
		}
		if _, msg := numberOf([]byte(strings.TrimSpace(t))); msg != "" {
			return false
		}
	}
	return true
}

// looksLikeHeader decides, for FormatAuto with a schema, whether the first
// line is a header: it names one of the schema's columns, or none of its
// fields is a number or a missing marker. A data row with one bad cell is
// thus still read as data, and its error names the cell.
func (p *parser) looksLikeHeader(fields []string, s *Schema) bool {
	anyNumber := false
	for _, t := range fields {
		if s.Index(t) >= 0 {
			return true
		}
		if p.isMarker([]byte(t)) {
			anyNumber = true
			continue
		}
		if _, msg := numberOf([]byte(strings.TrimSpace(t))); msg == "" {
			anyNumber = true
		}
	}
	return !anyNumber
}

func headerMismatch(got, want []string) string {
	if strings.Join(got, "\x00") == strings.Join(want, "\x00") {
		return ""
	}
	in := func(list []string, s string) bool {
		for _, x := range list {
			if x == s {
				return true
			}
		}
		return false
	}
	var parts []string
	for _, w := range want {
		if !in(got, w) {
			parts = append(parts, fmt.Sprintf("missing column %q", w))
		}
	}
	for _, g := range got {
		if !in(want, g) {
			parts = append(parts, fmt.Sprintf("unexpected column %s", quoteCut([]byte(g))))
		}
	}
	if len(parts) == 0 {
		for j := range want {
			if j < len(got) && got[j] != want[j] {
				parts = append(parts, fmt.Sprintf("column %d is %s, expected %q (columns out of order)", j+1, quoteCut([]byte(got[j])), want[j]))
				break
			}
		}
		if len(parts) == 0 {
			parts = append(parts, fmt.Sprintf("%d columns named, expected %d", len(got), len(want)))
		}
	}
	if len(parts) > 6 {
		parts = append(parts[:6], fmt.Sprintf("and %d more differences", len(parts)-6))
	}
	return "does not match the schema: " + strings.Join(parts, ", ") + fmt.Sprintf(" (expected %s)", strings.Join(want, ","))
}

// splitLine splits one header line into its fields, unquoting quoted ones.
// A malformed quote gives a message.
func splitLine(line []byte) ([]string, string) {
	var out []string
	k := 0
	for {
		if k < len(line) && line[k] == '"' {
			var buf []byte
			m := k + 1
			closed := false
			for m < len(line) {
				if line[m] == '"' {
					if m+1 < len(line) && line[m+1] == '"' {
						buf = append(buf, '"')
						m += 2
						continue
					}
					closed = true
					m++
					break
				}
				buf = append(buf, line[m])
				m++
			}
			if !closed {
				return nil, fmt.Sprintf("field %d: unterminated quoted field", len(out)+1)
			}
			if m < len(line) && line[m] != ',' {
				return nil, fmt.Sprintf("field %d: unexpected text after a closing quote", len(out)+1)
			}
			out = append(out, string(buf))
			k = m
		} else {
			m := k
			for m < len(line) && line[m] != ',' {
				m++
			}
			out = append(out, string(line[k:m]))
			k = m
		}
		if k >= len(line) {
			return out, ""
		}
		k++ // the comma
	}
}

// countLines returns the number of '\n' in b[:off].
func countLines(b []byte, off int) int { return bytes.Count(b[:off], []byte{'\n'}) }

type parser struct {
	markers  []string
	maxField int
}

func (p *parser) isMarker(t []byte) bool {
	for _, m := range p.markers {
		if string(t) == m {
			return true
		}
	}
	return false
}

// chunk is one worker's share of the data lines.
type chunk struct {
	start, end int // byte range, end just after a '\n' or at len(b)
	lines      int // line count: an upper bound of its rows
	rowBase    int // first row index it writes
	rows       int // rows written (lines minus blank lines)
	frac       []bool
	missing    []int
	err        *cellErr
}

// cellErr is a worker's error, positioned by byte offset; Parse turns it
// into a *ParseError with row and line numbers.
type cellErr struct {
	lineStart int
	col       int // -1 when not tied to a column
	msg       string
}

const minChunkBytes = 256 << 10

func (p *parser) parseData(b []byte, dataStart int, names []string, workers, minChunk int) (*Frame, error) {
	if workers <= 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	size := len(b) - dataStart
	if n := size/minChunk + 1; n < workers {
		workers = n
	}
	ncol := len(names)
	chunks := make([]chunk, 0, workers)
	pos := dataStart
	for w := 0; w < workers && pos < len(b); w++ {
		end := len(b)
		if w < workers-1 {
			end = dataStart + size*(w+1)/workers
			if end < pos {
				end = pos
			}
			end = lineEnd(b, end)
			if end < len(b) {
				end++
			}
		}
		c := chunk{start: pos, end: end, frac: make([]bool, ncol), missing: make([]int, ncol)}
		c.lines = bytes.Count(b[pos:end], []byte{'\n'})
		if end > pos && b[end-1] != '\n' {
			c.lines++
		}
		chunks = append(chunks, c)
		pos = end
	}
	total := 0
	for i := range chunks {
		chunks[i].rowBase = total
		total += chunks[i].lines
	}
	cols := make([][]float64, ncol)
	for j := range cols {
		cols[j] = make([]float64, total)
	}
	if len(chunks) == 1 {
		p.parseChunk(b[:chunks[0].end], &chunks[0], cols)
	} else {
		var wg sync.WaitGroup
		for i := range chunks {
			wg.Add(1)
			go func(c *chunk) {
				defer wg.Done()
				p.parseChunk(b[:c.end], c, cols)
			}(&chunks[i])
		}
		wg.Wait()
	}
	for i := range chunks {
		if e := chunks[i].err; e != nil {
			return nil, positionError(b, dataStart, e, names)
		}
	}
	// Close the gaps that blank lines left at the end of each chunk.
	rows := 0
	for i := range chunks {
		c := &chunks[i]
		if c.rowBase != rows {
			for j := range cols {
				copy(cols[j][rows:rows+c.rows], cols[j][c.rowBase:c.rowBase+c.rows])
			}
		}
		rows += c.rows
	}
	types := make([]string, ncol)
	for j := range cols {
		cols[j] = cols[j][:rows:rows]
		types[j] = TypeInt64
		for i := range chunks {
			if chunks[i].frac[j] || chunks[i].missing[j] > 0 {
				types[j] = TypeFloat64
			}
		}
		if rows == 0 {
			types[j] = TypeFloat64
		}
	}
	return &Frame{Names: names, Cols: cols, Rows: rows, Types: types, raw: b, dataStart: dataStart}, nil
}

func positionError(b []byte, dataStart int, e *cellErr, names []string) error {
	row := 0
	for i := dataStart; i <= e.lineStart && i < len(b); {
		end := lineEnd(b, i)
		if len(bytes.TrimRight(b[i:end], "\r")) > 0 {
			row++
		}
		i = end + 1
	}
	pe := &ParseError{Row: row, Line: countLines(b, e.lineStart) + 1, Msg: e.msg}
	if e.col >= 0 && e.col < len(names) {
		pe.Column = names[e.col]
	}
	return pe
}

// parseChunk parses the lines of b[c.start:] (b ends at c.end) into cols.
func (p *parser) parseChunk(b []byte, c *chunk, cols [][]float64) {
	ncol := len(cols)
	row := c.rowBase
	i := c.start
	for i < len(b) {
		ls := i
		if b[i] == '\n' {
			i++
			continue
		}
		if b[i] == '\r' && (i+1 == len(b) || b[i+1] == '\n') {
			i += 2
			continue
		}
		for j := 0; j < ncol; j++ {
			// Most cells are short unsigned integers: read those inline.
			var v float64
			var frac, ok bool
			k := i
			var mant uint64
			for k < len(b) {
				d := b[k] - '0'
				if d > 9 {
					break
				}
				mant = mant*10 + uint64(d)
				k++
			}
			if k > i && k-i <= 15 && k < len(b) && (b[k] == ',' || b[k] == '\n') {
				v, ok = float64(mant), true
			} else {
				v, k, frac, ok = fastNumber(b, i)
			}
			if !ok {
				var miss bool
				var msg string
				v, k, frac, miss, msg = p.slowField(b, i)
				if msg != "" {
					c.err = &cellErr{lineStart: ls, col: j, msg: msg}
					return
				}
				if miss {
					c.missing[j]++
				}
			}
			if frac {
				c.frac[j] = true
			}
			cols[j][row] = v
			if k < len(b) && b[k] == ',' {
				if j == ncol-1 {
					c.err = &cellErr{lineStart: ls, col: -1, msg: fmt.Sprintf("expected %d fields, got %d", ncol, fieldCount(b, ls))}
					return
				}
				i = k + 1
				continue
			}
			// k is at '\n' or at the end of the input.
			if j < ncol-1 {
				c.err = &cellErr{lineStart: ls, col: j + 1, msg: fmt.Sprintf("expected %d fields, got %d (the line ends early)", ncol, j+1)}
				return
			}
			i = k + 1
		}
		row++
	}
	c.rows = row - c.rowBase
}

func fieldCount(b []byte, ls int) int {
	end := lineEnd(b, ls)
	return bytes.Count(b[ls:end], []byte{','}) + 1
}

// pow10 holds the exactly representable powers of ten used by fastNumber.
var pow10 = [...]float64{1, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10,
	1e11, 1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22}

// fastNumber parses a plain decimal ("-12", "63.0", ".7") of at most 15
// digits that ends at ',', '\n', "\r\n" or the end of b. It returns the
// value, the index of the terminator (the '\n' for "\r\n"), whether the
// literal had a decimal point, and ok=false for anything else, which the
// slow path handles. The result equals strconv.ParseFloat's: an integer
// mantissa below 2^53 and a power of ten up to 1e22 are both exact, and one
// IEEE division rounds correctly.
func fastNumber(b []byte, i int) (v float64, k int, frac, ok bool) {
	k = i
	neg := false
	if k < len(b) && b[k] == '-' {
		neg = true
		k++
	}
	var mant uint64
	nd := 0
	for k < len(b) {
		d := b[k] - '0'
		if d > 9 {
			break
		}
		mant = mant*10 + uint64(d)
		nd++
		k++
	}
	fd := 0
	if k < len(b) && b[k] == '.' {
		frac = true
		k++
		for k < len(b) {
			d := b[k] - '0'
			if d > 9 {
				break
			}
			mant = mant*10 + uint64(d)
			nd++
			fd++
			k++
		}
	}
	if nd == 0 || nd > 15 {
		return 0, k, frac, false
	}
	if k < len(b) {
		switch b[k] {
		case ',', '\n':
		case '\r':
			if k+1 < len(b) && b[k+1] != '\n' {
				return 0, k, frac, false
			}
			k++
		default:
			return 0, k, frac, false
		}
	}
	v = float64(mant)
	if fd > 0 {
		v /= pow10[fd]
	}
	if neg {
		v = -v
	}
	return v, k, frac, true
}

// slowField reads any field the fast path refused: quoted, missing, padded,
// with an exponent, too long, or not a number. k is the index of the ','
// or '\n' ending the field, or len(b).
func (p *parser) slowField(b []byte, i int) (v float64, k int, frac, miss bool, msg string) {
	var text []byte
	if i < len(b) && b[i] == '"' {
		m := i + 1
		closed := false
		for m < len(b) && b[m] != '\n' {
			if b[m] == '"' {
				if m+1 < len(b) && b[m+1] == '"' {
					text = append(text, '"')
					m += 2
					continue
				}
				closed = true
				m++
				break
			}
			text = append(text, b[m])
			m++
			if len(text) > p.maxField {
				return 0, m, false, false, fmt.Sprintf("field is longer than the %d-byte limit", p.maxField)
			}
		}
		if !closed {
			return 0, m, false, false, "unterminated quoted field (line breaks inside quotes are not supported)"
		}
		if m < len(b) && b[m] == '\r' && (m+1 == len(b) || b[m+1] == '\n') {
			m++
		}
		if m < len(b) && b[m] != ',' && b[m] != '\n' {
			return 0, m, false, false, "unexpected text after a closing quote"
		}
		k = m
	} else {
		k = i
		for k < len(b) && b[k] != ',' && b[k] != '\n' {
			k++
		}
		text = b[i:k]
		if n := len(text); n > 0 && text[n-1] == '\r' {
			text = text[:n-1]
		}
		if bytes.IndexByte(text, '\r') >= 0 {
			return 0, k, false, false, "carriage return inside a line"
		}
		if len(text) > p.maxField {
			return 0, k, false, false, fmt.Sprintf("field is %d bytes long, over the %d-byte limit", len(text), p.maxField)
		}
	}
	if p.isMarker(text) {
		return math.NaN(), k, false, true, ""
	}
	t := bytes.TrimSpace(text)
	if p.isMarker(t) {
		return math.NaN(), k, false, true, ""
	}
	v, msg = numberOf(t)
	if msg != "" {
		return 0, k, false, false, msg
	}
	return v, k, bytes.ContainsAny(t, ".eE"), false, ""
}

// numberOf parses a finite decimal number, or explains why t is not one.
func numberOf(t []byte) (float64, string) {
	if !isDecimal(t) {
		low := strings.ToLower(strings.TrimLeft(string(t), "+-"))
		if low == "nan" || low == "inf" || low == "infinity" {
			return 0, fmt.Sprintf("expected a finite number, got %s", quoteCut(t))
		}
		return 0, fmt.Sprintf("expected a number, got %s", quoteCut(t))
	}
	v, err := strconv.ParseFloat(string(t), 64)
	if err != nil || math.IsInf(v, 0) {
		return 0, fmt.Sprintf("number %s is out of the float64 range", quoteCut(t))
	}
	return v, ""
}

// isDecimal reports whether t is [+-]?(d+(.d*)?|.d+)([eE][+-]?d+)?.
func isDecimal(t []byte) bool {
	i := 0
	if i < len(t) && (t[i] == '+' || t[i] == '-') {
		i++
	}
	digits := 0
	for i < len(t) && t[i] >= '0' && t[i] <= '9' {
		i++
		digits++
	}
	if i < len(t) && t[i] == '.' {
		i++
		for i < len(t) && t[i] >= '0' && t[i] <= '9' {
			i++
			digits++
		}
	}
	if digits == 0 {
		return false
	}
	if i < len(t) && (t[i] == 'e' || t[i] == 'E') {
		i++
		if i < len(t) && (t[i] == '+' || t[i] == '-') {
			i++
		}
		ed := 0
		for i < len(t) && t[i] >= '0' && t[i] <= '9' {
			i++
			ed++
		}
		if ed == 0 {
			return false
		}
	}
	return i == len(t)
}

// quoteCut quotes t for an error message, cut to 40 bytes.
func quoteCut(t []byte) string {
	const max = 40
	if len(t) > max {
		return strconv.Quote(string(t[:max])) + fmt.Sprintf(" (%d bytes)", len(t))
	}
	return strconv.Quote(string(t))
}
