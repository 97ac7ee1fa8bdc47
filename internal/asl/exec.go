package asl

import (
	"encoding/json"
	"fmt"
	"math"
	"strings"
	"time"
)

// Thread phases. A thread runs one States object: the top level, a
// Parallel branch or a Map iteration.
const (
	phaseEnter     = "enter"     // about to enter State with Input
	phaseStart     = "start"     // (re)start the state's work, e.g. after a retry delay
	phaseRunning   = "running"   // a task invocation is in flight
	phaseCallback  = "callback"  // a .waitForTaskToken task awaits SendTask*
	phaseWait      = "wait"      // a Wait state sleeps until WakeAt
	phaseRetry     = "retry"     // a Retry delay runs until WakeAt
	phaseChildren  = "children"  // a Parallel or Map state runs its Children
	phasePending   = "pending"   // a Map iteration waits for a concurrency slot
	phaseDone      = "done"      // finished with Output
	phaseFailed    = "failed"    // failed with Error and Cause
	phaseCancelled = "cancelled" // stopped because a sibling failed or the execution ended
	maxHistory     = 25000
)

// execState is the persisted interpreter state of one execution.
type execState struct {
	Definition     json.RawMessage `json:"definition"`
	StateMachineID string          `json:"stateMachineId"`
	Input          json.RawMessage `json:"input"`
	Output         json.RawMessage `json:"output,omitempty"`
	Error          string          `json:"error,omitempty"`
	Cause          string          `json:"cause,omitempty"`
	Deadline       time.Time       `json:"deadline,omitzero"`
	Root           *thread         `json:"root"`
	NextEvent      int64           `json:"nextEvent"`
	Seq            int64           `json:"seq"`
	LeaseOwner     string          `json:"leaseOwner,omitempty"`
	LeaseUntil     time.Time       `json:"leaseUntil,omitzero"`
}

// scopeRef names a nested States object: a Parallel branch or Map iterator.
type scopeRef struct {
	State  string `json:"state"`
	Branch int    `json:"branch"`
}

type thread struct {
	Label        string          `json:"label,omitempty"`
	Scope        []scopeRef      `json:"scope,omitempty"`
	State        string          `json:"state"`
	Phase        string          `json:"phase"`
	Input        json.RawMessage `json:"input"`
	Entered      time.Time       `json:"entered,omitzero"`
	RetryCounts  []int           `json:"retryCounts,omitempty"`
	RetryCount   int             `json:"retryCount,omitempty"`
	Attempt      int64           `json:"attempt,omitempty"`
	Token        string          `json:"token,omitempty"`
	Effective    json.RawMessage `json:"effective,omitempty"`
	TaskDue      time.Time       `json:"taskDue,omitzero"`
	HeartbeatDue time.Time       `json:"heartbeatDue,omitzero"`
	Heartbeat    int             `json:"heartbeat,omitempty"`
	WakeAt       time.Time       `json:"wakeAt,omitzero"`
	Children     []*thread       `json:"children,omitempty"`
	MaxConc      int             `json:"maxConcurrency,omitempty"`
	Index        int             `json:"index,omitempty"`
	Reported     bool            `json:"reported,omitempty"` // the parent has seen this child end
	Output       json.RawMessage `json:"output,omitempty"`
	Error        string          `json:"error,omitempty"`
	Cause        string          `json:"cause,omitempty"`
}

func (t *thread) terminal() bool {
	return t.Phase == phaseDone || t.Phase == phaseFailed || t.Phase == phaseCancelled
}

// walk visits t and its descendants.
func (t *thread) walk(fn func(*thread)) {
	fn(t)
	for _, c := range t.Children {
		c.walk(fn)
	}
}

// run is one load-modify-save of an execution.
type run struct {
	r      *Runner
	rec    ExecutionRecord
	st     *execState
	sm     *StateMachine
	now    time.Time
	events []Event
}

func (x *run) ev(th *thread, typ EventType) Event {
	e := Event{Type: typ, Timestamp: x.now}
	if th != nil {
		e.Thread = th.Label
		e.State = th.State
	}
	return e
}

func (x *run) add(e Event) {
	x.st.NextEvent++
	e.ID = x.st.NextEvent
	x.events = append(x.events, e)
}

