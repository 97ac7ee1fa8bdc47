package xgboost

import (
	"encoding/binary"
	"encoding/json"
	"fmt"
	"math"
	"strconv"
)

// The two document formats decode to the same values: map[string]any,
// []any, string, bool, nil, and numbers as number (JSON text, parsed when
// read so that a float32 is parsed as float32), int64, float32 or float64.
// Arrays of numbers, which make up almost all of a model, are kept unboxed:
// []number from JSON, []float32, []float64 or []int64 from UBJSON's typed
// arrays.

// number is the text of a JSON number, or one of the tokens NaN, Infinity
// and -Infinity that XGBoost writes for non-finite floats.
type number string

// maxNesting bounds the depth of a document; XGBoost's models nest six deep.
const maxNesting = 64

// truncatedError reports input that ends inside a value.
func truncatedError(format string, at int) error {
	return fmt.Errorf("%w: %s ends at byte %d inside a value (truncated file?)", ErrMalformed, format, at)
}

// decodeJSON parses an XGBoost JSON document.
func decodeJSON(data []byte) (any, error) {
	// one copy as a string, so that keys, strings and numbers are
	// substrings of it rather than allocations of their own
	p := &jsonParser{data: data, text: string(data)}
	v, err := p.value(0)
	if err != nil {
		return nil, err
	}
	p.space()
	if p.at != len(data) {
		return nil, fmt.Errorf("%w: JSON: unexpected %s after the document at byte %d", ErrMalformed, quoteByte(data[p.at]), p.at)
	}
	return v, nil
}

type jsonParser struct {
	data []byte
	text string // data as a string
	at   int
}

func (p *jsonParser) space() {
	for p.at < len(p.data) {
		switch p.data[p.at] {
		case ' ', '\t', '\n', '\r':
			p.at++
		default:
			return
		}
	}
}

func (p *jsonParser) fail(want string) error {
	if p.at >= len(p.data) {
		return truncatedError("JSON", p.at)
	}
	return fmt.Errorf("%w: JSON: %s at byte %d, want %s", ErrMalformed, quoteByte(p.data[p.at]), p.at, want)
}

func (p *jsonParser) value(depth int) (any, error) {
	if depth > maxNesting {
		return nil, fmt.Errorf("%w: JSON nests deeper than %d at byte %d", ErrMalformed, maxNesting, p.at)
	}
	p.space()
	if p.at >= len(p.data) {
		return nil, truncatedError("JSON", p.at)
	}
	switch c := p.data[p.at]; {
	case c == '{':
		p.at++
		obj := map[string]any{}
		p.space()
		if p.at < len(p.data) && p.data[p.at] == '}' {
			p.at++
			return obj, nil
		}
		for {
			p.space()
			if p.at >= len(p.data) || p.data[p.at] != '"' {
				return nil, p.fail("a key")
			}
			k, err := p.str()
			if err != nil {
				return nil, err
			}
			p.space()
			if p.at >= len(p.data) || p.data[p.at] != ':' {
				return nil, p.fail("':'")
			}
			p.at++
			v, err := p.value(depth + 1)
			if err != nil {
				return nil, err
			}
			obj[k] = v
			p.space()
			if p.at >= len(p.data) {
				return nil, truncatedError("JSON", p.at)
			}
			switch p.data[p.at] {
			case ',':
				p.at++
			case '}':
				p.at++
				return obj, nil
			default:
				return nil, p.fail("',' or '}'")
			}
		}
	case c == '[':
		p.at++
		var arr []any
		p.space()
		if p.at < len(p.data) && p.data[p.at] == ']' {
			p.at++
			return []any{}, nil
		}
		nums, done, err := p.numbers()
		if err != nil || done {
			return nums, err
		}
		for _, n := range nums {
			arr = append(arr, n)
		}
		for {
			v, err := p.value(depth + 1)
			if err != nil {
				return nil, err
			}
			arr = append(arr, v)
			p.space()
			if p.at >= len(p.data) {
				return nil, truncatedError("JSON", p.at)
			}
			switch p.data[p.at] {
			case ',':
				p.at++
			case ']':
				p.at++
				return arr, nil
			default:
				return nil, p.fail("',' or ']'")
			}
		}
	case c == '"':
		return p.str()
	case isNumberStart(c):
		return p.number()
	default:
		for _, lit := range []struct {
			text string
			v    any
		}{{"true", true}, {"false", false}, {"null", nil}} {
			if c != lit.text[0] {
				continue
			}
			end := min(p.at+len(lit.text), len(p.data))
			if string(p.data[p.at:end]) == lit.text {
				p.at = end
				return lit.v, nil
			}
			if end == len(p.data) && lit.text[:end-p.at] == string(p.data[p.at:end]) {
				return nil, truncatedError("JSON", end)
			}
		}
		return nil, p.fail("a value")
	}
}

