package agent

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"strings"
	"time"

	"github.com/stewardml/steward/internal/bus"
	"github.com/stewardml/steward/internal/drift"
	"github.com/stewardml/steward/internal/monitor"
)

// TriggerKind says what woke the agent.
type TriggerKind string

// The triggers.
const (
	TriggerDrift      TriggerKind = "drift_checked"
	TriggerAlarm      TriggerKind = "alarm"
	TriggerValidation TriggerKind = "validation_failed"
	TriggerManual     TriggerKind = "manual"
	// TriggerSchedule is training.schedule firing.
	TriggerSchedule TriggerKind = "schedule"
)

// AlarmKind classifies an operational alarm by what it measures.
type AlarmKind string

// The alarm kinds, matched on the alarm name's suffix (the stack names
// them "<prefix>-predict-5xx" and so on).
const (
	AlarmErrors        AlarmKind = "error_rate"
	AlarmLatency       AlarmKind = "latency"
	AlarmThrottles     AlarmKind = "throttles"
	AlarmRetrainFailed AlarmKind = "retrain_failed"
	AlarmOther         AlarmKind = "other"
)

var alarmSuffixes = []struct {
	suffix string
	kind   AlarmKind
}{
	{"predict-5xx", AlarmErrors},
	{"predict-latency-p99", AlarmLatency},
	{"predict-throttles", AlarmThrottles},
	{"retrain-failed", AlarmRetrainFailed},
}

// KindOfAlarm classifies an alarm name.
func KindOfAlarm(name string) AlarmKind {
	for _, s := range alarmSuffixes {
		if strings.HasSuffix(name, s.suffix) {
			return s.kind
		}
	}
	return AlarmOther
}

// Alarm is an operational alarm's state change.
type Alarm struct {
	Name     string    `json:"name"`
	Kind     AlarmKind `json:"kind"`
	State    string    `json:"state"` // ALARM, OK or INSUFFICIENT_DATA
	Previous string    `json:"previous,omitempty"`
	Reason   string    `json:"reason,omitempty"`
	At       time.Time `json:"at"`
}

// Validation is a failed validation of incoming data.
type Validation struct {
	Dataset   string `json:"dataset,omitempty"`
	ResultKey string `json:"resultKey,omitempty"`
	Failed    int    `json:"failed,omitempty"`
	Summary   string `json:"summary,omitempty"`
}

// Trigger is one reason to decide.
type Trigger struct {
	Kind TriggerKind `json:"kind"`
	// ID identifies the alert: the same alert delivered twice has the same
	// ID (a drift check's id, an alarm's name and state-change time, an
	// event's id), and its decisions the same action ids.
	ID    string    `json:"id"`
	Model string    `json:"model"`
	Time  time.Time `json:"time"`
	// Check is the DriftChecked summary.
	Check      *monitor.Summary `json:"check,omitempty"`
	Alarm      *Alarm           `json:"alarm,omitempty"`
	Validation *Validation      `json:"validation,omitempty"`
	// RequestedBy names who asked, for a manual trigger.
	RequestedBy string `json:"requestedBy,omitempty"`
	// Schedule is the expression that fired, for a scheduled trigger.
	Schedule string `json:"schedule,omitempty"`
}

// scheduleDetail is the detail of a RetrainScheduled event.
type scheduleDetail struct {
	Model    string `json:"model"`
	Schedule string `json:"schedule"`
}

// ErrEvent reports an event the agent cannot act on; nothing is done.
var ErrEvent = errors.New("agent: invalid event")

// event is an EventBridge event (or a bus.Event, which has the same JSON).
type event struct {
	Version    string          `json:"version"`
	ID         string          `json:"id"`
	DetailType string          `json:"detail-type"`
	Source     string          `json:"source"`
	Account    string          `json:"account"`
	Time       time.Time       `json:"time"`
	Region     string          `json:"region"`
	Resources  []string        `json:"resources"`
	Detail     json.RawMessage `json:"detail"`
}

// alarmDetail is the detail of "CloudWatch Alarm State Change".
type alarmDetail struct {
	AlarmName string `json:"alarmName"`
	State     struct {
		Value     string `json:"value"`
		Reason    string `json:"reason"`
		Timestamp string `json:"timestamp"`
	} `json:"state"`
	PreviousState struct {
		Value string `json:"value"`
	} `json:"previousState"`
}

