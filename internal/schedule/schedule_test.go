package schedule

import (
	"errors"
	"testing"
	"time"
)

func at(s string) time.Time {
	t, err := time.Parse("2006-01-02 15:04", s)
	if err != nil {
		panic(err)
	}
	return t
}

func TestNext(t *testing.T) {
	tests := []struct {
		expr, after, want string
	}{
		{"rate(5 minutes)", "2026-11-25 10:02", "2026-11-25 10:07"},
		{"rate(1 hour)", "2026-11-25 10:02", "2026-11-25 11:02"},
		{"rate(2 days)", "2026-11-25 10:00", "2026-11-27 10:00"},
		{"cron(0 12 * * ? *)", "2026-11-25 12:00", "2026-11-26 12:00"},
		{"cron(15 10 ? * 6L 2026)", "2026-11-01 00:00", "2026-11-27 10:15"},  // last Friday of November 2026
		{"cron(0 18 ? * MON-FRI *)", "2026-11-27 18:00", "2026-11-30 18:00"}, // Friday evening → Monday
		{"cron(0/15 * * * ? *)", "2026-11-25 10:46", "2026-11-25 11:00"},
		{"cron(0 8 1 * ? *)", "2026-11-25 00:00", "2026-12-01 08:00"},
		{"cron(0 9 L * ? *)", "2026-02-01 00:00", "2026-02-28 09:00"},
		{"cron(0 9 1W * ? *)", "2026-08-01 00:00", "2026-08-03 09:00"},  // Aug 1 2026 is a Saturday
		{"cron(0 9 ? * 2#1 *)", "2026-11-25 00:00", "2026-12-07 09:00"}, // first Monday of December
		{"cron(30 2 ? * SUN *)", "2026-11-25 00:00", "2026-11-29 02:30"},
		{"cron(0 0 1 JAN ? 2027)", "2026-11-25 00:00", "2027-01-01 00:00"},
	}
	for _, tt := range tests {
		t.Run(tt.expr, func(t *testing.T) {
			s, err := Parse(tt.expr)
			if err != nil {
				t.Fatal(err)
			}
			if got := s.Next(at(tt.after)); !got.Equal(at(tt.want)) {
				t.Errorf("Next(%s) = %s, want %s", tt.after, got.Format("2006-01-02 15:04 Mon"), tt.want)
			}
		})
	}
}

func TestParseErrors(t *testing.T) {
	for _, expr := range []string{
		"", "every 5 minutes", "rate(0 minutes)", "rate(5 minute)", "rate(1 minutes)", "rate(5 weeks)", "rate(five minutes)",
		"cron(0 12 * * *)", "cron(0 12 * * * *)", "cron(0 12 ? * ? *)", "cron(60 12 * * ? *)", "cron(0 24 * * ? *)",
		"cron(0 12 32 * ? *)", "cron(0 12 ? * 8 *)", "cron(0 12 ? FOO * *)", "cron(0 12 5-1 * ? *)", "cron(0 12 ? * MON#6 *)",
	} {
		if _, err := Parse(expr); !errors.Is(err, ErrSyntax) {
			t.Errorf("Parse(%q) = %v, want ErrSyntax", expr, err)
		}
	}
}

func FuzzParse(f *testing.F) {
	for _, s := range []string{"rate(5 minutes)", "cron(0 12 * * ? *)", "cron(15 10 ? * 6L 2026)", "cron(0/15 * 1W * ? *)", "cron(0 9 ? * 2#1 *)"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, expr string) {
		s, err := Parse(expr)
		if err != nil {
			return
		}
		base := at("2026-11-25 10:00")
		n := s.Next(base)
		if !n.IsZero() && !n.After(base) {
			t.Errorf("%q: Next(%s) = %s is not after", expr, base, n)
		}
	})
}
