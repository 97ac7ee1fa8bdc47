package asl

import (
	"context"
	crand "crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	mrand "math/rand/v2"
	"strings"
	"sync"
	"time"
)

// TaskRequest is what an Invoker receives for one task attempt.
type TaskRequest struct {
	// Resource is the Task state's Resource, or the FunctionName for the
	// arn:aws:states:::lambda:invoke integration.
	Resource string
	// Input is the effective input: the Payload for lambda:invoke, the
	// state's effective input otherwise.
	Input json.RawMessage
	// TaskToken is set for .waitForTaskToken resources: the task then ends
	// with SendTaskSuccess or SendTaskFailure, not with Invoke's result.
	TaskToken   string
	ExecutionID string
	StateName   string
}

// Invoker runs a task. Its result must be JSON (nil means null). A returned
// error fails the task under ErrorName(err), so Retry and Catch can route
// it; return a *TaskError (or any ErrorNamer) to choose the name.
// Invoke must honour ctx: it is cancelled when the task times out or the
// execution stops. Implementations must be safe for concurrent use.
type Invoker interface {
	Invoke(ctx context.Context, req TaskRequest) (json.RawMessage, error)
}

// InvokerFunc adapts a function to Invoker.
type InvokerFunc func(ctx context.Context, req TaskRequest) (json.RawMessage, error)

// Invoke implements Invoker.
func (f InvokerFunc) Invoke(ctx context.Context, req TaskRequest) (json.RawMessage, error) {
	return f(ctx, req)
}

// Lambda service integration resources.
const (
	ResourceLambdaInvoke         = "arn:aws:states:::lambda:invoke"
	ResourceLambdaInvokeCallback = "arn:aws:states:::lambda:invoke.waitForTaskToken"
)

// Config configures a Runner. Store is required; the rest have defaults.
type Config struct {
	Store Store
	// Resources binds Task resources to invokers. Keys are Resource URIs
	// (without .waitForTaskToken), Lambda function ARNs or plain function
	// names: a lambda:invoke task's FunctionName and a Task whose Resource is
	// a Lambda function ARN are looked up by the full ARN first and then by
	// the function's name.
	Resources map[string]Invoker
	Clock     Clock
	// Rand returns uniform numbers in [0,1) for retry jitter and
	// States.MathRandom; it is called under a lock.
	Rand func() float64
	// Entropy feeds task tokens, execution names and States.UUID
	// (crypto/rand by default: tokens must not be guessable).
	Entropy io.Reader
	// ARNPrefix starts every ARN the runner makes, by default
	// "arn:aws:states:local:000000000000".
	ARNPrefix string
	// LeaseDuration is how long a runner may drive an execution without
	// saving before another runner may take over (default 5 minutes).
	LeaseDuration time.Duration
	// PollInterval paces Run and AwaitExecution (default 1 second).
	PollInterval time.Duration
	// Owner identifies this runner in leases (random by default).
	Owner  string
	Logger *slog.Logger
}

// Runner executes state machines durably. It is safe for concurrent use;
// several Runners, in one process or several, may share one Store.
type Runner struct {
	store     Store
	resources map[string]Invoker
	clock     Clock
	entropy   io.Reader
	arnPrefix string
	lease     time.Duration
	poll      time.Duration
	owner     string
	log       *slog.Logger

	randMu sync.Mutex
	rand   func() float64

	mu       sync.Mutex
	locks    map[string]*sync.Mutex
	drivers  map[string]chan struct{}
	machines sync.Map // definition -> *StateMachine
}

