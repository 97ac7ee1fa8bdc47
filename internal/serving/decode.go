package serving

import (
	"encoding/hex"
	"fmt"
	"math"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"unicode/utf16"
	"unicode/utf8"
	"unsafe"

	"github.com/stewardml/steward/internal/jsonappend"
)

// maxDepth bounds the nesting of JSON values; deeper input is malformed.
const maxDepth = 64

// FeatureSet is a model's features compiled for decoding: the list in row
// order and an index by name. It is immutable and safe for concurrent use.
type FeatureSet struct {
	Features []Feature
	index    map[string]int
	expected []string // Feature.Expected, computed once
	keys     []string // `"name":` as JSON, for encoders
	names    string   // "age, sex, ..." for unknown-feature problems
}

// NewFeatureSet compiles features. It returns an error for an empty list or
// a duplicate or empty name.
func NewFeatureSet(features []Feature) (*FeatureSet, error) {
	if len(features) == 0 {
		return nil, fmt.Errorf("serving: model has no features")
	}
	fs := &FeatureSet{
		Features: features, index: make(map[string]int, len(features)),
		expected: make([]string, len(features)), keys: make([]string, len(features)),
	}
	names := make([]string, len(features))
	for i := range features {
		f := &features[i]
		if f.Name == "" {
			return nil, fmt.Errorf("serving: feature %d has no name", i)
		}
		if _, dup := fs.index[f.Name]; dup {
			return nil, fmt.Errorf("serving: feature %q listed twice", f.Name)
		}
		fs.index[f.Name] = i
		fs.expected[i] = f.Expected()
		fs.keys[i] = string(jsonappend.String(nil, f.Name)) + ":"
		names[i] = f.Name
	}
	fs.names = strings.Join(names, ", ")
	return fs, nil
}

// Len returns the number of features.
func (fs *FeatureSet) Len() int { return len(fs.Features) }

// JSONKeys returns each feature's name as a JSON object key with its colon
// ("age":), in row order, as capture.Capture.Keys wants them. The slice is
// shared: callers must not change it.
func (fs *FeatureSet) JSONKeys() []string { return fs.keys }

// Limits bound what DecodePredict accepts.
type Limits struct {
	MaxInstances int // default 1000
	MaxProblems  int // problems listed in an error body; default 100
}

func (l Limits) withDefaults() Limits {
	if l.MaxInstances <= 0 {
		l.MaxInstances = 1000
	}
	if l.MaxProblems <= 0 {
		l.MaxProblems = 100
	}
	return l
}

// PredictInput is a decoded, schema-checked prediction request.
type PredictInput struct {
	// Rows holds N rows of Len() features, row-major; NaN is a null of a
	// nullable feature.
	Rows    []float64
	N       int
	Explain bool
}

// DecodePredict decodes a prediction body strictly against fs:
//
//	{"instances": [{"feature": value, ...}, ...], "explain": false}
//
// It returns a *RequestError (status 400 for malformed JSON, 422 for
// anything the schema rejects) listing every problem found: unknown or
// duplicate fields, missing features, values of the wrong type or outside
// the schema, too few or too many instances. It never panics.
func DecodePredict(body []byte, fs *FeatureSet, lim Limits) (PredictInput, *RequestError) {
	lim = lim.withDefaults()
	d := decoder{s: scanner{data: body}, fs: fs, lim: lim, probs: problems{limit: lim.MaxProblems}}
	in, ok := d.top()
	if !ok {
		return PredictInput{}, d.s.syntaxError()
	}
	if d.probs.total > 0 {
		return PredictInput{}, &RequestError{
			Status: http.StatusUnprocessableEntity, Code: CodeInvalidInput,
			Message:  plural(d.probs.total, "problem") + " in the request body",
			Problems: d.probs.list, Total: d.probs.total,
		}
	}
	return in, nil
}

func plural(n int, what string) string {
	if n == 1 {
		return "1 " + what
	}
	return strconv.Itoa(n) + " " + what + "s"
}

