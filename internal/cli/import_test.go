package cli

import (
	"encoding/hex"
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestImportThenPredictGivesXGBoostsProbabilities(t *testing.T) {
	cfg, data := heartProject(t)
	dir := t.TempDir()
	model, err := filepath.Abs("../../testdata/interop/xgboost/heart_logistic.json")
	if err != nil {
		t.Fatal(err)
	}
	code, out, errs := steward(t, dir, "import", "--config", cfg, "--from", model, "--reference", data, "--as", "ana", "--reason", "notebook model")
	if code != ExitOK || !strings.Contains(out, "imported xgboost 1.7.4 binary:logistic model (60 trees") || !strings.Contains(out, "as heart version 1, now champion") {
		t.Fatalf("import exit %d\n%s%s", code, out, errs)
	}
	report := filepath.Join(t.TempDir(), "training.html")
	if code, out, errs := steward(t, dir, "report", "training", "heart:1", "--out", report); code != ExitOK {
		t.Errorf("report training of the imported version: exit %d\n%s%s", code, out, errs)
	} else if b, err := os.ReadFile(report); err != nil || !strings.Contains(string(b), "imported") {
		t.Errorf("training report: %v", err)
	}
	code, out, errs = steward(t, dir, "predict", "--model", "heart", "--data", data, "--format", "jsonl")
	if code != ExitOK {
		t.Fatalf("predict exit %d\n%s", code, errs)
	}
	raw, err := os.ReadFile("../../testdata/interop/xgboost/heart_logistic.outputs.json")
	if err != nil {
		t.Fatal(err)
	}
	var want struct{ Predictions [][]string }
	if err := json.Unmarshal(raw, &want); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) != 303 {
		t.Fatalf("%d predictions", len(lines))
	}
	for i, l := range lines {
		var got struct{ Probability float64 }
		if err := json.Unmarshal([]byte(l), &got); err != nil {
			t.Fatal(err)
		}
		b, _ := hex.DecodeString(want.Predictions[i][0])
		w := float64(math.Float32frombits(uint32(b[0])<<24 | uint32(b[1])<<16 | uint32(b[2])<<8 | uint32(b[3])))
		if got.Probability != w {
			t.Fatalf("row %d: %v, XGBoost %v", i+1, got.Probability, w)
		}
	}
}

// heartProject returns the absolute paths of the repository's project
// configuration (with its suite) and of the Cleveland data.
func heartProject(t *testing.T) (cfg, data string) {
	t.Helper()
	cfg, err := filepath.Abs("../../steward.yaml")
	if err != nil {
		t.Fatal(err)
	}
	data, err = filepath.Abs("../../testdata/heart/processed.cleveland.data")
	if err != nil {
		t.Fatal(err)
	}
	return cfg, data
}

func TestImportRefusalsExitOneAndRegisterNothing(t *testing.T) {
	cfg, data := heartProject(t)
	dir := t.TempDir()
	for _, c := range []struct{ file, says string }{
		{"heart_logistic.deprecated", "legacy binary format"},
		{"heart_categorical.ubj", `categorical feature "ca" is numeric in the model`},
		{"wine_softprob.json", "not a binary classifier"},
	} {
		model, _ := filepath.Abs("../../testdata/interop/xgboost/" + c.file)
		code, out, errs := steward(t, dir, "import", "--config", cfg, "--from", model, "--reference", data)
		if code != ExitFailed || strings.Count(strings.TrimSpace(errs), "\n") != 0 || !strings.Contains(errs, c.says) {
			t.Errorf("%s: exit %d, stderr %q, want 1 and one line saying %q\n%s", c.file, code, errs, c.says, out)
		}
	}
	if code, out, _ := steward(t, dir, "models", "list"); code != ExitOK || strings.Contains(out, "heart") {
		t.Errorf("models after refused imports (exit %d):\n%s", code, out)
	}
}

func TestTrainThenExportForXGBoost(t *testing.T) {
	cfg, data := smallProject(t, `training:
  seed: 3
  folds: 2
  repeats: 1
  families:
    - family: gbdt
      params: {n_trees: 30, max_depth: 2}
`)
	dir := t.TempDir()
	if code, out, errs := steward(t, dir, "train", "--config", cfg, "--data", data); code != ExitOK {
		t.Fatalf("train exit %d\n%s%s", code, out, errs)
	}
	file := filepath.Join(t.TempDir(), "model.json")
	code, out, errs := steward(t, dir, "export", "heart:1", "--format", "xgboost-json", "--out", file)
	if code != ExitOK || !strings.Contains(out, "wrote heart:1 (gbdt) as xgboost-json to") {
		t.Fatalf("export exit %d\n%s%s", code, out, errs)
	}
	if b, err := os.ReadFile(file); err != nil || !strings.Contains(string(b), `"binary:logistic"`) {
		t.Errorf("exported file: %v", err)
	}
	if code, _, errs := steward(t, dir, "export", "heart:1", "--format", "onnx", "--out", file); code != ExitFailed || !strings.Contains(errs, "cannot export") {
		t.Errorf("export as onnx: exit %d, %s", code, errs)
	}
}

// importProject writes a copy of the project configuration with absolute
// data and suite paths and the quick training search.
func importProject(t *testing.T) (cfg, data string) {
	t.Helper()
	b, err := os.ReadFile("../../steward.yaml")
	if err != nil {
		t.Fatal(err)
	}
	root, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	s := strings.Replace(string(b), "source: testdata/", "source: "+root+"/testdata/", 1)
	s = strings.Replace(s, "suite: testdata/", "suite: "+root+"/testdata/", 1)
	i, j := strings.Index(s, "\ntraining:"), strings.Index(s, "\nserving:")
	s = s[:i+1] + quickTraining + s[j:]
	cfg = filepath.Join(t.TempDir(), "steward.yaml")
	if err := os.WriteFile(cfg, []byte(s), 0o644); err != nil {
		t.Fatal(err)
	}
	return cfg, filepath.Join(root, "testdata/heart/processed.cleveland.data")
}

func TestRetrainingComparesCandidatesWithAnImportedChampion(t *testing.T) {
	cfg, data := importProject(t)
	dir := t.TempDir()
	raw, err := os.ReadFile(data)
	if err != nil {
		t.Fatal(err)
	}
	// the reference: the first 150 rows
	lines := strings.SplitAfter(string(raw), "\n")
	ref := filepath.Join(t.TempDir(), "reference.data")
	if err := os.WriteFile(ref, []byte(strings.Join(lines[:150], "")), 0o644); err != nil {
		t.Fatal(err)
	}
	model, _ := filepath.Abs("../../testdata/interop/xgboost/heart_logistic.json")
	if code, out, errs := steward(t, dir, "import", "--config", cfg, "--from", model, "--reference", ref); code != ExitOK {
		t.Fatalf("import exit %d\n%s%s", code, out, errs)
	}
	code, out, errs := steward(t, dir, "--config", cfg, "retrain", "--model", "heart", "--reason", "compare with the imported model")
	if code != ExitOK {
		t.Fatalf("retrain exit %d\n%s%s", code, out, errs)
	}
	for _, want := range []string{"vs champion heart:1", "left out: the champion trained on them", "status: SUCCEEDED"} {
		if !strings.Contains(out, want) {
			t.Errorf("retrain output lacks %q:\n%s", want, out)
		}
	}
	// the imported model is better on the rows it did not see: it stays champion
	if !strings.Contains(out, "not better") {
		t.Errorf("a weaker candidate was not refused:\n%s", out)
	}
}
