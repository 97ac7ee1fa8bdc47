package asl

import (
	"encoding/json"
	"fmt"
	"strings"
	"time"
)

// choiceRule is a Choice state rule: a boolean combination (And, Or, Not) or
// a data-test expression (Variable plus one comparison operator).
type choiceRule struct {
	and, or []*choiceRule
	not     *choiceRule

	variable  *Path
	op        string // e.g. "NumericGreaterThan"; without the Path suffix
	value     any    // the literal to compare with
	valuePath *Path  // set for the ...Path variants
	next      string
}

// comparisonKinds maps each operator (without "Path") to the JSON type of
// its operand: "string", "number", "boolean", "timestamp", "pattern" or "type".
var comparisonKinds = map[string]string{
	"StringEquals": "string", "StringLessThan": "string", "StringGreaterThan": "string",
	"StringLessThanEquals": "string", "StringGreaterThanEquals": "string", "StringMatches": "pattern",
	"NumericEquals": "number", "NumericLessThan": "number", "NumericGreaterThan": "number",
	"NumericLessThanEquals": "number", "NumericGreaterThanEquals": "number",
	"BooleanEquals":   "boolean",
	"TimestampEquals": "timestamp", "TimestampLessThan": "timestamp", "TimestampGreaterThan": "timestamp",
	"TimestampLessThanEquals": "timestamp", "TimestampGreaterThanEquals": "timestamp",
	"IsNull": "type", "IsPresent": "type", "IsNumeric": "type", "IsString": "type", "IsBoolean": "type", "IsTimestamp": "type",
}

func (p *parser) choice(q string, s *State, m map[string]any) {
	v, ok := m["Choices"]
	arr, isArr := v.([]any)
	if !ok || !isArr || len(arr) == 0 {
		p.add(q, "Choices", "required: a non-empty array of choice rules")
	}
	for i, e := range arr {
		s.choices = append(s.choices, p.choiceRule(q, fmt.Sprintf("Choices[%d]", i), e, true))
	}
	if d, ok := m["Default"]; ok {
		str, isStr := d.(string)
		if !isStr || str == "" {
			p.add(q, "Default", "must be a state name, got %s", show(d))
		}
		s.Default = str
	}
}

func (p *parser) choiceRule(q, f string, v any, top bool) *choiceRule {
	r := &choiceRule{}
	m, ok := v.(map[string]any)
	if !ok {
		p.add(q, f, "a choice rule must be an object, got %s", typeName(v))
		return r
	}
	if n, has := m["Next"]; has {
		str, isStr := n.(string)
		switch {
		case !top:
			p.add(q, f+".Next", "only top-level choice rules have Next")
		case !isStr || str == "":
			p.add(q, f+".Next", "must be a state name, got %s", show(n))
		}
		r.next = str
	} else if top {
		p.add(q, f+".Next", "required in a top-level choice rule")
	}
	var ops []string
	for _, k := range sortedKeys(m) {
		switch k {
		case "Next", "Comment", "Variable":
		case "And", "Or", "Not":
			ops = append(ops, k)
		default:
			base := strings.TrimSuffix(k, "Path")
			if _, known := comparisonKinds[base]; known && (k == base || (base != "StringMatches" && comparisonKinds[base] != "type")) {
				ops = append(ops, k)
				continue
			}
			p.add(q, f+"."+k, "unknown field in a choice rule")
		}
	}
	if len(ops) != 1 {
		p.add(q, f, "a choice rule needs exactly one of And, Or, Not or a comparison operator, found %d (%s)", len(ops), strings.Join(ops, ", "))
		return r
	}
	op := ops[0]
	_, hasVar := m["Variable"]
	switch op {
	case "And", "Or":
		if hasVar {
			p.add(q, f+".Variable", "not allowed with %s", op)
		}
		list, ok := m[op].([]any)
		if !ok || len(list) == 0 {
			p.add(q, f+"."+op, "must be a non-empty array of choice rules")
			return r
		}
		for i, e := range list {
			sub := p.choiceRule(q, fmt.Sprintf("%s.%s[%d]", f, op, i), e, false)
			if op == "And" {
				r.and = append(r.and, sub)
			} else {
				r.or = append(r.or, sub)
			}
		}
		return r
	case "Not":
		if hasVar {
			p.add(q, f+".Variable", "not allowed with Not")
		}
		r.not = p.choiceRule(q, f+".Not", m["Not"], false)
		return r
	}
	varStr, isStr := m["Variable"].(string)
	if !isStr {
		p.add(q, f+".Variable", "required: the path of the value to test")
	} else if path, err := ParsePath(varStr); err != nil {
		p.add(q, f+".Variable", "%s", trimPrefix(err))
	} else {
		r.variable = path
	}
	operand := m[op]
	base := strings.TrimSuffix(op, "Path")
	if base != op && comparisonKinds[base] != "type" {
		r.op = base
		str, isStr := operand.(string)
		if !isStr {
			p.add(q, f+"."+op, "must be a path, got %s", show(operand))
			return r
		}
		path, err := ParsePath(str)
		if err != nil {
			p.add(q, f+"."+op, "%s", trimPrefix(err))
		}
		r.valuePath = path
		return r
	}
	r.op = op
	r.value = operand
	bad := false
	switch comparisonKinds[op] {
	case "string", "pattern":
		_, ok := operand.(string)
		bad = !ok
	case "number":
		_, ok := operand.(json.Number)
		bad = !ok
	case "boolean", "type":
		_, ok := operand.(bool)
		bad = !ok
	case "timestamp":
		str, ok := operand.(string)
		if ok {
			_, err := parseTimestamp(str)
			ok = err == nil
		}
		bad = !ok
	}
	if bad {
		want := map[string]string{"string": "a string", "pattern": "a string pattern", "number": "a number",
			"boolean": "a boolean", "type": "true or false", "timestamp": "an RFC 3339 timestamp string"}[comparisonKinds[op]]
		p.add(q, f+"."+op, "must be %s, got %s", want, show(operand))
	}
	return r
}

