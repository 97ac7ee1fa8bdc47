package stack

import (
	"errors"
	"strings"
	"testing"
	"time"
)

// alarmsOn returns the template's alarms on one metric, keyed by the
// value of the dimension named dim (a Ref's logical ID, or a string).
func (d *deployed) alarmsOn(namespace, metric, dim string) map[string]map[string]any {
	out := map[string]map[string]any{}
	for _, a := range d.resources("AWS::CloudWatch::Alarm") {
		p := props(a)
		if p["Namespace"] != namespace || p["MetricName"] != metric {
			continue
		}
		for _, x := range asList(p["Dimensions"]) {
			dm := x.(map[string]any)
			if dm["Name"] != dim {
				continue
			}
			switch v := dm["Value"].(type) {
			case string:
				out[v] = p
			case map[string]any:
				if r, ok := v["Ref"].(string); ok {
					out[r] = p
				}
				if g, ok := v["Fn::GetAtt"].([]any); ok {
					out[g[0].(string)] = p
				}
			}
		}
	}
	return out
}

// functionOf returns the logical ID of the function an ARN refers to.
func functionOf(v any) string {
	if m, ok := v.(map[string]any); ok {
		if g, ok := m["Fn::GetAtt"].([]any); ok && g[1] == "Arn" {
			return g[0].(string)
		}
		if r, ok := m["Ref"].(string); ok {
			return r
		}
	}
	return ""
}

// Every EventBridge target keeps what it cannot deliver in a queue, every
// function invoked asynchronously sends its failed events to a queue, and
// each such queue has an alarm on its depth.
func TestEveryAsynchronousPathHasADeadLetterQueueWithAnAlarm(t *testing.T) {
	s := synth(t)
	for _, d := range []*deployed{s.dev, s.prod} {
		stage := d.stack.Config.Stage
		queues := map[string]bool{}
		async := map[string]bool{}
		for id, r := range d.resources("AWS::Events::Rule") {
			for _, x := range asList(props(r)["Targets"]) {
				target := x.(map[string]any)
				dl, _ := target["DeadLetterConfig"].(map[string]any)
				q := functionOf(dl["Arn"])
				if q == "" {
					t.Errorf("%s rule %s: target %v has no dead-letter queue", stage, id, target["Arn"])
					continue
				}
				queues[q] = true
				if fn := functionOf(target["Arn"]); fn != "" {
					async[fn] = true
				}
			}
		}
		for _, r := range d.resources("AWS::Logs::SubscriptionFilter") {
			async[functionOf(props(r)["DestinationArn"])] = true
		}
		if len(async) < 3 {
			t.Fatalf("%s: found %d asynchronously invoked functions, want drift, agent and capture at least", stage, len(async))
		}
		configured := map[string]bool{}
		for _, r := range d.resources("AWS::Lambda::EventInvokeConfig") {
			p := props(r)
			dest, _ := p["DestinationConfig"].(map[string]any)
			onFailure, _ := dest["OnFailure"].(map[string]any)
			q := functionOf(onFailure["Destination"])
			fn, _ := p["FunctionName"].(map[string]any)["Ref"].(string)
			if q == "" {
				t.Errorf("%s: async invoke config of %s has no on-failure queue", stage, fn)
				continue
			}
			queues[q] = true
			configured[fn] = true
		}
		for fn := range async {
			if !configured[fn] {
				t.Errorf("%s: %s is invoked asynchronously without an on-failure destination", stage, fn)
			}
		}
		depth := d.alarmsOn("AWS/SQS", "ApproximateNumberOfMessagesVisible", "QueueName")
		for q := range queues {
			a, ok := depth[q]
			if !ok {
				t.Errorf("%s: dead-letter queue %s has no alarm on its depth", stage, q)
				continue
			}
			if a["Threshold"] != float64(0) || a["ComparisonOperator"] != "GreaterThanThreshold" {
				t.Errorf("%s: queue %s alarm fires at %v %v, want as soon as one message waits", stage, q, a["ComparisonOperator"], a["Threshold"])
			}
		}
	}
}

// Every function has an alarm on its errors and one on its throttles.
func TestEveryFunctionHasErrorAndThrottleAlarms(t *testing.T) {
	s := synth(t)
	for _, d := range []*deployed{s.dev, s.prod} {
		errs := d.alarmsOn("AWS/Lambda", "Errors", "FunctionName")
		throttles := d.alarmsOn("AWS/Lambda", "Throttles", "FunctionName")
		for _, f := range Functions {
			id := d.logicalID(d.stack.Functions[f.Name])
			if a, ok := errs[id]; !ok || a["Threshold"] == nil {
				t.Errorf("%s: %s has no error alarm", d.stack.Config.Stage, f.Name)
			}
			if _, ok := throttles[id]; !ok {
				t.Errorf("%s: %s has no throttle alarm", d.stack.Config.Stage, f.Name)
			}
		}
	}
}

