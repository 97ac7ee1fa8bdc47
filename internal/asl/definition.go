package asl

import (
	"encoding/json"
	"fmt"
	"math"
	"strings"
	"time"
	"unicode/utf8"
)

// State types.
const (
	TypeTask     = "Task"
	TypeChoice   = "Choice"
	TypePass     = "Pass"
	TypeWait     = "Wait"
	TypeSucceed  = "Succeed"
	TypeFail     = "Fail"
	TypeParallel = "Parallel"
	TypeMap      = "Map"
)

// Defaults of Step Functions where the specification leaves room.
const (
	defaultRetryInterval = 1
	defaultMaxAttempts   = 3
	defaultBackoffRate   = 2.0
	maxTimeoutSeconds    = 99999999
	maxStateNameLength   = 80
)

// StateMachine is a parsed and validated definition, or one branch of a
// Parallel state or the iterator of a Map state.
type StateMachine struct {
	Comment        string
	StartAt        string
	States         map[string]*State
	TimeoutSeconds int // whole-execution timeout; 0 means none (top level only)

	raw json.RawMessage // the whole definition, compact (top level only)
}

// State is one state of a StateMachine. The exported fields describe it;
// the interpreter keeps the compiled paths and templates to itself.
type State struct {
	Name     string
	Type     string
	Comment  string
	Next     string
	End      bool
	Resource string          // Task
	Retry    []Retrier       // Task, Parallel, Map
	Catch    []Catcher       // Task, Parallel, Map
	Branches []*StateMachine // Parallel
	Iterator *StateMachine   // Map (Iterator or ItemProcessor)
	Default  string          // Choice

	inputPath, outputPath optPath
	resultPath            optPath
	parameters            *payloadTemplate
	resultSelector        *payloadTemplate
	result                any
	hasResult             bool

	timeoutSeconds, heartbeatSeconds         int
	timeoutSecondsPath, heartbeatSecondsPath *Path

	choices []*choiceRule

	seconds       *int
	secondsPath   *Path
	timestamp     *time.Time
	timestampPath *Path

	failError, failCause         string
	failErrorPath, failCausePath *dynamicString

	itemsPath          *Path
	itemSelector       *payloadTemplate
	maxConcurrency     int
	maxConcurrencyPath *Path
}

// Retrier is one element of a Retry field.
type Retrier struct {
	ErrorEquals     []string
	IntervalSeconds int
	MaxAttempts     int
	BackoffRate     float64
	MaxDelaySeconds int    // 0 means no cap
	JitterStrategy  string // "FULL" or "NONE"
}

// Catcher is one element of a Catch field.
type Catcher struct {
	ErrorEquals []string
	Next        string

	resultPath optPath
}

// optPath is an optional path field: absent (default "$"), null, or a path.
type optPath struct {
	set  bool
	null bool
	path *Path
}

// dynamicString is a Fail state's ErrorPath or CausePath: a path or an
// intrinsic function producing a string.
type dynamicString struct {
	path *Path
	fn   *Intrinsic
}

// Parse parses and validates a definition in the JSONPath query language.
// Every problem found is reported in one *ValidationError naming the state
// and the field; it wraps ErrInvalidDefinition.
func Parse(definition []byte) (*StateMachine, error) {
	v, err := decodeJSON(definition)
	if err != nil {
		return nil, &ValidationError{Problems: []Problem{{Msg: "not valid JSON: " + err.Error()}}}
	}
	top, ok := v.(map[string]any)
	if !ok {
		return nil, &ValidationError{Problems: []Problem{{Msg: "the definition must be a JSON object, got " + typeName(v)}}}
	}
	p := &parser{names: map[string]string{}}
	sm := p.machine(top, "", true)
	if len(p.problems) > 0 {
		return nil, &ValidationError{Problems: p.problems}
	}
	sm.raw = mustEncode(top)
	return sm, nil
}

// Definition returns the definition as compact JSON.
func (sm *StateMachine) Definition() json.RawMessage { return append(json.RawMessage(nil), sm.raw...) }

// Walk calls fn for every state, nested ones included, with its qualified
// name ("Outer/Inner" for states inside a Parallel branch or Map iterator).
func (sm *StateMachine) Walk(fn func(qualified string, s *State)) {
	sm.walk("", fn)
}