// NewRunner builds a Runner.
func NewRunner(cfg Config) (*Runner, error) {
	if cfg.Store == nil {
		return nil, errors.New("asl: NewRunner: Config.Store is required")
	}
	r := &Runner{
		store: cfg.Store, resources: cfg.Resources, clock: cfg.Clock, entropy: cfg.Entropy,
		arnPrefix: cfg.ARNPrefix, lease: cfg.LeaseDuration, poll: cfg.PollInterval, owner: cfg.Owner,
		log: cfg.Logger, rand: cfg.Rand,
		locks: map[string]*sync.Mutex{}, drivers: map[string]chan struct{}{},
	}
	if r.clock == nil {
		r.clock = SystemClock{}
	}
	if r.entropy == nil {
		r.entropy = crand.Reader
	}
	if r.rand == nil {
		r.rand = mrand.Float64
	}
	if r.arnPrefix == "" {
		r.arnPrefix = "arn:aws:states:local:000000000000"
	}
	if r.lease <= 0 {
		r.lease = 5 * time.Minute
	}
	if r.poll <= 0 {
		r.poll = time.Second
	}
	if r.log == nil {
		r.log = slog.New(slog.DiscardHandler)
	}
	if r.owner == "" {
		r.owner = "runner-" + r.randomHex(8)
	}
	return r, nil
}

func (r *Runner) random() float64 {
	r.randMu.Lock()
	defer r.randMu.Unlock()
	return r.rand()
}

func (r *Runner) randomHex(n int) string {
	b := make([]byte, n)
	if _, err := io.ReadFull(r.entropy, b); err != nil {
		panic(fmt.Sprintf("asl: read entropy: %v", err))
	}
	return hex.EncodeToString(b)
}

func (r *Runner) intrinsicEnv() intrinsicEnv {
	return intrinsicEnv{float: r.random, entropy: r.entropy}
}

// Tokens are "asl1.<base64url execution id>.<128 random bits>": the
// execution comes from the token alone, so any runner can resume it.
const tokenPrefix = "asl1."

func (r *Runner) newToken(executionID string) string {
	return tokenPrefix + base64.RawURLEncoding.EncodeToString([]byte(executionID)) + "." + r.randomHex(16)
}

func executionOfToken(token string) (string, error) {
	if len(token) == 0 || len(token) > 1024 || !strings.HasPrefix(token, tokenPrefix) {
		return "", ErrInvalidToken
	}
	parts := strings.Split(strings.TrimPrefix(token, tokenPrefix), ".")
	if len(parts) != 2 || len(parts[1]) != 32 {
		return "", ErrInvalidToken
	}
	if _, err := hex.DecodeString(parts[1]); err != nil {
		return "", ErrInvalidToken
	}
	id, err := base64.RawURLEncoding.DecodeString(parts[0])
	if err != nil || len(id) == 0 {
		return "", ErrInvalidToken
	}
	return string(id), nil
}

// Execution describes an execution.
type Execution struct {
	ID               string          `json:"id"`
	Name             string          `json:"name"`
	StateMachineID   string          `json:"stateMachineId"`
	StateMachineName string          `json:"stateMachineName"`
	Status           Status          `json:"status"`
	Input            json.RawMessage `json:"input"`
	Output           json.RawMessage `json:"output,omitempty"`
	Error            string          `json:"error,omitempty"`
	Cause            string          `json:"cause,omitempty"`
	StartTime        time.Time       `json:"startTime"`
	StopTime         time.Time       `json:"stopTime,omitzero"`
	// Waiting lists what a running execution waits for.
	Waiting []Waiting `json:"waiting,omitempty"`
}

// Waiting is one thing a running execution waits for.
type Waiting struct {
	Thread string    `json:"thread,omitempty"`
	State  string    `json:"state"`
	Kind   string    `json:"kind"` // "callback", "task", "wait" or "retry"
	Since  time.Time `json:"since"`
	Until  time.Time `json:"until,omitzero"` // deadline or wake-up time; zero if none
}

func (x *run) describe() Execution {
	return Execution{
		ID: x.rec.ID, Name: x.rec.Name, StateMachineID: x.st.StateMachineID, StateMachineName: x.rec.StateMachine,
		Status: x.rec.Status, Input: x.st.Input, Output: x.st.Output, Error: x.st.Error, Cause: x.st.Cause,
		StartTime: x.rec.StartTime, StopTime: x.rec.StopTime, Waiting: x.waiting(),
	}
}

