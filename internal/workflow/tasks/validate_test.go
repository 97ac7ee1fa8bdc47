package tasks

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-lambda-go/lambda/messages"

	"github.com/stewardml/steward/internal/config"
	"github.com/stewardml/steward/internal/dataset"
	"github.com/stewardml/steward/internal/lambdaerr"
	"github.com/stewardml/steward/internal/local/files"
	"github.com/stewardml/steward/internal/store"
	"github.com/stewardml/steward/internal/validation"
)

const (
	validateEvents = "../../../testdata/events/validate"
	cleveland      = "a74b7efa387bc9d108d7d0115d831fe9b414b29ae7124f331b622b4efa0427c8"
	hungarian      = "d1ad108f785768cd3d7e82dc522e6f5a61eea93cccfb3a46ee8076f73fc3d796"
)

type validateHarness struct {
	h     *Validate
	store *files.Store
}

// newValidateHarness stores both heart files, the heart suite, a headered copy of
// the Hungarian data and a broken file in a directory-backed artifact store.
func newValidateHarness(t *testing.T) *validateHarness {
	t.Helper()
	ctx := context.Background()
	st, err := files.New(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	proj, err := config.Load("../../../steward.yaml")
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"processed.cleveland.data", "processed.hungarian.data"} {
		raw, err := os.ReadFile(filepath.Join("../../../testdata/heart", name))
		if err != nil {
			t.Fatal(err)
		}
		if _, err := dataset.Store(ctx, st, raw); err != nil {
			t.Fatal(err)
		}
		if name == "processed.hungarian.data" {
			headered := strings.Join(proj.Schema().Names(), ",") + "\n" + string(raw)
			if _, err := st.Put(ctx, "uploads/hungarian.csv", []byte(headered), "text/csv"); err != nil {
				t.Fatal(err)
			}
		}
	}
	if _, err := st.Put(ctx, "uploads/broken.csv", []byte("63.0,1.0,1.0,145.0,233.0,1.0,2.0,150.0,0.0,2.3,3.0,0.0,6.0,0\n67.0,1.0,4.0,160.0,2B6.0,0.0,2.0,108.0,1.0,1.5,2.0,3.0,3.0,2\n"), "text/csv"); err != nil {
		t.Fatal(err)
	}
	suiteRaw, err := os.ReadFile(proj.SuitePath())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := st.Put(ctx, "suites/heart.json", suiteRaw, "application/json"); err != nil {
		t.Fatal(err)
	}
	suite, err := validation.ParseSuite(suiteRaw)
	if err != nil {
		t.Fatal(err)
	}
	return &validateHarness{store: st, h: &Validate{
		Artifacts:    st,
		Bucket:       "steward-test-artifacts",
		Schema:       proj.Schema(),
		Suite:        suite,
		ResultFormat: proj.Validation.ResultFormat,
		Now:          func() time.Time { return time.Date(2026, 11, 25, 13, 42, 41, 0, time.UTC) },
	}}
}

// invoke sends an event file through the real Lambda JSON path.
func (hs *validateHarness) invoke(t *testing.T, name string) ([]byte, error) {
	t.Helper()
	payload, err := os.ReadFile(filepath.Join(validateEvents, name))
	if err != nil {
		t.Fatal(err)
	}
	return lambda.NewHandler(hs.h).Invoke(context.Background(), payload)
}

func decode(t *testing.T, b []byte) ValidateOutput {
	t.Helper()
	var out ValidateOutput
	if err := json.Unmarshal(b, &out); err != nil {
		t.Fatalf("output is not JSON: %v\n%s", err, b)
	}
	return out
}

func TestClevelandPassesWithTheProjectSuite(t *testing.T) {
	hs := newValidateHarness(t)
	b, err := hs.invoke(t, "cleveland.json")
	if err != nil {
		t.Fatal(err)
	}
	out := decode(t, b)
	if !out.Success || out.Rows != 303 || out.Dataset.Digest != cleveland || out.Summary.Evaluated != 40 || len(out.Summary.Failures) != 0 {
		t.Errorf("output = %+v", out.Summary)
	}
	if name, _ := out.Result.Meta.Get("run_id"); name == nil {
		t.Error("result has no run_id")
	}
	runID, _ := out.Result.Meta.Get("run_id")
	if rn, _ := runID.(validation.Object).String("run_name"); rn != "retrain-2026-11-25" {
		t.Errorf("run_name = %q", rn)
	}
	// The full result is stored, byte for byte what was returned.
	stored, _, err := hs.store.Get(context.Background(), out.ResultKey)
	if err != nil {
		t.Fatal(err)
	}
	want := "validations/" + cleveland + "/heart/20261125T134241.000000Z.json"
	if out.ResultKey != want {
		t.Errorf("result key = %s, want %s", out.ResultKey, want)
	}
	back, err := validation.ParseResult(stored)
	if err != nil || !back.Success || len(back.Results) != 40 {
		t.Errorf("stored result: %v", err)
	}
}

