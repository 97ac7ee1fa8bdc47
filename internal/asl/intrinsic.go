package asl

import (
	"crypto/md5"
	crand "crypto/rand"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"hash"
	"io"
	"math"
	mrand "math/rand/v2"
	"strconv"
	"strings"
	"unicode/utf8"
)

// maxIntrinsicNesting is how deep calls may nest (Step Functions allows 10).
const maxIntrinsicNesting = 10

// Intrinsic is a parsed intrinsic function call such as
// "States.Format('Hello, {}', $.name)".
type Intrinsic struct {
	src  string
	call *intrinsicCall
}

type argKind int

const (
	argString argKind = iota
	argNumber
	argBool
	argNull
	argPath
	argCall
)

type intrinsicArg struct {
	kind  argKind
	value any    // string, json.Number, bool or nil
	raw   string // a string literal as written between the quotes, escapes kept
	path  *Path
	call  *intrinsicCall
}

type intrinsicCall struct {
	name string
	args []intrinsicArg
}

// intrinsic is one intrinsic function: the argument counts it takes, min
// and max (-1 = any), and what it does with the evaluated arguments.
type intrinsic struct {
	min, max int
	apply    func(c *intrinsicCall, args []any, env intrinsicEnv) (any, error)
}

// intrinsics are the functions ASL defines, by name.
var intrinsics = map[string]intrinsic{
	"States.Format":         {1, -1, intrinsicFormat},
	"States.StringToJson":   {1, 1, intrinsicStringToJson},
	"States.JsonToString":   {1, 1, intrinsicJsonToString},
	"States.Array":          {0, -1, intrinsicArray},
	"States.ArrayPartition": {2, 2, intrinsicArrayPartition},
	"States.ArrayContains":  {2, 2, intrinsicArrayContains},
	"States.ArrayRange":     {3, 3, intrinsicArrayRange},
	"States.ArrayGetItem":   {2, 2, intrinsicArrayGetItem},
	"States.ArrayLength":    {1, 1, intrinsicArrayLength},
	"States.ArrayUnique":    {1, 1, intrinsicArrayUnique},
	"States.Base64Encode":   {1, 1, intrinsicBase64Encode},
	"States.Base64Decode":   {1, 1, intrinsicBase64Decode},
	"States.Hash":           {2, 2, intrinsicHash},
	"States.JsonMerge":      {3, 3, intrinsicJsonMerge},
	"States.MathRandom":     {2, 3, intrinsicMathRandom},
	"States.MathAdd":        {2, 2, intrinsicMathAdd},
	"States.StringSplit":    {2, 2, intrinsicStringSplit},
	"States.UUID":           {0, 0, intrinsicUUID},
}

// ParseIntrinsic parses one intrinsic function call.
func ParseIntrinsic(s string) (*Intrinsic, error) {
	p := &intrinsicParser{s: s}
	call, err := p.parseCall(1)
	if err == nil {
		p.skipSpace()
		if p.i != len(p.s) {
			err = fmt.Errorf("unexpected %q after the call", p.s[p.i:])
		}
	}
	if err != nil {
		return nil, fmt.Errorf("%w %q: %v", ErrInvalidIntrinsic, s, err)
	}
	return &Intrinsic{src: s, call: call}, nil
}

// String returns the call as written.
func (f *Intrinsic) String() string { return f.src }

type intrinsicParser struct {
	s string
	i int
}

func (p *intrinsicParser) skipSpace() {
	for p.i < len(p.s) && (p.s[p.i] == ' ' || p.s[p.i] == '\t' || p.s[p.i] == '\n' || p.s[p.i] == '\r') {
		p.i++
	}
}