// StartInput starts an execution.
type StartInput struct {
	StateMachine     *StateMachine
	StateMachineName string          // required: names the machine in ARNs and listings
	Name             string          // execution name, unique per state machine; random UUID if empty
	Input            json.RawMessage // JSON; "{}" if empty
}

// Start creates an execution and runs it until it ends or waits (for a
// callback, a Wait state, a retry delay or another runner). Errors are
// ErrExecutionExists, ErrUnboundResource or input problems; a failing
// execution is not an error: see the returned Execution's Status.
func (r *Runner) Start(ctx context.Context, in StartInput) (Execution, error) {
	if in.StateMachine == nil || in.StateMachine.raw == nil {
		return Execution{}, errors.New("asl: start: StateMachine must come from Parse")
	}
	if err := validName(in.StateMachineName); err != nil {
		return Execution{}, fmt.Errorf("asl: start: state machine name: %w", err)
	}
	if in.Name == "" {
		in.Name = r.uuid()
	} else if err := validName(in.Name); err != nil {
		return Execution{}, fmt.Errorf("asl: start: execution name: %w", err)
	}
	if len(in.Input) == 0 {
		in.Input = json.RawMessage("{}")
	}
	input, err := decodeJSON(in.Input)
	if err != nil {
		return Execution{}, fmt.Errorf("asl: start: input is not valid JSON: %w", err)
	}
	if len(in.Input) > maxPayloadBytes {
		return Execution{}, fmt.Errorf("asl: start: input has %d bytes, more than %d", len(in.Input), maxPayloadBytes)
	}
	if err := r.CheckBindings(in.StateMachine); err != nil {
		return Execution{}, err
	}
	now := r.clock.Now()
	id := fmt.Sprintf("%s:execution:%s:%s", r.arnPrefix, in.StateMachineName, in.Name)
	st := &execState{
		Definition:     in.StateMachine.raw,
		StateMachineID: fmt.Sprintf("%s:stateMachine:%s", r.arnPrefix, in.StateMachineName),
		Input:          mustEncode(input),
		Root:           &thread{State: in.StateMachine.StartAt, Phase: phaseEnter, Input: mustEncode(input)},
	}
	if in.StateMachine.TimeoutSeconds > 0 {
		st.Deadline = now.Add(time.Duration(in.StateMachine.TimeoutSeconds) * time.Second)
	}
	x := &run{r: r, st: st, sm: in.StateMachine, now: now, rec: ExecutionRecord{
		ID: id, StateMachine: in.StateMachineName, Name: in.Name, Status: StatusRunning, StartTime: now,
	}}
	e := x.ev(nil, EventExecutionStarted)
	e.Input = st.Input
	x.add(e)
	if err := r.save(ctx, x); err != nil {
		if errors.Is(err, ErrExecutionExists) {
			return Execution{}, fmt.Errorf("asl: start %s: %w", id, ErrExecutionExists)
		}
		return Execution{}, fmt.Errorf("asl: start %s: %w", id, err)
	}
	if err := r.drive(ctx, id); err != nil {
		return Execution{}, err
	}
	return r.DescribeExecution(ctx, id)
}

// validName checks an execution or state machine name (1-80 characters,
// none of the characters Step Functions rejects).
func validName(n string) error {
	if n == "" || len([]rune(n)) > 80 {
		return fmt.Errorf("%q must have 1 to 80 characters", n)
	}
	if i := strings.IndexAny(n, " \t\n\r<>{}[]?*\"#%\\^|~`$&,;:/"); i >= 0 {
		return fmt.Errorf("%q must not contain %q", n, n[i])
	}
	return nil
}

func (r *Runner) uuid() string {
	v, err := (&intrinsicCall{name: "States.UUID"}).apply(nil, r.intrinsicEnv())
	if err != nil {
		panic(fmt.Sprintf("asl: uuid: %v", err))
	}
	return v.(string)
}

