package agent

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"strings"
	"time"
)

// Rule names of the decisions that do not come from a drift band.
const (
	RuleInsufficientData = "insufficient-data"
	RuleNoDrift          = "no-drift"
	RuleRollback         = "rollback"
	RulePerformance      = "performance-decay"
	RuleScale            = "scale-concurrency"
	RuleAlarm            = "alarm"
	RuleAlarmResolved    = "alarm-resolved"
	RuleValidation       = "validation-failed"
	RuleRetryFailed      = "retry-failed"
	RuleSchedule         = "schedule"
)

// Band is one severity band of the policy on the drift score: it applies
// from From (inclusive) up to the next band's From (exclusive); the last
// band also holds a score of exactly 1. A band with no action only logs.
type Band struct {
	// Name is the rule name recorded with every decision it makes
	// (lowercase letters, digits and '-').
	Name string `json:"name" yaml:"name"`
	// From is the band's inclusive lower bound on the drift score.
	From float64 `json:"from" yaml:"from"`
	// Retrain starts the retraining workflow.
	Retrain bool `json:"retrain,omitempty" yaml:"retrain,omitempty"`
	// Approval makes the retrained candidate wait for a human decision
	// before it is promoted.
	Approval bool `json:"approval,omitempty" yaml:"approval,omitempty"`
	// Escalate tells the escalation list at once.
	Escalate bool `json:"escalate,omitempty" yaml:"escalate,omitempty"`
}

// Policy is how the agent decides, kept as data (the project's agent
// section, or a JSON file for `steward agent decide --policy`). Validate
// it before use; DefaultPolicy is valid.
type Policy struct {
	// Bands is the severity tree on the drift score, lowest first.
	Bands []Band `json:"bands"`
	// ScheduledApproval says whether a retraining started by
	// training.schedule asks for approval before a promotion: the
	// project's setting (it has approvers).
	ScheduledApproval bool `json:"scheduledApproval,omitempty"`
	// Cooldown is the least time between the end of one automatic action
	// (a started retraining or a rollback) and the next: within it a
	// decision to act is recorded as suppressed.
	Cooldown Duration `json:"cooldown"`
	// Rollback says when a drop after a promotion moves champion back.
	Rollback RollbackPolicy `json:"rollback"`
	// Performance says what realised-performance decay (outside the
	// rollback window) does.
	Performance PerformancePolicy `json:"performance"`
	// Concurrency bounds the provisioned concurrency the agent may set on
	// sustained throttling (AWS only).
	Concurrency ConcurrencyPolicy `json:"concurrency"`
	// EscalateAfter is the number of failed attempts of one action after
	// which every further failure is escalated.
	EscalateAfter int `json:"escalateAfter"`
	// StaleAfter is how long an action may stay "started" before a new
	// trigger takes it for crashed and tries again.
	StaleAfter Duration `json:"staleAfter"`
	// RetrainTimeout is how long a started retraining without an outcome
	// in the audit log counts as in flight (it may wait for an approval).
	RetrainTimeout Duration `json:"retrainTimeout"`
}

// RollbackPolicy configures rollbacks.
type RollbackPolicy struct {
	// Window is how long after a promotion a drop counts as caused by it.
	Window Duration `json:"window"`
	// Drop is the least fall of a realised metric below the champion's
	// training value (with its whole confidence interval below) that
	// counts as clear.
	Drop float64 `json:"drop"`
	// Approval asks a human (an escalation with the command to run)
	// instead of rolling back at once.
	Approval bool `json:"approval"`
}

// PerformancePolicy configures what performance decay does.
type PerformancePolicy struct {
	Retrain  bool `json:"retrain"`
	Approval bool `json:"approval"`
}

// ConcurrencyPolicy bounds provisioned concurrency.
type ConcurrencyPolicy struct {
	Min  int `json:"min"`
	Max  int `json:"max"`
	Step int `json:"step"`
}

