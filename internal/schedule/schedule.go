// Package schedule parses EventBridge schedule expressions (rate(...) and
// cron(...)) and computes their fire times. It is the shared vocabulary of
// the project settings, which check a schedule when they load, and of the
// local scheduler, which fires jobs on time inside `steward serve`; on AWS
// EventBridge reads the same expression.
package schedule

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// ErrSyntax reports a malformed schedule expression.
var ErrSyntax = errors.New("schedule: invalid schedule expression")

// Schedule computes fire times.
type Schedule interface {
	// Next returns the first fire time strictly after t (UTC), or the zero
	// time if there is none within five years.
	Next(t time.Time) time.Time
	String() string
}

// Parse parses an EventBridge schedule expression: "rate(5 minutes)" or
// "cron(Minutes Hours Day-of-month Month Day-of-week Year)".
func Parse(expr string) (Schedule, error) {
	s := strings.TrimSpace(expr)
	switch {
	case strings.HasPrefix(s, "rate(") && strings.HasSuffix(s, ")"):
		return parseRate(s, s[5:len(s)-1])
	case strings.HasPrefix(s, "cron(") && strings.HasSuffix(s, ")"):
		return parseCron(s, s[5:len(s)-1])
	}
	return nil, fmt.Errorf("%w: %q: expected rate(VALUE UNIT) or cron(6 fields)", ErrSyntax, expr)
}

type rate struct {
	expr  string
	every time.Duration
}

func parseRate(expr, body string) (Schedule, error) {
	parts := strings.Fields(body)
	if len(parts) != 2 {
		return nil, fmt.Errorf("%w: %q: expected rate(VALUE UNIT)", ErrSyntax, expr)
	}
	n, err := strconv.Atoi(parts[0])
	if err != nil || n <= 0 || n > 1_000_000 {
		return nil, fmt.Errorf("%w: %q: value must be a positive integer", ErrSyntax, expr)
	}
	units := map[string]time.Duration{"minute": time.Minute, "hour": time.Hour, "day": 24 * time.Hour}
	unit := parts[1]
	singular := strings.TrimSuffix(unit, "s")
	d, ok := units[singular]
	if !ok {
		return nil, fmt.Errorf("%w: %q: unit must be minute(s), hour(s) or day(s)", ErrSyntax, expr)
	}
	if (n == 1) != (unit == singular) {
		return nil, fmt.Errorf("%w: %q: use the singular unit for 1 and the plural otherwise", ErrSyntax, expr)
	}
	return rate{expr: expr, every: time.Duration(n) * d}, nil
}

func (r rate) Next(t time.Time) time.Time { return t.UTC().Truncate(time.Minute).Add(r.every) }
func (r rate) String() string             { return r.expr }

type field struct {
	any  bool
	set  map[int]bool
	last bool // L (day of month)
	// day-of-month W and day-of-week L / # forms
	nearestWeekday int          // nW
	lastWeekday    time.Weekday // nL in day-of-week
	hasLastWeekday bool
	nth            int // d#n: nth weekday
	nthDay         time.Weekday
}

type cron struct {
	expr               string
	min, hour, mon, yr field
	dom, dow           field
	domQuery, dowQuery bool
}

var monthNames = map[string]int{"JAN": 1, "FEB": 2, "MAR": 3, "APR": 4, "MAY": 5, "JUN": 6, "JUL": 7, "AUG": 8, "SEP": 9, "OCT": 10, "NOV": 11, "DEC": 12}
var dayNames = map[string]int{"SUN": 1, "MON": 2, "TUE": 3, "WED": 4, "THU": 5, "FRI": 6, "SAT": 7}

func parseCron(expr, body string) (Schedule, error) {
	f := strings.Fields(body)
	if len(f) != 6 {
		return nil, fmt.Errorf("%w: %q: cron needs 6 fields (minutes hours day-of-month month day-of-week year), got %d", ErrSyntax, expr, len(f))
	}
	c := &cron{expr: expr}
	var err error
	bad := func(name string, e error) error { return fmt.Errorf("%w: %q: %s: %v", ErrSyntax, expr, name, e) }
	if c.min, err = parseField(f[0], 0, 59, nil); err != nil {
		return nil, bad("minutes", err)
	}
	if c.hour, err = parseField(f[1], 0, 23, nil); err != nil {
		return nil, bad("hours", err)
	}
	if c.mon, err = parseField(f[3], 1, 12, monthNames); err != nil {
		return nil, bad("month", err)
	}
	if c.yr, err = parseField(f[5], 1970, 2199, nil); err != nil {
		return nil, bad("year", err)
	}
	c.domQuery, c.dowQuery = f[2] == "?", f[4] == "?"
	if c.domQuery == c.dowQuery {
		return nil, fmt.Errorf("%w: %q: exactly one of day-of-month and day-of-week must be ?", ErrSyntax, expr)
	}
	if !c.domQuery {
		if c.dom, err = parseDOM(f[2]); err != nil {
			return nil, bad("day-of-month", err)
		}
	}
	if !c.dowQuery {
		if c.dow, err = parseDOW(f[4]); err != nil {
			return nil, bad("day-of-week", err)
		}
	}
	return c, nil
}