// CheckBindings reports every Task resource of sm that no Invoker is bound
// to, in one error wrapping ErrUnboundResource. Dynamic lambda:invoke
// FunctionNames (FunctionName.$) are checked when the task runs.
func (r *Runner) CheckBindings(sm *StateMachine) error {
	var missing []string
	sm.Walk(func(q string, s *State) {
		if s.Type != TypeTask {
			return
		}
		base := strings.TrimSuffix(s.Resource, ".waitForTaskToken")
		switch {
		case strings.HasSuffix(base, ".sync") || strings.Contains(base, ".sync:"):
			missing = append(missing, fmt.Sprintf("%s: %s (.sync integrations are not supported)", q, s.Resource))
		case base == ResourceLambdaInvoke:
			name, ok := staticField(s.parameters, "FunctionName")
			if !ok {
				return
			}
			if r.lambdaInvoker(name) == nil {
				missing = append(missing, fmt.Sprintf("%s: function %s", q, name))
			}
		case isLambdaARN(base):
			if r.lambdaInvoker(base) == nil {
				missing = append(missing, fmt.Sprintf("%s: %s", q, s.Resource))
			}
		default:
			if r.resources[base] == nil {
				missing = append(missing, fmt.Sprintf("%s: %s", q, s.Resource))
			}
		}
	})
	if len(missing) > 0 {
		return fmt.Errorf("%w: %s", ErrUnboundResource, strings.Join(missing, "; "))
	}
	return nil
}

func staticField(t *payloadTemplate, key string) (string, bool) {
	if t == nil || t.kind != 'o' {
		return "", false
	}
	for _, f := range t.fields {
		if f.key == key && f.value != nil && f.value.kind == 'l' {
			s, ok := f.value.literal.(string)
			return s, ok
		}
	}
	return "", false
}

func isLambdaARN(s string) bool {
	return strings.HasPrefix(s, "arn:") && strings.Contains(s, ":lambda:") && strings.Contains(s, ":function:")
}

// lambdaInvoker finds the invoker of a Lambda function given by ARN
// (optionally qualified), partial ARN or name.
func (r *Runner) lambdaInvoker(fn string) Invoker {
	candidates := []string{fn}
	name := fn
	if i := strings.Index(fn, ":function:"); i >= 0 {
		name = fn[i+len(":function:"):]
		if j := strings.IndexByte(name, ':'); j >= 0 {
			candidates = append(candidates, fn[:i+len(":function:")+j]) // the ARN without its qualifier
		}
	}
	candidates = append(candidates, name)
	if j := strings.IndexByte(name, ':'); j >= 0 {
		candidates = append(candidates, name[:j])
	}
	for _, c := range candidates {
		if inv := r.resources[c]; inv != nil {
			return inv
		}
	}
	return nil
}

// load decodes a stored record.
func (r *Runner) load(rec ExecutionRecord) (*run, error) {
	st := &execState{}
	if err := json.Unmarshal(rec.Data, st); err != nil {
		return nil, fmt.Errorf("asl: execution %s: stored state does not decode: %w", rec.ID, err)
	}
	sm, err := r.machine(st.Definition)
	if err != nil {
		return nil, fmt.Errorf("asl: execution %s: stored definition: %w", rec.ID, err)
	}
	return &run{r: r, rec: rec, st: st, sm: sm}, nil
}

func (r *Runner) machine(def json.RawMessage) (*StateMachine, error) {
	if sm, ok := r.machines.Load(string(def)); ok {
		return sm.(*StateMachine), nil
	}
	sm, err := Parse(def)
	if err != nil {
		return nil, err
	}
	r.machines.Store(string(def), sm)
	return sm, nil
}

func (r *Runner) save(ctx context.Context, x *run) error {
	x.rec.WakeAt = x.wakeAt()
	data, err := json.Marshal(x.st)
	if err != nil {
		return fmt.Errorf("asl: encode execution state: %w", err)
	}
	x.rec.Data = data
	x.rec.Version++
	return r.store.SaveExecution(ctx, x.rec, x.events)
}