// validationDetail is the detail of a ValidationFailed event.
type validationDetail struct {
	Model string `json:"model"`
	Validation
}

// ParseEvent reads an EventBridge event (or a saved bus.Event) into a
// Trigger: DriftChecked from source "steward", CloudWatch alarm state
// changes from "aws.cloudwatch", ValidationFailed from "steward". model is
// the deployment's model, the subject of alarms (which name none) and the
// only model the agent acts on. Any other event, or one missing what the
// agent needs, is an error wrapping ErrEvent that says what is wrong.
func ParseEvent(b []byte, model string) (Trigger, error) {
	var ev event
	if len(bytes.TrimSpace(b)) == 0 {
		return Trigger{}, fmt.Errorf("%w: empty event", ErrEvent)
	}
	if err := json.Unmarshal(b, &ev); err != nil {
		return Trigger{}, fmt.Errorf("%w: %s", ErrEvent, jsonProblem(b, err))
	}
	switch {
	case ev.Source == "":
		return Trigger{}, fmt.Errorf("%w: source is missing", ErrEvent)
	case ev.DetailType == "":
		return Trigger{}, fmt.Errorf("%w: detail-type is missing", ErrEvent)
	case len(bytes.TrimSpace(ev.Detail)) == 0 || bytes.Equal(bytes.TrimSpace(ev.Detail), []byte("null")):
		return Trigger{}, fmt.Errorf("%w: %s event has no detail", ErrEvent, ev.DetailType)
	}
	switch {
	case ev.Source == bus.Source && ev.DetailType == bus.DriftChecked:
		return driftTrigger(ev, model)
	case ev.Source == "aws.cloudwatch" && ev.DetailType == bus.AlarmStateChange:
		return alarmTrigger(ev, model)
	case ev.Source == bus.Source && ev.DetailType == bus.ValidationFailed:
		var d validationDetail
		if err := strictDecode(ev.Detail, &d); err != nil {
			return Trigger{}, fmt.Errorf("%w: ValidationFailed detail: %v", ErrEvent, err)
		}
		if err := sameModel(d.Model, model); err != nil {
			return Trigger{}, err
		}
		if ev.ID == "" {
			return Trigger{}, fmt.Errorf("%w: ValidationFailed event has no id", ErrEvent)
		}
		v := d.Validation
		return Trigger{Kind: TriggerValidation, ID: "validation:" + ev.ID, Model: d.Model, Time: ev.Time, Validation: &v}, nil
	case ev.Source == bus.Source && ev.DetailType == bus.RetrainScheduled:
		var d scheduleDetail
		if err := strictDecode(ev.Detail, &d); err != nil {
			return Trigger{}, fmt.Errorf("%w: RetrainScheduled detail: %v", ErrEvent, err)
		}
		if err := sameModel(d.Model, model); err != nil {
			return Trigger{}, err
		}
		if ev.Time.IsZero() {
			return Trigger{}, fmt.Errorf("%w: RetrainScheduled event has no time", ErrEvent)
		}
		// One firing is one time: a redelivery of it has the same id.
		at := ev.Time.UTC().Truncate(time.Minute)
		return Trigger{Kind: TriggerSchedule, ID: "schedule:" + at.Format(time.RFC3339), Model: d.Model, Time: at, Schedule: d.Schedule}, nil
	}
	return Trigger{}, fmt.Errorf("%w: unsupported event %q from %q (the agent takes DriftChecked, ValidationFailed and RetrainScheduled from %q and %q from aws.cloudwatch)",
		ErrEvent, ev.DetailType, ev.Source, bus.Source, bus.AlarmStateChange)
}

func strictDecode(b []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return errors.New(jsonProblem(b, err))
	}
	return nil
}

func sameModel(got, want string) error {
	switch {
	case got == "":
		return fmt.Errorf("%w: detail.model is missing", ErrEvent)
	case want != "" && got != want:
		return fmt.Errorf("%w: model %q, but this agent manages %q", ErrEvent, got, want)
	}
	return nil
}

