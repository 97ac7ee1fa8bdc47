package asl

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"unicode/utf8"
)

// Path is a compiled JSONPath expression in the subset Step Functions
// accepts: "$" (the input) or "$$" (the context object) followed by child
// names in dot or bracket notation, array indexes (negative ones count from
// the end), wildcards, unions of names or indexes, slices, deep scans ("..")
// and filters ("[?(@.price < 10)]").
//
// A definite path (names and single indexes only) selects one value and
// fails with ErrPathNotFound if it is absent. An indefinite path gathers
// every match into an array, which may be empty.
type Path struct {
	src     string
	context bool // starts with "$$"
	segs    []segment
}

type segKind int

const (
	segName segKind = iota
	segIndex
	segWildcard
	segNames   // ['a','b']
	segIndexes // [0,2]
	segSlice
	segFilter
)

type segment struct {
	kind     segKind
	deep     bool // preceded by ".."
	names    []string
	indexes  []int
	start    *int
	end      *int
	step     int
	filter   filterExpr
	original string
}

func (s segment) definite() bool {
	return !s.deep && (s.kind == segName || s.kind == segIndex)
}

// ParsePath compiles a Path that starts with "$" or "$$".
func ParsePath(s string) (*Path, error) {
	p := &pathParser{s: s}
	path, err := p.parseRoot()
	if err != nil {
		return nil, fmt.Errorf("%w %q: %v", ErrInvalidPath, s, err)
	}
	return path, nil
}

// ParseReferencePath compiles a Reference Path: a Path that identifies a
// single node, so only names and single array indexes are allowed.
func ParseReferencePath(s string) (*Path, error) {
	p, err := ParsePath(s)
	if err != nil {
		return nil, err
	}
	if !p.IsReference() {
		return nil, fmt.Errorf("%w %q: a reference path allows only names and single indexes (no *, .., unions, slices or filters)", ErrInvalidPath, s)
	}
	return p, nil
}

// String returns the path as written.
func (p *Path) String() string { return p.src }

// IsContext reports whether the path starts with "$$" and reads the context object.
func (p *Path) IsContext() bool { return p.context }

// IsReference reports whether the path is a Reference Path.
func (p *Path) IsReference() bool {
	for _, s := range p.segs {
		if !s.definite() {
			return false
		}
	}
	return true
}

// Definite reports whether the path selects at most one value.
func (p *Path) Definite() bool { return p.IsReference() }

// Select applies the path to input, or to ctx when the path starts with "$$".
func (p *Path) Select(input, ctx any) (any, error) {
	root := input
	if p.context {
		root = ctx
	}
	return p.selectFrom(root)
}

func (p *Path) selectFrom(root any) (any, error) {
	nodes := []any{root}
	definite := true
	for _, s := range p.segs {
		if !s.definite() {
			definite = false
		}
		var next []any
		for _, n := range nodes {
			var err error
			next, err = s.apply(n, root, next, definite)
			if err != nil {
				return nil, fmt.Errorf("%w: %q: %v", ErrPathNotFound, p.src, err)
			}
		}
		nodes = next
	}
	if definite {
		return nodes[0], nil
	}
	if nodes == nil {
		nodes = []any{}
	}
	return nodes, nil
}

// apply selects this segment's children of n, appending them to out. In a
// definite path a missing child is an error; otherwise it is skipped.
func (s segment) apply(n, root any, out []any, strict bool) ([]any, error) {
	if s.deep {
		var all []any
		collectDescendants(n, &all)
		for _, d := range all {
			out, _ = s.selectOne(d, root, out, false)
		}
		return out, nil
	}
	return s.selectOne(n, root, out, strict)
}

