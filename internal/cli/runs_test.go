package cli

import (
	"encoding/json"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/stewardml/steward/internal/train"
)

func TestRunsListShowAndCompare(t *testing.T) {
	cfg, data := smallProject(t, quickTraining)
	dir := t.TempDir()
	var recs []train.RunRecord
	for _, seed := range []string{"1", "2"} {
		code, out, errs := steward(t, dir, "train", "--config", cfg, "--data", data, "--seed", seed, "--json")
		if code != ExitOK {
			t.Fatalf("train: %d %s", code, errs)
		}
		var rec train.RunRecord
		if err := json.Unmarshal([]byte(out), &rec); err != nil {
			t.Fatal(err)
		}
		recs = append(recs, rec)
	}
	a, b := recs[0], recs[1]

	code, out, errs := steward(t, dir, "runs")
	if code != ExitOK || strings.Count(out, "\n") != 3 || !strings.Contains(out, a.ID) || !strings.Contains(out, "v2 (challenger)") || strings.Index(out, b.ID) > strings.Index(out, a.ID) {
		t.Errorf("runs: exit %d, want both runs newest first\n%s%s", code, out, errs)
	}
	code, out, _ = steward(t, dir, "runs", "show", a.ID)
	if code != ExitOK || !strings.Contains(out, "run "+a.ID+" of heart: succeeded") || !strings.Contains(out, "registered heart:1 as champion") {
		t.Errorf("runs show: exit %d\n%s", code, out)
	}

	code, out, errs = steward(t, dir, "runs", "compare", a.ID, b.ID, "--json")
	var rows []struct {
		Field   string   `json:"field"`
		Values  []string `json:"values"`
		Differs bool     `json:"differs"`
	}
	if err := json.Unmarshal([]byte(out), &rows); err != nil || code != ExitOK {
		t.Fatalf("compare --json: exit %d %v\n%s%s", code, err, out, errs)
	}
	byField := map[string][]string{}
	for _, r := range rows {
		byField[r.Field] = r.Values
		if got := r.Values[0] != r.Values[1]; got != r.Differs {
			t.Errorf("%s: differs = %v for %v", r.Field, r.Differs, r.Values)
		}
	}
	// The figures are the run records' own.
	for _, m := range []string{"cv_f1", "holdout_roc_auc"} {
		want := []string{fmtMetric(a.Metrics[m]), fmtMetric(b.Metrics[m])}
		if got := byField[m]; len(got) != 2 || got[0] != want[0] || got[1] != want[1] {
			t.Errorf("%s = %v, want %v from the run records", m, got, want)
		}
	}
	if got := byField["seed"]; len(got) != 2 || got[0] != "1" || got[1] != "2" {
		t.Errorf("seed row %v", got)
	}
	code, out, _ = steward(t, dir, "runs", "compare", a.ID, b.ID)
	if code != ExitOK || !regexp.MustCompile(`(?m)^≠\s+seed\s`).MatchString(out) || regexp.MustCompile(`(?m)^≠\s+model\s`).MatchString(out) {
		t.Errorf("compare: exit %d, want the seed row marked and the model row not\n%s", code, out)
	}

	for _, tc := range []struct {
		args []string
		code int
		says string
	}{
		{[]string{"runs", "show", "nope"}, ExitFailed, `no run with id "nope"`},
		{[]string{"runs", "compare", a.ID}, ExitUsage, "two or more run ids"},
		{[]string{"runs", "--model", "hart"}, ExitFailed, `no model named "hart"`},
	} {
		if code, _, errs := steward(t, dir, tc.args...); code != tc.code || !strings.Contains(errs, tc.says) {
			t.Errorf("%v: exit %d %q, want %d saying %q", tc.args, code, errs, tc.code, tc.says)
		}
	}
}

func fmtMetric(x float64) string { return strconv.FormatFloat(x, 'f', 4, 64) }