func driftTrigger(ev event, model string) (Trigger, error) {
	var s monitor.Summary
	if err := json.Unmarshal(ev.Detail, &s); err != nil {
		return Trigger{}, fmt.Errorf("%w: DriftChecked detail: %s", ErrEvent, jsonProblem(ev.Detail, err))
	}
	if err := sameModel(s.Model, model); err != nil {
		return Trigger{}, err
	}
	if err := CheckSummary(s); err != nil {
		return Trigger{}, err
	}
	at := ev.Time
	if at.IsZero() {
		at = s.At
	}
	return Trigger{Kind: TriggerDrift, ID: "check:" + s.CheckID, Model: s.Model, Time: at, Check: &s}, nil
}

// CheckSummary verifies what the agent reads of a drift check summary.
func CheckSummary(s monitor.Summary) error {
	bad := func(format string, args ...any) error {
		return fmt.Errorf("%w: DriftChecked detail: %s", ErrEvent, fmt.Sprintf(format, args...))
	}
	switch {
	case s.CheckID == "":
		return bad("checkId is missing")
	case s.Version < 1:
		return bad("version %d, expected the checked version (>= 1)", s.Version)
	case s.Verdict != drift.VerdictDrift && s.Verdict != drift.VerdictNoDrift && s.Verdict != drift.VerdictInsufficient:
		return bad("verdict %q, expected drift, no_drift or insufficient_data", s.Verdict)
	case math.IsNaN(s.DriftScore) || s.DriftScore < 0 || s.DriftScore > 1:
		return bad("driftScore %g, expected a share in [0, 1]", s.DriftScore)
	case s.Drifted < 0 || s.Tested < 0 || s.Drifted > s.Tested:
		return bad("drifted %d of %d tested features", s.Drifted, s.Tested)
	}
	if p := s.Performance; p != nil {
		for _, m := range p.Metrics {
			if math.IsNaN(m.Value) || m.Value < 0 || m.Value > 1 || m.Lower > m.Upper {
				return bad("performance metric %q: value %g in [%g, %g]", m.Name, m.Value, m.Lower, m.Upper)
			}
		}
	}
	return nil
}

func alarmTrigger(ev event, model string) (Trigger, error) {
	var d alarmDetail
	if err := json.Unmarshal(ev.Detail, &d); err != nil {
		return Trigger{}, fmt.Errorf("%w: alarm detail: %s", ErrEvent, jsonProblem(ev.Detail, err))
	}
	switch d.State.Value {
	case "ALARM", "OK", "INSUFFICIENT_DATA":
	default:
		return Trigger{}, fmt.Errorf("%w: alarm detail: state.value %q, expected ALARM, OK or INSUFFICIENT_DATA", ErrEvent, d.State.Value)
	}
	if d.AlarmName == "" {
		return Trigger{}, fmt.Errorf("%w: alarm detail: alarmName is missing", ErrEvent)
	}
	if model == "" {
		return Trigger{}, fmt.Errorf("%w: alarm %s names no model and the agent has none configured", ErrEvent, d.AlarmName)
	}
	at := ev.Time
	if d.State.Timestamp != "" {
		t, err := parseAlarmTime(d.State.Timestamp)
		if err != nil {
			return Trigger{}, fmt.Errorf("%w: alarm detail: state.timestamp %q: expected an ISO 8601 time", ErrEvent, d.State.Timestamp)
		}
		at = t
	}
	if at.IsZero() {
		return Trigger{}, fmt.Errorf("%w: alarm event has neither time nor state.timestamp", ErrEvent)
	}
	a := &Alarm{Name: d.AlarmName, Kind: KindOfAlarm(d.AlarmName), State: d.State.Value, Previous: d.PreviousState.Value, Reason: d.State.Reason, At: at.UTC()}
	id := fmt.Sprintf("alarm:%s:%s:%s", a.Name, a.State, a.At.Format(time.RFC3339Nano))
	return Trigger{Kind: TriggerAlarm, ID: id, Model: model, Time: a.At, Alarm: a}, nil
}

// parseAlarmTime reads CloudWatch's timestamps ("2026-03-14T09:00:00.000+0000").
func parseAlarmTime(s string) (time.Time, error) {
	for _, layout := range []string{time.RFC3339Nano, "2006-01-02T15:04:05.000-0700", "2006-01-02T15:04:05-0700"} {
		if t, err := time.Parse(layout, s); err == nil {
			return t, nil
		}
	}
	return time.Time{}, errors.New("bad time")
}