// number reads the text of a number; it is parsed, and a bad one
// refused, when a field is read.
func (p *jsonParser) number() (number, error) {
	start := p.at
	for p.at < len(p.data) && isNumberByte(p.data[p.at]) {
		p.at++
	}
	if p.at >= len(p.data) {
		return "", truncatedError("JSON", p.at)
	}
	return number(p.text[start:p.at]), nil
}

// numbers reads the leading numbers of an array just opened. When the
// array holds only numbers it consumes the closing bracket and returns
// them as []number with done set; otherwise it stops after the last
// number that is followed by a comma, and the caller reads the rest.
func (p *jsonParser) numbers() (nums []number, done bool, err error) {
	for {
		p.space()
		if p.at >= len(p.data) {
			return nil, false, truncatedError("JSON", p.at)
		}
		if !isNumberStart(p.data[p.at]) {
			return nums, false, nil
		}
		n, err := p.number()
		if err != nil {
			return nil, false, err
		}
		nums = append(nums, n)
		p.space()
		if p.at >= len(p.data) {
			return nil, false, truncatedError("JSON", p.at)
		}
		switch p.data[p.at] {
		case ',':
			p.at++
		case ']':
			p.at++
			return nums, true, nil
		default:
			return nil, false, p.fail("',' or ']'")
		}
	}
}

func isNumberStart(c byte) bool { return c == '-' || c >= '0' && c <= '9' || c == 'N' || c == 'I' }

func isNumberByte(c byte) bool {
	switch {
	case c >= '0' && c <= '9', c == '-', c == '+', c == '.', c == 'e', c == 'E':
		return true
	}
	// NaN and Infinity
	return c == 'N' || c == 'a' || c == 'I' || c == 'n' || c == 'f' || c == 'i' || c == 't' || c == 'y'
}

// str reads a JSON string starting at its opening quote.
func (p *jsonParser) str() (string, error) {
	start := p.at
	p.at++
	escaped := false
	for p.at < len(p.data) {
		switch c := p.data[p.at]; {
		case c == '\\':
			escaped = true
			p.at += 2
		case c == '"':
			p.at++
			raw := p.data[start:p.at]
			if !escaped {
				return p.text[start+1 : p.at-1], nil
			}
			var s string
			if err := json.Unmarshal(raw, &s); err != nil {
				return "", fmt.Errorf("%w: JSON: bad string at byte %d", ErrMalformed, start)
			}
			return s, nil
		case c < 0x20:
			return "", fmt.Errorf("%w: JSON: control character in a string at byte %d", ErrMalformed, p.at)
		default:
			p.at++
		}
	}
	return "", truncatedError("JSON", len(p.data))
}

// float64 parses the number.
func (n number) float64() (float64, error) {
	switch n {
	case "NaN", "-NaN":
		return math.NaN(), nil
	case "Infinity", "inf":
		return math.Inf(1), nil
	case "-Infinity", "-inf":
		return math.Inf(-1), nil
	}
	return strconv.ParseFloat(string(n), 64)
}

// float32 parses the number as a float32, rounding the decimal text once.
func (n number) float32() (float32, error) {
	switch n {
	case "NaN", "-NaN", "Infinity", "inf", "-Infinity", "-inf":
		f, _ := n.float64()
		return float32(f), nil
	}
	f, err := strconv.ParseFloat(string(n), 32)
	return float32(f), err
}

