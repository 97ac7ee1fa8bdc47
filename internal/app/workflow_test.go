package app

import (
	"context"
	"errors"
	"path/filepath"
	"testing"

	"github.com/stewardml/steward/internal/config"
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