func (r *Runner) lockFor(id string) *sync.Mutex {
	r.mu.Lock()
	defer r.mu.Unlock()
	l, ok := r.locks[id]
	if !ok {
		l = &sync.Mutex{}
		r.locks[id] = l
	}
	return l
}

// maxConflicts bounds how often mutate reloads after losing a race.
const maxConflicts = 100

// mutate loads an execution, applies fn, lets the execution advance when
// this runner may drive it, and saves, retrying from a fresh load when
// another writer got there first. fn may run more than once.
func (r *Runner) mutate(ctx context.Context, id string, fn func(x *run) error) (*run, error) {
	lock := r.lockFor(id)
	lock.Lock()
	defer lock.Unlock()
	for attempt := 0; ; attempt++ {
		if attempt == maxConflicts {
			return nil, fmt.Errorf("asl: execution %s: %d version conflicts in a row: %w", id, attempt, ErrVersionConflict)
		}
		rec, err := r.store.LoadExecution(ctx, id)
		if err != nil {
			return nil, err
		}
		x, err := r.load(rec)
		if err != nil {
			return nil, err
		}
		if rec.Status != StatusRunning {
			return x, ErrExecutionNotRunning
		}
		x.now = r.clock.Now()
		if fn != nil {
			if err := fn(x); err != nil {
				return x, err
			}
		}
		owns := x.st.LeaseOwner == "" || x.st.LeaseOwner == r.owner || !x.now.Before(x.st.LeaseUntil)
		if fn == nil && !owns {
			return x, nil // another runner drives it; nothing to record
		}
		if x.rec.Status == StatusRunning && owns {
			x.st.LeaseOwner, x.st.LeaseUntil = r.owner, x.now.Add(r.lease)
			x.advance()
			if x.rec.Status == StatusRunning && len(x.invocations()) == 0 {
				x.st.LeaseOwner, x.st.LeaseUntil = "", time.Time{}
			}
		}
		err = r.save(ctx, x)
		if errors.Is(err, ErrVersionConflict) {
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("asl: save execution %s: %w", id, err)
		}
		return x, nil
	}
}

// drive runs an execution until nothing is in flight. If this runner is
// already driving it, drive only wakes that driver up.
func (r *Runner) drive(ctx context.Context, id string) error {
	r.mu.Lock()
	if nudge, ok := r.drivers[id]; ok {
		select {
		case nudge <- struct{}{}:
		default:
		}
		r.mu.Unlock()
		return nil
	}
	nudge := make(chan struct{}, 1)
	r.drivers[id] = nudge
	r.mu.Unlock()

	type result struct {
		inv    invocation
		output json.RawMessage
		err    error
	}
	inflight := map[int64]context.CancelFunc{}
	results := make(chan result)
	quit := make(chan struct{})
	defer func() {
		for _, cancel := range inflight {
			cancel()
		}
		close(quit)
	}()
	var apply func(x *run) error
	for {
		x, err := r.mutate(ctx, id, apply)
		apply = nil
		if errors.Is(err, ErrExecutionNotRunning) {
			r.detach(id, nudge, true)
			return nil
		}
		if err != nil {
			r.detach(id, nudge, true)
			return err
		}
		wanted := map[int64]bool{}
		if x.st.LeaseOwner == r.owner {
			for _, inv := range x.invocations() {
				wanted[inv.attempt] = true
				if _, running := inflight[inv.attempt]; running {
					continue
				}
				ictx, cancel := context.WithCancel(ctx)
				inflight[inv.attempt] = cancel
				go func(inv invocation) {
					out, err := r.invoke(ictx, id, inv)
					select {
					case results <- result{inv: inv, output: out, err: err}:
					case <-quit:
					}
				}(inv)
			}
		}
		for attempt, cancel := range inflight {
			if !wanted[attempt] {
				cancel()
				delete(inflight, attempt)
			}
		}
		if len(inflight) == 0 {
			if r.detach(id, nudge, false) {
				return nil
			}
			continue
		}
		wait := r.lease / 3
		if w := x.rec.WakeAt; !w.IsZero() {
			if d := w.Sub(r.clock.Now()); d < wait {
				wait = max(d, 0)
			}
		}
		select {
		case res := <-results:
			cancel := inflight[res.inv.attempt]
			delete(inflight, res.inv.attempt)
			if cancel == nil {
				continue // cancelled meanwhile: stale
			}
			cancel()
			if ctx.Err() != nil {
				continue
			}
			apply = func(x *run) error {
				th := x.findAttempt(res.inv.label, res.inv.attempt)
				if th == nil {
					return nil // the task ended meanwhile (timeout, callback, stop)
				}
				x.applyInvocation(th, res.inv, res.output, res.err)
				return nil
			}
		case <-r.clock.After(wait):
		case <-nudge:
		case <-ctx.Done():
			r.detach(id, nudge, true)
			return ctx.Err()
		}
	}
}