func (s segment) selectOne(n, root any, out []any, strict bool) ([]any, error) {
	switch s.kind {
	case segName:
		m, ok := n.(map[string]any)
		if !ok {
			if strict {
				return out, fmt.Errorf("field %q is read from a %s, not an object", s.names[0], typeName(n))
			}
			return out, nil
		}
		v, ok := m[s.names[0]]
		if !ok {
			if strict {
				return out, fmt.Errorf("no field %q", s.names[0])
			}
			return out, nil
		}
		return append(out, v), nil
	case segNames:
		m, ok := n.(map[string]any)
		if !ok {
			return out, nil
		}
		for _, name := range s.names {
			if v, ok := m[name]; ok {
				out = append(out, v)
			}
		}
		return out, nil
	case segIndex:
		a, ok := n.([]any)
		if !ok {
			if strict {
				return out, fmt.Errorf("index [%d] applied to a %s, not an array", s.indexes[0], typeName(n))
			}
			return out, nil
		}
		i := s.indexes[0]
		if i < 0 {
			i += len(a)
		}
		if i < 0 || i >= len(a) {
			if strict {
				return out, fmt.Errorf("index [%d] out of range for an array of %d", s.indexes[0], len(a))
			}
			return out, nil
		}
		return append(out, a[i]), nil
	case segIndexes:
		a, ok := n.([]any)
		if !ok {
			return out, nil
		}
		for _, i := range s.indexes {
			if i < 0 {
				i += len(a)
			}
			if i >= 0 && i < len(a) {
				out = append(out, a[i])
			}
		}
		return out, nil
	case segWildcard:
		switch t := n.(type) {
		case []any:
			out = append(out, t...)
		case map[string]any:
			for _, k := range sortedKeys(t) {
				out = append(out, t[k])
			}
		}
		return out, nil
	case segSlice:
		a, ok := n.([]any)
		if !ok {
			return out, nil
		}
		start, end := 0, len(a)
		if s.start != nil {
			start = clampIndex(*s.start, len(a))
		}
		if s.end != nil {
			end = clampIndex(*s.end, len(a))
		}
		for i := start; i < end; i += s.step {
			out = append(out, a[i])
		}
		return out, nil
	case segFilter:
		switch t := n.(type) {
		case []any:
			for _, e := range t {
				if s.filter.test(e, root) {
					out = append(out, e)
				}
			}
		case map[string]any:
			if s.filter.test(t, root) {
				out = append(out, t)
			}
		}
		return out, nil
	}
	return out, nil
}

func clampIndex(i, n int) int {
	if i < 0 {
		i += n
	}
	return min(max(i, 0), n)
}

// collectDescendants appends n and every value nested in it, depth first.
func collectDescendants(n any, out *[]any) {
	*out = append(*out, n)
	switch t := n.(type) {
	case []any:
		for _, e := range t {
			collectDescendants(e, out)
		}
	case map[string]any:
		for _, k := range sortedKeys(t) {
			collectDescendants(t[k], out)
		}
	}
}

// set writes value at the reference path p inside root and returns the new
// root. Missing objects on the way are created; an existing value that is
// not an object (or an array index out of range) is a ResultPath failure.
// root is modified in place.
func (p *Path) set(root, value any) (any, error) {
	if len(p.segs) == 0 {
		return value, nil
	}
	if root == nil {
		root = map[string]any{}
	}
	cur := root
	for i, s := range p.segs {
		last := i == len(p.segs)-1
		switch s.kind {
		case segName:
			m, ok := cur.(map[string]any)
			if !ok {
				return nil, fmt.Errorf("cannot set field %q on a %s", s.names[0], typeName(cur))
			}
			if last {
				m[s.names[0]] = value
				return root, nil
			}
			child, exists := m[s.names[0]]
			if !exists || child == nil {
				child = map[string]any{}
				if p.segs[i+1].kind == segIndex {
					return nil, fmt.Errorf("field %q does not exist, so index [%d] cannot be set", s.names[0], p.segs[i+1].indexes[0])
				}
				m[s.names[0]] = child
			}
			cur = child
		case segIndex:
			a, ok := cur.([]any)
			if !ok {
				return nil, fmt.Errorf("cannot set index [%d] on a %s", s.indexes[0], typeName(cur))
			}
			idx := s.indexes[0]
			if idx < 0 {
				idx += len(a)
			}
			if idx < 0 || idx >= len(a) {
				return nil, fmt.Errorf("index [%d] out of range for an array of %d", s.indexes[0], len(a))
			}
			if last {
				a[idx] = value
				return root, nil
			}
			cur = a[idx]
		default:
			return nil, fmt.Errorf("not a reference path")
		}
	}
	return root, nil
}

// pathParser parses paths and, inside filters, relative "@" paths.
type pathParser struct {
	s string
	i int
}