type decoder struct {
	s     scanner
	fs    *FeatureSet
	lim   Limits
	probs problems
	seen  []uint8 // per feature of the current instance: 0 unseen, 1 seen, 2 repeat reported
}

// top parses the whole body. It returns false on a syntax error.
func (d *decoder) top() (PredictInput, bool) {
	var in PredictInput
	s := &d.s
	s.ws()
	if s.pos >= len(s.data) {
		s.fail("a JSON object", "an empty body")
		return in, false
	}
	if s.data[s.pos] != '{' {
		// Valid JSON of the wrong shape is a schema problem, not a syntax error.
		kind, raw, ok := s.value(0)
		if !ok {
			return in, false
		}
		s.ws()
		if s.pos != len(s.data) {
			s.fail("end of input after the top-level value", "more data")
			return in, false
		}
		d.probs.add(-1, "body", `a JSON object {"instances": [...]}`, describe(kind, raw))
		return in, true
	}
	s.pos++
	sawInstances, sawExplain := false, false
	first := true
	for {
		s.ws()
		if s.pos < len(s.data) && s.data[s.pos] == '}' && first {
			s.pos++
			break
		}
		key, ok := s.key()
		if !ok {
			return in, false
		}
		if !s.colon() {
			return in, false
		}
		switch string(key) {
		case "instances":
			if sawInstances {
				d.probs.add(-1, "instances", "the field once", "it more than once")
				if !s.skip(0) {
					return in, false
				}
				break
			}
			sawInstances = true
			if !d.instances(&in) {
				return in, false
			}
		case "explain":
			if sawExplain {
				d.probs.add(-1, "explain", "the field once", "it more than once")
			}
			sawExplain = true
			kind, raw, ok := s.value(0)
			if !ok {
				return in, false
			}
			switch kind {
			case "boolean":
				in.Explain = raw[0] == 't'
			default:
				d.probs.add(-1, "explain", "true or false", describe(kind, raw))
			}
		default:
			d.probs.add(-1, string(key), `only the fields "instances" and "explain"`, "an unknown field")
			if !s.skip(0) {
				return in, false
			}
		}
		s.ws()
		if s.pos >= len(s.data) {
			s.fail("',' or '}'", "end of input")
			return in, false
		}
		c := s.data[s.pos]
		s.pos++
		if c == '}' {
			break
		}
		if c != ',' {
			s.pos--
			s.fail("',' or '}'", s.charAt())
			return in, false
		}
		first = false
	}
	s.ws()
	if s.pos != len(s.data) {
		s.fail("end of input after the top-level object", s.charAt())
		return in, false
	}
	if !sawInstances {
		d.probs.add(-1, "instances", "an array of 1 to "+strconv.Itoa(d.lim.MaxInstances)+" objects", "no such field")
	}
	return in, true
}