// detach unregisters a driver; unless force, it refuses (and the driver
// goes on) when a nudge arrived since the last look.
func (r *Runner) detach(id string, nudge chan struct{}, force bool) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	if !force {
		select {
		case <-nudge:
			return false
		default:
		}
	}
	delete(r.drivers, id)
	return true
}

// applyInvocation records what a task's resource returned.
func (x *run) applyInvocation(th *thread, inv invocation, output json.RawMessage, err error) {
	callback := isCallbackResource(inv.resource)
	if err != nil {
		name := ErrorName(err)
		var se *stateError
		if errors.As(err, &se) {
			x.taskFailed(th, se)
			return
		}
		cause := errorCause(err)
		if isLambdaResource(inv.resource) && !strings.HasPrefix(name, "Lambda.") {
			cause = string(mustEncode(map[string]any{"errorMessage": cause, "errorType": name}))
		}
		x.taskFailed(th, &stateError{Name: truncate(name, maxErrorNameLen), Cause: truncate(cause, maxCauseLength)})
		return
	}
	if callback {
		x.taskSubmitted(th, output)
		return
	}
	x.taskSucceeded(th, output)
}

func truncate(s string, n int) string {
	if len(s) > n {
		return s[:n]
	}
	return s
}

func isLambdaResource(resource string) bool {
	base := strings.TrimSuffix(resource, ".waitForTaskToken")
	return base == ResourceLambdaInvoke || isLambdaARN(base)
}

// invoke runs one task attempt through its Invoker.
func (r *Runner) invoke(ctx context.Context, executionID string, inv invocation) (json.RawMessage, error) {
	base := strings.TrimSuffix(inv.resource, ".waitForTaskToken")
	req := TaskRequest{Resource: base, Input: inv.input, TaskToken: inv.token, ExecutionID: executionID, StateName: inv.state}
	var invoker Invoker
	lambdaInvoke := base == ResourceLambdaInvoke
	switch {
	case lambdaInvoke:
		params, _ := decodeRaw(inv.input).(map[string]any)
		fn, ok := params["FunctionName"].(string)
		if !ok || fn == "" {
			return nil, &stateError{Name: ErrorRuntime, Cause: "lambda:invoke needs a FunctionName string in Parameters"}
		}
		req.Resource = fn
		req.Input = mustEncode(params["Payload"])
		invoker = r.lambdaInvoker(fn)
		if invoker == nil {
			return nil, &TaskError{Name: errorLambdaResourceNotFound, Cause: "Function not found: " + fn}
		}
	case isLambdaARN(base):
		invoker = r.lambdaInvoker(base)
	default:
		invoker = r.resources[base]
	}
	if invoker == nil {
		return nil, &TaskError{Name: ErrorRuntime, Cause: "no invoker bound to resource " + inv.resource}
	}
	out, err := safeInvoke(ctx, invoker, req)
	if err != nil {
		return nil, err
	}
	if len(out) == 0 {
		out = json.RawMessage("null")
	}
	if !json.Valid(out) {
		return nil, &TaskError{Name: ErrorRuntime, Cause: "the task returned invalid JSON"}
	}
	if lambdaInvoke && !isCallbackResource(inv.resource) {
		payload, _ := decodeJSON(out)
		out = mustEncode(map[string]any{
			"ExecutedVersion": "$LATEST",
			"Payload":         payload,
			"SdkHttpMetadata": map[string]any{
				"HttpHeaders":    map[string]any{"Content-Type": "application/json"},
				"HttpStatusCode": numberOf(200),
			},
			"SdkResponseMetadata": map[string]any{"RequestId": r.uuid()},
			"StatusCode":          numberOf(200),
		})
	}
	return out, nil
}