func (p *intrinsicParser) parseCall(depth int) (*intrinsicCall, error) {
	if depth > maxIntrinsicNesting {
		return nil, fmt.Errorf("calls nest deeper than %d", maxIntrinsicNesting)
	}
	p.skipSpace()
	start := p.i
	for p.i < len(p.s) && (isIdentByte(p.s[p.i]) || p.s[p.i] == '.') {
		p.i++
	}
	name := p.s[start:p.i]
	fn, ok := intrinsics[name]
	if !ok {
		if name == "" {
			return nil, fmt.Errorf("expected a function name at offset %d", start)
		}
		return nil, fmt.Errorf("unknown function %q", name)
	}
	p.skipSpace()
	if p.i >= len(p.s) || p.s[p.i] != '(' {
		return nil, fmt.Errorf("expected '(' after %s", name)
	}
	p.i++
	call := &intrinsicCall{name: name}
	p.skipSpace()
	if p.i < len(p.s) && p.s[p.i] == ')' {
		p.i++
	} else {
		for {
			arg, err := p.parseArg(depth)
			if err != nil {
				return nil, fmt.Errorf("%s argument %d: %v", name, len(call.args)+1, err)
			}
			call.args = append(call.args, arg)
			p.skipSpace()
			if p.i >= len(p.s) {
				return nil, fmt.Errorf("%s: missing ')'", name)
			}
			if p.s[p.i] == ',' {
				p.i++
				continue
			}
			if p.s[p.i] == ')' {
				p.i++
				break
			}
			return nil, fmt.Errorf("%s: expected ',' or ')' at offset %d", name, p.i)
		}
	}
	if n := len(call.args); n < fn.min || (fn.max >= 0 && n > fn.max) {
		want := strconv.Itoa(fn.min)
		switch {
		case fn.max < 0:
			want = "at least " + want
		case fn.max != fn.min:
			want = fmt.Sprintf("%d to %d", fn.min, fn.max)
		}
		return nil, fmt.Errorf("%s takes %s arguments, got %d", name, want, n)
	}
	return call, nil
}

func isIdentByte(c byte) bool {
	return c == '_' || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')
}

func (p *intrinsicParser) parseArg(depth int) (intrinsicArg, error) {
	p.skipSpace()
	if p.i >= len(p.s) {
		return intrinsicArg{}, fmt.Errorf("missing argument")
	}
	c := p.s[p.i]
	switch {
	case c == '\'':
		return p.parseString()
	case c == '$':
		return p.parsePathArg()
	case c == '-' || (c >= '0' && c <= '9'):
		start := p.i
		p.i++
		for p.i < len(p.s) && strings.IndexByte("0123456789.eE+-", p.s[p.i]) >= 0 {
			p.i++
		}
		lit := p.s[start:p.i]
		if !json.Valid([]byte(lit)) {
			return intrinsicArg{}, fmt.Errorf("bad number %q", lit)
		}
		return intrinsicArg{kind: argNumber, value: json.Number(lit)}, nil
	}
	for word, v := range map[string]any{"true": true, "false": false, "null": nil} {
		if strings.HasPrefix(p.s[p.i:], word) && (p.i+len(word) == len(p.s) || !isIdentByte(p.s[p.i+len(word)])) {
			p.i += len(word)
			kind := argBool
			if v == nil {
				kind = argNull
			}
			return intrinsicArg{kind: kind, value: v}, nil
		}
	}
	if strings.HasPrefix(p.s[p.i:], "States.") {
		call, err := p.parseCall(depth + 1)
		if err != nil {
			return intrinsicArg{}, err
		}
		return intrinsicArg{kind: argCall, call: call}, nil
	}
	return intrinsicArg{}, fmt.Errorf("unexpected %q at offset %d (expected a 'string', number, true, false, null, path or States. call)", string(c), p.i)
}

// parseString reads a single-quoted literal; a backslash escapes the next
// character (the reserved ones are ' { } and \).
func (p *intrinsicParser) parseString() (intrinsicArg, error) {
	p.i++ // opening quote
	start := p.i
	var b strings.Builder
	for p.i < len(p.s) {
		c := p.s[p.i]
		switch c {
		case '\\':
			if p.i+1 >= len(p.s) {
				return intrinsicArg{}, fmt.Errorf("string ends with a lone backslash")
			}
			r, size := utf8.DecodeRuneInString(p.s[p.i+1:])
			b.WriteRune(r)
			p.i += 1 + size
		case '\'':
			raw := p.s[start:p.i]
			p.i++
			return intrinsicArg{kind: argString, value: b.String(), raw: raw}, nil
		default:
			b.WriteByte(c)
			p.i++
		}
	}
	return intrinsicArg{}, fmt.Errorf("unterminated string starting at offset %d", start-1)
}

