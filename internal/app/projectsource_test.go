package app

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/stewardml/steward/internal/app/projectsource"
	"github.com/stewardml/steward/internal/config"
)

// TestNewLoadsTheProjectFromTheArtifactStore is how a Lambda finds its
// steward.yaml: STEWARD_CONFIG=artifact:KEY, the suite beside it.
func TestNewLoadsTheProjectFromTheArtifactStore(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	rt, err := config.FromEnv(func(k string) string {
		switch k {
		case "STEWARD_DATA_DIR":
			return dir
		case "STEWARD_CONFIG":
			return "artifact:config/steward.yaml"
		}
		return ""
	})
	if err != nil {
		t.Fatal(err)
	}

	t.Run("missing is an error", func(t *testing.T) {
		a, err := New(ctx, Options{Runtime: rt})
		if !errors.Is(err, projectsource.ErrNotFound) {
			if a != nil {
				a.Close()
			}
			t.Fatalf("New = %v, want projectsource.ErrNotFound", err)
		}
	})

	up := rt
	up.ConfigPath = ""
	a, err := New(ctx, Options{Runtime: up})
	if err != nil {
		t.Fatal(err)
	}
	for key, file := range map[string]string{
		"config/steward.yaml":               "../../steward.yaml",
		"config/testdata/suites/heart.json": "../../testdata/suites/heart.json",
	} {
		b, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := a.Artifacts.Put(ctx, key, b, "text/plain"); err != nil {
			t.Fatal(err)
		}
	}
	a.Close()

	a, err = New(ctx, Options{Runtime: rt})
	if err != nil {
		t.Fatal(err)
	}
	if a.Project == nil || a.Project.Model.Name != "heart" {
		a.Close()
		t.Fatalf("project %+v, want the heart project", a.Project)
	}
	h, err := a.WorkflowHandlers()
	if err != nil {
		a.Close()
		t.Fatal(err)
	}
	if h.Validate.Suite == nil || h.Validate.Suite.Name == "" {
		t.Errorf("validate has no suite: %+v", h.Validate.Suite)
	}
	if got := h.RequestApproval.Approvers; len(got) != 1 || got[0] != "cardiology-ml@example.com" {
		t.Errorf("approvers %v, want the configuration's", got)
	}
	copyDir := filepath.Dir(a.Project.File())
	if err := a.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(copyDir); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("Close left the copied configuration in %s (%v)", copyDir, err)
	}
}
