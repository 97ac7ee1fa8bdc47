package stack

import (
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"strings"
)

// ErrSchedule is wrapped by every error ValidateSchedule returns.
var ErrSchedule = errors.New("infra: bad schedule expression")

var rateRE = regexp.MustCompile(`^rate\((\S+) (\S+)\)$`)

// ValidateSchedule checks an EventBridge schedule expression, rate(...) or
// cron(...), with EventBridge's own rules: a positive whole rate whose unit
// is singular for 1 and plural otherwise; six cron fields (minutes, hours,
// day-of-month, month, day-of-week, year) within their ranges, where exactly
// one of day-of-month and day-of-week is "?".
func ValidateSchedule(expr string) error {
	switch {
	case strings.HasPrefix(expr, "rate("):
		return validateRate(expr)
	case strings.HasPrefix(expr, "cron("):
		return validateCron(expr)
	}
	return fmt.Errorf(`%w: want "rate(VALUE UNIT)" or "cron(MIN HOUR DAY-OF-MONTH MONTH DAY-OF-WEEK YEAR)"`, ErrSchedule)
}

func validateRate(expr string) error {
	m := rateRE.FindStringSubmatch(expr)
	if m == nil {
		return fmt.Errorf(`%w: want "rate(VALUE UNIT)", e.g. "rate(1 hour)"`, ErrSchedule)
	}
	n, err := strconv.Atoi(m[1])
	if err != nil || n < 1 {
		return fmt.Errorf("%w: rate value %q is not a positive whole number", ErrSchedule, m[1])
	}
	unit := m[2]
	singular := strings.TrimSuffix(unit, "s")
	switch singular {
	case "minute", "hour", "day":
	default:
		return fmt.Errorf("%w: rate unit %q is not minute(s), hour(s) or day(s)", ErrSchedule, unit)
	}
	if n == 1 && unit != singular {
		return fmt.Errorf("%w: rate value 1 needs the singular unit %q", ErrSchedule, singular)
	}
	if n > 1 && unit == singular {
		return fmt.Errorf("%w: rate value %d needs the plural unit %q", ErrSchedule, n, singular+"s")
	}
	return nil
}

type cronField struct {
	name     string
	lo, hi   int
	names    []string // names[i] stands for lo+i
	question bool     // "?" allowed
}

var (
	months = []string{"JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"}
	days   = []string{"SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"}

	cronFields = []cronField{
		{name: "minutes", lo: 0, hi: 59},
		{name: "hours", lo: 0, hi: 23},
		{name: "day-of-month", lo: 1, hi: 31, question: true},
		{name: "month", lo: 1, hi: 12, names: months},
		{name: "day-of-week", lo: 1, hi: 7, names: days, question: true},
		{name: "year", lo: 1970, hi: 2199},
	}

	domSpecialRE = regexp.MustCompile(`^(L|LW|L-\d+|\d+W)$`)
	dowLastRE    = regexp.MustCompile(`^([A-Za-z]+|\d+)L$`)
	dowNthRE     = regexp.MustCompile(`^([A-Za-z]+|\d+)#(\d+)$`)
)

func validateCron(expr string) error {
	if !strings.HasSuffix(expr, ")") {
		return fmt.Errorf("%w: cron expression does not end with \")\"", ErrSchedule)
	}
	fields := strings.Fields(expr[len("cron(") : len(expr)-1])
	if len(fields) != len(cronFields) {
		return fmt.Errorf("%w: cron has %d fields, want 6 (minutes hours day-of-month month day-of-week year)", ErrSchedule, len(fields))
	}
	for i, f := range cronFields {
		if err := f.check(fields[i]); err != nil {
			return fmt.Errorf("%w: cron %s %q: %s", ErrSchedule, f.name, fields[i], err)
		}
	}
	dom, dow := fields[2], fields[4]
	if (dom == "?") == (dow == "?") {
		return fmt.Errorf("%w: cron needs \"?\" in exactly one of day-of-month (%q) and day-of-week (%q)", ErrSchedule, dom, dow)
	}
	return nil
}

func (f cronField) check(s string) error {
	if s == "?" {
		if !f.question {
			return errors.New(`"?" is allowed only in day-of-month and day-of-week`)
		}
		return nil
	}
	for _, item := range strings.Split(s, ",") {
		if err := f.item(item); err != nil {
			return err
		}
	}
	return nil
}

func (f cronField) item(item string) error {
	switch {
	case item == "":
		return errors.New("empty list item")
	case f.name == "day-of-month" && domSpecialRE.MatchString(item):
		if d, ok := strings.CutSuffix(item, "W"); ok && d != "L" {
			return f.value(d)
		}
		return nil
	case f.name == "day-of-week" && item == "L":
		return nil
	case f.name == "day-of-week" && dowLastRE.MatchString(item):
		return f.value(strings.TrimSuffix(item, "L"))
	case f.name == "day-of-week" && dowNthRE.MatchString(item):
		m := dowNthRE.FindStringSubmatch(item)
		if n, _ := strconv.Atoi(m[2]); n < 1 || n > 5 {
			return fmt.Errorf("week number %s after \"#\" is not 1-5", m[2])
		}
		return f.value(m[1])
	}
	base, step, hasStep := strings.Cut(item, "/")
	if hasStep {
		n, err := strconv.Atoi(step)
		if err != nil || n < 1 {
			return fmt.Errorf("step %q is not a positive whole number", step)
		}
	}
	if base == "*" {
		return nil
	}
	lo, hi, isRange := strings.Cut(base, "-")
	if err := f.value(lo); err != nil {
		return err
	}
	if isRange {
		return f.value(hi)
	}
	return nil
}

func (f cronField) value(s string) error {
	for _, n := range f.names {
		if strings.EqualFold(s, n) {
			return nil
		}
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < f.lo || n > f.hi {
		want := fmt.Sprintf("%d-%d", f.lo, f.hi)
		if f.names != nil {
			want += " or " + f.names[0] + "-" + f.names[len(f.names)-1]
		}
		return fmt.Errorf("value %q is not %s", s, want)
	}
	return nil
}