func (sm *StateMachine) walk(prefix string, fn func(string, *State)) {
	for _, name := range sortedKeys(sm.States) {
		s := sm.States[name]
		q := prefix + name
		fn(q, s)
		for _, b := range s.Branches {
			b.walk(q+"/", fn)
		}
		if s.Iterator != nil {
			s.Iterator.walk(q+"/", fn)
		}
	}
}

// parser accumulates problems while walking a decoded definition.
type parser struct {
	problems []Problem
	names    map[string]string // state name -> qualified name, for uniqueness
}

func (p *parser) add(state, field, format string, args ...any) {
	p.problems = append(p.problems, Problem{State: state, Field: field, Msg: fmt.Sprintf(format, args...)})
}

var machineFields = map[string]bool{"StartAt": true, "States": true, "Comment": true, "Version": true, "TimeoutSeconds": true, "QueryLanguage": true}
var branchFields = map[string]bool{"StartAt": true, "States": true, "Comment": true, "ProcessorConfig": true}

// machine parses a top-level definition or a nested one (owner names the
// enclosing state, field the field holding it).
func (p *parser) machine(m map[string]any, owner string, top bool) *StateMachine {
	sm := &StateMachine{States: map[string]*State{}}
	allowed := branchFields
	prefix := ""
	if top {
		allowed = machineFields
	} else {
		prefix = owner + "/"
	}
	for _, k := range sortedKeys(m) {
		if !allowed[k] {
			p.add(owner, k, "unknown field (allowed: %s)", strings.Join(sortedKeys(allowed), ", "))
		}
	}
	if top {
		if ql, ok := m["QueryLanguage"]; ok && ql != "JSONPath" {
			p.add("", "QueryLanguage", "only \"JSONPath\" is supported, got %s", show(ql))
		}
		if v, ok := m["Version"]; ok {
			if s, isStr := v.(string); !isStr || s != "1.0" {
				p.add("", "Version", "must be \"1.0\", got %s", show(v))
			}
		}
		if v, ok := m["TimeoutSeconds"]; ok {
			sm.TimeoutSeconds = p.positiveInt(owner, "TimeoutSeconds", v, maxTimeoutSeconds)
		}
	}
	sm.Comment = p.optString(owner, "Comment", m)
	sm.StartAt = p.optString(owner, "StartAt", m)
	if _, ok := m["StartAt"]; !ok {
		p.add(owner, "StartAt", "required")
	}
	statesV, ok := m["States"]
	states, isObj := statesV.(map[string]any)
	switch {
	case !ok:
		p.add(owner, "States", "required")
	case !isObj:
		p.add(owner, "States", "must be an object of states, got %s", typeName(statesV))
	case len(states) == 0:
		p.add(owner, "States", "must hold at least one state")
	}
	for _, name := range sortedKeys(states) {
		q := prefix + name
		if prev, dup := p.names[name]; dup {
			p.add(q, "", "state name already used by %q: names must be unique in the whole state machine", prev)
		}
		p.names[name] = q
		if n := utf8.RuneCountInString(name); n == 0 || n > maxStateNameLength {
			p.add(q, "", "state names must have 1 to %d characters", maxStateNameLength)
		}
		body, ok := states[name].(map[string]any)
		if !ok {
			p.add(q, "", "a state must be an object, got %s", typeName(states[name]))
			continue
		}
		sm.States[name] = p.state(q, name, body)
	}
	if len(states) > 0 && sm.StartAt != "" {
		if _, ok := sm.States[sm.StartAt]; !ok && states[sm.StartAt] == nil {
			p.add(owner, "StartAt", "names no state in this States object: %q", sm.StartAt)
		}
	}
	p.checkTransitions(sm, prefix)
	return sm
}