// Duration is a time.Duration written in JSON as Go writes it ("6h").
type Duration time.Duration

// D returns d as a time.Duration.
func (d Duration) D() time.Duration { return time.Duration(d) }

// MarshalJSON writes "6h0m0s".
func (d Duration) MarshalJSON() ([]byte, error) { return json.Marshal(time.Duration(d).String()) }

// UnmarshalJSON reads a Go duration string.
func (d *Duration) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return fmt.Errorf("expected a duration string such as \"6h\", got %s", b)
	}
	v, err := time.ParseDuration(s)
	if err != nil {
		return fmt.Errorf("expected a duration such as \"6h\", got %q", s)
	}
	*d = Duration(v)
	return nil
}

// Default band names: the original design's tree.
const (
	BandLogOnly         = "log-only"
	BandRetrainAuto     = "retrain-auto"
	BandRetrainApproval = "retrain-approval"
	BandEscalate        = "escalate"
)

// DefaultBands is the design's severity tree. Lower bounds are inclusive,
// upper bounds exclusive, and 1 belongs to the last band:
//
//	[0, 0.5)    log-only          log the decision, nothing else
//	[0.5, 0.7)  retrain-auto      retrain; a better candidate is promoted
//	[0.7, 0.9)  retrain-approval  retrain; promotion waits for approval
//	[0.9, 1]    escalate          escalate now, and retrain with approval
func DefaultBands() []Band {
	return []Band{
		{Name: BandLogOnly, From: 0},
		{Name: BandRetrainAuto, From: 0.5, Retrain: true},
		{Name: BandRetrainApproval, From: 0.7, Retrain: true, Approval: true},
		{Name: BandEscalate, From: 0.9, Retrain: true, Approval: true, Escalate: true},
	}
}

// DefaultPolicy is the policy without configuration.
func DefaultPolicy() Policy {
	return Policy{
		Bands:          DefaultBands(),
		Cooldown:       Duration(6 * time.Hour),
		Rollback:       RollbackPolicy{Window: Duration(72 * time.Hour), Drop: 0.05},
		Performance:    PerformancePolicy{Retrain: true, Approval: true},
		Concurrency:    ConcurrencyPolicy{Min: 0, Max: 10, Step: 2},
		EscalateAfter:  2,
		StaleAfter:     Duration(30 * time.Minute),
		RetrainTimeout: Duration(96 * time.Hour),
	}
}

// ErrPolicy reports a policy that cannot be used.
var ErrPolicy = errors.New("agent: invalid policy")