// parsePathArg reads a path up to the ',' or ')' that ends the argument,
// skipping those inside brackets, parentheses and quotes.
func (p *intrinsicParser) parsePathArg() (intrinsicArg, error) {
	start := p.i
	depth := 0
	var quote byte
	for p.i < len(p.s) {
		c := p.s[p.i]
		if quote != 0 {
			if c == '\\' {
				p.i++
			} else if c == quote {
				quote = 0
			}
			p.i++
			continue
		}
		switch c {
		case '\'', '"':
			quote = c
		case '[', '(':
			depth++
		case ']':
			depth--
		case ')':
			if depth == 0 {
				goto done
			}
			depth--
		case ',':
			if depth == 0 {
				goto done
			}
		}
		p.i++
	}
done:
	src := strings.TrimSpace(p.s[start:p.i])
	path, err := ParsePath(src)
	if err != nil {
		return intrinsicArg{}, err
	}
	return intrinsicArg{kind: argPath, path: path}, nil
}

// intrinsicEnv supplies the randomness MathRandom and UUID need.
type intrinsicEnv struct {
	float   func() float64 // uniform in [0,1)
	entropy io.Reader      // for UUIDs
}

// Eval evaluates the call against the template's input and the context
// object. Failures are States.IntrinsicFailure errors.
func (f *Intrinsic) Eval(input, ctx any) (any, error) {
	return f.eval(input, ctx, defaultIntrinsicEnv())
}

func defaultIntrinsicEnv() intrinsicEnv {
	return intrinsicEnv{float: mrand.Float64, entropy: crand.Reader}
}

func (f *Intrinsic) eval(input, ctx any, env intrinsicEnv) (any, error) {
	v, err := f.call.eval(input, ctx, env)
	if err != nil {
		if se, ok := err.(*stateError); ok {
			return nil, se
		}
		return nil, &stateError{Name: ErrorIntrinsicFailure, Cause: fmt.Sprintf("%s: %v", f.src, err)}
	}
	return v, nil
}

func (a intrinsicArg) eval(input, ctx any, env intrinsicEnv) (any, error) {
	switch a.kind {
	case argPath:
		v, err := a.path.Select(input, ctx)
		if err != nil {
			return nil, err
		}
		return v, nil
	case argCall:
		return a.call.eval(input, ctx, env)
	}
	return a.value, nil
}

func (c *intrinsicCall) eval(input, ctx any, env intrinsicEnv) (any, error) {
	args := make([]any, len(c.args))
	for i, a := range c.args {
		v, err := a.eval(input, ctx, env)
		if err != nil {
			return nil, fmt.Errorf("%s argument %d: %w", c.name, i+1, err)
		}
		args[i] = v
	}
	out, err := c.apply(args, env)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", c.name, err)
	}
	return out, nil
}

func stringArg(args []any, i int) (string, error) {
	s, ok := args[i].(string)
	if !ok {
		return "", fmt.Errorf("argument %d must be a string, got %s", i+1, typeName(args[i]))
	}
	return s, nil
}

func arrayArg(args []any, i int) ([]any, error) {
	a, ok := args[i].([]any)
	if !ok {
		return nil, fmt.Errorf("argument %d must be an array, got %s", i+1, typeName(args[i]))
	}
	return a, nil
}

func intArg(args []any, i int) (int64, error) {
	n, ok := intOf(args[i])
	if !ok {
		return 0, fmt.Errorf("argument %d must be an integer, got %s", i+1, describe(args[i]))
	}
	return n, nil
}

