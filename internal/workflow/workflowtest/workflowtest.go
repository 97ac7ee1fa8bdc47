// Package workflowtest is the contract suite of workflow.Executions: every
// implementation (the local ASL runner in internal/asl/retrain, Step
// Functions in internal/aws/sfn) runs Run, so that the retraining service
// can rely on the same behaviour from both.
package workflowtest

import (
	"context"
	"encoding/json"
	"errors"
	"slices"
	"testing"

	"github.com/stewardml/steward/internal/workflow"
)

// Subject is an implementation under test.
type Subject struct {
	// Executions is the implementation, fresh: no execution exists yet.
	Executions workflow.Executions
	// Token returns the task token the execution ex waits on after Start
	// with an input that requires an approval (the RequestApproval task).
	Token func(t *testing.T, ex workflow.Execution) string
}

// Input is the execution input the suite starts with: a retraining that
// requires an approval, so that the execution waits on a task token.
const Input = `{"model":"heart","dataset":{"digest":"d","key":"datasets/sha256/d"},"trigger":"agent","reason":"drift","requestedBy":"agent","requireApproval":true,"approvalTimeoutSeconds":600}`

// Run checks the contract of workflow.Executions on the subjects newSubject
// makes (one per subtest).
func Run(t *testing.T, newSubject func(t *testing.T) Subject) {
	ctx := context.Background()
	start := func(t *testing.T, s Subject, name string) workflow.Execution {
		t.Helper()
		ex, err := s.Executions.Start(ctx, name, json.RawMessage(Input))
		if err != nil {
			t.Fatalf("Start(%s): %v", name, err)
		}
		if ex.ID == "" || ex.Name != name {
			t.Fatalf("Start(%s) = id %q name %q, want an id and the name", name, ex.ID, ex.Name)
		}
		return ex
	}

	t.Run("a start under a taken name returns the execution holding it", func(t *testing.T) {
		s := newSubject(t)
		first := start(t, s, "heart-1")
		again, err := s.Executions.Start(ctx, "heart-1", json.RawMessage(Input))
		if !errors.Is(err, workflow.ErrExecutionExists) {
			t.Fatalf("second Start: %v, want ErrExecutionExists", err)
		}
		if again.ID != first.ID || again.Name != "heart-1" {
			t.Errorf("second Start returned %q %q, want the first execution %q", again.ID, again.Name, first.ID)
		}
	})

	t.Run("describe finds an execution by id and by name", func(t *testing.T) {
		s := newSubject(t)
		ex := start(t, s, "heart-2")
		for _, key := range []string{ex.ID, ex.Name} {
			got, err := s.Executions.Describe(ctx, key)
			if err != nil {
				t.Fatalf("Describe(%s): %v", key, err)
			}
			if got.ID != ex.ID || got.Name != ex.Name || got.Status != workflow.StatusRunning {
				t.Errorf("Describe(%s) = %q %q %s, want %q %q RUNNING", key, got.ID, got.Name, got.Status, ex.ID, ex.Name)
			}
			if !json.Valid(got.Input) {
				t.Errorf("Describe(%s) input %q is not JSON", key, got.Input)
			}
		}
	})

	t.Run("describe of an unknown execution is ErrExecutionNotFound", func(t *testing.T) {
		s := newSubject(t)
		if _, err := s.Executions.Describe(ctx, "heart-unknown"); !errors.Is(err, workflow.ErrExecutionNotFound) {
			t.Errorf("Describe: %v, want ErrExecutionNotFound", err)
		}
	})

	t.Run("list filters by status, oldest first", func(t *testing.T) {
		s := newSubject(t)
		a, b := start(t, s, "heart-3"), start(t, s, "heart-4")
		ids := func(status workflow.Status) []string {
			t.Helper()
			list, err := s.Executions.List(ctx, status)
			if err != nil {
				t.Fatalf("List(%q): %v", status, err)
			}
			var out []string
			for _, ex := range list {
				out = append(out, ex.ID)
			}
			return out
		}
		if got, want := ids(""), []string{a.ID, b.ID}; !slices.Equal(got, want) {
			t.Errorf("List() = %v, want %v", got, want)
		}
		if got, want := ids(workflow.StatusRunning), []string{a.ID, b.ID}; !slices.Equal(got, want) {
			t.Errorf("List(RUNNING) = %v, want %v", got, want)
		}
		if got := ids(workflow.StatusFailed); len(got) != 0 {
			t.Errorf("List(FAILED) = %v, want none", got)
		}
	})

	t.Run("a task token is answered once", func(t *testing.T) {
		s := newSubject(t)
		ex := start(t, s, "heart-5")
		token := s.Token(t, ex)
		out := json.RawMessage(`{"approved":true,"approver":"ana@example.com","approvalId":"x"}`)
		if err := s.Executions.SendTaskSuccess(ctx, token, out); err != nil {
			t.Fatalf("SendTaskSuccess: %v", err)
		}
		if err := s.Executions.SendTaskSuccess(ctx, token, out); !errors.Is(err, workflow.ErrTaskGone) {
			t.Errorf("a second SendTaskSuccess: %v, want ErrTaskGone", err)
		}
		if err := s.Executions.SendTaskFailure(ctx, token, "Rejected", "late"); !errors.Is(err, workflow.ErrTaskGone) {
			t.Errorf("SendTaskFailure after the answer: %v, want ErrTaskGone", err)
		}
	})

	t.Run("a failure answers the task", func(t *testing.T) {
		s := newSubject(t)
		ex := start(t, s, "heart-6")
		token := s.Token(t, ex)
		if err := s.Executions.SendTaskFailure(ctx, token, "Rejected", "no"); err != nil {
			t.Fatalf("SendTaskFailure: %v", err)
		}
		if err := s.Executions.SendTaskSuccess(ctx, token, json.RawMessage(`{}`)); !errors.Is(err, workflow.ErrTaskGone) {
			t.Errorf("SendTaskSuccess after a failure: %v, want ErrTaskGone", err)
		}
	})
}