// instances parses the value of "instances".
func (d *decoder) instances(in *PredictInput) bool {
	s := &d.s
	s.ws()
	want := "an array of 1 to " + strconv.Itoa(d.lim.MaxInstances) + " objects"
	if s.pos >= len(s.data) || s.data[s.pos] != '[' {
		kind, raw, ok := s.value(0)
		if !ok {
			return false
		}
		d.probs.add(-1, "instances", want, describe(kind, raw))
		return true
	}
	s.pos++
	nf := d.fs.Len()
	if cap(d.seen) < nf {
		d.seen = make([]uint8, nf)
	}
	d.seen = d.seen[:nf]
	n := 0
	// Size the rows once for the instances the body can hold (at least
	// about 8 bytes per value), not by repeated doubling.
	in.Rows = slices.Grow(in.Rows, nf*min(d.lim.MaxInstances, max(1, (len(s.data)-s.pos)/(8*nf))))
	s.ws()
	if s.pos < len(s.data) && s.data[s.pos] == ']' {
		s.pos++
	} else {
		for {
			s.ws()
			if n < d.lim.MaxInstances {
				if s.pos < len(s.data) && s.data[s.pos] == '{' {
					in.Rows = growNaN(in.Rows, nf)
					if !d.instance(n, in.Rows[n*nf:(n+1)*nf]) {
						return false
					}
				} else {
					kind, raw, ok := s.value(1)
					if !ok {
						return false
					}
					in.Rows = growNaN(in.Rows, nf)
					d.probs.add(n, "instances", "an object of feature values", describe(kind, raw))
				}
			} else if !s.skip(1) { // beyond the limit: check the syntax only
				return false
			}
			n++
			s.ws()
			if s.pos >= len(s.data) {
				s.fail("',' or ']'", "end of input")
				return false
			}
			c := s.data[s.pos]
			s.pos++
			if c == ']' {
				break
			}
			if c != ',' {
				s.pos--
				s.fail("',' or ']'", s.charAt())
				return false
			}
		}
	}
	switch {
	case n == 0:
		d.probs.add(-1, "instances", want, "an empty array")
	case n > d.lim.MaxInstances:
		d.probs.add(-1, "instances", "at most "+strconv.Itoa(d.lim.MaxInstances)+" instances", strconv.Itoa(n)+" instances")
	}
	in.N = min(n, d.lim.MaxInstances)
	return true
}

// growNaN appends n NaNs to rows, growing it at most once.
func growNaN(rows []float64, n int) []float64 {
	rows = slices.Grow(rows, n)
	nan := math.NaN()
	for range n {
		rows = append(rows, nan)
	}
	return rows
}

// instance parses one instance object into row.
func (d *decoder) instance(i int, row []float64) bool {
	s := &d.s
	s.pos++ // '{'
	clear(d.seen)
	next := 0
	s.ws()
	if s.pos < len(s.data) && s.data[s.pos] == '}' {
		s.pos++
	} else {
		for {
			key, ok := s.key()
			if !ok {
				return false
			}
			if !s.colon() {
				return false
			}
			// Clients usually send features in schema order: try the next
			// one before the map.
			j, known := next, false
			if j < len(d.fs.Features) && d.fs.Features[j].Name == string(key) {
				known = true
			} else {
				j, known = d.fs.index[string(key)]
			}
			next = j + 1
			switch {
			case !known:
				d.probs.add(i, string(key), "one of the model's features ("+d.fs.names+")", "an unknown feature")
				if !s.skip(2) {
					return false
				}
			case d.seen[j] != 0:
				if d.seen[j] == 1 { // one problem however many repeats
					d.probs.add(i, d.fs.Features[j].Name, "the feature once", "it more than once")
					d.seen[j] = 2
				}
				if !s.skip(2) {
					return false
				}
			default:
				d.seen[j] = 1
				if !d.feature(i, j, row) {
					return false
				}
			}
			s.ws()
			if s.pos >= len(s.data) {
				s.fail("',' or '}'", "end of input")
				return false
			}
			c := s.data[s.pos]
			s.pos++
			if c == '}' {
				break
			}
			if c != ',' {
				s.pos--
				s.fail("',' or '}'", s.charAt())
				return false
			}
			s.ws()
		}
	}
	for j, st := range d.seen {
		if st == 0 {
			d.probs.add(i, d.fs.Features[j].Name, d.fs.expected[j], "nothing (the feature is missing)")
		}
	}
	return true
}

