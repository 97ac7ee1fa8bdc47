package web_test

import (
	"net/url"
	"strconv"
	"strings"
	"testing"
)

func TestRunsPageComparesWithTheRunRecordsFigures(t *testing.T) {
	s := newSite(t, true)
	c, _ := s.signIn(t, operator, password)
	a, b := s.runs[0], s.runs[1]
	_, body := get(t, c, s.srv.URL+"/runs")
	for _, r := range []string{a.ID, b.ID} {
		if !strings.Contains(body, `value="`+r+`"`) {
			t.Errorf("the list lacks run %s", r)
		}
	}
	q := url.Values{"compare": {a.ID, b.ID}}
	resp, body := get(t, c, s.srv.URL+"/runs?"+q.Encode())
	if resp.StatusCode != 200 {
		t.Fatalf("compare: %d", resp.StatusCode)
	}
	for _, m := range []string{"cv_f1", "holdout_roc_auc"} {
		for _, rec := range []struct{ v float64 }{{a.Metrics[m]}, {b.Metrics[m]}} {
			want := strconv.FormatFloat(rec.v, 'f', 4, 64)
			if !strings.Contains(body, ">"+want+"<") {
				t.Errorf("%s %s is not on the page", m, want)
			}
		}
	}
	if !strings.Contains(body, `class="differs"`) {
		t.Error("no row is marked as differing")
	}
	resp, _ = get(t, c, s.srv.URL+"/runs?compare=nope&compare="+a.ID)
	if resp.StatusCode != 404 {
		t.Errorf("an unknown run to compare: %d, want 404", resp.StatusCode)
	}
}