// UBJSON type markers (Universal Binary JSON, draft 12, as XGBoost writes
// and reads it: big-endian numbers, optimized containers with $ and #).
const (
	ubjNull    = 'Z'
	ubjNoop    = 'N'
	ubjTrue    = 'T'
	ubjFalse   = 'F'
	ubjInt8    = 'i'
	ubjUint8   = 'U'
	ubjInt16   = 'I'
	ubjInt32   = 'l'
	ubjInt64   = 'L'
	ubjFloat32 = 'd'
	ubjFloat64 = 'D'
	ubjHigh    = 'H'
	ubjChar    = 'C'
	ubjString  = 'S'
	ubjObject  = '{'
	ubjArray   = '['
)

// scalarSize is the size in bytes of the fixed-size scalar types.
var scalarSize = map[byte]int{ubjInt8: 1, ubjUint8: 1, ubjChar: 1, ubjInt16: 2, ubjInt32: 4, ubjFloat32: 4, ubjInt64: 8, ubjFloat64: 8}

// decodeUBJSON parses an XGBoost UBJSON document.
func decodeUBJSON(data []byte) (any, error) {
	p := &ubjParser{data: data}
	v, err := p.value(0)
	if err != nil {
		return nil, err
	}
	if p.at != len(data) {
		return nil, fmt.Errorf("%w: UBJSON: %d bytes after the document at byte %d", ErrMalformed, len(data)-p.at, p.at)
	}
	return v, nil
}

type ubjParser struct {
	data []byte
	at   int
}

func (p *ubjParser) need(n int) error {
	if n > len(p.data)-p.at {
		return truncatedError("UBJSON", len(p.data))
	}
	return nil
}

func (p *ubjParser) marker() (byte, error) {
	for {
		if err := p.need(1); err != nil {
			return 0, err
		}
		c := p.data[p.at]
		p.at++
		if c != ubjNoop {
			return c, nil
		}
	}
}

// length reads a length or count: an integer of any width, checked to be
// non-negative and to fit in the bytes left (each element takes at least
// minSize bytes).
func (p *ubjParser) length(what string, minSize int) (int, error) {
	at := p.at
	m, err := p.marker()
	if err != nil {
		return 0, err
	}
	v, err := p.scalar(m)
	if err != nil {
		return 0, err
	}
	n, ok := v.(int64)
	if !ok {
		return 0, fmt.Errorf("%w: UBJSON %s at byte %d is not an integer (marker %s)", ErrMalformed, what, at, quoteByte(m))
	}
	left := len(p.data) - p.at
	if n < 0 || n > int64(left)/int64(max(minSize, 1)) {
		return 0, fmt.Errorf("%w: UBJSON %s %d at byte %d does not fit in the %d bytes left (wrong length prefix or truncated file)", ErrMalformed, what, n, at, left)
	}
	return int(n), nil
}

// scalar reads the value of a non-container marker.
func (p *ubjParser) scalar(m byte) (any, error) {
	size := scalarSize[m]
	switch m {
	case ubjNull:
		return nil, nil
	case ubjTrue:
		return true, nil
	case ubjFalse:
		return false, nil
	case ubjString, ubjHigh:
		n, err := p.length("string length", 1)
		if err != nil {
			return nil, err
		}
		s := string(p.data[p.at : p.at+n])
		p.at += n
		if m == ubjHigh {
			return number(s), nil
		}
		return s, nil
	}
	if size == 0 {
		return nil, fmt.Errorf("%w: UBJSON: unknown type marker %s at byte %d", ErrMalformed, quoteByte(m), p.at-1)
	}
	if err := p.need(size); err != nil {
		return nil, err
	}
	b := p.data[p.at : p.at+size]
	p.at += size
	switch m {
	case ubjInt8:
		return int64(int8(b[0])), nil
	case ubjUint8:
		return int64(b[0]), nil
	case ubjChar:
		return string(b[:1]), nil
	case ubjInt16:
		return int64(int16(binary.BigEndian.Uint16(b))), nil
	case ubjInt32:
		return int64(int32(binary.BigEndian.Uint32(b))), nil
	case ubjInt64:
		return int64(binary.BigEndian.Uint64(b)), nil
	case ubjFloat32:
		return math.Float32frombits(binary.BigEndian.Uint32(b)), nil
	default:
		return math.Float64frombits(binary.BigEndian.Uint64(b)), nil
	}
}

func (p *ubjParser) value(depth int) (any, error) {
	m, err := p.marker()
	if err != nil {
		return nil, err
	}
	return p.typed(m, depth)
}