// checkTransitions verifies that every Next, Default and Catch target exists
// in the same States object and that every state is reachable.
func (p *parser) checkTransitions(sm *StateMachine, prefix string) {
	targets := func(s *State) map[string]string {
		t := map[string]string{}
		if s.Next != "" {
			t["Next"] = s.Next
		}
		if s.Default != "" {
			t["Default"] = s.Default
		}
		for i, c := range s.choices {
			if c.next != "" {
				t[fmt.Sprintf("Choices[%d].Next", i)] = c.next
			}
		}
		for i, c := range s.Catch {
			if c.Next != "" {
				t[fmt.Sprintf("Catch[%d].Next", i)] = c.Next
			}
		}
		return t
	}
	for _, name := range sortedKeys(sm.States) {
		for field, target := range targets(sm.States[name]) {
			if _, ok := sm.States[target]; !ok {
				p.add(prefix+name, field, "names no state in the same States object: %q", target)
			}
		}
	}
	if _, ok := sm.States[sm.StartAt]; !ok {
		return
	}
	reached := map[string]bool{sm.StartAt: true}
	queue := []string{sm.StartAt}
	for len(queue) > 0 {
		s := sm.States[queue[0]]
		queue = queue[1:]
		if s == nil {
			continue
		}
		for _, t := range targets(s) {
			if !reached[t] {
				reached[t] = true
				queue = append(queue, t)
			}
		}
	}
	for _, name := range sortedKeys(sm.States) {
		if !reached[name] {
			p.add(prefix+name, "", "unreachable from StartAt %q", sm.StartAt)
		}
	}
}

// fieldsByType lists the fields each state type allows besides Type and Comment.
var fieldsByType = map[string][]string{
	TypeTask: {"InputPath", "OutputPath", "Next", "End", "ResultPath", "Parameters", "ResultSelector", "Retry", "Catch",
		"Resource", "TimeoutSeconds", "TimeoutSecondsPath", "HeartbeatSeconds", "HeartbeatSecondsPath", "Credentials"},
	TypeParallel: {"InputPath", "OutputPath", "Next", "End", "ResultPath", "Parameters", "ResultSelector", "Retry", "Catch", "Branches"},
	TypeMap: {"InputPath", "OutputPath", "Next", "End", "ResultPath", "Parameters", "ResultSelector", "Retry", "Catch",
		"Iterator", "ItemProcessor", "ItemsPath", "ItemSelector", "MaxConcurrency", "MaxConcurrencyPath"},
	TypePass:    {"InputPath", "OutputPath", "Next", "End", "ResultPath", "Parameters", "Result"},
	TypeWait:    {"InputPath", "OutputPath", "Next", "End", "Seconds", "SecondsPath", "Timestamp", "TimestampPath"},
	TypeChoice:  {"InputPath", "OutputPath", "Choices", "Default"},
	TypeSucceed: {"InputPath", "OutputPath"},
	TypeFail:    {"Error", "Cause", "ErrorPath", "CausePath"},
}

// unsupportedFields are valid on AWS but outside what this interpreter runs.
var unsupportedFields = map[string]string{
	"Assign": "variables (Assign) are not supported", "Arguments": "JSONata is not supported",
	"Output": "JSONata is not supported", "QueryLanguage": "only the JSONPath query language is supported",
	"ItemReader": "distributed Map (ItemReader) is not supported", "ItemBatcher": "distributed Map (ItemBatcher) is not supported",
	"ResultWriter": "distributed Map (ResultWriter) is not supported", "ToleratedFailurePercentage": "distributed Map tolerated failures are not supported",
	"ToleratedFailureCount": "distributed Map tolerated failures are not supported", "ToleratedFailurePercentagePath": "distributed Map tolerated failures are not supported",
	"ToleratedFailureCountPath": "distributed Map tolerated failures are not supported", "Label": "distributed Map labels are not supported",
}