// match evaluates the rule against the effective input. Missing variables
// are States.Runtime failures, except for IsPresent.
func (r *choiceRule) match(input, ctx any) (bool, error) {
	switch {
	case r.and != nil:
		for _, sub := range r.and {
			ok, err := sub.match(input, ctx)
			if err != nil || !ok {
				return false, err
			}
		}
		return true, nil
	case r.or != nil:
		for _, sub := range r.or {
			ok, err := sub.match(input, ctx)
			if err != nil || ok {
				return ok, err
			}
		}
		return false, nil
	case r.not != nil:
		ok, err := r.not.match(input, ctx)
		return !ok, err
	}
	v, err := r.variable.Select(input, ctx)
	if r.op == "IsPresent" {
		return (err == nil) == r.value.(bool), nil
	}
	if err != nil {
		return false, failf(ErrorRuntime, "Invalid path %q: the choice state's condition path references an invalid value: %s", r.variable, trimPrefix(err))
	}
	operand := r.value
	if r.valuePath != nil {
		operand, err = r.valuePath.Select(input, ctx)
		if err != nil {
			return false, failf(ErrorRuntime, "Invalid path %q in %sPath: %s", r.valuePath, r.op, trimPrefix(err))
		}
	}
	return compareChoice(r.op, v, operand), nil
}

// compareChoice applies one operator; a type mismatch is false, not an error.
func compareChoice(op string, v, operand any) bool {
	switch op {
	case "IsNull":
		return (v == nil) == operand.(bool)
	case "IsNumeric":
		_, ok := v.(json.Number)
		return ok == operand.(bool)
	case "IsString":
		_, ok := v.(string)
		return ok == operand.(bool)
	case "IsBoolean":
		_, ok := v.(bool)
		return ok == operand.(bool)
	case "IsTimestamp":
		s, ok := v.(string)
		if ok {
			_, err := parseTimestamp(s)
			ok = err == nil
		}
		return ok == operand.(bool)
	case "BooleanEquals":
		a, ok1 := v.(bool)
		b, ok2 := operand.(bool)
		return ok1 && ok2 && a == b
	case "StringMatches":
		a, ok1 := v.(string)
		b, ok2 := operand.(string)
		return ok1 && ok2 && wildcardMatch(b, a)
	}
	var cmp int
	switch comparisonKinds[op] {
	case "string":
		a, ok1 := v.(string)
		b, ok2 := operand.(string)
		if !ok1 || !ok2 {
			return false
		}
		cmp = compareCodePoints(a, b)
	case "number":
		a, ok1 := v.(json.Number)
		b, ok2 := operand.(json.Number)
		if !ok1 || !ok2 {
			return false
		}
		cmp = compareNumbers(a, b)
	case "timestamp":
		a, ok1 := v.(string)
		b, ok2 := operand.(string)
		if !ok1 || !ok2 {
			return false
		}
		ta, err1 := parseTimestamp(a)
		tb, err2 := parseTimestamp(b)
		if err1 != nil || err2 != nil {
			return false
		}
		cmp = ta.Compare(tb)
	default:
		return false
	}
	switch {
	case strings.HasSuffix(op, "LessThanEquals"):
		return cmp <= 0
	case strings.HasSuffix(op, "GreaterThanEquals"):
		return cmp >= 0
	case strings.HasSuffix(op, "LessThan"):
		return cmp < 0
	case strings.HasSuffix(op, "GreaterThan"):
		return cmp > 0
	}
	return cmp == 0
}

// compareCodePoints compares strings by Unicode code point (Go compares
// UTF-8 bytes, which orders code points the same way).
func compareCodePoints(a, b string) int { return strings.Compare(a, b) }

// wildcardMatch reports whether s matches pattern, in which "*" matches any
// run of characters, "\*" a literal star and "\\" a literal backslash.
func wildcardMatch(pattern, s string) bool {
	type tok struct {
		star bool
		r    rune
	}
	var toks []tok
	pr := []rune(pattern)
	for i := 0; i < len(pr); i++ {
		switch {
		case pr[i] == '\\' && i+1 < len(pr):
			i++
			toks = append(toks, tok{r: pr[i]})
		case pr[i] == '*':
			toks = append(toks, tok{star: true})
		default:
			toks = append(toks, tok{r: pr[i]})
		}
	}
	sr := []rune(s)
	// Iterative glob matching with backtracking to the last star.
	ti, si, starT, starS := 0, 0, -1, 0
	for si < len(sr) {
		switch {
		case ti < len(toks) && !toks[ti].star && toks[ti].r == sr[si]:
			ti++
			si++
		case ti < len(toks) && toks[ti].star:
			starT, starS = ti, si
			ti++
		case starT >= 0:
			starS++
			si = starS
			ti = starT + 1
		default:
			return false
		}
	}
	for ti < len(toks) && toks[ti].star {
		ti++
	}
	return ti == len(toks)
}

// timestampOf parses a value as a Wait state timestamp.
func timestampOf(v any) (time.Time, bool) {
	s, ok := v.(string)
	if !ok {
		return time.Time{}, false
	}
	t, err := parseTimestamp(s)
	return t, err == nil
}
