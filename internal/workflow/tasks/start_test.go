package tasks_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/stewardml/steward/internal/asl"
	"github.com/stewardml/steward/internal/workflow"
)

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
