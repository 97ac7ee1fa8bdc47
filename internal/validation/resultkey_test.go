package validation

import (
	"testing"
	"time"
)

func TestResultKeyKeepsTheSuiteNameOneSegment(t *testing.T) {
	at := time.Date(2026, 12, 1, 9, 30, 0, 123456000, time.UTC)
	for in, want := range map[string]string{"heart": "heart", "a/b c": "a_b_c", "..": "suite", "": "suite", "v1.2": "v1.2"} {
		if got := ResultKey("ab", in, at); got != "validations/ab/"+want+"/20261201T093000.123456Z.json" {
			t.Errorf("ResultKey(%q) = %q, want the suite segment %q", in, got, want)
		}
	}
}
