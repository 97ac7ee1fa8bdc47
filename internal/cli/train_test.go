package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/stewardml/steward/internal/train"
)

// smallProject writes a copy of the project configuration whose training
// section is a quick search (3 folds, one repeat, three candidates), and
// returns its path and the absolute path of the bundled Cleveland data.
func smallProject(t *testing.T, training string) (cfg, data string) {
	t.Helper()
	b, err := os.ReadFile("../../steward.yaml")
	if err != nil {
		t.Fatal(err)
	}
	s := string(b)
	i := strings.Index(s, "\ntraining:")
	j := strings.Index(s, "\nserving:")
	if i < 0 || j < i {
		t.Fatal("steward.yaml has no training section before serving")
	}
	s = s[:i+1] + training + s[j:]
	dir := t.TempDir()
	cfg = filepath.Join(dir, "steward.yaml")
	if err := os.WriteFile(cfg, []byte(s), 0o644); err != nil {
		t.Fatal(err)
	}
	data, err = filepath.Abs("../../testdata/heart/processed.cleveland.data")
	if err != nil {
		t.Fatal(err)
	}
	// The project's suite, where the configuration names it.
	suite, err := os.ReadFile("../../testdata/suites/heart.json")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Join(dir, "testdata", "suites"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "testdata", "suites", "heart.json"), suite, 0o644); err != nil {
		t.Fatal(err)
	}
	return cfg, data
}

const quickTraining = `training:
  seed: 3
  folds: 3
  repeats: 1
  metric: f1
  families:
    - family: logreg
      params: {C: [0.1, 1.0]}
    - family: gbdt
      params: {n_trees: 40, max_depth: 2}
`

// steward runs the CLI's Main with a data directory and returns the exit
// code and both streams.
func steward(t *testing.T, dataDir string, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errb bytes.Buffer
	code = Main(context.Background(), append([]string{"--data-dir", dataDir}, args...), strings.NewReader(""), &out, &errb, func(string) string { return "" })
	return code, out.String(), errb.String()
}