func (p *pathParser) parseRoot() (*Path, error) {
	if !strings.HasPrefix(p.s, "$") {
		return nil, fmt.Errorf("must start with $")
	}
	path := &Path{src: p.s}
	p.i = 1
	if strings.HasPrefix(p.s, "$$") {
		path.context = true
		p.i = 2
	}
	segs, err := p.parseSegments(false)
	if err != nil {
		return nil, err
	}
	if p.i != len(p.s) {
		return nil, fmt.Errorf("unexpected %q at offset %d", p.s[p.i:], p.i)
	}
	path.segs = segs
	return path, nil
}

// parseSegments reads segments until the end of input or, inside a filter,
// until a character that cannot continue a path.
func (p *pathParser) parseSegments(inFilter bool) ([]segment, error) {
	var segs []segment
	for p.i < len(p.s) {
		start := p.i
		c := p.s[p.i]
		switch {
		case c == '.':
			deep := false
			p.i++
			if p.i < len(p.s) && p.s[p.i] == '.' {
				deep = true
				p.i++
			}
			if p.i < len(p.s) && p.s[p.i] == '[' {
				if !deep {
					return nil, fmt.Errorf("'.' followed by '[' at offset %d", start)
				}
				seg, err := p.parseBracket()
				if err != nil {
					return nil, err
				}
				seg.deep = true
				seg.original = p.s[start:p.i]
				segs = append(segs, seg)
				continue
			}
			name := p.readName()
			if name == "" {
				return nil, fmt.Errorf("missing field name at offset %d", p.i)
			}
			seg := segment{kind: segName, names: []string{name}, deep: deep}
			if name == "*" {
				seg = segment{kind: segWildcard, deep: deep}
			}
			seg.original = p.s[start:p.i]
			segs = append(segs, seg)
		case c == '[':
			seg, err := p.parseBracket()
			if err != nil {
				return nil, err
			}
			seg.original = p.s[start:p.i]
			segs = append(segs, seg)
		default:
			if inFilter {
				return segs, nil
			}
			return nil, fmt.Errorf("unexpected %q at offset %d", string(c), p.i)
		}
	}
	return segs, nil
}

// readName reads a dot-notation field name.
func (p *pathParser) readName() string {
	start := p.i
	for p.i < len(p.s) {
		r, size := utf8.DecodeRuneInString(p.s[p.i:])
		if strings.ContainsRune(".[]()=!<>&|,'\" \t\r\n", r) {
			break
		}
		p.i += size
	}
	return p.s[start:p.i]
}

func (p *pathParser) skipSpace() {
	for p.i < len(p.s) && (p.s[p.i] == ' ' || p.s[p.i] == '\t') {
		p.i++
	}
}

func (p *pathParser) expect(c byte) error {
	p.skipSpace()
	if p.i >= len(p.s) || p.s[p.i] != c {
		return fmt.Errorf("expected %q at offset %d", string(c), p.i)
	}
	p.i++
	return nil
}

// parseBracket reads "[...]" starting at '['.
func (p *pathParser) parseBracket() (segment, error) {
	p.i++ // '['
	p.skipSpace()
	if p.i >= len(p.s) {
		return segment{}, fmt.Errorf("unterminated '['")
	}
	switch c := p.s[p.i]; {
	case c == '*':
		p.i++
		return segment{kind: segWildcard}, p.expect(']')
	case c == '\'' || c == '"':
		var names []string
		for {
			p.skipSpace()
			name, err := p.readQuoted()
			if err != nil {
				return segment{}, err
			}
			names = append(names, name)
			p.skipSpace()
			if p.i < len(p.s) && p.s[p.i] == ',' {
				p.i++
				continue
			}
			break
		}
		if err := p.expect(']'); err != nil {
			return segment{}, err
		}
		if len(names) == 1 {
			return segment{kind: segName, names: names}, nil
		}
		return segment{kind: segNames, names: names}, nil
	case c == '?':
		p.i++
		if err := p.expect('('); err != nil {
			return segment{}, err
		}
		f, err := p.parseFilterOr()
		if err != nil {
			return segment{}, err
		}
		if err := p.expect(')'); err != nil {
			return segment{}, err
		}
		return segment{kind: segFilter, filter: f}, p.expect(']')
	default:
		return p.parseIndexOrSlice()
	}
}

