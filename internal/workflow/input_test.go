package workflow_test

import (
	"bytes"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/stewardml/steward/internal/asl"
	"github.com/stewardml/steward/internal/workflow"
)

func TestExecutionName(t *testing.T) {
	at := time.Date(2026, 3, 14, 9, 0, 0, 0, time.FixedZone("CET", 3600))
	got, err := workflow.ExecutionName("heart", at, bytes.NewReader([]byte{0x3f, 0xa2, 0xc1}))
	if err != nil || got != "heart-20260314T080000Z-3fa2c1" {
		t.Errorf("got %q, %v", got, err)
	}
	long := strings.Repeat("m", 63)
	got, err = workflow.ExecutionName(long, at, bytes.NewReader([]byte{1, 2, 3}))
	if err != nil || len(got) != 80 || !strings.HasSuffix(got, "-20260314T080000Z-010203") {
		t.Errorf("a 63-character model gives %q (%d characters), %v", got, len(got), err)
	}
	if _, err := workflow.ExecutionName("heart", at, bytes.NewReader(nil)); err == nil {
		t.Error("no error without entropy")
	}
}

func TestRetrainInputValidate(t *testing.T) {
	ok := workflow.RetrainInput{Model: "heart", Dataset: workflow.DatasetRef{Digest: strings.Repeat("ab", 32)}, Trigger: "agent", RequestedBy: "agent"}
	if err := ok.Validate(); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name   string
		change func(*workflow.RetrainInput)
		want   string
	}{
		{"no model", func(in *workflow.RetrainInput) { in.Model = "" }, "model is required"},
		{"no dataset", func(in *workflow.RetrainInput) { in.Dataset = workflow.DatasetRef{} }, "dataset needs a digest or a key"},
		{"bad digest", func(in *workflow.RetrainInput) { in.Dataset.Digest = "abc" }, `dataset.digest "abc"`},
		{"unknown trigger", func(in *workflow.RetrainInput) { in.Trigger = "cron" }, `trigger "cron"`},
		{"nobody asks", func(in *workflow.RetrainInput) { in.RequestedBy = " " }, "requestedBy is required"},
		{"negative timeout", func(in *workflow.RetrainInput) { in.ApprovalTimeoutSeconds = -1 }, "approvalTimeoutSeconds -1"},
		{"timeout over a year", func(in *workflow.RetrainInput) { in.ApprovalTimeoutSeconds = 400 * 24 * 3600 }, "approvalTimeoutSeconds 34560000"},
		{"long reason", func(in *workflow.RetrainInput) { in.Reason = strings.Repeat("x", 2001) }, "reason has 2001 characters"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			in := ok
			tc.change(&in)
			err := in.Validate()
			if !errors.Is(err, workflow.ErrInvalidEvent) || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %v, want ErrInvalidEvent with %q", err, tc.want)
			}
		})
	}
}

// Start refuses what the workflow would fail on later, before anything runs.
func TestStartChecksItsInput(t *testing.T) {
	fx := newFixture(t)
	wf, err := fx.app.Workflow()
	if err != nil {
		t.Fatal(err)
	}
	ref := workflow.RefOf(fx.ref)
	for _, tc := range []struct {
		name string
		in   workflow.RetrainInput
		want error
	}{
		{"another model", workflow.RetrainInput{Model: "lungs", Dataset: ref, RequestedBy: "x"}, workflow.ErrUnknownModel},
		{"a dataset never stored", workflow.RetrainInput{Dataset: workflow.DatasetRef{Digest: strings.Repeat("0", 64)}, RequestedBy: "x"}, workflow.ErrInvalidEvent},
		{"nobody asking", workflow.RetrainInput{Dataset: ref}, workflow.ErrInvalidEvent},
		{"an unknown trigger", workflow.RetrainInput{Dataset: ref, RequestedBy: "x", Trigger: "whim"}, workflow.ErrInvalidEvent},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := wf.Start(t.Context(), tc.in); !errors.Is(err, tc.want) {
				t.Errorf("error %v, want %v", err, tc.want)
			}
		})
	}
	list, err := wf.Runner.ListExecutions(t.Context(), asl.ListFilter{})
	if err != nil || len(list) != 0 {
		t.Errorf("%d executions started by refused inputs (%v)", len(list), err)
	}
}