// feature parses the value of feature j of instance i into row[j].
func (d *decoder) feature(i, j int, row []float64) bool {
	s := &d.s
	f := &d.fs.Features[j]
	s.ws()
	if s.pos < len(s.data) {
		switch c := s.data[s.pos]; {
		case c == '-' || c >= '0' && c <= '9':
			lit, ok := s.number()
			if !ok {
				return false
			}
			v, err := parseFloat(lit)
			if err != nil || !f.check(v) {
				d.probs.add(i, f.Name, d.fs.expected[j], describe("number", lit))
				return true
			}
			row[j] = v
			return true
		case c == '"':
			str, ok := s.str()
			if !ok {
				return false
			}
			if v, ok := f.label(str); ok {
				row[j] = v
				return true
			}
			d.probs.add(i, f.Name, d.fs.expected[j], describe("string", str))
			return true
		}
	}
	kind, raw, ok := s.value(2)
	if !ok {
		return false
	}
	if kind == "null" && f.Nullable {
		row[j] = math.NaN()
		return true
	}
	d.probs.add(i, f.Name, d.fs.expected[j], describe(kind, raw))
	return true
}

// parseFloat parses a JSON number literal without copying it.
func parseFloat(lit []byte) (float64, error) {
	// Small integers are the common case: no fraction, no exponent.
	if len(lit) > 0 && len(lit) <= 15 {
		neg := lit[0] == '-'
		k := 0
		if neg {
			k = 1
		}
		var n int64
		allDigits := k < len(lit)
		for _, c := range lit[k:] {
			if c < '0' || c > '9' {
				allDigits = false
				break
			}
			n = n*10 + int64(c-'0')
		}
		if allDigits {
			if neg {
				if n == 0 {
					return math.Copysign(0, -1), nil
				}
				return float64(-n), nil
			}
			return float64(n), nil
		}
	}
	return strconv.ParseFloat(unsafe.String(unsafe.SliceData(lit), len(lit)), 64)
}

// scanner reads JSON (RFC 8259) from data. Its methods return false after
// recording the first syntax error.
type scanner struct {
	data    []byte
	pos     int
	scratch []byte

	errPos      int
	errExpected string
	errGot      string
	failed      bool
}

func (s *scanner) fail(expected, got string) {
	if !s.failed {
		s.failed = true
		s.errPos, s.errExpected, s.errGot = s.pos, expected, got
	}
}

// syntaxError returns the recorded syntax error as a 400 RequestError.
func (s *scanner) syntaxError() *RequestError {
	line, col := 1, 1
	for _, c := range s.data[:min(s.errPos, len(s.data))] {
		if c == '\n' {
			line++
			col = 1
		} else {
			col++
		}
	}
	return &RequestError{
		Status: http.StatusBadRequest, Code: CodeMalformedJSON,
		Message: "the request body is not valid JSON",
		Problems: []Problem{{
			Instance: -1, Field: "body",
			Expected: s.errExpected,
			Got:      fmt.Sprintf("%s at line %d, column %d (byte %d)", s.errGot, line, col, s.errPos),
		}},
		Total: 1,
	}
}

// charAt describes the byte at pos for a syntax error.
func (s *scanner) charAt() string {
	if s.pos >= len(s.data) {
		return "end of input"
	}
	c := s.data[s.pos]
	if c < 0x20 || c >= 0x7f {
		return fmt.Sprintf("byte 0x%02x", c)
	}
	return strconv.QuoteRune(rune(c))
}

func (s *scanner) ws() {
	for s.pos < len(s.data) {
		switch s.data[s.pos] {
		case ' ', '\t', '\n', '\r':
			s.pos++
		default:
			return
		}
	}
}

func (s *scanner) colon() bool {
	s.ws()
	if s.pos >= len(s.data) || s.data[s.pos] != ':' {
		s.fail("':'", s.charAt())
		return false
	}
	s.pos++
	s.ws()
	return true
}

// key reads an object's field name: a string, with its own message when
// something else stands there (a trailing comma, a single quote).
func (s *scanner) key() ([]byte, bool) {
	s.ws()
	if s.pos >= len(s.data) || s.data[s.pos] != '"' {
		s.fail("a field name in double quotes", s.charAt())
		return nil, false
	}
	return s.str()
}