func (p *parser) state(q, name string, m map[string]any) *State {
	s := &State{Name: name}
	typ, ok := m["Type"].(string)
	if !ok {
		p.add(q, "Type", "required string, one of Task, Choice, Pass, Wait, Succeed, Fail, Parallel, Map")
		return s
	}
	allowedList, known := fieldsByType[typ]
	if !known {
		p.add(q, "Type", "unknown state type %q (expected Task, Choice, Pass, Wait, Succeed, Fail, Parallel or Map)", typ)
		return s
	}
	s.Type = typ
	allowed := map[string]bool{"Type": true, "Comment": true}
	for _, f := range allowedList {
		allowed[f] = true
	}
	for _, k := range sortedKeys(m) {
		if allowed[k] {
			continue
		}
		if why, ok := unsupportedFields[k]; ok {
			p.add(q, k, "%s", why)
			continue
		}
		p.add(q, k, "not allowed in a %s state", typ)
	}
	s.Comment = p.optString(q, "Comment", m)

	// Transitions.
	if allowed["End"] {
		_, hasNext := m["Next"]
		end, hasEnd := m["End"]
		if hasEnd {
			b, ok := end.(bool)
			if !ok {
				p.add(q, "End", "must be a boolean, got %s", typeName(end))
			} else if !b {
				p.add(q, "End", "must be true when present; use Next to continue")
			}
			s.End = b
		}
		s.Next = p.optString(q, "Next", m)
		switch {
		case hasNext && hasEnd:
			p.add(q, "Next", "a state has either Next or \"End\": true, not both")
		case !hasNext && !hasEnd:
			p.add(q, "Next", "required (or \"End\": true)")
		}
	}

	// Input and output processing.
	s.inputPath = p.optPath(q, "InputPath", m, false)
	s.outputPath = p.optPath(q, "OutputPath", m, false)
	s.resultPath = p.optPath(q, "ResultPath", m, true)
	if v, ok := m["Parameters"]; ok {
		s.parameters = compileTemplate(v, "Parameters", func(f, msg string) { p.add(q, f, "%s", msg) })
	}
	if v, ok := m["ResultSelector"]; ok {
		if _, isObj := v.(map[string]any); !isObj {
			p.add(q, "ResultSelector", "must be an object, got %s", typeName(v))
		}
		s.resultSelector = compileTemplate(v, "ResultSelector", func(f, msg string) { p.add(q, f, "%s", msg) })
	}
	if v, ok := m["Result"]; ok {
		s.result, s.hasResult = v, true
	}
	if allowed["Retry"] {
		s.Retry = p.retriers(q, m)
		s.Catch = p.catchers(q, m)
	}

	switch typ {
	case TypeTask:
		p.task(q, s, m)
	case TypeChoice:
		p.choice(q, s, m)
	case TypeWait:
		p.wait(q, s, m)
	case TypeFail:
		p.fail(q, s, m)
	case TypeParallel:
		p.parallel(q, s, m)
	case TypeMap:
		p.mapState(q, s, m)
	}
	return s
}

func (p *parser) task(q string, s *State, m map[string]any) {
	res, ok := m["Resource"].(string)
	switch {
	case m["Resource"] == nil:
		p.add(q, "Resource", "required: the URI of the task to run")
	case !ok || res == "":
		p.add(q, "Resource", "must be a non-empty string, got %s", show(m["Resource"]))
	}
	s.Resource = res
	if v, ok := m["Credentials"]; ok {
		if _, isObj := v.(map[string]any); !isObj {
			p.add(q, "Credentials", "must be an object, got %s", typeName(v))
		}
	}
	s.timeoutSeconds, s.timeoutSecondsPath = p.secondsPair(q, "TimeoutSeconds", m)
	s.heartbeatSeconds, s.heartbeatSecondsPath = p.secondsPair(q, "HeartbeatSeconds", m)
	if s.heartbeatSeconds > 0 && s.timeoutSeconds > 0 && s.heartbeatSeconds >= s.timeoutSeconds {
		p.add(q, "HeartbeatSeconds", "must be smaller than TimeoutSeconds (%d), got %d", s.timeoutSeconds, s.heartbeatSeconds)
	}
}

// secondsPair reads X and XPath, which exclude each other.
func (p *parser) secondsPair(q, field string, m map[string]any) (int, *Path) {
	v, hasV := m[field]
	pv, hasP := m[field+"Path"]
	if hasV && hasP {
		p.add(q, field, "use %s or %sPath, not both", field, field)
	}
	n := 0
	if hasV {
		n = p.positiveInt(q, field, v, maxTimeoutSeconds)
	}
	var path *Path
	if hasP {
		path = p.refPath(q, field+"Path", pv)
	}
	return n, path
}

func (p *parser) wait(q string, s *State, m map[string]any) {
	count := 0
	for _, f := range []string{"Seconds", "SecondsPath", "Timestamp", "TimestampPath"} {
		if _, ok := m[f]; ok {
			count++
		}
	}
	if count != 1 {
		p.add(q, "Seconds", "a Wait state needs exactly one of Seconds, SecondsPath, Timestamp, TimestampPath (found %d)", count)
	}
	if v, ok := m["Seconds"]; ok {
		n, isInt := intOf(v)
		if !isInt || n < 0 || n > maxTimeoutSeconds {
			p.add(q, "Seconds", "must be an integer from 0 to %d, got %s", maxTimeoutSeconds, show(v))
		}
		i := int(n)
		s.seconds = &i
	}
	if v, ok := m["SecondsPath"]; ok {
		s.secondsPath = p.refPath(q, "SecondsPath", v)
	}
	if v, ok := m["Timestamp"]; ok {
		str, _ := v.(string)
		t, err := parseTimestamp(str)
		if err != nil {
			p.add(q, "Timestamp", "must be an RFC 3339 timestamp such as \"2026-03-14T01:59:00Z\", got %s", show(v))
		}
		s.timestamp = &t
	}
	if v, ok := m["TimestampPath"]; ok {
		s.timestampPath = p.refPath(q, "TimestampPath", v)
	}
}