func TestTrainThenPredict(t *testing.T) {
	cfg, data := smallProject(t, quickTraining)
	dir := t.TempDir()

	code, out, errs := steward(t, dir, "train", "--config", cfg, "--data", data, "--model", "heart")
	if code != ExitOK {
		t.Fatalf("train exit %d\n%s%s", code, out, errs)
	}
	for _, want := range []string{"logreg-1", "logreg-2", "gbdt-1", "f1 (cv)", "roc_auc (cv)", "3 candidates, 3 folds × 1 repeats, selected by f1", "hold-out (61 rows)", "registered heart:1 as champion", "bundle sha256:"} {
		if !strings.Contains(out, want) {
			t.Errorf("train output lacks %q:\n%s", want, out)
		}
	}
	// Folds run on several goroutines, so the overall counter varies.
	for _, want := range []string{
		`(?m)^train: \[\s*\d/9\] logreg 1/2 logreg-1\s+3 folds  f1 0\.\d{4} \(mean\)$`,
		`(?m)^train: \[\s*\d/9\] gbdt   1/1 gbdt-1\s+3 folds  f1 0\.\d{4} \(mean\)$`,
		`(?m)^train: selected logreg-\d \(f1 0\.\d{4}\); refitting on the training rows$`,
	} {
		if !regexp.MustCompile(want).MatchString(errs) {
			t.Errorf("progress lacks %s:\n%s", want, errs)
		}
	}

	code, out, errs = steward(t, dir, "train", "--config", cfg, "--data", data, "--json")
	if code != ExitOK {
		t.Fatalf("second train exit %d: %s", code, errs)
	}
	var rec train.RunRecord
	if err := json.Unmarshal([]byte(out), &rec); err != nil {
		t.Fatalf("--json output: %v\n%s", err, out)
	}
	if rec.Version != 0 || rec.SameAs != 1 || len(rec.Candidates) != 3 {
		t.Errorf("identical second run: version %d same as %d candidates %d; want nothing registered, same as 1", rec.Version, rec.SameAs, len(rec.Candidates))
	}
	code, out, errs = steward(t, dir, "train", "--config", cfg, "--data", data)
	if code != ExitOK || !strings.Contains(out, "registered nothing: the bundle is identical to heart:1 (train with --force to register it again)") {
		t.Errorf("identical third run: exit %d\n%s%s", code, out, errs)
	}
	code, out, errs = steward(t, dir, "train", "--config", cfg, "--data", data, "--force")
	if code != ExitOK || !strings.Contains(out, "registered heart:2 as challenger") {
		t.Errorf("forced run: exit %d\n%s%s", code, out, errs)
	}
	first := rec.BundleDigest
	if !strings.Contains(firstDigestLine(t, dir, cfg, data), first) {
		t.Error("the same seed gave a different bundle digest")
	}

	// Score the training file (with its target column): one line per row,
	// metrics on stderr.
	code, out, errs = steward(t, dir, "predict", "--model", "heart", "--data", data)
	if code != ExitOK {
		t.Fatalf("predict exit %d: %s", code, errs)
	}
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) != 304 || lines[0] != "row,probability,label" || !strings.HasPrefix(lines[303], "303,") {
		t.Errorf("predict wrote %d lines, first %q, last %q", len(lines), lines[0], lines[len(lines)-1])
	}
	if !strings.Contains(errs, "scored 303 rows with heart:1") || !strings.Contains(errs, `the file carries the target "num > 0"; on its 303 rows: accuracy`) {
		t.Errorf("predict stderr:\n%s", errs)
	}

	// A headered file of features only, missing values included, to JSON
	// lines in a file.
	in := filepath.Join(t.TempDir(), "in.csv")
	os.WriteFile(in, []byte("age,sex,cp,trestbps,chol,fbs,restecg,thalach,exang,oldpeak,slope,ca,thal\n63,1,1,145,233,1,2,150,0,2.3,3,0,6\n67,1,4,160,286,0,2,108,1,1.5,2,?,?\n"), 0o644)
	outFile := filepath.Join(t.TempDir(), "out.jsonl")
	code, _, errs = steward(t, dir, "predict", "--model", "heart@challenger", "--data", in, "--format", "jsonl", "--out", outFile)
	if code != ExitOK {
		t.Fatalf("predict jsonl exit %d: %s", code, errs)
	}
	b, _ := os.ReadFile(outFile)
	jl := strings.Split(strings.TrimSpace(string(b)), "\n")
	if len(jl) != 2 || !strings.HasPrefix(jl[0], `{"row":1,"probability":`) || !strings.HasPrefix(jl[1], `{"row":2,`) {
		t.Errorf("jsonl output:\n%s", b)
	}
	if strings.Contains(errs, "carries the target") {
		t.Error("metrics printed for a file without the target")
	}

	// Bad input.
	bad := filepath.Join(t.TempDir(), "bad.csv")
	os.WriteFile(bad, []byte("age,sex,cp,trestbps,chol,fbs,restecg,thalach,exang,oldpeak,slope,ca,thal\n63,1,1,145,233,1,2,150,0,2.3,3,0,6\n67,1,4,160,286,0,2,108,1,1.5,2,3,9\n"), 0o644)
	// Every row outside the schema is listed; --skip-invalid scores the
	// others and keeps their row numbers.
	twoBad := filepath.Join(t.TempDir(), "two-bad.csv")
	os.WriteFile(twoBad, []byte("age,sex,cp,trestbps,chol,fbs,restecg,thalach,exang,oldpeak,slope,ca,thal\n67,1,4,160,286,0,2,108,1,1.5,2,3,9\n63,1,1,145,233,1,2,150,0,2.3,3,0,6\n63,1,5,145,233,1,2,150,0,2.3,3,0,6\n"), 0o644)
	code, _, errs = steward(t, dir, "predict", "--model", "heart", "--data", twoBad)
	if code != ExitUsage || !strings.Contains(errs, "rows outside the model's schema: 2 of 3") ||
		!strings.Contains(errs, `row 1, field "thal": expected one of 3, 6, 7, or missing, got 9`) || !strings.Contains(errs, `row 3, field "cp"`) {
		t.Errorf("two bad rows: exit %d, stderr:\n%s", code, errs)
	}
	code, out, errs = steward(t, dir, "predict", "--model", "heart", "--data", twoBad, "--skip-invalid")
	if lines := strings.Split(strings.TrimSpace(out), "\n"); code != ExitOK || len(lines) != 2 || !strings.HasPrefix(lines[1], "2,") {
		t.Errorf("--skip-invalid: exit %d, output:\n%s", code, out)
	}
	if !strings.Contains(errs, "skipped rows outside the schema of heart:1: 2 of 3") || !strings.Contains(errs, `row 3, field "cp"`) || !strings.Contains(errs, "scored 1 rows") {
		t.Errorf("--skip-invalid stderr:\n%s", errs)
	}
	short := filepath.Join(t.TempDir(), "short.csv")
	os.WriteFile(short, []byte("63,1,1,145\n"), 0o644)
	for _, tc := range []struct {
		name string
		args []string
		code int
		says string
	}{
		{"value outside the schema", []string{"predict", "--model", "heart", "--data", bad}, ExitUsage, `row 2, field "thal": expected one of 3, 6, 7, or missing, got 9`},
		{"wrong column count", []string{"predict", "--model", "heart", "--data", short}, ExitUsage, "line 1 has 4 fields, expected 13"},
		{"unknown alias", []string{"predict", "--model", "heart@nope", "--data", data}, ExitFailed, "alias nope is unset"},
		{"unknown version", []string{"predict", "--model", "heart:9", "--data", data}, ExitFailed, "not found"},
		{"bad reference", []string{"predict", "--model", "Heart!", "--data", data}, ExitUsage, "--model"},
		{"no data", []string{"predict", "--model", "heart"}, ExitUsage, "--model and --data are required"},
		{"bad format", []string{"predict", "--model", "heart", "--data", data, "--format", "xml"}, ExitUsage, `--format "xml"`},
		{"other model", []string{"train", "--config", cfg, "--model", "diabetes"}, ExitFailed, `no model named "diabetes" in ` + cfg + ` (it describes "heart")`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, _, errs := steward(t, dir, tc.args...)
			if code != tc.code || !strings.Contains(errs, tc.says) {
				t.Errorf("exit %d, stderr %q; want exit %d saying %q", code, errs, tc.code, tc.says)
			}
		})
	}
}