// str reads a string and returns its decoded bytes. Without escapes they
// alias data; otherwise they alias s.scratch until the next call.
func (s *scanner) str() ([]byte, bool) {
	s.ws()
	if s.pos >= len(s.data) || s.data[s.pos] != '"' {
		s.fail("a string", s.charAt())
		return nil, false
	}
	s.pos++
	start := s.pos
	for s.pos < len(s.data) {
		c := s.data[s.pos]
		switch {
		case c == '"':
			out := s.data[start:s.pos]
			s.pos++
			return out, true
		case c == '\\':
			return s.strSlow(start)
		case c < 0x20:
			s.fail("a closing '\"'", fmt.Sprintf("control character 0x%02x in a string", c))
			return nil, false
		case c < utf8.RuneSelf:
			s.pos++
		default:
			r, size := utf8.DecodeRune(s.data[s.pos:])
			if r == utf8.RuneError && size == 1 {
				s.fail("UTF-8 text", "an invalid UTF-8 byte in a string")
				return nil, false
			}
			s.pos += size
		}
	}
	s.fail("a closing '\"'", "end of input")
	return nil, false
}

// strSlow decodes a string with escapes from start (just after the quote).
func (s *scanner) strSlow(start int) ([]byte, bool) {
	out := append(s.scratch[:0], s.data[start:s.pos]...)
	for s.pos < len(s.data) {
		c := s.data[s.pos]
		switch {
		case c == '"':
			s.pos++
			s.scratch = out
			return out, true
		case c == '\\':
			if s.pos+1 >= len(s.data) {
				s.pos++
				s.fail("an escape sequence", "end of input")
				return nil, false
			}
			e := s.data[s.pos+1]
			s.pos += 2
			switch e {
			case '"', '\\', '/':
				out = append(out, e)
			case 'b':
				out = append(out, '\b')
			case 'f':
				out = append(out, '\f')
			case 'n':
				out = append(out, '\n')
			case 'r':
				out = append(out, '\r')
			case 't':
				out = append(out, '\t')
			case 'u':
				r, ok := s.hex4()
				if !ok {
					return nil, false
				}
				if utf16.IsSurrogate(r) {
					r2 := utf8.RuneError
					if s.pos+1 < len(s.data) && s.data[s.pos] == '\\' && s.data[s.pos+1] == 'u' {
						save := s.pos
						s.pos += 2
						lo, ok := s.hex4()
						if !ok {
							return nil, false
						}
						if dec := utf16.DecodeRune(r, lo); dec != utf8.RuneError {
							r2 = dec
						} else {
							s.pos = save // a lone high surrogate; the next escape stands alone
						}
					}
					r = r2
				}
				out = utf8.AppendRune(out, r)
			default:
				s.pos -= 2
				s.fail("a valid escape (\\\" \\\\ \\/ \\b \\f \\n \\r \\t \\uXXXX)", "\\"+string(rune(e)))
				return nil, false
			}
		case c < 0x20:
			s.fail("a closing '\"'", fmt.Sprintf("control character 0x%02x in a string", c))
			return nil, false
		case c < utf8.RuneSelf:
			out = append(out, c)
			s.pos++
		default:
			r, size := utf8.DecodeRune(s.data[s.pos:])
			if r == utf8.RuneError && size == 1 {
				s.fail("UTF-8 text", "an invalid UTF-8 byte in a string")
				return nil, false
			}
			out = append(out, s.data[s.pos:s.pos+size]...)
			s.pos += size
		}
	}
	s.fail("a closing '\"'", "end of input")
	return nil, false
}

func (s *scanner) hex4() (rune, bool) {
	if s.pos+4 > len(s.data) {
		s.fail("4 hex digits after \\u", "end of input")
		return 0, false
	}
	var v [2]byte
	if _, err := hex.Decode(v[:], s.data[s.pos:s.pos+4]); err != nil {
		s.fail("4 hex digits after \\u", s.charAt())
		return 0, false
	}
	s.pos += 4
	return rune(v[0])<<8 | rune(v[1]), true
}

