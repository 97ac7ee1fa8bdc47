package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

var updateValidate = flag.Bool("update-validate", false, "rewrite testdata/validate golden files")

// validateEnv runs from this package's directory, with the project
// configuration at the repository root.
func runValidateCmd(t *testing.T, args ...string) (stdout, stderr string, err error) {
	t.Helper()
	var out, errb bytes.Buffer
	e := &Env{ConfigPath: "../../steward.yaml", Stdout: &out, Stderr: &errb, Getenv: func(string) string { return "" }}
	err = runValidate(context.Background(), e, args)
	return out.String(), errb.String(), err
}

// runValidate runs steward validate with args over e.
func runValidate(ctx context.Context, e *Env, args []string) error {
	if e.Stdin == nil {
		e.Stdin = strings.NewReader("")
	}
	_, _, err := e.execute(ctx, append([]string{"validate"}, args...))
	return err
}

func exitCode(err error) int {
	if err == nil {
		return ExitOK
	}
	var xe *ExitError
	if errors.As(err, &xe) {
		return xe.Code
	}
	return ExitUsage
}

func TestValidateCleveland(t *testing.T) {
	out, _, err := runValidateCmd(t, "--data", "../../testdata/heart/processed.cleveland.data", "--suite", "../../testdata/suites/heart.json")
	if err != nil {
		t.Fatalf("err = %v\n%s", err, out)
	}
	if !strings.Contains(out, "PASSED: 40 of 40 expectations met (100.0%)") {
		t.Errorf("output:\n%s", out)
	}
}

func TestValidateDefaultsFromConfig(t *testing.T) {
	out, _, err := runValidateCmd(t)
	if err != nil || !strings.Contains(out, "processed.cleveland.data") {
		t.Errorf("err = %v, output:\n%s", err, out)
	}
}