// firstDigestLine retrains with the same seed into a fresh data directory
// and returns the bundle line of its output.
func firstDigestLine(t *testing.T, _, cfg, data string) string {
	t.Helper()
	code, out, errs := steward(t, t.TempDir(), "train", "--config", cfg, "--data", data)
	if code != ExitOK {
		t.Fatalf("train exit %d: %s", code, errs)
	}
	for _, l := range strings.Split(out, "\n") {
		if strings.HasPrefix(l, "bundle ") {
			return l
		}
	}
	t.Fatalf("no bundle line in\n%s", out)
	return ""
}

func TestTrainBadInput(t *testing.T) {
	dir := t.TempDir()
	_, data := smallProject(t, quickTraining)
	raw, _ := os.ReadFile(data)
	var healthy []string
	for _, l := range strings.Split(strings.TrimSpace(string(raw)), "\n") {
		if strings.HasSuffix(l, ",0") {
			healthy = append(healthy, l)
		}
	}
	write := func(name, body string) string {
		p := filepath.Join(t.TempDir(), name)
		os.WriteFile(p, []byte(body), 0o644)
		return p
	}
	unknownFamily, _ := smallProject(t, "training:\n  families:\n    - family: xgboost\n")
	tests := []struct {
		name string
		args []string
		code int
		says string
	}{
		{"target with one class", []string{"--data", write("healthy.data", strings.Join(healthy, "\n")+"\n")}, ExitFailed, `target "num > 0" has a single class: all 164 rows are class 0`},
		{"fewer rows than folds", []string{"--skip-validation", "--reason", "a tiny sample", "--data", write("few.data", strings.Join(strings.Split(string(raw), "\n")[:5], "\n")+"\n")}, ExitFailed, "fewer than the 3 folds"},
		{"a sample that fails validation", []string{"--data", write("few.data", strings.Join(strings.Split(string(raw), "\n")[:5], "\n")+"\n")}, ExitFailed, "fails validation, nothing trained or registered: suite heart: 2 of 40 expectations failed: table_row_count_to_be_between"},
		{"skip without a reason", []string{"--skip-validation", "--data", data}, ExitUsage, "--skip-validation needs --reason TEXT"},
		{"infinite value", []string{"--data", write("inf.data", strings.Replace(string(raw), "233.0", "inf", 1))}, ExitUsage, `row 1, column "chol": expected a finite number, got "inf"`},
		{"text in a number", []string{"--data", write("nan.data", strings.Replace(string(raw), "233.0", "NaN", 1))}, ExitUsage, `column "chol": expected a finite number, got "NaN"`},
		{"unknown family", []string{"--config", unknownFamily, "--data", data}, ExitUsage, `training.families[0].family "xgboost" is unknown`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			cfg, _ := smallProject(t, quickTraining)
			args := append([]string{"train", "--config", cfg}, tc.args...)
			code, _, errs := steward(t, dir, args...)
			if code != tc.code || !strings.Contains(errs, tc.says) {
				t.Errorf("exit %d, stderr %q; want exit %d saying %q", code, errs, tc.code, tc.says)
			}
		})
	}
}

