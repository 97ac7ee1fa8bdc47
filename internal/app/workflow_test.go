package app

import (
	"context"
	"errors"
	"path/filepath"
	"slices"
	"testing"

	"github.com/stewardml/steward/internal/config"
	"github.com/stewardml/steward/internal/notify"
	"github.com/stewardml/steward/internal/report"
	"github.com/stewardml/steward/internal/workflow"
)

func TestLinkBase(t *testing.T) {
	withURL := &config.Project{}
	withURL.Approval.PublicURL = "https://steward.example.com"
	withAddr := &config.Project{}
	withAddr.Serving.Addr = "0.0.0.0:9000"
	for _, tc := range []struct {
		name string
		rt   config.Runtime
		p    *config.Project
		want string
	}{
		{"STEWARD_PUBLIC_URL wins", config.Runtime{PublicURL: "https://api.example.com/prod"}, withURL, "https://api.example.com/prod"},
		{"then approval.public_url", config.Runtime{}, withURL, "https://steward.example.com"},
		{"then the serving address", config.Runtime{}, withAddr, "http://0.0.0.0:9000"},
		{"then the default address", config.Runtime{}, nil, "http://127.0.0.1:8080"},
		{"none on AWS", config.Runtime{Bucket: "b", Table: "t"}, withAddr, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			a := &App{Runtime: tc.rt, Project: tc.p}
			if got := a.LinkBase(); got != tc.want {
				t.Errorf("got %q, want %q", got, tc.want)
			}
		})
	}
}

func TestWorkflowNeedsAProject(t *testing.T) {
	dir := t.TempDir()
	a, err := New(context.Background(), Options{Runtime: config.Runtime{DataDir: dir, ConfigPath: filepath.Join(dir, "absent.yaml")}})
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	if _, err := a.Workflow(); !errors.Is(err, ErrNoProject) {
		t.Errorf("Workflow without a project: %v", err)
	}
	if _, err := a.StartRetrain(context.Background(), workflow.RetrainInput{}); !errors.Is(err, ErrNoProject) {
		t.Errorf("StartRetrain without a project: %v", err)
	}
}

// TestDeploymentApproversAndEscalationOverrideTheProject: on AWS the
// stack's approverEmails and escalationEmails arrive as STEWARD_APPROVERS
// and STEWARD_ESCALATION and replace what steward.yaml says; without them
// the project decides.
func TestDeploymentApproversAndEscalationOverrideTheProject(t *testing.T) {
	root, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	p, err := config.Load(filepath.Join(root, "steward.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name                 string
		rt                   config.Runtime
		approvers, escalated []string
	}{
		{"the project's", config.Runtime{}, p.Approval.Approvers, p.Escalation()},
		{"the deployment's", config.Runtime{Approvers: []string{"ana@acme.test", "bo@acme.test"}, Escalation: []string{"oncall@acme.test"}},
			[]string{"ana@acme.test", "bo@acme.test"}, []string{"oncall@acme.test"}},
		{"approvers only", config.Runtime{Approvers: []string{"ana@acme.test"}}, []string{"ana@acme.test"}, p.Escalation()},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tc.rt.DataDir = t.TempDir()
			a, err := New(context.Background(), Options{Runtime: tc.rt, Project: p})
			if err != nil {
				t.Fatal(err)
			}
			defer a.Close()
			h, err := a.WorkflowHandlers()
			if err != nil {
				t.Fatal(err)
			}
			if got := h.RequestApproval.Approvers; !slices.Equal(got, tc.approvers) {
				t.Errorf("approval emails go to %q, want %q", got, tc.approvers)
			}
			if got := a.Notifier.Routes[notify.Escalated][notify.EmailChannel]; !slices.Equal(got, tc.escalated) {
				t.Errorf("escalations go to %q, want %q", got, tc.escalated)
			}
			if got := h.Record.Notifier.(*report.Notifier).Next.(*notify.Dispatcher).Routes[notify.Escalated][notify.EmailChannel]; !slices.Equal(got, tc.escalated) {
				t.Errorf("the record step escalates to %q, want %q", got, tc.escalated)
			}
		})
	}
	if len(p.Approval.Approvers) == 0 || len(p.Escalation()) == 0 {
		t.Fatal("steward.yaml names no approvers or escalation list: the first case proves nothing")
	}
}