func describe(v any) string {
	if n, ok := v.(json.Number); ok {
		return "number " + string(n)
	}
	return typeName(v)
}

const maxStringArg = 10000

// apply calls the function the call names on its evaluated arguments.
func (c *intrinsicCall) apply(args []any, env intrinsicEnv) (any, error) {
	fn, ok := intrinsics[c.name]
	if !ok {
		return nil, fmt.Errorf("unknown function")
	}
	return fn.apply(c, args, env)
}

// intrinsicFormat implements States.Format.
func intrinsicFormat(c *intrinsicCall, args []any, env intrinsicEnv) (any, error) {
	return c.format(args)
}

// intrinsicStringToJson implements States.StringToJson.
func intrinsicStringToJson(c *intrinsicCall, args []any, env intrinsicEnv) (any, error) {
	s, err := stringArg(args, 0)
	if err != nil {
		return nil, err
	}
	v, err := decodeJSON([]byte(s))
	if err != nil {
		return nil, fmt.Errorf("not valid JSON: %v", err)
	}
	return v, nil
}

// intrinsicJsonToString implements States.JsonToString.
func intrinsicJsonToString(c *intrinsicCall, args []any, env intrinsicEnv) (any, error) {
	b, err := encodeJSON(args[0])
	if err != nil {
		return nil, err
	}
	return string(b), nil
}

// intrinsicArray implements States.Array.
func intrinsicArray(c *intrinsicCall, args []any, env intrinsicEnv) (any, error) {
	return append([]any{}, args...), nil
}

// intrinsicArrayPartition implements States.ArrayPartition.
func intrinsicArrayPartition(c *intrinsicCall, args []any, env intrinsicEnv) (any, error) {
	a, err := arrayArg(args, 0)
	if err != nil {
		return nil, err
	}
	size, err := intArg(args, 1)
	if err != nil {
		return nil, err
	}
	if size <= 0 {
		return nil, fmt.Errorf("chunk size must be positive, got %d", size)
	}
	out := []any{}
	for i := 0; i < len(a); i += int(size) {
		out = append(out, append([]any{}, a[i:min(i+int(size), len(a))]...))
	}
	return out, nil
}

// intrinsicArrayContains implements States.ArrayContains.
func intrinsicArrayContains(c *intrinsicCall, args []any, env intrinsicEnv) (any, error) {
	a, err := arrayArg(args, 0)
	if err != nil {
		return nil, err
	}
	for _, e := range a {
		if jsonEqual(e, args[1]) {
			return true, nil
		}
	}
	return false, nil
}

// intrinsicArrayRange implements States.ArrayRange.
func intrinsicArrayRange(c *intrinsicCall, args []any, env intrinsicEnv) (any, error) {
	var n [3]int64
	for i := range n {
		v, err := intArg(args, i)
		if err != nil {
			return nil, err
		}
		n[i] = v
	}
	start, end, step := n[0], n[1], n[2]
	if step == 0 {
		return nil, fmt.Errorf("step must not be 0")
	}
	out := []any{}
	for v := start; (step > 0 && v <= end) || (step < 0 && v >= end); v += step {
		if len(out) == 1000 {
			return nil, fmt.Errorf("the range has more than 1000 items")
		}
		out = append(out, numberOf(v))
	}
	return out, nil
}

// intrinsicArrayGetItem implements States.ArrayGetItem.
func intrinsicArrayGetItem(c *intrinsicCall, args []any, env intrinsicEnv) (any, error) {
	a, err := arrayArg(args, 0)
	if err != nil {
		return nil, err
	}
	i, err := intArg(args, 1)
	if err != nil {
		return nil, err
	}
	if i < 0 || i >= int64(len(a)) {
		return nil, fmt.Errorf("index %d out of range for an array of %d", i, len(a))
	}
	return a[i], nil
}

// intrinsicArrayLength implements States.ArrayLength.
func intrinsicArrayLength(c *intrinsicCall, args []any, env intrinsicEnv) (any, error) {
	a, err := arrayArg(args, 0)
	if err != nil {
		return nil, err
	}
	return numberOf(int64(len(a))), nil
}