func (p *parser) fail(q string, s *State, m map[string]any) {
	for _, pair := range [][2]string{{"Error", "ErrorPath"}, {"Cause", "CausePath"}} {
		_, a := m[pair[0]]
		_, b := m[pair[1]]
		if a && b {
			p.add(q, pair[0], "use %s or %s, not both", pair[0], pair[1])
		}
	}
	s.failError = p.optString(q, "Error", m)
	s.failCause = p.optString(q, "Cause", m)
	s.failErrorPath = p.dynamicString(q, "ErrorPath", m)
	s.failCausePath = p.dynamicString(q, "CausePath", m)
}

func (p *parser) dynamicString(q, field string, m map[string]any) *dynamicString {
	v, ok := m[field]
	if !ok {
		return nil
	}
	str, isStr := v.(string)
	if !isStr {
		p.add(q, field, "must be a path or an intrinsic function, got %s", typeName(v))
		return nil
	}
	if strings.HasPrefix(str, "$") {
		path, err := ParsePath(str)
		if err != nil {
			p.add(q, field, "%s", trimPrefix(err))
			return nil
		}
		return &dynamicString{path: path}
	}
	fn, err := ParseIntrinsic(str)
	if err != nil {
		p.add(q, field, "%s", trimPrefix(err))
		return nil
	}
	return &dynamicString{fn: fn}
}

func (p *parser) parallel(q string, s *State, m map[string]any) {
	v, ok := m["Branches"]
	arr, isArr := v.([]any)
	if !ok || !isArr || len(arr) == 0 {
		p.add(q, "Branches", "required: a non-empty array of {StartAt, States}")
		return
	}
	for i, b := range arr {
		bm, ok := b.(map[string]any)
		if !ok {
			p.add(q, fmt.Sprintf("Branches[%d]", i), "must be an object with StartAt and States, got %s", typeName(b))
			continue
		}
		if _, has := bm["ProcessorConfig"]; has {
			p.add(q, fmt.Sprintf("Branches[%d].ProcessorConfig", i), "only allowed in a Map ItemProcessor")
		}
		s.Branches = append(s.Branches, p.machine(bm, q, false))
	}
}

func (p *parser) mapState(q string, s *State, m map[string]any) {
	it, hasIt := m["Iterator"]
	ip, hasIP := m["ItemProcessor"]
	field := "Iterator"
	switch {
	case hasIt && hasIP:
		p.add(q, "Iterator", "use Iterator or ItemProcessor, not both")
	case !hasIt && !hasIP:
		p.add(q, "ItemProcessor", "required (or the older Iterator)")
	case hasIP:
		it, field = ip, "ItemProcessor"
	}
	if it != nil {
		im, ok := it.(map[string]any)
		if !ok {
			p.add(q, field, "must be an object with StartAt and States, got %s", typeName(it))
		} else {
			if pc, has := im["ProcessorConfig"]; has {
				if field == "Iterator" {
					p.add(q, "Iterator.ProcessorConfig", "only allowed in ItemProcessor")
				} else if pcm, ok := pc.(map[string]any); !ok {
					p.add(q, "ItemProcessor.ProcessorConfig", "must be an object, got %s", typeName(pc))
				} else if mode, has := pcm["Mode"]; has && mode != "INLINE" {
					p.add(q, "ItemProcessor.ProcessorConfig.Mode", "only INLINE is supported, got %s", show(mode))
				}
			}
			s.Iterator = p.machine(im, q, false)
		}
	}
	if v, ok := m["ItemsPath"]; ok {
		s.itemsPath = p.refPath(q, "ItemsPath", v)
	}
	_, hasParams := m["Parameters"]
	if v, ok := m["ItemSelector"]; ok {
		if hasParams {
			p.add(q, "ItemSelector", "use ItemSelector or Parameters, not both")
		}
		s.itemSelector = compileTemplate(v, "ItemSelector", func(f, msg string) { p.add(q, f, "%s", msg) })
	} else if hasParams {
		// In a Map state, the classic Parameters field builds each item's input.
		s.itemSelector, s.parameters = s.parameters, nil
	}
	mc, hasMC := m["MaxConcurrency"]
	mcp, hasMCP := m["MaxConcurrencyPath"]
	if hasMC && hasMCP {
		p.add(q, "MaxConcurrency", "use MaxConcurrency or MaxConcurrencyPath, not both")
	}
	if hasMC {
		n, ok := intOf(mc)
		if !ok || n < 0 || n > math.MaxInt32 {
			p.add(q, "MaxConcurrency", "must be a non-negative integer, got %s", show(mc))
		}
		s.maxConcurrency = int(n)
	}
	if hasMCP {
		s.maxConcurrencyPath = p.refPath(q, "MaxConcurrencyPath", mcp)
	}
}

