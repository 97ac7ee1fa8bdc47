package cli

import (
	"fmt"
	"strings"
	"testing"
)

func TestListProblemsCountsWhatItLeavesOut(t *testing.T) {
	var ps []error
	for i := range 25 {
		ps = append(ps, fmt.Errorf("row %d", i+1))
	}
	got := listProblems(ps, "; ")
	if !strings.HasPrefix(got, "row 1; row 2; ") || !strings.HasSuffix(got, "row 20; ... and 5 more") {
		t.Errorf("listProblems(25) = %q", got)
	}
	if got := listProblems(ps[:2], "\n"); got != "row 1\nrow 2" {
		t.Errorf("listProblems(2) = %q", got)
	}
}