// number reads a number literal and returns it.
func (s *scanner) number() ([]byte, bool) {
	start := s.pos
	d := s.data
	p := s.pos
	if p < len(d) && d[p] == '-' {
		p++
	}
	switch {
	case p < len(d) && d[p] == '0':
		p++
	case p < len(d) && d[p] >= '1' && d[p] <= '9':
		for p < len(d) && d[p] >= '0' && d[p] <= '9' {
			p++
		}
	default:
		s.pos = p
		s.fail("a digit", s.charAt())
		return nil, false
	}
	if p < len(d) && d[p] == '.' {
		p++
		if p >= len(d) || d[p] < '0' || d[p] > '9' {
			s.pos = p
			s.fail("a digit after '.'", s.charAt())
			return nil, false
		}
		for p < len(d) && d[p] >= '0' && d[p] <= '9' {
			p++
		}
	}
	if p < len(d) && (d[p] == 'e' || d[p] == 'E') {
		p++
		if p < len(d) && (d[p] == '+' || d[p] == '-') {
			p++
		}
		if p >= len(d) || d[p] < '0' || d[p] > '9' {
			s.pos = p
			s.fail("a digit in the exponent", s.charAt())
			return nil, false
		}
		for p < len(d) && d[p] >= '0' && d[p] <= '9' {
			p++
		}
	}
	s.pos = p
	return d[start:p], true
}

// literal reads true, false or null.
func (s *scanner) literal() (string, []byte, bool) {
	for _, lit := range [...]string{"true", "false", "null"} {
		if len(s.data)-s.pos >= len(lit) && string(s.data[s.pos:s.pos+len(lit)]) == lit {
			raw := s.data[s.pos : s.pos+len(lit)]
			s.pos += len(lit)
			if lit == "null" {
				return "null", nil, true
			}
			return "boolean", raw, true
		}
	}
	s.fail("a JSON value", s.charAt())
	return "", nil, false
}

// value reads any value at nesting depth and returns its kind ("string",
// "number", "boolean", "null", "object", "array") and, for scalars, its
// text (decoded for strings).
func (s *scanner) value(depth int) (kind string, raw []byte, ok bool) {
	s.ws()
	if s.pos >= len(s.data) {
		s.fail("a JSON value", "end of input")
		return "", nil, false
	}
	switch c := s.data[s.pos]; {
	case c == '"':
		b, ok := s.str()
		return "string", b, ok
	case c == '-' || c >= '0' && c <= '9':
		b, ok := s.number()
		return "number", b, ok
	case c == '{':
		return "object", nil, s.skip(depth)
	case c == '[':
		return "array", nil, s.skip(depth)
	default:
		return s.literal()
	}
}

// skip reads and discards one value at nesting depth, checking its syntax.
func (s *scanner) skip(depth int) bool {
	s.ws()
	if s.pos >= len(s.data) {
		s.fail("a JSON value", "end of input")
		return false
	}
	c := s.data[s.pos]
	if c != '{' && c != '[' {
		_, _, ok := s.value(depth)
		return ok
	}
	if depth >= maxDepth {
		s.fail("at most "+strconv.Itoa(maxDepth)+" levels of nesting", "deeper nesting")
		return false
	}
	s.pos++
	closer := byte('}')
	if c == '[' {
		closer = ']'
	}
	s.ws()
	if s.pos < len(s.data) && s.data[s.pos] == closer {
		s.pos++
		return true
	}
	for {
		if c == '{' {
			if _, ok := s.key(); !ok {
				return false
			}
			if !s.colon() {
				return false
			}
		}
		if !s.skip(depth + 1) {
			return false
		}
		s.ws()
		if s.pos >= len(s.data) {
			s.fail("',' or '"+string(closer)+"'", "end of input")
			return false
		}
		d := s.data[s.pos]
		s.pos++
		if d == closer {
			return true
		}
		if d != ',' {
			s.pos--
			s.fail("',' or '"+string(closer)+"'", s.charAt())
			return false
		}
		s.ws()
	}
}