func TestValidateHungarianTable(t *testing.T) {
	out, _, err := runValidateCmd(t, "--data", "../../testdata/heart/processed.hungarian.data", "--suite", "../../testdata/suites/heart.json")
	if code := exitCode(err); code != ExitFailed {
		t.Fatalf("exit %d (%v), want %d", code, err, ExitFailed)
	}
	for _, want := range []string{
		"chol: values_to_not_be_null, 23 of 294 unexpected",
		"fbs: values_to_not_be_null, 8 of 294 unexpected",
		"slope: values_to_not_be_null, 190 of 294 unexpected",
		"ca: values_to_not_be_null, 291 of 294 unexpected",
		"thal: values_to_not_be_null, 266 of 294 unexpected",
		"chol: values_to_be_between, 2 of 294 unexpected",
	} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error lacks %q: %v", want, err)
		}
	}
	path := filepath.Join("testdata", "validate", "hungarian.txt")
	if *updateValidate {
		if err := os.WriteFile(path, []byte(out), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if out != string(want) {
		t.Errorf("table differs from %s (-update-validate to rewrite):\n%s", path, out)
	}
}

func TestValidateJSON(t *testing.T) {
	out, _, err := runValidateCmd(t, "--json", "--data", "../../testdata/heart/processed.hungarian.data", "--suite", "../../testdata/suites/heart.json")
	if exitCode(err) != ExitFailed {
		t.Fatalf("err = %v", err)
	}
	var doc struct {
		Success    bool `json:"success"`
		Statistics struct {
			Evaluated int `json:"evaluated_expectations"`
			Failed    int `json:"unsuccessful_expectations"`
		} `json:"statistics"`
		Results []struct {
			Result map[string]any `json:"result"`
		} `json:"results"`
		Meta struct {
			BatchKwargs map[string]any `json:"batch_kwargs"`
		} `json:"meta"`
	}
	if err := json.Unmarshal([]byte(out), &doc); err != nil {
		t.Fatalf("not JSON: %v\n%s", err, out)
	}
	if doc.Success || doc.Statistics.Evaluated != 40 || doc.Statistics.Failed != 6 {
		t.Errorf("doc = %+v", doc.Statistics)
	}
	if doc.Meta.BatchKwargs["dataset_sha256"] != "d1ad108f785768cd3d7e82dc522e6f5a61eea93cccfb3a46ee8076f73fc3d796" {
		t.Errorf("batch_kwargs = %v", doc.Meta.BatchKwargs)
	}
}

func TestValidateErrors(t *testing.T) {
	dir := t.TempDir()
	write := func(name, body string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	badSuite := write("bad.json", `{"expectation_suite_name": "s", "expectations": [{"expectation_type": "expect_column_to_be_awesome", "kwargs": {}}]}`)
	badData := write("bad.data", "63.0,1.0,1.0,145.0,abc,1.0,2.0,150.0,0.0,2.3,3.0,0.0,6.0,0\n")
	headered := write("h.csv", "a,b\n1,2\n")
	simpleSuite := write("s.json", `{"expectation_suite_name": "s", "expectations": [{"expectation_type": "expect_column_values_to_be_between", "kwargs": {"column": "b", "min_value": 0, "max_value": 1}}]}`)
	suite := "../../testdata/suites/heart.json"
	tests := []struct {
		name string
		args []string
		code int
		want string
	}{
		{"missing data file", []string{"--data", filepath.Join(dir, "nope.csv"), "--suite", suite}, ExitUsage, "no such file"},
		{"missing suite", []string{"--data", badData, "--suite", filepath.Join(dir, "nope.json")}, ExitUsage, "suite: open"},
		{"unknown expectation", []string{"--data", "../../testdata/heart/processed.cleveland.data", "--suite", badSuite}, ExitUsage,
			`expectations[0] (expect_column_to_be_awesome): unknown expectation type`},
		{"text in a number column", []string{"--data", badData, "--suite", suite}, ExitUsage, `row 1, column "chol": expected a number, got "abc"`},
		{"bad format", []string{"--format", "ALL"}, ExitUsage, `--format "ALL"`},
		{"stray argument", []string{"data.csv"}, ExitUsage, `takes no arguments, got "data.csv"`},
		{"unknown flag", []string{"--frobnicate"}, ExitUsage, "unknown flag: --frobnicate"},
		{"headered file against the heart schema", []string{"--data", headered, "--suite", simpleSuite}, ExitUsage, "header: does not match the schema"},
		{"header flag reads its own columns", []string{"--header", "--data", headered, "--suite", simpleSuite}, ExitFailed, "b: values_to_be_between, 1 of 1 unexpected"},
		{"explicit missing config", []string{"--config", filepath.Join(dir, "none.yaml"), "--data", headered, "--suite", simpleSuite}, ExitUsage, "none.yaml"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, _, err := runValidateCmd(t, tt.args...)
			if code := exitCode(err); code != tt.code || err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("exit %d, err %v; want exit %d containing %q", code, err, tt.code, tt.want)
			}
		})
	}
}

func TestValidateWithoutProject(t *testing.T) {
	dir := t.TempDir()
	data := filepath.Join(dir, "d.csv")
	suite := filepath.Join(dir, "s.json")
	os.WriteFile(data, []byte("a,b\n1,2\n3,?\n"), 0o644)
	os.WriteFile(suite, []byte(`{"expectation_suite_name": "s", "expectations": [{"expectation_type": "expect_column_values_to_not_be_null", "kwargs": {"column": "b", "mostly": 0.5}}]}`), 0o644)
	var out bytes.Buffer
	e := &Env{ConfigPath: filepath.Join(dir, "steward.yaml"), Stdout: &out, Stderr: &out, Getenv: func(string) string { return "" }}
	if err := runValidate(context.Background(), e, []string{"--data", data, "--suite", suite}); err != nil {
		t.Fatalf("err = %v\n%s", err, out.String())
	}
	// Without --data there is nothing to validate.
	err := runValidate(context.Background(), e, []string{"--suite", suite})
	if exitCode(err) != ExitUsage {
		t.Errorf("no data, no project: err = %v", err)
	}
}

func TestValidateList(t *testing.T) {
	out, _, err := runValidateCmd(t, "--list")
	if err != nil || !strings.Contains(out, "expect_column_values_to_be_unique\n") {
		t.Errorf("err %v, output:\n%s", err, out)
	}
}