func (p *pathParser) readQuoted() (string, error) {
	if p.i >= len(p.s) || (p.s[p.i] != '\'' && p.s[p.i] != '"') {
		return "", fmt.Errorf("expected a quoted name at offset %d", p.i)
	}
	q := p.s[p.i]
	p.i++
	var b strings.Builder
	for p.i < len(p.s) {
		c := p.s[p.i]
		switch {
		case c == '\\' && p.i+1 < len(p.s):
			b.WriteByte(p.s[p.i+1])
			p.i += 2
		case c == q:
			p.i++
			return b.String(), nil
		default:
			b.WriteByte(c)
			p.i++
		}
	}
	return "", fmt.Errorf("unterminated quoted name")
}

func (p *pathParser) readInt() (*int, error) {
	p.skipSpace()
	start := p.i
	if p.i < len(p.s) && p.s[p.i] == '-' {
		p.i++
	}
	for p.i < len(p.s) && p.s[p.i] >= '0' && p.s[p.i] <= '9' {
		p.i++
	}
	if start == p.i {
		return nil, nil
	}
	n, err := strconv.Atoi(p.s[start:p.i])
	if err != nil {
		return nil, fmt.Errorf("bad index %q", p.s[start:p.i])
	}
	p.skipSpace()
	return &n, nil
}

func (p *pathParser) parseIndexOrSlice() (segment, error) {
	first, err := p.readInt()
	if err != nil {
		return segment{}, err
	}
	if p.i < len(p.s) && p.s[p.i] == ':' {
		p.i++
		seg := segment{kind: segSlice, start: first, step: 1}
		if seg.end, err = p.readInt(); err != nil {
			return segment{}, err
		}
		if p.i < len(p.s) && p.s[p.i] == ':' {
			p.i++
			step, err := p.readInt()
			if err != nil {
				return segment{}, err
			}
			if step != nil {
				if *step <= 0 {
					return segment{}, fmt.Errorf("slice step must be positive")
				}
				seg.step = *step
			}
		}
		return seg, p.expect(']')
	}
	if first == nil {
		return segment{}, fmt.Errorf("expected an index, a slice, '*', a quoted name or a filter at offset %d", p.i)
	}
	idx := []int{*first}
	for p.i < len(p.s) && p.s[p.i] == ',' {
		p.i++
		n, err := p.readInt()
		if err != nil {
			return segment{}, err
		}
		if n == nil {
			return segment{}, fmt.Errorf("expected an index after ',' at offset %d", p.i)
		}
		idx = append(idx, *n)
	}
	if err := p.expect(']'); err != nil {
		return segment{}, err
	}
	if len(idx) == 1 {
		return segment{kind: segIndex, indexes: idx}, nil
	}
	return segment{kind: segIndexes, indexes: idx}, nil
}

// filterExpr is a boolean expression inside "[?( )]".
type filterExpr interface {
	test(current, root any) bool
}

type filterOr []filterExpr
type filterAnd []filterExpr
type filterNot struct{ e filterExpr }
type filterCmp struct {
	left  filterOperand
	op    string // "" means existence of left
	right filterOperand
}

// filterOperand is a literal or a path relative to the current item ("@")
// or to the root ("$").
type filterOperand struct {
	path    []segment
	rooted  bool
	literal any
	isPath  bool
}

func (o filterOperand) value(current, root any) (any, bool) {
	if !o.isPath {
		return o.literal, true
	}
	base := current
	if o.rooted {
		base = root
	}
	nodes := []any{base}
	definite := true
	for _, s := range o.path {
		if !s.definite() {
			definite = false
		}
		var next []any
		for _, n := range nodes {
			var err error
			next, err = s.apply(n, root, next, definite)
			if err != nil {
				return nil, false
			}
		}
		nodes = next
	}
	if definite {
		return nodes[0], true
	}
	return nodes, true
}

func (f filterOr) test(c, r any) bool {
	for _, e := range f {
		if e.test(c, r) {
			return true
		}
	}
	return false
}

func (f filterAnd) test(c, r any) bool {
	for _, e := range f {
		if !e.test(c, r) {
			return false
		}
	}
	return true
}

func (f filterNot) test(c, r any) bool { return !f.e.test(c, r) }