func (p *ubjParser) typed(m byte, depth int) (any, error) {
	if m != ubjObject && m != ubjArray {
		return p.scalar(m)
	}
	if depth > maxNesting {
		return nil, fmt.Errorf("%w: UBJSON nests deeper than %d at byte %d", ErrMalformed, maxNesting, p.at)
	}
	start := p.at - 1
	// optimized container: [$type]#count
	var elem byte
	count := -1
	if p.at < len(p.data) && p.data[p.at] == '$' {
		p.at++
		if err := p.need(1); err != nil {
			return nil, err
		}
		elem = p.data[p.at]
		p.at++
		if p.at >= len(p.data) || p.data[p.at] != '#' {
			if p.at >= len(p.data) {
				return nil, truncatedError("UBJSON", p.at)
			}
			return nil, fmt.Errorf("%w: UBJSON container at byte %d has a type but no count", ErrMalformed, start)
		}
	}
	if p.at < len(p.data) && p.data[p.at] == '#' {
		p.at++
		minSize := 1
		if size := scalarSize[elem]; size > 0 {
			minSize = size
		}
		if m == ubjObject {
			minSize++ // a key takes at least one byte
		}
		n, err := p.length("count", minSize)
		if err != nil {
			return nil, err
		}
		count = n
	}
	next := func() (any, error) {
		if elem != 0 {
			return p.typed(elem, depth+1)
		}
		return p.value(depth + 1)
	}
	if m == ubjArray && count >= 0 && scalarSize[elem] > 0 && elem != ubjChar {
		return p.typedArray(elem, count), nil
	}
	if m == ubjArray {
		arr := []any{}
		for i := 0; count < 0 || i < count; i++ {
			if count < 0 {
				if err := p.need(1); err != nil {
					return nil, err
				}
				if p.data[p.at] == ']' {
					p.at++
					return arr, nil
				}
			}
			v, err := next()
			if err != nil {
				return nil, err
			}
			arr = append(arr, v)
		}
		return arr, nil
	}
	obj := map[string]any{}
	for i := 0; count < 0 || i < count; i++ {
		if count < 0 {
			if err := p.need(1); err != nil {
				return nil, err
			}
			if p.data[p.at] == '}' {
				p.at++
				return obj, nil
			}
		}
		n, err := p.length("key length", 1)
		if err != nil {
			return nil, err
		}
		k := string(p.data[p.at : p.at+n])
		p.at += n
		v, err := next()
		if err != nil {
			return nil, err
		}
		obj[k] = v
	}
	return obj, nil
}

// typedArray reads count numbers of a fixed-size type (their bytes are
// known to be there) into a slice of their Go type.
func (p *ubjParser) typedArray(elem byte, count int) any {
	size := scalarSize[elem]
	b := p.data[p.at : p.at+count*size]
	p.at += count * size
	switch elem {
	case ubjFloat32:
		out := make([]float32, count)
		for i := range out {
			out[i] = math.Float32frombits(binary.BigEndian.Uint32(b[4*i:]))
		}
		return out
	case ubjFloat64:
		out := make([]float64, count)
		for i := range out {
			out[i] = math.Float64frombits(binary.BigEndian.Uint64(b[8*i:]))
		}
		return out
	}
	out := make([]int64, count)
	for i := range out {
		switch elem {
		case ubjInt8:
			out[i] = int64(int8(b[i]))
		case ubjUint8:
			out[i] = int64(b[i])
		case ubjInt16:
			out[i] = int64(int16(binary.BigEndian.Uint16(b[2*i:])))
		case ubjInt32:
			out[i] = int64(int32(binary.BigEndian.Uint32(b[4*i:])))
		default:
			out[i] = int64(binary.BigEndian.Uint64(b[8*i:]))
		}
	}
	return out
}

// quoteByte shows a byte in an error message.
func quoteByte(c byte) string {
	if c >= 0x20 && c < 0x7f {
		return strconv.QuoteRune(rune(c))
	}
	return fmt.Sprintf("byte 0x%02x", c)
}

// shorten cuts s for an error message.
func shorten(s string) string {
	if len(s) > 40 {
		return s[:40] + "…"
	}
	return s
}