// intrinsicArrayUnique implements States.ArrayUnique.
func intrinsicArrayUnique(c *intrinsicCall, args []any, env intrinsicEnv) (any, error) {
	a, err := arrayArg(args, 0)
	if err != nil {
		return nil, err
	}
	out := []any{}
next:
	for _, e := range a {
		for _, seen := range out {
			if jsonEqual(seen, e) {
				continue next
			}
		}
		out = append(out, e)
	}
	return out, nil
}

// intrinsicBase64Encode implements States.Base64Encode.
func intrinsicBase64Encode(c *intrinsicCall, args []any, env intrinsicEnv) (any, error) {
	s, err := stringArg(args, 0)
	if err != nil {
		return nil, err
	}
	if utf8.RuneCountInString(s) > maxStringArg {
		return nil, fmt.Errorf("input longer than %d characters", maxStringArg)
	}
	return base64.StdEncoding.EncodeToString([]byte(s)), nil
}

// intrinsicBase64Decode implements States.Base64Decode.
func intrinsicBase64Decode(c *intrinsicCall, args []any, env intrinsicEnv) (any, error) {
	s, err := stringArg(args, 0)
	if err != nil {
		return nil, err
	}
	if len(s) > maxStringArg {
		return nil, fmt.Errorf("input longer than %d characters", maxStringArg)
	}
	b, err := base64.StdEncoding.DecodeString(s)
	if err != nil {
		return nil, fmt.Errorf("not valid base64: %v", err)
	}
	if !utf8.Valid(b) {
		return nil, fmt.Errorf("decoded bytes are not UTF-8 text")
	}
	return string(b), nil
}

// intrinsicHash implements States.Hash.
func intrinsicHash(c *intrinsicCall, args []any, env intrinsicEnv) (any, error) {
	data, ok := args[0].(string)
	if !ok {
		b, err := encodeJSON(args[0])
		if err != nil {
			return nil, err
		}
		data = string(b)
	}
	if utf8.RuneCountInString(data) > maxStringArg {
		return nil, fmt.Errorf("input longer than %d characters", maxStringArg)
	}
	alg, err := stringArg(args, 1)
	if err != nil {
		return nil, err
	}
	var h hash.Hash
	switch alg {
	case "MD5":
		h = md5.New()
	case "SHA-1":
		h = sha1.New()
	case "SHA-256":
		h = sha256.New()
	case "SHA-384":
		h = sha512.New384()
	case "SHA-512":
		h = sha512.New()
	default:
		return nil, fmt.Errorf("algorithm %q is not one of MD5, SHA-1, SHA-256, SHA-384, SHA-512", alg)
	}
	h.Write([]byte(data))
	return hex.EncodeToString(h.Sum(nil)), nil
}

// intrinsicJsonMerge implements States.JsonMerge.
func intrinsicJsonMerge(c *intrinsicCall, args []any, env intrinsicEnv) (any, error) {
	a, ok1 := args[0].(map[string]any)
	b, ok2 := args[1].(map[string]any)
	if !ok1 || !ok2 {
		return nil, fmt.Errorf("arguments 1 and 2 must be objects, got %s and %s", typeName(args[0]), typeName(args[1]))
	}
	deep, ok := args[2].(bool)
	if !ok {
		return nil, fmt.Errorf("argument 3 must be a boolean, got %s", typeName(args[2]))
	}
	if deep {
		return nil, fmt.Errorf("deep merge (true) is not supported; pass false")
	}
	out := make(map[string]any, len(a)+len(b))
	for k, v := range a {
		out[k] = v
	}
	for k, v := range b {
		out[k] = v
	}
	return out, nil
}