// Validate checks the policy and names every field at fault.
func (p Policy) Validate() error {
	var errs []error
	bad := func(field, format string, args ...any) {
		errs = append(errs, fmt.Errorf("%w: %s: %s", ErrPolicy, field, fmt.Sprintf(format, args...)))
	}
	if len(p.Bands) == 0 {
		bad("bands", "at least one band is required (the first from 0)")
	}
	names := map[string]int{}
	for i, b := range p.Bands {
		at := fmt.Sprintf("bands[%d]", i)
		switch {
		case !validName(b.Name):
			bad(at+".name", "expected lowercase letters, digits and '-', got %q", b.Name)
		case reserved(b.Name):
			bad(at+".name", "%q is the name of a built-in rule", b.Name)
		default:
			if j, dup := names[b.Name]; dup {
				bad(at+".name", "%q is already the name of bands[%d]", b.Name, j)
			}
			names[b.Name] = i
		}
		switch {
		case math.IsNaN(b.From) || b.From < 0 || b.From > 1:
			bad(at+".from", "expected a drift score in [0, 1], got %g", b.From)
		case i == 0 && b.From != 0:
			bad(at+".from", "the first band must start at 0 so that every score has a band, got %g", b.From)
		case i > 0 && !(b.From > p.Bands[i-1].From):
			bad(at+".from", "%g does not follow bands[%d].from %g: bands go from low to high scores", b.From, i-1, p.Bands[i-1].From)
		}
		if b.Approval && !b.Retrain {
			bad(at+".approval", "approval applies to a retraining; set retrain too")
		}
	}
	if p.Cooldown < 0 {
		bad("cooldown", "expected a duration >= 0, got %s", p.Cooldown.D())
	}
	if p.Rollback.Window < 0 {
		bad("rollback.window", "expected a duration >= 0, got %s", p.Rollback.Window.D())
	}
	if d := p.Rollback.Drop; math.IsNaN(d) || d <= 0 || d >= 1 {
		bad("rollback.drop", "expected a fall in (0, 1), got %g", d)
	}
	if p.Performance.Approval && !p.Performance.Retrain {
		bad("performance.approval", "approval applies to a retraining; set retrain too")
	}
	c := p.Concurrency
	if c.Min < 0 || c.Max < c.Min || c.Step < 1 {
		bad("concurrency", "expected 0 <= min <= max and step >= 1, got min %d max %d step %d", c.Min, c.Max, c.Step)
	}
	if p.EscalateAfter < 1 {
		bad("escalateAfter", "expected at least 1, got %d", p.EscalateAfter)
	}
	if p.StaleAfter <= 0 {
		bad("staleAfter", "expected a positive duration, got %s", p.StaleAfter.D())
	}
	if p.RetrainTimeout <= 0 {
		bad("retrainTimeout", "expected a positive duration, got %s", p.RetrainTimeout.D())
	}
	return errors.Join(errs...)
}

func validName(s string) bool {
	if s == "" || len(s) > 63 {
		return false
	}
	for _, r := range s {
		if !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '-') {
			return false
		}
	}
	return true
}

func reserved(name string) bool {
	switch name {
	case RuleInsufficientData, RuleNoDrift, RuleRollback, RulePerformance, RuleScale, RuleAlarm, RuleAlarmResolved, RuleValidation, RuleRetryFailed:
		return true
	}
	return false
}

// Band returns the band a drift score falls in (see DefaultBands for the
// inclusiveness). Scores outside [0, 1] are clamped.
func (p Policy) Band(score float64) Band {
	if len(p.Bands) == 0 {
		return Band{Name: BandLogOnly}
	}
	b := p.Bands[0]
	for _, x := range p.Bands[1:] {
		if score >= x.From {
			b = x
		}
	}
	return b
}

// ParsePolicy reads a policy from JSON. Fields left out keep
// DefaultPolicy's values; unknown fields are errors. The result is
// validated.
func ParsePolicy(b []byte) (Policy, error) {
	p := DefaultPolicy()
	p.Bands = nil
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&p); err != nil {
		return Policy{}, fmt.Errorf("%w: %s", ErrPolicy, jsonProblem(b, err))
	}
	if dec.More() {
		return Policy{}, fmt.Errorf("%w: more than one JSON value", ErrPolicy)
	}
	if p.Bands == nil {
		p.Bands = DefaultBands()
	}
	if err := p.Validate(); err != nil {
		return Policy{}, err
	}
	return p, nil
}

// jsonProblem describes a JSON decoding error with its offset.
func jsonProblem(b []byte, err error) string {
	var se *json.SyntaxError
	var te *json.UnmarshalTypeError
	switch {
	case errors.As(err, &se):
		line, col := position(b, se.Offset)
		return fmt.Sprintf("line %d, column %d: %v", line, col, se)
	case errors.As(err, &te):
		line, col := position(b, te.Offset)
		return fmt.Sprintf("line %d, column %d: field %s: expected %s, got JSON %s", line, col, te.Field, te.Type, te.Value)
	}
	return strings.TrimPrefix(err.Error(), "json: ")
}

func position(b []byte, off int64) (line, col int) {
	line, col = 1, 1
	for i := int64(0); i < off && i < int64(len(b)); i++ {
		if b[i] == '\n' {
			line, col = line+1, 1
		} else {
			col++
		}
	}
	return line, col
}