func (f filterCmp) test(c, r any) bool {
	l, ok := f.left.value(c, r)
	if f.op == "" {
		return ok
	}
	if !ok {
		return false
	}
	rv, ok := f.right.value(c, r)
	if !ok {
		return false
	}
	switch f.op {
	case "==":
		return jsonEqual(l, rv)
	case "!=":
		return !jsonEqual(l, rv)
	}
	var cmp int
	switch a := l.(type) {
	case json.Number:
		b, ok := rv.(json.Number)
		if !ok {
			return false
		}
		cmp = compareNumbers(a, b)
	case string:
		b, ok := rv.(string)
		if !ok {
			return false
		}
		cmp = strings.Compare(a, b)
	default:
		return false
	}
	switch f.op {
	case "<":
		return cmp < 0
	case "<=":
		return cmp <= 0
	case ">":
		return cmp > 0
	case ">=":
		return cmp >= 0
	}
	return false
}

func (p *pathParser) parseFilterOr() (filterExpr, error) {
	var terms filterOr
	for {
		t, err := p.parseFilterAnd()
		if err != nil {
			return nil, err
		}
		terms = append(terms, t)
		p.skipSpace()
		if !strings.HasPrefix(p.s[p.i:], "||") {
			break
		}
		p.i += 2
	}
	if len(terms) == 1 {
		return terms[0], nil
	}
	return terms, nil
}

func (p *pathParser) parseFilterAnd() (filterExpr, error) {
	var terms filterAnd
	for {
		t, err := p.parseFilterUnary()
		if err != nil {
			return nil, err
		}
		terms = append(terms, t)
		p.skipSpace()
		if !strings.HasPrefix(p.s[p.i:], "&&") {
			break
		}
		p.i += 2
	}
	if len(terms) == 1 {
		return terms[0], nil
	}
	return terms, nil
}

func (p *pathParser) parseFilterUnary() (filterExpr, error) {
	p.skipSpace()
	if p.i >= len(p.s) {
		return nil, fmt.Errorf("unterminated filter")
	}
	switch p.s[p.i] {
	case '!':
		p.i++
		e, err := p.parseFilterUnary()
		if err != nil {
			return nil, err
		}
		return filterNot{e}, nil
	case '(':
		p.i++
		e, err := p.parseFilterOr()
		if err != nil {
			return nil, err
		}
		return e, p.expect(')')
	}
	left, err := p.parseOperand()
	if err != nil {
		return nil, err
	}
	p.skipSpace()
	for _, op := range []string{"==", "!=", "<=", ">=", "<", ">"} {
		if strings.HasPrefix(p.s[p.i:], op) {
			p.i += len(op)
			right, err := p.parseOperand()
			if err != nil {
				return nil, err
			}
			return filterCmp{left: left, op: op, right: right}, nil
		}
	}
	if !left.isPath {
		return nil, fmt.Errorf("a filter needs a path or a comparison at offset %d", p.i)
	}
	return filterCmp{left: left}, nil
}

func (p *pathParser) parseOperand() (filterOperand, error) {
	p.skipSpace()
	if p.i >= len(p.s) {
		return filterOperand{}, fmt.Errorf("unterminated filter")
	}
	c := p.s[p.i]
	switch {
	case c == '@' || c == '$':
		p.i++
		segs, err := p.parseSegments(true)
		if err != nil {
			return filterOperand{}, err
		}
		return filterOperand{isPath: true, rooted: c == '$', path: segs}, nil
	case c == '\'' || c == '"':
		s, err := p.readQuoted()
		return filterOperand{literal: s}, err
	case c == '-' || (c >= '0' && c <= '9'):
		start := p.i
		p.i++
		for p.i < len(p.s) && strings.IndexByte("0123456789.eE+-", p.s[p.i]) >= 0 {
			p.i++
		}
		num := p.s[start:p.i]
		if _, err := strconv.ParseFloat(num, 64); err != nil {
			return filterOperand{}, fmt.Errorf("bad number %q", num)
		}
		return filterOperand{literal: json.Number(num)}, nil
	}
	for word, v := range map[string]any{"true": true, "false": false, "null": nil} {
		if strings.HasPrefix(p.s[p.i:], word) {
			p.i += len(word)
			return filterOperand{literal: v}, nil
		}
	}
	return filterOperand{}, fmt.Errorf("unexpected %q in filter at offset %d", string(c), p.i)
}
