package config

import (
	"errors"
	"strings"
	"testing"
	"time"
)

func TestAlarmsDefaultsAreTheStacks(t *testing.T) {
	p, err := Parse([]byte(minimal), "steward.yaml")
	if err != nil {
		t.Fatal(err)
	}
	got := p.Alarms
	want := Alarms{Every: Duration(time.Minute), ErrorRate: 0.01, LatencyP99: Duration(time.Second), MinRequests: 10, Datapoints: 2, Periods: 3}
	if got != want {
		t.Errorf("alarms %+v, want %+v", got, want)
	}
	p, err = Parse([]byte(minimal+"alarms:\n  every: 30s\n  error_rate: 0.2\n  latency_p99: 250ms\n  datapoints: 1\n"), "steward.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if a := p.Alarms; a.Every.D() != 30*time.Second || a.ErrorRate != 0.2 || a.LatencyP99.D() != 250*time.Millisecond || a.Datapoints != 1 || a.Periods != 1 {
		t.Errorf("alarms %+v", a)
	}
	p, err = Parse([]byte(minimal+"alarms:\n  periods: 5\n"), "steward.yaml")
	if err != nil || p.Alarms.Datapoints != 2 || p.Alarms.Periods != 5 {
		t.Errorf("periods alone: %+v %v", p.Alarms, err)
	}
}

func TestBadAlarmsNameTheField(t *testing.T) {
	for _, c := range []struct{ yaml, want string }{
		{"  error_rate: 1.5\n", "config: steward.yaml:18: alarms.error_rate: expected a share in (0, 1), got 1.5"},
		{"  latency_p99: 10us\n", "config: steward.yaml:18: alarms.latency_p99: expected at least 1ms, got 10µs"},
		{"  every: 100ms\n", "config: steward.yaml:18: alarms.every: expected at least 1s, got 100ms"},
		{"  min_requests: -1\n", "config: steward.yaml:18: alarms.min_requests: expected at least 1, got -1"},
		{"  datapoints: 4\n  periods: 3\n", "config: steward.yaml:18: alarms.datapoints: expected 1 <= datapoints <= periods <= 60, got 4 of 3"},
		{"  threshold: 3\n", "config: steward.yaml:18: alarms.threshold: unknown field"},
	} {
		_, err := Parse([]byte(minimal+"alarms:\n"+c.yaml), "steward.yaml")
		if !errors.Is(err, ErrInvalid) {
			t.Errorf("%q: %v", c.yaml, err)
			continue
		}
		if first := strings.SplitN(err.Error(), "\n", 2)[0]; !strings.HasPrefix(first, c.want) {
			t.Errorf("error\n got %s\nwant %s", first, c.want)
		}
	}
}