// safeInvoke turns an invoker's panic into a task failure, as a Lambda
// runtime reports a crashed function.
func safeInvoke(ctx context.Context, inv Invoker, req TaskRequest) (out json.RawMessage, err error) {
	defer func() {
		if p := recover(); p != nil {
			out, err = nil, &TaskError{Name: "Runtime.ExitError", Cause: fmt.Sprintf("panic: %v", p)}
		}
	}()
	return inv.Invoke(ctx, req)
}

// callback applies a SendTask* call to the task that owns token.
func (r *Runner) callback(ctx context.Context, token string, fn func(x *run, th *thread)) error {
	id, err := executionOfToken(token)
	if err != nil {
		return err
	}
	_, err = r.mutate(ctx, id, func(x *run) error {
		th := x.findToken(token)
		if th == nil {
			return ErrTaskTimedOut
		}
		fn(x, th)
		return nil
	})
	switch {
	case errors.Is(err, ErrExecutionNotFound):
		return ErrTaskDoesNotExist
	case errors.Is(err, ErrExecutionNotRunning):
		return ErrTaskTimedOut
	case err != nil:
		return err
	}
	return r.drive(ctx, id)
}

// SendTaskSuccess completes the .waitForTaskToken task that owns token with
// output as its result, then runs the execution on until it waits or ends.
// Errors: ErrInvalidToken, ErrTaskDoesNotExist, ErrTaskTimedOut (the task
// already ended: exactly one of several concurrent calls succeeds),
// ErrInvalidOutput.
func (r *Runner) SendTaskSuccess(ctx context.Context, token string, output json.RawMessage) error {
	if len(output) > maxPayloadBytes || !json.Valid(output) {
		return ErrInvalidOutput
	}
	return r.callback(ctx, token, func(x *run, th *thread) {
		x.taskSucceeded(th, output)
	})
}

// SendTaskFailure fails the task that owns token with the error name and
// cause, which the state's Retry and Catch fields then route. Errors as for
// SendTaskSuccess.
func (r *Runner) SendTaskFailure(ctx context.Context, token, errorName, cause string) error {
	if len(errorName) > maxErrorNameLen || len(cause) > maxCauseLength {
		return fmt.Errorf("asl: SendTaskFailure: error is limited to %d characters and cause to %d", maxErrorNameLen, maxCauseLength)
	}
	return r.callback(ctx, token, func(x *run, th *thread) {
		x.taskFailed(th, &stateError{Name: errorName, Cause: cause})
	})
}

// SendTaskHeartbeat restarts the HeartbeatSeconds clock of the task that
// owns token. Errors as for SendTaskSuccess.
func (r *Runner) SendTaskHeartbeat(ctx context.Context, token string) error {
	return r.callback(ctx, token, func(x *run, th *thread) {
		if th.Heartbeat > 0 {
			th.HeartbeatDue = x.now.Add(time.Duration(th.Heartbeat) * time.Second)
		}
	})
}

