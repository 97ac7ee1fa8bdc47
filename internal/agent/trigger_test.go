package agent

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stewardml/steward/internal/drift"
)

const events = "../../testdata/events/agent"

func readEvent(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(events, name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestParseEvent(t *testing.T) {
	good := []struct {
		file  string
		check func(t *testing.T, tr Trigger)
	}{
		{"drift-checked.json", func(t *testing.T, tr Trigger) {
			if tr.Kind != TriggerDrift || tr.Check == nil || tr.Check.Verdict != drift.VerdictDrift || tr.Check.DriftScore != 0.6 ||
				tr.ID != "check:"+tr.Check.CheckID || tr.Model != "heart" || tr.Check.Performance == nil {
				t.Errorf("%+v", tr)
			}
		}},
		{"drift-insufficient.json", func(t *testing.T, tr Trigger) {
			if tr.Check.Verdict != drift.VerdictInsufficient || tr.Check.Rows != 8 {
				t.Errorf("%+v", tr.Check)
			}
		}},
		{"alarm-5xx.json", func(t *testing.T, tr Trigger) {
			a := tr.Alarm
			if tr.Kind != TriggerAlarm || a.Kind != AlarmErrors || a.State != "ALARM" || a.Previous != "OK" ||
				!a.At.Equal(time.Date(2026, 3, 14, 9, 0, 0, 0, time.UTC)) || tr.Model != "heart" || !strings.Contains(tr.ID, "steward-prod-predict-5xx") {
				t.Errorf("%+v %+v", tr, a)
			}
		}},
		{"alarm-5xx-ok.json", func(t *testing.T, tr Trigger) {
			if tr.Alarm.State != "OK" {
				t.Errorf("%+v", tr.Alarm)
			}
		}},
		{"alarm-throttles.json", func(t *testing.T, tr Trigger) {
			if tr.Alarm.Kind != AlarmThrottles {
				t.Errorf("%+v", tr.Alarm)
			}
		}},
		{"validation-failed.json", func(t *testing.T, tr Trigger) {
			if tr.Kind != TriggerValidation || tr.Validation.Failed != 3 {
				t.Errorf("%+v", tr)
			}
		}},
	}
	for _, c := range good {
		t.Run(c.file, func(t *testing.T) {
			tr, err := ParseEvent(readEvent(t, c.file), "heart")
			if err != nil {
				t.Fatal(err)
			}
			c.check(t, tr)
		})
	}

	bad := []struct{ file, want string }{
		{"malformed.json", "unexpected end of JSON input"},
		{"unknown-source.json", `unsupported event "Object Created" from "aws.s3"`},
		{"scheduled.json", `unsupported event "Scheduled Event"`},
		{"drift-bad-score.json", "driftScore 1.5"},
		{"drift-other-model.json", `model "lungs", but this agent manages "heart"`},
		{"drift-no-check-id.json", "checkId is missing"},
		{"drift-no-detail.json", "has no detail"},
		{"alarm-bad-state.json", `state.value "ON FIRE"`},
	}
	for _, c := range bad {
		t.Run(c.file, func(t *testing.T) {
			_, err := ParseEvent(readEvent(t, c.file), "heart")
			if !errors.Is(err, ErrEvent) || !strings.Contains(err.Error(), c.want) {
				t.Errorf("%v, want ErrEvent with %q", err, c.want)
			}
		})
	}
	for _, in := range []string{"", "  ", "null", "[]", `{"source": "steward"}`, `{"source":"steward","detail-type":"DriftChecked","detail":{"model":"heart"}}`} {
		if _, err := ParseEvent([]byte(in), "heart"); !errors.Is(err, ErrEvent) {
			t.Errorf("%q: %v", in, err)
		}
	}
	// An alarm names no model: without a configured one it is refused.
	if _, err := ParseEvent(readEvent(t, "alarm-5xx.json"), ""); !errors.Is(err, ErrEvent) {
		t.Errorf("alarm without a model: %v", err)
	}
}

// FuzzParseEvent: any bytes give a trigger that passes the agent's own
// checks, or an ErrEvent — never a panic.
func FuzzParseEvent(f *testing.F) {
	entries, err := os.ReadDir(events)
	if err != nil {
		f.Fatal(err)
	}
	for _, e := range entries {
		f.Add(readEvent(f, e.Name()))
	}
	a := &Agent{Model: "heart"}
	f.Fuzz(func(t *testing.T, b []byte) {
		tr, err := ParseEvent(b, "heart")
		if err != nil {
			if !errors.Is(err, ErrEvent) {
				t.Fatalf("error does not wrap ErrEvent: %v", err)
			}
			return
		}
		if err := a.checkTrigger(tr); err != nil {
			t.Fatalf("parsed trigger fails the agent's checks: %v", err)
		}
	})
}

// FuzzParsePolicy: any bytes give a valid policy or an ErrPolicy.
func FuzzParsePolicy(f *testing.F) {
	for _, s := range []string{`{}`, `{"cooldown": "2h"}`, `{"bands": [{"name": "a", "from": 0}, {"name": "b", "from": 0.5, "retrain": true, "approval": true}]}`,
		`{"rollback": {"window": "24h", "drop": 0.1, "approval": true}, "concurrency": {"min": 1, "max": 5, "step": 1}}`, `{"bands": []}`, `[`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		p, err := ParsePolicy(b)
		if err != nil {
			if !errors.Is(err, ErrPolicy) {
				t.Fatalf("error does not wrap ErrPolicy: %v", err)
			}
			return
		}
		if err := p.Validate(); err != nil {
			t.Fatalf("parsed policy is invalid: %v", err)
		}
		_ = p.Band(0.5)
	})
}
