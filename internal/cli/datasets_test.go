package cli

import (
	"encoding/json"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
)

func TestDatasetsListShowDiffAndRank(t *testing.T) {
	cfg := "../../steward.yaml"
	cleveland, _ := filepath.Abs("../../testdata/heart/processed.cleveland.data")
	hungarian, _ := filepath.Abs("../../testdata/heart/processed.hungarian.data")
	dir := t.TempDir()
	if code, _, errs := steward(t, dir, "train", "--config", cfg); code != ExitOK {
		t.Fatalf("train: %d %s", code, errs)
	}

	code, out, errs := steward(t, dir, "datasets", "--config", cfg, "--json")
	var list []datasetView
	if err := json.Unmarshal([]byte(out), &list); err != nil || code != ExitOK || len(list) != 1 {
		t.Fatalf("datasets --json: exit %d %v\n%s%s", code, err, out, errs)
	}
	d := list[0]
	if d.Rows != 303 || d.Columns != 14 || len(d.Sources) != 1 || !strings.HasSuffix(d.Sources[0].Name, "processed.cleveland.data") ||
		d.Validation == nil || !d.Validation.Success || len(d.Runs) != 1 || !slices.Equal(d.Versions, []string{"heart:1"}) {
		t.Errorf("dataset %+v", d)
	}
	code, out, _ = steward(t, dir, "datasets", "show", d.Digest[:10], "--config", cfg)
	if code != ExitOK || !strings.Contains(out, "303 rows × 14 columns") || !regexp.MustCompile(`(?m)^cp\s+categorical\s+0\s+asymptomatic 144`).MatchString(out) {
		t.Errorf("datasets show: exit %d\n%s", code, out)
	}

	// diff names the drifted columns steward drift names.
	code, out, errs = steward(t, dir, "datasets", "diff", cleveland, hungarian, "--config", cfg, "--json")
	var diff struct {
		RowsA, RowsB int
		Drift        struct {
			DriftedFeatures []string `json:"drifted_features"`
		}
	}
	if err := json.Unmarshal([]byte(out), &diff); err != nil || code != ExitOK {
		t.Fatalf("diff: exit %d %v\n%s%s", code, err, out, errs)
	}
	code, out, _ = steward(t, dir, "drift", "--config", cfg, "--current", hungarian, "--json", "--no-event")
	var check struct {
		Report struct {
			DriftedFeatures []string `json:"drifted_features"`
		} `json:"report"`
	}
	if err := json.Unmarshal([]byte(out), &check); err != nil {
		t.Fatalf("drift --json: exit %d %v\n%s", code, err, out)
	}
	if diff.RowsA != 303 || diff.RowsB != 294 || len(diff.Drift.DriftedFeatures) == 0 || !slices.Equal(diff.Drift.DriftedFeatures, check.Report.DriftedFeatures) {
		t.Errorf("diff rows %d→%d drifted %v; steward drift says %v", diff.RowsA, diff.RowsB, diff.Drift.DriftedFeatures, check.Report.DriftedFeatures)
	}

	// rank picks Cleveland and says why; train --pick-best uses it.
	code, out, _ = steward(t, dir, "datasets", "rank", "--data", hungarian, "--data", cleveland, "--config", cfg)
	if code != ExitOK || !strings.Contains(out, "best: "+cleveland) || !strings.Contains(out, "fails validation: suite heart: 6 of 40 expectations failed") || !strings.Contains(out, "passes the suite (40 expectations)") {
		t.Errorf("rank: exit %d\n%s", code, out)
	}
	code, _, errs = steward(t, dir, "datasets", "rank", "--data", hungarian, "--data", hungarian, "--config", cfg)
	if code != ExitFailed || !strings.Contains(errs, "no candidate passes") {
		t.Errorf("rank of failing files: exit %d %q", code, errs)
	}
	code, out, errs = steward(t, dir, "train", "--config", cfg, "--data", hungarian, "--data", cleveland, "--pick-best")
	if code != ExitOK || !strings.Contains(errs, "train: picked "+cleveland) {
		t.Errorf("train --pick-best: exit %d\n%s%s", code, out, errs)
	}
	if code, _, errs := steward(t, dir, "train", "--config", cfg, "--data", hungarian, "--data", cleveland); code != ExitUsage || !strings.Contains(errs, "--pick-best") {
		t.Errorf("two files without --pick-best: exit %d %q", code, errs)
	}
	if code, _, errs := steward(t, dir, "datasets", "show", "0000000"); code != ExitFailed || !strings.Contains(errs, "no stored dataset version") {
		t.Errorf("unknown digest: exit %d %q", code, errs)
	}
}