func TestTrainValidationGate(t *testing.T) {
	cfg := "../../steward.yaml" // the project's own search: Hungarian's gaps need its imputation
	hungarian, err := filepath.Abs("../../testdata/heart/processed.hungarian.data")
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	code, out, errs := steward(t, dir, "train", "--config", cfg, "--data", hungarian)
	if code != ExitFailed || !strings.Contains(errs, "fails validation, nothing trained or registered: suite heart: 6 of 40 expectations failed") {
		t.Fatalf("train on data that fails the suite: exit %d\n%s%s", code, out, errs)
	}
	for _, col := range []string{"ca", "thal", "slope"} { // named as validate names them
		if !strings.Contains(out, col) {
			t.Errorf("the refusal does not name %s:\n%s", col, out)
		}
	}
	if code, out, _ := steward(t, dir, "models", "--json"); code != ExitOK || strings.TrimSpace(out) != "[]" {
		t.Errorf("a refused training registered something: %s", out)
	}
	code, out, errs = steward(t, dir, "train", "--config", cfg, "--data", hungarian, "--skip-validation", "--reason", "x")
	if code != ExitOK || !strings.Contains(out, "registered heart:1 as champion") {
		t.Fatalf("train --skip-validation: exit %d\n%s%s", code, out, errs)
	}
	code, out, _ = steward(t, dir, "audit", "--model", "heart")
	if code != ExitOK || !strings.Contains(out, "train.validation_failed") || !strings.Contains(out, "train.validation_skipped") || !strings.Contains(out, "x (validation: suite heart: 6 of 40") {
		t.Errorf("the audit log does not show the refusal and the skip:\n%s", out)
	}
	code, out, _ = steward(t, dir, "report", "training", "heart:1", "--config", cfg)
	if code != ExitOK || !strings.Contains(out, "v-fail") || !strings.Contains(out, "34 of 40 expectations met") {
		t.Errorf("the training report does not show the failed validation: exit %d", code)
	}
}

func TestTrainVerboseProgressNamesEveryFold(t *testing.T) {
	cfg, data := smallProject(t, quickTraining)
	code, _, errs := steward(t, t.TempDir(), "train", "--config", cfg, "--data", data, "-v")
	if code != ExitOK {
		t.Fatalf("exit %d: %s", code, errs)
	}
	for _, c := range []string{"logreg-1", "logreg-2", "gbdt-1"} {
		for f := 1; f <= 3; f++ {
			want := regexp.MustCompile(`(?m)^train: \[\s*\d/9\] \w+\s+\d/\d ` + c + `\s+fold\s+` + strconv.Itoa(f) + `/3  f1 0\.\d{4}$`)
			if !want.MatchString(errs) {
				t.Errorf("no progress line for %s fold %d:\n%s", c, f, errs)
			}
		}
	}
}

// TestTrainBundledDataTwiceSameDigest is the acceptance run: `steward
// train` on the bundled data with the project's configuration (every
// family, the default search), twice with the same seed, gives the same
// bundle digest. (Its wall time is measured by BenchmarkRunProjectSearch in
// package train, not asserted here.)
func TestTrainBundledDataTwiceSameDigest(t *testing.T) {
	if testing.Short() {
		t.Skip("trains the full default search twice")
	}
	var digests []string
	for i := 0; i < 2; i++ {
		code, out, errs := steward(t, t.TempDir(), "--config", "../../steward.yaml", "train", "--model", "heart", "--seed", "11")
		if code != ExitOK {
			t.Fatalf("run %d: exit %d: %s", i+1, code, errs)
		}
		if !strings.Contains(out, "12 candidates, 5 folds × 3 repeats") {
			t.Errorf("run %d did not search every family:\n%s", i+1, out)
		}
		for _, l := range strings.Split(out, "\n") {
			if strings.HasPrefix(l, "bundle sha256:") {
				digests = append(digests, l)
			}
		}
	}
	if len(digests) != 2 || digests[0] != digests[1] {
		t.Errorf("digests %v, want two equal", digests)
	}
}