// machineOf returns the States object a thread runs.
func (x *run) machineOf(th *thread) *StateMachine {
	sm := x.sm
	for _, ref := range th.Scope {
		s := sm.States[ref.State]
		if s.Type == TypeParallel {
			sm = s.Branches[ref.Branch]
		} else {
			sm = s.Iterator
		}
	}
	return sm
}

func (x *run) stateOf(th *thread) *State { return x.machineOf(th).States[th.State] }

func decodeRaw(raw json.RawMessage) any {
	if len(raw) == 0 {
		return nil
	}
	v, err := decodeJSON(raw)
	if err != nil {
		panic(fmt.Sprintf("asl: stored JSON does not decode: %v", err))
	}
	return v
}

// contextObject builds $$ for a thread.
func (x *run) contextObject(th *thread, item map[string]any) any {
	ctx := map[string]any{
		"Execution": map[string]any{
			"Id":        x.rec.ID,
			"Input":     decodeRaw(x.st.Input),
			"Name":      x.rec.Name,
			"RoleArn":   x.r.arnPrefix + ":role/steward-local",
			"StartTime": formatTime(x.rec.StartTime),
		},
		"State": map[string]any{
			"EnteredTime": formatTime(th.Entered),
			"Name":        th.State,
			"RetryCount":  numberOf(int64(th.RetryCount)),
		},
		"StateMachine": map[string]any{
			"Id":   x.st.StateMachineID,
			"Name": x.rec.StateMachine,
		},
	}
	if th.Token != "" {
		ctx["Task"] = map[string]any{"Token": th.Token}
	}
	if item != nil {
		ctx["Map"] = map[string]any{"Item": item}
	}
	return ctx
}