func TestHungarianFailsAsDataValidationFailed(t *testing.T) {
	hs := newValidateHarness(t)
	_, err := hs.invoke(t, "hungarian.json")
	if got := lambdaerr.Name(err); got != lambdaerr.DataValidationFailed {
		t.Fatalf("error %v named %q, want DataValidationFailed", err, got)
	}
	var named messages.InvokeResponse_Error
	errors.As(err, &named)
	for _, want := range []string{
		"suite heart: 6 of 40 expectations failed",
		"chol: values_to_not_be_null, 23 of 294 unexpected",
		"ca: values_to_not_be_null, 291 of 294 unexpected",
		"full result: validations/" + hungarian + "/heart/",
	} {
		if !strings.Contains(named.Message, want) {
			t.Errorf("message lacks %q:\n%s", want, named.Message)
		}
	}
	// The result is stored even though the invocation failed.
	objs, err := hs.store.List(context.Background(), "validations/"+hungarian+"/")
	if err != nil || len(objs) != 1 {
		t.Errorf("stored results: %v, %v", objs, err)
	}
}

func TestFailedResultReturnedOnRequest(t *testing.T) {
	hs := newValidateHarness(t)
	b, err := hs.invoke(t, "hungarian-report.json")
	if err != nil {
		t.Fatal(err)
	}
	out := decode(t, b)
	if out.Success || out.Summary.Unsuccessful != 6 || out.Rows != 294 {
		t.Errorf("summary = %+v", out.Summary)
	}
	// BASIC results carry no partial_unexpected_counts.
	if _, has := out.Result.Results[7].Result.Get("partial_unexpected_counts"); has {
		t.Error("BASIC result has partial_unexpected_counts")
	}
	if n, _ := out.Result.Results[7].UnexpectedCount(); n != 23 {
		t.Errorf("chol not null unexpected = %d, want 23", n)
	}
}

func TestInlineSuiteOnHeaderedUpload(t *testing.T) {
	hs := newValidateHarness(t)
	b, err := hs.invoke(t, "inline-suite.json")
	if err != nil {
		t.Fatal(err)
	}
	out := decode(t, b)
	if !out.Success || out.Summary.Suite != "hungarian-basics" || out.Dataset.Key != "uploads/hungarian.csv" || out.Dataset.Digest == hungarian {
		t.Errorf("output: success %v suite %q dataset %+v", out.Success, out.Summary.Suite, out.Dataset)
	}
}

func TestEventErrorsAreNamed(t *testing.T) {
	hs := newValidateHarness(t)
	tests := []struct {
		file, name, says string
	}{
		{"malformed.json", lambdaerr.InvalidInput, "decode event"},
		{"unknown-field.json", lambdaerr.InvalidInput, `unknown field "suiteName"`},
		{"no-dataset.json", lambdaerr.InvalidInput, "dataset.key or dataset.digest is required"},
		{"not-stored.json", lambdaerr.InvalidInput, "is not stored"},
		{"wrong-bucket.json", lambdaerr.InvalidInput, `dataset.bucket "someone-elses-bucket" is not this deployment's bucket`},
		{"key-digest-mismatch.json", lambdaerr.InvalidInput, "does not match dataset.digest"},
		{"both-suites.json", lambdaerr.InvalidInput, "give suite or suiteKey, not both"},
		{"bad-suite.json", lambdaerr.InvalidInput, `expectations[0] (expect_column_values_to_be_valid_ssn): unknown expectation type`},
		{"bad-format.json", lambdaerr.InvalidInput, `resultFormat "EVERYTHING"`},
		{"unreadable-data.json", lambdaerr.DataValidationFailed, `row 2, column "chol": expected a number, got "2B6.0"`},
	}
	for _, tc := range tests {
		t.Run(tc.file, func(t *testing.T) {
			_, err := hs.invoke(t, tc.file)
			if err == nil {
				t.Fatal("no error")
			}
			if got := lambdaerr.Name(err); got != tc.name {
				t.Errorf("error name %q, want %q (%v)", got, tc.name, err)
			}
			var named messages.InvokeResponse_Error
			if !errors.As(err, &named) || !strings.Contains(named.Message, tc.says) {
				t.Errorf("message %q, want it to say %q", named.Message, tc.says)
			}
		})
	}
}

func TestNoDefaultSuite(t *testing.T) {
	hs := newValidateHarness(t)
	hs.h.Suite = nil
	_, err := hs.invoke(t, "cleveland.json")
	if lambdaerr.Name(err) != lambdaerr.InvalidInput || !strings.Contains(err.Error(), "suite or suiteKey is required") {
		t.Errorf("err = %v", err)
	}
}

// failingStore is an artifact store whose reads fail: the error is not the
// caller's fault and must come out as InternalError, to be retried.
type failingStore struct{ store.ArtifactStore }

func (failingStore) Get(ctx context.Context, key string) ([]byte, store.ObjectInfo, error) {
	return nil, store.ObjectInfo{}, errors.New("disk on fire")
}

func TestStoreFailureIsInternal(t *testing.T) {
	hs := newValidateHarness(t)
	hs.h.Artifacts = failingStore{hs.store}
	_, err := hs.invoke(t, "cleveland.json")
	if lambdaerr.Name(err) != lambdaerr.Internal {
		t.Errorf("err %v named %q, want InternalError", err, lambdaerr.Name(err))
	}
}