// intrinsicMathRandom implements States.MathRandom.
func intrinsicMathRandom(c *intrinsicCall, args []any, env intrinsicEnv) (any, error) {
	start, err := intArg(args, 0)
	if err != nil {
		return nil, err
	}
	end, err := intArg(args, 1)
	if err != nil {
		return nil, err
	}
	if start >= end {
		return nil, fmt.Errorf("start %d must be less than end %d", start, end)
	}
	f := env.float
	if len(args) == 3 {
		seed, err := intArg(args, 2)
		if err != nil {
			return nil, err
		}
		f = mrand.New(mrand.NewPCG(uint64(seed), 0)).Float64
	}
	span := float64(end - start)
	return numberOf(start + int64(math.Floor(f()*span))), nil
}

// intrinsicMathAdd implements States.MathAdd.
func intrinsicMathAdd(c *intrinsicCall, args []any, env intrinsicEnv) (any, error) {
	var sum int64
	for i := range 2 {
		n, ok := args[i].(json.Number)
		if !ok {
			return nil, fmt.Errorf("argument %d must be a number, got %s", i+1, typeName(args[i]))
		}
		v, ok := intOf(n)
		if !ok {
			r, ok := ratOf(n)
			if !ok {
				return nil, fmt.Errorf("argument %d: bad number %s", i+1, n)
			}
			fl, _ := r.Float64()
			v = int64(math.Round(fl))
		}
		if v < math.MinInt32 || v > math.MaxInt32 {
			return nil, fmt.Errorf("argument %d (%d) is outside the 32-bit integer range", i+1, v)
		}
		sum += v
	}
	return numberOf(sum), nil
}

// intrinsicStringSplit implements States.StringSplit.
func intrinsicStringSplit(c *intrinsicCall, args []any, env intrinsicEnv) (any, error) {
	s, err := stringArg(args, 0)
	if err != nil {
		return nil, err
	}
	delims, err := stringArg(args, 1)
	if err != nil {
		return nil, err
	}
	out := []any{}
	for _, part := range strings.FieldsFunc(s, func(r rune) bool { return strings.ContainsRune(delims, r) }) {
		out = append(out, part)
	}
	return out, nil
}

// intrinsicUUID implements States.UUID.
func intrinsicUUID(c *intrinsicCall, args []any, env intrinsicEnv) (any, error) {
	var b [16]byte
	if _, err := io.ReadFull(env.entropy, b[:]); err != nil {
		return nil, fmt.Errorf("read entropy: %v", err)
	}
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	h := hex.EncodeToString(b[:])
	return h[0:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:], nil
}

// format implements States.Format: each unescaped {} takes the next argument.
func (c *intrinsicCall) format(args []any) (any, error) {
	var tmpl string
	if c.args[0].kind == argString {
		tmpl = c.args[0].raw
	} else {
		s, err := stringArg(args, 0)
		if err != nil {
			return nil, err
		}
		tmpl = s
	}
	values := args[1:]
	var b strings.Builder
	used := 0
	for i := 0; i < len(tmpl); i++ {
		ch := tmpl[i]
		switch {
		case ch == '\\' && i+1 < len(tmpl):
			i++
			b.WriteByte(tmpl[i])
		case ch == '{' && i+1 < len(tmpl) && tmpl[i+1] == '}':
			if used >= len(values) {
				return nil, fmt.Errorf("the template has more {} than the %d values given", len(values))
			}
			s, err := formatValue(values[used])
			if err != nil {
				return nil, fmt.Errorf("argument %d: %w", used+2, err)
			}
			b.WriteString(s)
			used++
			i++
		default:
			b.WriteByte(ch)
		}
	}
	if used != len(values) {
		return nil, fmt.Errorf("the template has %d {} but %d values were given", used, len(values))
	}
	return b.String(), nil
}

func formatValue(v any) (string, error) {
	switch t := v.(type) {
	case string:
		return t, nil
	case json.Number:
		return string(t), nil
	case bool:
		return strconv.FormatBool(t), nil
	case nil:
		return "null", nil
	}
	return "", fmt.Errorf("only strings, numbers, booleans and null can be formatted, got %s", typeName(v))
}
