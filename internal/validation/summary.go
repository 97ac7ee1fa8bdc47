package validation

import (
	"fmt"
	"math"
	"strings"
)

// Line is one expectation's outcome in a form fit for a table row or a log
// line: what was checked, whether it held, and the numbers that say why.
type Line struct {
	Index   int    `json:"index"`
	Type    string `json:"expectation_type"`
	Column  string `json:"column,omitempty"`
	Success bool   `json:"success"`
	// Observed is the aggregate's observed value, rendered.
	Observed string `json:"observed,omitempty"`
	// UnexpectedCount and ElementCount come from map expectations.
	UnexpectedCount *int `json:"unexpected_count,omitempty"`
	ElementCount    *int `json:"element_count,omitempty"`
	// UnexpectedPercent is relative to non-null values (all rows for the
	// null checks), as in the result.
	UnexpectedPercent *float64 `json:"unexpected_percent,omitempty"`
	// Examples lists a few unexpected values, rendered.
	Examples []string `json:"examples,omitempty"`
	// Error is the exception message when the expectation could not run.
	Error string `json:"error,omitempty"`
}

// Lines returns one Line per result, in suite order.
func Lines(r *SuiteResult) []Line {
	out := make([]Line, len(r.Results))
	for i, res := range r.Results {
		l := Line{Index: i, Type: res.Type(), Column: res.Column(), Success: res.Success}
		if res.ExceptionInfo.RaisedException && res.ExceptionInfo.ExceptionMessage != nil {
			l.Error = *res.ExceptionInfo.ExceptionMessage
		}
		if v, ok := res.Observed(); ok {
			l.Observed = render(v, 60)
		}
		if n, ok := res.Result.Int("unexpected_count"); ok {
			l.UnexpectedCount = &n
		}
		if n, ok := res.Result.Int("element_count"); ok {
			l.ElementCount = &n
		}
		if p, ok := res.Result.Float("unexpected_percent"); ok {
			l.UnexpectedPercent = &p
		}
		if list, ok := res.Result.Get("partial_unexpected_list"); ok {
			items, _ := list.([]any)
			for _, it := range items {
				if it == nil || len(l.Examples) == 5 {
					continue
				}
				l.Examples = append(l.Examples, render(it, 20))
			}
		}
		out[i] = l
	}
	return out
}

// Summary is the short account of a run: counts and the failed lines.
type Summary struct {
	Suite          string   `json:"suite"`
	Success        bool     `json:"success"`
	Evaluated      int      `json:"evaluated"`
	Successful     int      `json:"successful"`
	Unsuccessful   int      `json:"unsuccessful"`
	SuccessPercent *float64 `json:"success_percent"`
	Failures       []Line   `json:"failures"`
}

// Summarize returns the summary of r.
func Summarize(r *SuiteResult) Summary {
	name, _ := r.Meta.String("expectation_suite_name")
	s := Summary{
		Suite:          name,
		Success:        r.Success,
		Evaluated:      r.Statistics.EvaluatedExpectations,
		Successful:     r.Statistics.SuccessfulExpectations,
		Unsuccessful:   r.Statistics.UnsuccessfulExpectations,
		SuccessPercent: r.Statistics.SuccessPercent,
		Failures:       []Line{},
	}
	for _, l := range Lines(r) {
		if !l.Success {
			s.Failures = append(s.Failures, l)
		}
	}
	return s
}

// String renders the summary on one line, naming each failed expectation
// with its column and unexpected count.
func (s Summary) String() string {
	if s.Success {
		return fmt.Sprintf("suite %s: all %d expectations passed", s.Suite, s.Evaluated)
	}
	parts := make([]string, 0, len(s.Failures))
	for _, f := range s.Failures {
		parts = append(parts, f.Brief())
	}
	return fmt.Sprintf("suite %s: %d of %d expectations failed: %s", s.Suite, s.Unsuccessful, s.Evaluated, strings.Join(parts, "; "))
}

// Brief renders a line as "column: not_be_null, 23 of 294 unexpected".
func (l Line) Brief() string {
	var b strings.Builder
	if l.Column != "" {
		b.WriteString(l.Column)
		b.WriteString(": ")
	}
	b.WriteString(ShortType(l.Type))
	switch {
	case l.Error != "":
		b.WriteString(", error: " + l.Error)
	case l.UnexpectedCount != nil && l.ElementCount != nil:
		fmt.Fprintf(&b, ", %d of %d unexpected", *l.UnexpectedCount, *l.ElementCount)
	case l.Observed != "":
		b.WriteString(", observed " + l.Observed)
	}
	return b.String()
}

// ShortType drops the "expect_" and "column_" prefixes of a type name.
func ShortType(t string) string {
	t = strings.TrimPrefix(t, "expect_")
	t = strings.TrimPrefix(t, "column_")
	return t
}

// render prints a result value compactly, cut to max runes.
func render(v any, max int) string {
	var s string
	switch x := v.(type) {
	case nil:
		s = "null"
	case float64:
		s = shortNumber(x)
	case []any:
		parts := make([]string, len(x))
		for i, e := range x {
			parts[i] = render(e, max)
		}
		s = "[" + strings.Join(parts, ", ") + "]"
	case Object:
		b, _ := x.MarshalJSON()
		s = string(b)
	default:
		s = fmt.Sprint(x)
	}
	if r := []rune(s); len(r) > max {
		s = string(r[:max-1]) + "…"
	}
	return s
}

func shortNumber(x float64) string {
	if x == math.Trunc(x) && math.Abs(x) < 1e15 {
		return fmt.Sprintf("%.0f", x)
	}
	return fmt.Sprintf("%.4g", x)
}