// The drift check runs on the project's schedule; an alarm fires when a
// check fails and another when none has succeeded for two intervals,
// counting a missing datapoint as no success.
func TestDriftCheckScheduleAndAlarms(t *testing.T) {
	s := synth(t)
	for _, tc := range []struct {
		d        *deployed
		schedule string
		period   float64
		periods  float64
	}{
		{s.dev, "rate(1 day)", 86400, 2},              // steward.yaml: drift.every 24h
		{s.prod, "cron(0 6 ? * MON-FRI *)", 86400, 2}, // driftSchedule in the context wins
	} {
		d := tc.d
		stage := d.stack.Config.Stage
		if d.stack.Config.DriftSchedule != tc.schedule {
			t.Errorf("%s drift schedule %q, want %q", stage, d.stack.Config.DriftSchedule, tc.schedule)
		}
		failed := props(d.resources("AWS::CloudWatch::Alarm")[d.logicalID(d.stack.Alarms[AlarmDriftFailed])])
		if failed["MetricName"] != "Errors" || !jsonEqual(failed["Dimensions"], []any{map[string]any{"Name": "FunctionName", "Value": ref(d.logicalID(d.stack.Functions["drift"]))}}) {
			t.Errorf("%s drift-check-failed alarm %v, want the drift function's errors", stage, failed)
		}
		missing := props(d.resources("AWS::CloudWatch::Alarm")[d.logicalID(d.stack.Alarms[AlarmDriftMissing])])
		if missing["TreatMissingData"] != "breaching" || missing["EvaluationPeriods"] != tc.periods || missing["DatapointsToAlarm"] != tc.periods ||
			missing["ComparisonOperator"] != "LessThanThreshold" || missing["Threshold"] != float64(1) {
			t.Errorf("%s drift-check-missing alarm %v", stage, missing)
		}
		var expr string
		for _, m := range asList(missing["Metrics"]) {
			mm := m.(map[string]any)
			if e, ok := mm["Expression"].(string); ok {
				expr = e
			}
			if st, ok := mm["MetricStat"].(map[string]any); ok && st["Period"] != tc.period {
				t.Errorf("%s drift-check-missing metric period %v, want %v", stage, st["Period"], tc.period)
			}
		}
		if expr != "FILL(invocations, 0) - FILL(errors, 0)" {
			t.Errorf("%s drift-check-missing expression %q", stage, expr)
		}
	}
}

func TestProjectDriftSchedule(t *testing.T) {
	for _, tc := range []struct{ yaml, want, err string }{
		{"drift:\n  every: 24h\n", "rate(1 day)", ""},
		{"drift:\n  every: 1h\n", "rate(1 hour)", ""},
		{"drift:\n  every: 90m\n", "rate(90 minutes)", ""},
		{"drift:\n  every: 7d\n", "rate(7 days)", ""},
		{"drift:\n  every: 36h\n", "rate(36 hours)", ""},
		{"model: {}\n", "rate(1 day)", ""},
		{"drift:\n  every: 1h\n  schedule: cron(0 6 * * ? *)\n", "cron(0 6 * * ? *)", ""},
		{"drift:\n  every: 90s\n", "", "whole number of minutes"},
		{"drift:\n  every: soon\n", "", "drift.every"},
		{"drift:\n  schedule: hourly\n", "", "drift.schedule"},
	} {
		got, err := ProjectDriftSchedule([]byte(tc.yaml))
		if tc.err != "" {
			if err == nil || !strings.Contains(err.Error(), tc.err) || !errors.Is(err, ErrProject) {
				t.Errorf("%q: error %v, want one wrapping ErrProject naming %q", tc.yaml, err, tc.err)
			}
			continue
		}
		if err != nil || got != tc.want {
			t.Errorf("%q: %q, %v; want %q", tc.yaml, got, err, tc.want)
		}
		if ValidateSchedule(got) != nil {
			t.Errorf("%q: %q is not a valid schedule", tc.yaml, got)
		}
	}
}

func TestDriftAlarmWindowCoversTwoIntervals(t *testing.T) {
	for _, tc := range []struct {
		every   time.Duration
		period  time.Duration
		periods int
	}{
		{time.Hour, time.Hour, 2},
		{24 * time.Hour, 24 * time.Hour, 2},
		{5 * time.Minute, 5 * time.Minute, 2},
		{36 * time.Hour, 24 * time.Hour, 3},
		{7 * 24 * time.Hour, 24 * time.Hour, 7}, // capped at CloudWatch's seven days
	} {
		p, n := DriftAlarmWindow(tc.every)
		if p != tc.period || n != tc.periods {
			t.Errorf("every %s: %s × %d, want %s × %d", tc.every, p, n, tc.period, tc.periods)
		}
	}
}
