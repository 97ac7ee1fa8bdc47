package workflow_test

import (
	"bytes"
	"errors"
	"strings"
	"testing"
	"time"

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

func TestExecutionNameOf(t *testing.T) {
	long := strings.Repeat("a", 100)
	for _, c := range []struct{ id, want string }{
		{"heart-act-0123456789abcdef", "heart-act-0123456789abcdef"},
		{"Heart_1", "Heart_1"},
		{"heart act:1", "heart-act-1-"},
		{"check:2026/03/14", "check-2026-03-14-"},
		{"", "-"},
		{long, strings.Repeat("a", 71) + "-"},
	} {
		got := workflow.ExecutionNameOf(c.id)
		if !strings.HasPrefix(got, c.want) || len(got) > 80 {
			t.Errorf("workflow.ExecutionNameOf(%q) = %q, want %q...", c.id, got, c.want)
		}
		if got != c.id && len(got) != len(c.want)+8 {
			t.Errorf("workflow.ExecutionNameOf(%q) = %q: a changed id ends with 8 hex digits", c.id, got)
		}
		if workflow.ExecutionNameOf(got) != got {
			t.Errorf("workflow.ExecutionNameOf(%q) = %q is not a name itself", c.id, got)
		}
	}
	if workflow.ExecutionNameOf("a:b") == workflow.ExecutionNameOf("a/b") {
		t.Error("two ids that clean to the same text share a name")
	}
	if workflow.ExecutionNameOf(long) == workflow.ExecutionNameOf(long+"b") {
		t.Error("two long ids with the same start share a name")
	}
}