// StopExecution aborts a running execution; its pending task tokens stop
// being valid. Errors: ErrExecutionNotFound, ErrExecutionNotRunning.
func (r *Runner) StopExecution(ctx context.Context, id, errorName, cause string) error {
	_, err := r.mutate(ctx, id, func(x *run) error {
		x.endExecution(StatusAborted, errorName, cause)
		return nil
	})
	if err != nil {
		return fmt.Errorf("asl: stop %s: %w", id, err)
	}
	r.drive(ctx, id) // wakes a local driver so it cancels in-flight tasks
	return nil
}

// DescribeExecution returns an execution. Error: ErrExecutionNotFound.
func (r *Runner) DescribeExecution(ctx context.Context, id string) (Execution, error) {
	rec, err := r.store.LoadExecution(ctx, id)
	if err != nil {
		return Execution{}, fmt.Errorf("asl: describe %s: %w", id, err)
	}
	x, err := r.load(rec)
	if err != nil {
		return Execution{}, err
	}
	return x.describe(), nil
}

// ListExecutions returns the executions matching filter, oldest first.
func (r *Runner) ListExecutions(ctx context.Context, filter ListFilter) ([]Execution, error) {
	recs, err := r.store.ListExecutions(ctx, filter)
	if err != nil {
		return nil, fmt.Errorf("asl: list executions: %w", err)
	}
	out := make([]Execution, 0, len(recs))
	for _, rec := range recs {
		x, err := r.load(rec)
		if err != nil {
			return nil, err
		}
		out = append(out, x.describe())
	}
	return out, nil
}

// History returns an execution's events in order.
func (r *Runner) History(ctx context.Context, id string) ([]Event, error) {
	events, err := r.store.LoadEvents(ctx, id, 0)
	if err != nil {
		return nil, fmt.Errorf("asl: history of %s: %w", id, err)
	}
	return events, nil
}

// Tick resumes every running execution that has a due timer (Wait states,
// retry delays, task and execution timeouts) or whose driving runner
// stopped saving for longer than the lease (for example after a crash), and
// returns when each has run until it waits or ends. Call it after a
// restart; Run calls it periodically.
func (r *Runner) Tick(ctx context.Context) error {
	return r.tick(ctx, true)
}

// tick drives the due executions concurrently; with wait it returns when
// all of them are done, otherwise at once.
func (r *Runner) tick(ctx context.Context, wait bool) error {
	recs, err := r.store.ListExecutions(ctx, ListFilter{Status: StatusRunning})
	if err != nil {
		return fmt.Errorf("asl: tick: %w", err)
	}
	now := r.clock.Now()
	var wg sync.WaitGroup
	var mu sync.Mutex
	var errs []error
	for _, rec := range recs {
		if rec.WakeAt.IsZero() || rec.WakeAt.After(now) {
			continue
		}
		wg.Add(1)
		go func(id string) {
			defer wg.Done()
			if err := r.drive(ctx, id); err != nil && ctx.Err() == nil {
				if !wait {
					r.log.Warn("asl: resume execution failed", "execution", id, "error", err)
				}
				mu.Lock()
				errs = append(errs, err)
				mu.Unlock()
			}
		}(rec.ID)
	}
	if !wait {
		return nil
	}
	wg.Wait()
	return errors.Join(errs...)
}

// Run resumes due executions every PollInterval until ctx ends, without
// letting one long task hold up the others.
func (r *Runner) Run(ctx context.Context) error {
	for {
		if err := r.tick(ctx, false); err != nil && ctx.Err() == nil {
			r.log.Warn("asl: tick failed", "error", err)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-r.clock.After(r.poll):
		}
	}
}

// AwaitExecution ticks until the execution ends and returns it.
func (r *Runner) AwaitExecution(ctx context.Context, id string) (Execution, error) {
	for {
		ex, err := r.DescribeExecution(ctx, id)
		if err != nil || ex.Status != StatusRunning {
			return ex, err
		}
		if err := r.Tick(ctx); err != nil {
			return ex, err
		}
		select {
		case <-ctx.Done():
			return ex, ctx.Err()
		case <-r.clock.After(r.poll):
		}
	}
}