func parseDOM(s string) (field, error) {
	switch {
	case s == "L":
		return field{last: true}, nil
	case strings.HasSuffix(s, "W"):
		n, err := strconv.Atoi(strings.TrimSuffix(s, "W"))
		if err != nil || n < 1 || n > 31 {
			return field{}, fmt.Errorf("%q: expected 1W..31W", s)
		}
		return field{nearestWeekday: n}, nil
	}
	return parseField(s, 1, 31, nil)
}

func parseDOW(s string) (field, error) {
	day := func(v string) (int, error) {
		if n, ok := dayNames[strings.ToUpper(v)]; ok {
			return n, nil
		}
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 7 {
			return 0, fmt.Errorf("%q: expected 1-7 or SUN-SAT", v)
		}
		return n, nil
	}
	switch {
	case s == "L":
		return field{hasLastWeekday: true, lastWeekday: time.Saturday}, nil
	case strings.HasSuffix(s, "L"):
		d, err := day(strings.TrimSuffix(s, "L"))
		if err != nil {
			return field{}, err
		}
		return field{hasLastWeekday: true, lastWeekday: time.Weekday(d - 1)}, nil
	case strings.Contains(s, "#"):
		p := strings.SplitN(s, "#", 2)
		d, err := day(p[0])
		if err != nil {
			return field{}, err
		}
		n, err := strconv.Atoi(p[1])
		if err != nil || n < 1 || n > 5 {
			return field{}, fmt.Errorf("%q: expected DAY#1..DAY#5", s)
		}
		return field{nth: n, nthDay: time.Weekday(d - 1)}, nil
	}
	return parseField(s, 1, 7, dayNames)
}

func parseField(s string, lo, hi int, names map[string]int) (field, error) {
	if s == "*" {
		return field{any: true}, nil
	}
	val := func(v string) (int, error) {
		if names != nil {
			if n, ok := names[strings.ToUpper(v)]; ok {
				return n, nil
			}
		}
		n, err := strconv.Atoi(v)
		if err != nil || n < lo || n > hi {
			return 0, fmt.Errorf("%q: expected %d-%d", v, lo, hi)
		}
		return n, nil
	}
	f := field{set: map[int]bool{}}
	for _, part := range strings.Split(s, ",") {
		step := 1
		if i := strings.IndexByte(part, '/'); i >= 0 {
			n, err := strconv.Atoi(part[i+1:])
			if err != nil || n < 1 || n > hi {
				return field{}, fmt.Errorf("%q: bad step", part)
			}
			step, part = n, part[:i]
		}
		a, b := lo, hi
		switch {
		case part == "*":
		case strings.Contains(part, "-"):
			p := strings.SplitN(part, "-", 2)
			var err error
			if a, err = val(p[0]); err != nil {
				return field{}, err
			}
			if b, err = val(p[1]); err != nil {
				return field{}, err
			}
			if a > b {
				return field{}, fmt.Errorf("%q: range start after end", part)
			}
		default:
			v, err := val(part)
			if err != nil {
				return field{}, err
			}
			a = v
			if step == 1 {
				b = v
			}
		}
		for v := a; v <= b; v += step {
			f.set[v] = true
		}
	}
	return f, nil
}

func (f field) has(v int) bool { return f.any || f.set[v] }

func (c *cron) String() string { return c.expr }

func (c *cron) dayMatches(d time.Time) bool {
	if !c.yr.has(d.Year()) || !c.mon.has(int(d.Month())) {
		return false
	}
	lastDay := time.Date(d.Year(), d.Month()+1, 0, 0, 0, 0, 0, time.UTC).Day()
	if !c.domQuery {
		switch {
		case c.dom.last:
			return d.Day() == lastDay
		case c.dom.nearestWeekday > 0:
			return d.Day() == nearestWeekday(d.Year(), d.Month(), c.dom.nearestWeekday, lastDay)
		}
		return c.dom.has(d.Day())
	}
	switch {
	case c.dow.hasLastWeekday:
		return d.Weekday() == c.dow.lastWeekday && d.Day()+7 > lastDay
	case c.dow.nth > 0:
		return d.Weekday() == c.dow.nthDay && (d.Day()-1)/7+1 == c.dow.nth
	}
	return c.dow.has(int(d.Weekday()) + 1)
}

func nearestWeekday(y int, m time.Month, day, lastDay int) int {
	if day > lastDay {
		return -1
	}
	switch time.Date(y, m, day, 0, 0, 0, 0, time.UTC).Weekday() {
	case time.Saturday:
		if day == 1 {
			return 3
		}
		return day - 1
	case time.Sunday:
		if day == lastDay {
			return day - 2
		}
		return day + 1
	}
	return day
}

// Next returns the first minute after t that matches.
func (c *cron) Next(t time.Time) time.Time {
	t = t.UTC().Truncate(time.Minute).Add(time.Minute)
	day := time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, time.UTC)
	for i := 0; i < 5*366; i++ {
		if c.dayMatches(day) {
			for h := 0; h < 24; h++ {
				if !c.hour.has(h) {
					continue
				}
				for m := 0; m < 60; m++ {
					if !c.min.has(m) {
						continue
					}
					cand := day.Add(time.Duration(h)*time.Hour + time.Duration(m)*time.Minute)
					if !cand.Before(t) {
						return cand
					}
				}
			}
		}
		day = day.AddDate(0, 0, 1)
	}
	return time.Time{}
}