// formatTime renders a time as Step Functions does in the context object.
func formatTime(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05.000Z") }

// advance runs every thread as far as it can go without waiting.
func (x *run) advance() {
	if !x.st.Deadline.IsZero() && !x.now.Before(x.st.Deadline) {
		x.endExecution(StatusTimedOut, ErrorTimeout, "the execution ran longer than the state machine's TimeoutSeconds")
		return
	}
	for x.rec.Status == StatusRunning && x.step(x.st.Root) {
		if x.st.NextEvent >= maxHistory {
			x.endExecution(StatusFailed, ErrorRuntime, fmt.Sprintf("the execution history reached %d events", maxHistory))
			return
		}
	}
	if x.rec.Status != StatusRunning {
		return
	}
	switch root := x.st.Root; root.Phase {
	case phaseDone:
		x.st.Output = root.Output
		x.endExecution(StatusSucceeded, "", "")
	case phaseFailed:
		x.endExecution(StatusFailed, root.Error, root.Cause)
	}
}

// endExecution closes the execution, cancelling every thread still active.
func (x *run) endExecution(status Status, errName, cause string) {
	x.cancelThreads(x.st.Root, false)
	x.rec.Status = status
	x.rec.StopTime = x.now
	x.st.Error, x.st.Cause = errName, cause
	x.st.LeaseOwner, x.st.LeaseUntil = "", time.Time{}
	e := x.ev(nil, "")
	switch status {
	case StatusSucceeded:
		e.Type, e.Output = EventExecutionSucceeded, x.st.Output
	case StatusFailed:
		e.Type = EventExecutionFailed
	case StatusTimedOut:
		e.Type = EventExecutionTimedOut
	case StatusAborted:
		e.Type = EventExecutionAborted
	}
	e.Error, e.Cause = errName, cause
	x.add(e)
}

// cancelThreads stops th and its descendants; tokens stop being valid.
func (x *run) cancelThreads(th *thread, mark bool) {
	th.walk(func(t *thread) {
		if !t.terminal() {
			if mark || t != th {
				t.Phase = phaseCancelled
			}
			t.Token = ""
		}
	})
}

// step makes one move on th; it reports whether anything changed.
func (x *run) step(th *thread) bool {
	switch th.Phase {
	case phaseEnter:
		x.enter(th)
		return true
	case phaseStart:
		x.start(th)
		return true
	case phaseRunning, phaseCallback:
		if !th.TaskDue.IsZero() && !x.now.Before(th.TaskDue) {
			x.taskTimedOut(th, false)
			return true
		}
		if !th.HeartbeatDue.IsZero() && !x.now.Before(th.HeartbeatDue) {
			x.taskTimedOut(th, true)
			return true
		}
	case phaseWait:
		if !x.now.Before(th.WakeAt) {
			x.waitDone(th)
			return true
		}
	case phaseRetry:
		if !x.now.Before(th.WakeAt) {
			th.WakeAt = time.Time{}
			x.start(th)
			return true
		}
	case phaseChildren:
		return x.stepChildren(th)
	}
	return false
}

func (x *run) enter(th *thread) {
	s := x.stateOf(th)
	th.Entered = x.now
	th.RetryCounts = make([]int, len(s.Retry))
	th.RetryCount = 0
	e := x.ev(th, stateEntered(s.Type))
	e.Input = th.Input
	x.add(e)
	x.start(th)
}

// start does a state's work after it is entered or when a retry is due.
func (x *run) start(th *thread) {
	s := x.stateOf(th)
	th.Phase = phaseStart
	raw := decodeRaw(th.Input)
	if s.Type == TypeFail {
		x.failState(th, s, raw)
		return
	}
	eff, se := x.inputPath(s, raw)
	if se != nil {
		x.fail(th, se)
		return
	}
	switch s.Type {
	case TypePass:
		if s.parameters != nil {
			if eff, se = x.template(s.parameters, eff, th, nil); se != nil {
				x.fail(th, se)
				return
			}
		}
		result := eff
		if s.hasResult {
			result = deepCopy(s.result)
		}
		x.finish(th, result)
	case TypeSucceed:
		out, se := x.outputPath(s, eff)
		if se != nil {
			x.fail(th, se)
			return
		}
		x.exit(th, s, out)
		th.Phase, th.Output = phaseDone, mustEncode(out)
	case TypeChoice:
		x.choose(th, s, eff)
	case TypeWait:
		x.startWait(th, s, eff)
	case TypeTask:
		x.startTask(th, s, eff)
	case TypeParallel:
		x.startParallel(th, s, eff)
	case TypeMap:
		x.startMap(th, s, eff)
	}
}

func (x *run) inputPath(s *State, raw any) (any, *stateError) {
	switch {
	case !s.inputPath.set:
		return raw, nil
	case s.inputPath.null:
		return map[string]any{}, nil
	}
	v, err := s.inputPath.path.Select(raw, nil)
	if err != nil {
		return nil, failf(ErrorRuntime, "Invalid path %q for InputPath: %s", s.inputPath.path, trimPrefix(err))
	}
	return v, nil
}

func (x *run) outputPath(s *State, v any) (any, *stateError) {
	switch {
	case !s.outputPath.set:
		return v, nil
	case s.outputPath.null:
		return map[string]any{}, nil
	}
	out, err := s.outputPath.path.Select(v, nil)
	if err != nil {
		return nil, failf(ErrorRuntime, "Invalid path %q for OutputPath: %s", s.outputPath.path, trimPrefix(err))
	}
	return out, nil
}

func (x *run) template(t *payloadTemplate, input any, th *thread, item map[string]any) (any, *stateError) {
	v, err := t.eval(input, x.contextObject(th, item), x.r.intrinsicEnv())
	if err != nil {
		if se, ok := err.(*stateError); ok {
			return nil, se
		}
		return nil, failf(ErrorRuntime, "%v", err)
	}
	return v, nil
}

// finish applies ResultSelector, ResultPath and OutputPath to a state's
// result and moves on.
func (x *run) finish(th *thread, result any) {
	s := x.stateOf(th)
	var se *stateError
	if s.resultSelector != nil {
		if result, se = x.template(s.resultSelector, result, th, nil); se != nil {
			x.fail(th, se)
			return
		}
	}
	out, se := x.applyResultPath(s.resultPath, decodeRaw(th.Input), result)
	if se != nil {
		x.fail(th, se)
		return
	}
	if out, se = x.outputPath(s, out); se != nil {
		x.fail(th, se)
		return
	}
	if se := checkSize(out, "the state's output"); se != nil {
		x.fail(th, se)
		return
	}
	x.exit(th, s, out)
	x.transition(th, s, s.Next, out)
}

// applyResultPath combines the result with the state's RAW input.
func (x *run) applyResultPath(rp optPath, raw, result any) (any, *stateError) {
	switch {
	case !rp.set:
		return result, nil
	case rp.null:
		return raw, nil
	}
	out, err := rp.path.set(deepCopy(raw), deepCopy(result))
	if err != nil {
		return nil, failf(ErrorResultPathMatchFailure, "Unable to apply ResultPath %q to the state input: %v", rp.path, err)
	}
	return out, nil
}

func checkSize(v any, what string) *stateError {
	if b := mustEncode(v); len(b) > maxPayloadBytes {
		return failf(ErrorDataLimitExceeded, "%s has %d bytes, more than the %d allowed", what, len(b), maxPayloadBytes)
	}
	return nil
}

func (x *run) exit(th *thread, s *State, out any) {
	e := x.ev(th, stateExited(s.Type))
	e.Output = mustEncode(out)
	x.add(e)
}

// transition moves th to next (or ends it when next is empty).
func (x *run) transition(th *thread, s *State, next string, out any) {
	th.Token, th.Effective, th.Attempt = "", nil, 0
	th.TaskDue, th.HeartbeatDue, th.WakeAt = time.Time{}, time.Time{}, time.Time{}
	th.Children = nil
	if next == "" {
		th.Phase, th.Output = phaseDone, mustEncode(out)
		return
	}
	th.State, th.Input, th.Phase = next, mustEncode(out), phaseEnter
}

// fail routes an error through the state's Retry and Catch fields, or fails
// the thread.
func (x *run) fail(th *thread, se *stateError) {
	s := x.stateOf(th)
	th.Token = ""
	for _, c := range th.Children {
		x.cancelThreads(c, true)
	}
	th.Children = nil
	for i, r := range s.Retry {
		if !errorMatches(r.ErrorEquals, se) {
			continue
		}
		if i >= len(th.RetryCounts) {
			th.RetryCounts = append(th.RetryCounts, make([]int, i+1-len(th.RetryCounts))...)
		}
		if th.RetryCounts[i] >= r.MaxAttempts {
			break // an exhausted retrier stops retrying: no fall-through
		}
		delay := float64(r.IntervalSeconds) * math.Pow(r.BackoffRate, float64(th.RetryCounts[i]))
		if r.MaxDelaySeconds > 0 {
			delay = math.Min(delay, float64(r.MaxDelaySeconds))
		}
		if r.JitterStrategy == "FULL" {
			delay *= x.r.random()
		}
		th.RetryCounts[i]++
		th.RetryCount++
		th.Phase = phaseRetry
		th.WakeAt = x.now.Add(time.Duration(delay * float64(time.Second)))
		th.TaskDue, th.HeartbeatDue = time.Time{}, time.Time{}
		e := x.ev(th, EventRetryScheduled)
		e.Error, e.Cause = se.Name, se.Cause
		e.Details = fmt.Sprintf("retrier %d, attempt %d of %d, after %s", i, th.RetryCounts[i], r.MaxAttempts, time.Duration(delay*float64(time.Second)).Round(time.Millisecond))
		x.add(e)
		return
	}
	for _, c := range s.Catch {
		if !errorMatches(c.ErrorEquals, se) {
			continue
		}
		errOut := map[string]any{"Error": se.Name, "Cause": se.Cause}
		out, rpErr := x.applyResultPath(c.resultPath, decodeRaw(th.Input), errOut)
		if rpErr != nil {
			se = rpErr
			break
		}
		x.exit(th, s, out)
		x.transition(th, s, c.Next, out)
		return
	}
	th.Phase, th.Error, th.Cause = phaseFailed, se.Name, se.Cause
	th.TaskDue, th.HeartbeatDue, th.WakeAt = time.Time{}, time.Time{}, time.Time{}
}

// errorMatches applies the ErrorEquals rules: exact names, States.ALL (any
// error but the terminal States.Runtime and States.DataLimitExceeded),
// States.TaskFailed (any error not named States.*) and
// States.HeartbeatTimeout (a timeout caused by a missed heartbeat).
func errorMatches(names []string, se *stateError) bool {
	if se.Name == ErrorRuntime {
		return false
	}
	for _, n := range names {
		switch {
		case n == se.Name:
			return true
		case n == ErrorAll:
			return se.Name != ErrorDataLimitExceeded
		case n == ErrorTaskFailed:
			if !strings.HasPrefix(se.Name, "States.") {
				return true
			}
		case n == ErrorHeartbeatTimeout:
			if se.heartbeat {
				return true
			}
		}
	}
	return false
}

func (x *run) failState(th *thread, s *State, raw any) {
	errName, cause := s.failError, s.failCause
	ctx := x.contextObject(th, nil)
	for _, d := range []struct {
		ds  *dynamicString
		out *string
		f   string
	}{{s.failErrorPath, &errName, "ErrorPath"}, {s.failCausePath, &cause, "CausePath"}} {
		if d.ds == nil {
			continue
		}
		var v any
		var err error
		if d.ds.path != nil {
			v, err = d.ds.path.Select(raw, ctx)
		} else {
			v, err = d.ds.fn.eval(raw, ctx, x.r.intrinsicEnv())
		}
		str, ok := v.(string)
		if err != nil || !ok {
			msg := fmt.Sprintf("%s must select a string, got %s", d.f, typeName(v))
			if err != nil {
				msg = fmt.Sprintf("%s: %s", d.f, trimPrefix(err))
			}
			th.Phase, th.Error, th.Cause = phaseFailed, ErrorRuntime, msg
			return
		}
		*d.out = str
	}
	th.Phase, th.Error, th.Cause = phaseFailed, errName, cause
}

func (x *run) choose(th *thread, s *State, eff any) {
	ctx := x.contextObject(th, nil)
	next := ""
	for _, rule := range s.choices {
		ok, err := rule.match(eff, ctx)
		if err != nil {
			x.fail(th, err.(*stateError))
			return
		}
		if ok {
			next = rule.next
			break
		}
	}
	if next == "" {
		next = s.Default
	}
	if next == "" {
		x.fail(th, failf(ErrorNoChoiceMatched, "no choice rule matched and the Choice state has no Default"))
		return
	}
	out, se := x.outputPath(s, eff)
	if se != nil {
		x.fail(th, se)
		return
	}
	x.exit(th, s, out)
	x.transition(th, s, next, out)
}

func (x *run) startWait(th *thread, s *State, eff any) {
	var until time.Time
	switch {
	case s.seconds != nil:
		until = th.Entered.Add(time.Duration(*s.seconds) * time.Second)
	case s.timestamp != nil:
		until = *s.timestamp
	case s.secondsPath != nil:
		v, err := s.secondsPath.Select(eff, nil)
		n, ok := intOf(v)
		if err != nil || !ok || n < 0 {
			x.fail(th, failf(ErrorRuntime, "SecondsPath %q must select a non-negative integer, got %s", s.secondsPath, describeSelect(v, err)))
			return
		}
		until = th.Entered.Add(time.Duration(n) * time.Second)
	case s.timestampPath != nil:
		v, err := s.timestampPath.Select(eff, nil)
		t, ok := timestampOf(v)
		if err != nil || !ok {
			x.fail(th, failf(ErrorRuntime, "TimestampPath %q must select an RFC 3339 timestamp, got %s", s.timestampPath, describeSelect(v, err)))
			return
		}
		until = t
	}
	th.Phase, th.WakeAt = phaseWait, until
}

func describeSelect(v any, err error) string {
	if err != nil {
		return "nothing (" + trimPrefix(err) + ")"
	}
	return show(v)
}

func (x *run) waitDone(th *thread) {
	s := x.stateOf(th)
	th.WakeAt = time.Time{}
	eff, se := x.inputPath(s, decodeRaw(th.Input))
	if se == nil {
		var out any
		if out, se = x.outputPath(s, eff); se == nil {
			x.exit(th, s, out)
			x.transition(th, s, s.Next, out)
			return
		}
	}
	x.fail(th, se)
}

// positiveFromPath reads TimeoutSecondsPath or HeartbeatSecondsPath.
func positiveFromPath(p *Path, eff any, field string) (int, *stateError) {
	v, err := p.Select(eff, nil)
	n, ok := intOf(v)
	if err != nil || !ok || n < 1 || n > maxTimeoutSeconds {
		return 0, failf(ErrorRuntime, "%s %q must select a positive integer, got %s", field, p, describeSelect(v, err))
	}
	return int(n), nil
}

func (x *run) startTask(th *thread, s *State, eff any) {
	callback := isCallbackResource(s.Resource)
	x.st.Seq++
	th.Attempt = x.st.Seq
	th.Token = ""
	if callback {
		th.Token = x.r.newToken(x.rec.ID)
	}
	timeout, heartbeat := s.timeoutSeconds, s.heartbeatSeconds
	var se *stateError
	if s.timeoutSecondsPath != nil {
		if timeout, se = positiveFromPath(s.timeoutSecondsPath, eff, "TimeoutSecondsPath"); se != nil {
			x.fail(th, se)
			return
		}
	}
	if s.heartbeatSecondsPath != nil {
		if heartbeat, se = positiveFromPath(s.heartbeatSecondsPath, eff, "HeartbeatSecondsPath"); se != nil {
			x.fail(th, se)
			return
		}
	}
	params := eff
	if s.parameters != nil {
		if params, se = x.template(s.parameters, eff, th, nil); se != nil {
			x.fail(th, se)
			return
		}
	}
	if se := checkSize(params, "the task input"); se != nil {
		x.fail(th, se)
		return
	}
	th.Effective = mustEncode(params)
	th.TaskDue, th.HeartbeatDue, th.Heartbeat = time.Time{}, time.Time{}, 0
	if timeout > 0 {
		th.TaskDue = x.now.Add(time.Duration(timeout) * time.Second)
	}
	if heartbeat > 0 && callback {
		// Only a callback task can send heartbeats (it holds the token); a
		// synchronous invocation is bounded by TimeoutSeconds alone.
		th.Heartbeat = heartbeat
		th.HeartbeatDue = x.now.Add(time.Duration(heartbeat) * time.Second)
	}
	e := x.ev(th, EventTaskScheduled)
	e.Resource, e.Input = s.Resource, th.Effective
	if timeout > 0 || heartbeat > 0 {
		e.Details = fmt.Sprintf("timeoutSeconds=%d heartbeatSeconds=%d", timeout, heartbeat)
	}
	x.add(e)
	e = x.ev(th, EventTaskStarted)
	e.Resource = s.Resource
	x.add(e)
	th.Phase = phaseRunning
}

// taskSubmitted records that a callback task's resource accepted the token.
func (x *run) taskSubmitted(th *thread, output json.RawMessage) {
	s := x.stateOf(th)
	th.Phase = phaseCallback
	e := x.ev(th, EventTaskSubmitted)
	e.Resource, e.Output = s.Resource, output
	x.add(e)
}

// taskSucceeded completes a task with its result.
func (x *run) taskSucceeded(th *thread, result json.RawMessage) {
	s := x.stateOf(th)
	e := x.ev(th, EventTaskSucceeded)
	e.Resource, e.Output = s.Resource, result
	x.add(e)
	th.Token, th.TaskDue, th.HeartbeatDue = "", time.Time{}, time.Time{}
	if len(result) > maxPayloadBytes {
		x.fail(th, failf(ErrorDataLimitExceeded, "the task result has %d bytes, more than the %d allowed", len(result), maxPayloadBytes))
		return
	}
	v, err := decodeJSON(result)
	if err != nil {
		x.fail(th, failf(ErrorRuntime, "the task result is not valid JSON: %v", err))
		return
	}
	x.finish(th, v)
}

// taskFailed fails a task with a named error.
func (x *run) taskFailed(th *thread, se *stateError) {
	s := x.stateOf(th)
	e := x.ev(th, EventTaskFailed)
	e.Resource, e.Error, e.Cause = s.Resource, se.Name, se.Cause
	x.add(e)
	th.TaskDue, th.HeartbeatDue = time.Time{}, time.Time{}
	x.fail(th, se)
}

func (x *run) taskTimedOut(th *thread, heartbeat bool) {
	s := x.stateOf(th)
	se := failf(ErrorTimeout, "the task did not finish within its TimeoutSeconds")
	if heartbeat {
		se = failf(ErrorTimeout, "no heartbeat within HeartbeatSeconds (%d s)", th.Heartbeat)
		se.heartbeat = true
	}
	e := x.ev(th, EventTaskTimedOut)
	e.Resource, e.Error, e.Cause = s.Resource, se.Name, se.Cause
	x.add(e)
	th.TaskDue, th.HeartbeatDue = time.Time{}, time.Time{}
	x.fail(th, se)
}

func (x *run) childScope(th *thread, branch int) []scopeRef {
	scope := append([]scopeRef(nil), th.Scope...)
	return append(scope, scopeRef{State: th.State, Branch: branch})
}

func childLabel(th *thread, i int) string {
	l := fmt.Sprintf("%s[%d]", th.State, i)
	if th.Label != "" {
		l = th.Label + "/" + l
	}
	return l
}

func (x *run) startParallel(th *thread, s *State, eff any) {
	var se *stateError
	if s.parameters != nil {
		if eff, se = x.template(s.parameters, eff, th, nil); se != nil {
			x.fail(th, se)
			return
		}
	}
	input := mustEncode(eff)
	th.Children = nil
	for i, b := range s.Branches {
		th.Children = append(th.Children, &thread{
			Label: childLabel(th, i), Scope: x.childScope(th, i), Index: i,
			State: b.StartAt, Phase: phaseEnter, Input: input,
		})
	}
	th.Phase = phaseChildren
	x.add(x.ev(th, EventParallelStateStarted))
}

func (x *run) startMap(th *thread, s *State, eff any) {
	items := eff
	if s.itemsPath != nil {
		v, err := s.itemsPath.Select(eff, nil)
		if err != nil {
			x.fail(th, failf(ErrorRuntime, "Invalid path %q for ItemsPath: %s", s.itemsPath, trimPrefix(err)))
			return
		}
		items = v
	}
	arr, ok := items.([]any)
	if !ok {
		x.fail(th, failf(ErrorRuntime, "ItemsPath must select an array, got %s", typeName(items)))
		return
	}
	maxConc := s.maxConcurrency
	if s.maxConcurrencyPath != nil {
		v, err := s.maxConcurrencyPath.Select(eff, nil)
		n, ok := intOf(v)
		if err != nil || !ok || n < 0 {
			x.fail(th, failf(ErrorRuntime, "MaxConcurrencyPath %q must select a non-negative integer, got %s", s.maxConcurrencyPath, describeSelect(v, err)))
			return
		}
		maxConc = int(n)
	}
	th.Children = nil
	for i, item := range arr {
		input := item
		if s.itemSelector != nil {
			ctxItem := map[string]any{"Index": numberOf(int64(i)), "Value": item}
			var se *stateError
			if input, se = x.template(s.itemSelector, eff, th, ctxItem); se != nil {
				x.fail(th, se)
				return
			}
		}
		th.Children = append(th.Children, &thread{
			Label: childLabel(th, i), Scope: x.childScope(th, 0), Index: i,
			State: s.Iterator.StartAt, Phase: phasePending, Input: mustEncode(input),
		})
	}
	th.MaxConc = maxConc
	th.Phase = phaseChildren
	e := x.ev(th, EventMapStateStarted)
	e.Details = fmt.Sprintf("length=%d", len(arr))
	x.add(e)
}

func (x *run) stepChildren(th *thread) bool {
	s := x.stateOf(th)
	progress := false
	active := 0
	for _, c := range th.Children {
		if !c.terminal() && c.Phase != phasePending {
			active++
		}
	}
	for _, c := range th.Children {
		if c.Phase == phasePending && (th.MaxConc == 0 || active < th.MaxConc) {
			c.Phase = phaseEnter
			active++
			progress = true
			e := x.ev(th, EventMapIterationStarted)
			e.Details = fmt.Sprintf("index=%d", c.Index)
			x.add(e)
		}
	}
	for _, c := range th.Children {
		if c.terminal() || c.Phase == phasePending {
			continue
		}
		for x.step(c) {
			progress = true
			if x.st.NextEvent >= maxHistory {
				return false
			}
		}
	}
	// Children also end outside this loop (a task result or callback is
	// applied to the child directly), so look at every child's state.
	var failed *thread
	for _, c := range th.Children {
		if c.terminal() && !c.Reported {
			c.Reported = true
			progress = true
			if s.Type == TypeMap {
				typ := EventMapIterationSucceeded
				if c.Phase == phaseFailed {
					typ = EventMapIterationFailed
				}
				e := x.ev(th, typ)
				e.Details, e.Error, e.Cause = fmt.Sprintf("index=%d", c.Index), c.Error, c.Cause
				x.add(e)
			}
		}
		if c.Phase == phaseFailed && failed == nil {
			failed = c
		}
	}
	succeeded, failedType := EventParallelStateSucceeded, EventParallelStateFailed
	if s.Type == TypeMap {
		succeeded, failedType = EventMapStateSucceeded, EventMapStateFailed
	}
	if failed != nil {
		x.add(x.ev(th, failedType))
		x.fail(th, &stateError{Name: failed.Error, Cause: failed.Cause})
		return true
	}
	for _, c := range th.Children {
		if c.Phase != phaseDone {
			return progress
		}
	}
	results := make([]any, len(th.Children))
	for i, c := range th.Children {
		results[i] = decodeRaw(c.Output)
	}
	th.Children = nil
	x.add(x.ev(th, succeeded))
	x.finish(th, results)
	return true
}

// findToken returns the task thread awaiting token, or nil.
func (x *run) findToken(token string) *thread {
	var found *thread
	x.st.Root.walk(func(t *thread) {
		if t.Token == token && (t.Phase == phaseRunning || t.Phase == phaseCallback) {
			found = t
		}
	})
	return found
}

// findAttempt returns the thread running the given invocation, or nil.
func (x *run) findAttempt(label string, attempt int64) *thread {
	var found *thread
	x.st.Root.walk(func(t *thread) {
		if t.Label == label && t.Attempt == attempt && t.Phase == phaseRunning {
			found = t
		}
	})
	return found
}

// wakeAt returns the earliest timer of the execution, or zero.
func (x *run) wakeAt() time.Time {
	var w time.Time
	earliest := func(t time.Time) {
		if !t.IsZero() && (w.IsZero() || t.Before(w)) {
			w = t
		}
	}
	if x.rec.Status != StatusRunning {
		return w
	}
	earliest(x.st.Deadline)
	if x.st.LeaseOwner != "" {
		earliest(x.st.LeaseUntil)
	}
	x.st.Root.walk(func(t *thread) {
		switch t.Phase {
		case phaseWait, phaseRetry:
			earliest(t.WakeAt)
		case phaseRunning, phaseCallback:
			earliest(t.TaskDue)
			earliest(t.HeartbeatDue)
		case phaseEnter, phaseStart:
			earliest(x.now)
		}
	})
	return w
}

// invocation is a task the driver must run.
type invocation struct {
	label, state, resource string
	attempt                int64
	input                  json.RawMessage
	token                  string
}

func (x *run) invocations() []invocation {
	var out []invocation
	if x.rec.Status != StatusRunning {
		return nil
	}
	x.st.Root.walk(func(t *thread) {
		if t.Phase == phaseRunning {
			s := x.stateOf(t)
			out = append(out, invocation{label: t.Label, state: t.State, resource: s.Resource, attempt: t.Attempt, input: t.Effective, token: t.Token})
		}
	})
	return out
}

// waiting lists the threads waiting on something outside the interpreter.
func (x *run) waiting() []Waiting {
	var out []Waiting
	if x.rec.Status != StatusRunning {
		return nil
	}
	x.st.Root.walk(func(t *thread) {
		w := Waiting{Thread: t.Label, State: t.State, Since: t.Entered}
		switch t.Phase {
		case phaseCallback, phaseRunning:
			w.Kind = "task"
			if t.Phase == phaseCallback {
				w.Kind = "callback"
			}
			w.Until = t.TaskDue
			if !t.HeartbeatDue.IsZero() && (w.Until.IsZero() || t.HeartbeatDue.Before(w.Until)) {
				w.Until = t.HeartbeatDue
			}
		case phaseWait:
			w.Kind, w.Until = "wait", t.WakeAt
		case phaseRetry:
			w.Kind, w.Until = "retry", t.WakeAt
		default:
			return
		}
		out = append(out, w)
	})
	return out
}

// isCallbackResource reports whether a Task resource uses the callback pattern.
func isCallbackResource(resource string) bool {
	return strings.HasSuffix(resource, ".waitForTaskToken")
}
