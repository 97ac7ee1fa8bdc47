package stack

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"
)

// DefaultDriftEvery is the drift check's interval when steward.yaml sets
// neither drift.every nor drift.schedule (internal/config's default).
const DefaultDriftEvery = 24 * time.Hour

// ProjectDriftSchedule returns the EventBridge schedule of the drift check
// that the project configuration asks for: drift.schedule when set, else
// the rate of drift.every (default DefaultDriftEvery), in EventBridge's
// rate syntax. Errors wrap ErrProject.
func ProjectDriftSchedule(steward []byte) (string, error) {
	var doc struct {
		Drift struct {
			Every    string `yaml:"every"`
			Schedule string `yaml:"schedule"`
		} `yaml:"drift"`
	}
	if err := yaml.Unmarshal(steward, &doc); err != nil {
		return "", fmt.Errorf("%w: steward.yaml is not YAML: %w", ErrProject, err)
	}
	if s := doc.Drift.Schedule; s != "" {
		if err := ValidateSchedule(s); err != nil {
			return "", fmt.Errorf("%w: drift.schedule %q: %w", ErrProject, s, err)
		}
		return s, nil
	}
	every := DefaultDriftEvery
	if doc.Drift.Every != "" {
		d, err := parseEvery(doc.Drift.Every)
		if err != nil {
			return "", fmt.Errorf("%w: drift.every %q: %w", ErrProject, doc.Drift.Every, err)
		}
		every = d
	}
	rate, err := RateOf(every)
	if err != nil {
		return "", fmt.Errorf("%w: drift.every %q: %w", ErrProject, doc.Drift.Every, err)
	}
	return rate, nil
}

// parseEvery reads a duration as steward.yaml writes them: Go's syntax
// plus d (days) and w (weeks).
func parseEvery(s string) (time.Duration, error) {
	for suffix, unit := range map[string]time.Duration{"d": 24 * time.Hour, "w": 7 * 24 * time.Hour} {
		if num, ok := strings.CutSuffix(s, suffix); ok {
			n, err := strconv.ParseFloat(num, 64)
			if err != nil || n <= 0 {
				return 0, fmt.Errorf("want a duration such as 90m, 24h or 7d")
			}
			return time.Duration(n * float64(unit)), nil
		}
	}
	d, err := time.ParseDuration(s)
	if err != nil || d <= 0 {
		return 0, fmt.Errorf("want a duration such as 90m, 24h or 7d")
	}
	return d, nil
}

// RateOf writes an interval as an EventBridge rate expression in the
// largest whole unit: 24h is rate(1 day), 90m rate(90 minutes). An
// interval that is not a whole number of minutes has no rate.
func RateOf(d time.Duration) (string, error) {
	if d < time.Minute || d%time.Minute != 0 {
		return "", fmt.Errorf("%w: %s is not a whole number of minutes (at least one)", ErrSchedule, d)
	}
	n, unit := int64(d/time.Minute), "minute"
	switch {
	case d%(24*time.Hour) == 0:
		n, unit = int64(d/(24*time.Hour)), "day"
	case d%time.Hour == 0:
		n, unit = int64(d/time.Hour), "hour"
	}
	if n != 1 {
		unit += "s"
	}
	return fmt.Sprintf("rate(%d %s)", n, unit), nil
}

// ScheduleInterval is the interval between runs of a rate expression; a
// cron expression counts as daily, the most common cron schedule of a
// drift check.
func ScheduleInterval(expr string) time.Duration {
	m := rateRE.FindStringSubmatch(expr)
	if m == nil {
		return 24 * time.Hour
	}
	n, _ := strconv.Atoi(m[1])
	unit := map[string]time.Duration{"minute": time.Minute, "hour": time.Hour, "day": 24 * time.Hour}[strings.TrimSuffix(m[2], "s")]
	return time.Duration(n) * unit
}