func (p *parser) retriers(q string, m map[string]any) []Retrier {
	v, ok := m["Retry"]
	if !ok {
		return nil
	}
	arr, isArr := v.([]any)
	if !isArr {
		p.add(q, "Retry", "must be an array of retriers, got %s", typeName(v))
		return nil
	}
	var out []Retrier
	for i, e := range arr {
		f := fmt.Sprintf("Retry[%d]", i)
		em, ok := e.(map[string]any)
		if !ok {
			p.add(q, f, "must be an object, got %s", typeName(e))
			continue
		}
		p.onlyFields(q, f, em, "ErrorEquals", "IntervalSeconds", "MaxAttempts", "BackoffRate", "MaxDelaySeconds", "JitterStrategy", "Comment")
		r := Retrier{
			ErrorEquals:     p.errorEquals(q, f, em, i == len(arr)-1),
			IntervalSeconds: defaultRetryInterval,
			MaxAttempts:     defaultMaxAttempts,
			BackoffRate:     defaultBackoffRate,
			JitterStrategy:  "NONE",
		}
		if v, ok := em["IntervalSeconds"]; ok {
			r.IntervalSeconds = p.positiveInt(q, f+".IntervalSeconds", v, maxTimeoutSeconds)
		}
		if v, ok := em["MaxAttempts"]; ok {
			n, isInt := intOf(v)
			if !isInt || n < 0 || n > maxTimeoutSeconds {
				p.add(q, f+".MaxAttempts", "must be an integer from 0 to %d, got %s", maxTimeoutSeconds, show(v))
			}
			r.MaxAttempts = int(n)
		}
		if v, ok := em["BackoffRate"]; ok {
			n, isNum := v.(json.Number)
			rate, err := n.Float64()
			if !isNum || err != nil || rate < 1.0 {
				p.add(q, f+".BackoffRate", "must be a number >= 1.0, got %s", show(v))
			}
			r.BackoffRate = rate
		}
		if v, ok := em["MaxDelaySeconds"]; ok {
			r.MaxDelaySeconds = p.positiveInt(q, f+".MaxDelaySeconds", v, 31622401)
		}
		if v, ok := em["JitterStrategy"]; ok {
			if v != "FULL" && v != "NONE" {
				p.add(q, f+".JitterStrategy", "must be \"FULL\" or \"NONE\", got %s", show(v))
			} else {
				r.JitterStrategy = v.(string)
			}
		}
		out = append(out, r)
	}
	return out
}

func (p *parser) catchers(q string, m map[string]any) []Catcher {
	v, ok := m["Catch"]
	if !ok {
		return nil
	}
	arr, isArr := v.([]any)
	if !isArr {
		p.add(q, "Catch", "must be an array of catchers, got %s", typeName(v))
		return nil
	}
	var out []Catcher
	for i, e := range arr {
		f := fmt.Sprintf("Catch[%d]", i)
		em, ok := e.(map[string]any)
		if !ok {
			p.add(q, f, "must be an object, got %s", typeName(e))
			continue
		}
		p.onlyFields(q, f, em, "ErrorEquals", "Next", "ResultPath", "Comment")
		c := Catcher{ErrorEquals: p.errorEquals(q, f, em, i == len(arr)-1)}
		next, isStr := em["Next"].(string)
		if !isStr || next == "" {
			p.add(q, f+".Next", "required: the state to go to, got %s", show(em["Next"]))
		}
		c.Next = next
		c.resultPath = p.optPathAt(q, f+".ResultPath", em["ResultPath"], hasKey(em, "ResultPath"), true)
		out = append(out, c)
	}
	return out
}

func (p *parser) errorEquals(q, f string, m map[string]any, last bool) []string {
	v, ok := m["ErrorEquals"]
	arr, isArr := v.([]any)
	if !ok || !isArr || len(arr) == 0 {
		p.add(q, f+".ErrorEquals", "required: a non-empty array of error names")
		return nil
	}
	var names []string
	for i, e := range arr {
		name, ok := e.(string)
		if !ok || name == "" {
			p.add(q, fmt.Sprintf("%s.ErrorEquals[%d]", f, i), "must be a non-empty string, got %s", show(e))
			continue
		}
		if strings.HasPrefix(name, "States.") && !knownStatesErrors[name] {
			p.add(q, fmt.Sprintf("%s.ErrorEquals[%d]", f, i), "unknown predefined error %q (names starting with \"States.\" are reserved)", name)
		}
		if name == ErrorAll {
			if len(arr) != 1 {
				p.add(q, f+".ErrorEquals", "States.ALL must appear alone")
			}
			if !last {
				p.add(q, f+".ErrorEquals", "States.ALL must be in the last element")
			}
		}
		names = append(names, name)
	}
	return names
}

func (p *parser) onlyFields(q, f string, m map[string]any, allowed ...string) {
	ok := map[string]bool{}
	for _, a := range allowed {
		ok[a] = true
	}
	for _, k := range sortedKeys(m) {
		if !ok[k] {
			p.add(q, f+"."+k, "unknown field (allowed: %s)", strings.Join(allowed, ", "))
		}
	}
}

func (p *parser) optString(q, field string, m map[string]any) string {
	v, ok := m[field]
	if !ok {
		return ""
	}
	s, isStr := v.(string)
	if !isStr {
		p.add(q, field, "must be a string, got %s", typeName(v))
	}
	return s
}

func (p *parser) positiveInt(q, field string, v any, maxV int64) int {
	n, ok := intOf(v)
	if !ok || n < 1 || n > maxV {
		p.add(q, field, "must be an integer from 1 to %d, got %s", maxV, show(v))
		return 0
	}
	return int(n)
}

func (p *parser) refPath(q, field string, v any) *Path {
	s, ok := v.(string)
	if !ok {
		p.add(q, field, "must be a reference path string, got %s", typeName(v))
		return nil
	}
	path, err := ParseReferencePath(s)
	if err != nil {
		p.add(q, field, "%s", trimPrefix(err))
		return nil
	}
	return path
}

// optPath reads InputPath, OutputPath or ResultPath: a string path or null.
func (p *parser) optPath(q, field string, m map[string]any, reference bool) optPath {
	return p.optPathAt(q, field, m[field], hasKey(m, field), reference)
}

func hasKey(m map[string]any, k string) bool {
	_, ok := m[k]
	return ok
}

// optPathAt reads the value v of field (present says whether it was given).
func (p *parser) optPathAt(q, field string, v any, present, reference bool) optPath {
	if !present {
		return optPath{}
	}
	if v == nil {
		return optPath{set: true, null: true}
	}
	s, isStr := v.(string)
	if !isStr {
		p.add(q, field, "must be a path string or null, got %s", typeName(v))
		return optPath{}
	}
	parse := ParsePath
	if reference {
		parse = ParseReferencePath
	}
	path, err := parse(s)
	if err != nil {
		p.add(q, field, "%s", trimPrefix(err))
		return optPath{}
	}
	if reference && path.IsContext() {
		p.add(q, field, "cannot write into the context object ($$)")
	}
	return optPath{set: true, path: path}
}

// show renders a decoded JSON value for an error message.
func show(v any) string {
	if v == nil {
		return "null"
	}
	b, err := encodeJSON(v)
	if err != nil {
		return typeName(v)
	}
	if len(b) > 60 {
		return string(b[:57]) + "..."
	}
	return string(b)
}

// parseTimestamp parses an RFC 3339 timestamp with an uppercase T and, for
// UTC, an uppercase Z, as the States Language requires.
func parseTimestamp(s string) (time.Time, error) {
	if strings.ContainsAny(s, "tz") {
		return time.Time{}, fmt.Errorf("lowercase t or z")
	}
	return time.Parse(time.RFC3339Nano, s)
}
