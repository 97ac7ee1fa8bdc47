package predictapp_test

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aws/aws-lambda-go/events"

	"github.com/stewardml/steward/internal/app/adapters"
	"github.com/stewardml/steward/internal/app/predictapp"
	"github.com/stewardml/steward/internal/app/projectsource"
	"github.com/stewardml/steward/internal/config"
	"github.com/stewardml/steward/internal/local/files"
	"github.com/stewardml/steward/internal/local/sqlite"
	"github.com/stewardml/steward/internal/serving/servingtest"
)

const root = "../../.."

// dataDir makes a local data directory with a heart champion and the
// given objects in its artifact store.
func dataDir(t *testing.T, objects map[string][]byte) string {
	t.Helper()
	ctx := context.Background()
	dir := t.TempDir()
	arts, err := files.New(filepath.Join(dir, adapters.ArtifactsDir))
	if err != nil {
		t.Fatal(err)
	}
	rs, err := sqlite.Open(filepath.Join(dir, adapters.RecordsFile))
	if err != nil {
		t.Fatal(err)
	}
	defer rs.Close()
	if _, err := servingtest.Heart(ctx, arts, rs, servingtest.Spec{DataPath: filepath.Join(root, "testdata/heart/processed.cleveland.data"), Family: "logreg", Seed: 1}); err != nil {
		t.Fatal(err)
	}
	for k, v := range objects {
		if _, err := arts.Put(ctx, k, v, "text/plain"); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

func read(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(root, name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func predict(t *testing.T, a *predictapp.App, rows int) events.APIGatewayProxyResponse {
	t.Helper()
	body := `{"instances":[` + strings.TrimSuffix(strings.Repeat(servingtest.Row+",", rows), ",") + `]}`
	resp, err := a.APIGateway.Handle(context.Background(), events.APIGatewayProxyRequest{
		Resource: "/v1/{proxy+}", Path: "/v1/models/heart/predict", HTTPMethod: "POST",
		Headers: map[string]string{"Content-Type": "application/json"}, Body: body,
		PathParameters: map[string]string{"proxy": "models/heart/predict"},
	})
	if err != nil {
		t.Fatal(err)
	}
	return resp
}

// TestProjectFromTheArtifactStore is the Lambda's case: no steward.yaml
// on disk, STEWARD_CONFIG=artifact:config/steward.yaml. The serving
// settings of that configuration (here at most 2 instances a request)
// reach the handler.
func TestProjectFromTheArtifactStore(t *testing.T) {
	cfg := bytes.Replace(read(t, "steward.yaml"), []byte("max_instances: 1000"), []byte("max_instances: 2"), 1)
	if bytes.Equal(cfg, read(t, "steward.yaml")) {
		t.Fatal("steward.yaml no longer says max_instances: 1000; adjust the test")
	}
	dir := dataDir(t, map[string][]byte{
		"config/steward.yaml":               cfg,
		"config/testdata/suites/heart.json": read(t, "testdata/suites/heart.json"),
	})
	var out bytes.Buffer
	a, err := predictapp.New(context.Background(),
		config.Runtime{DataDir: dir, ConfigPath: "artifact:config/steward.yaml", Stage: "local", LogLevel: "info"},
		predictapp.Options{Lambda: true, Stdout: &out})
	if err != nil {
		t.Fatal(err)
	}
	closed := false
	defer func() {
		if !closed {
			a.Close()
		}
	}()
	if a.Project == nil || a.Project.Model.Name != "heart" || a.Project.Serving.MaxInstances != 2 {
		t.Fatalf("project %+v, want heart's configuration from the artifact store", a.Project)
	}
	copied := a.Project.SuitePath()
	if _, err := os.Stat(copied); err != nil {
		t.Errorf("the suite beside the configuration was not copied: %v", err)
	}
	if resp := predict(t, a, 2); resp.StatusCode != 200 {
		t.Errorf("2 instances: %d %s, want 200", resp.StatusCode, resp.Body)
	}
	if resp := predict(t, a, 3); resp.StatusCode < 400 || resp.StatusCode >= 500 {
		t.Errorf("3 instances: %d %s, want a 4xx: the configuration allows 2", resp.StatusCode, resp.Body)
	}
	if !strings.Contains(out.String(), `{"kind":"capture"`) {
		t.Errorf("no capture line in the Lambda log:\n%s", out.String())
	}
	closed = true
	if err := a.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(copied); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("Close left the copied configuration behind: %v", err)
	}
}

func TestProjectSources(t *testing.T) {
	dir := dataDir(t, nil)
	file := filepath.Join(t.TempDir(), "steward.yaml")
	cfg := bytes.ReplaceAll(read(t, "steward.yaml"), []byte("suite: testdata/suites/heart.json"), []byte("suite: "+filepath.Join(root, "testdata/suites/heart.json")))
	if err := os.WriteFile(file, cfg, 0o644); err != nil {
		t.Fatal(err)
	}
	abs, err := filepath.Abs(file)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name, ref string
		model     string
		err       error
	}{
		{"a file", abs, "heart", nil},
		{"no file: no project", filepath.Join(dir, "absent.yaml"), "", nil},
		{"not in the artifact store", "artifact:config/steward.yaml", "", projectsource.ErrNotFound},
		{"not a key", "artifact:config/", "", projectsource.ErrInvalid},
	} {
		t.Run(tc.name, func(t *testing.T) {
			a, err := predictapp.New(context.Background(), config.Runtime{DataDir: dir, ConfigPath: tc.ref, Stage: "local", LogLevel: "info"}, predictapp.Options{})
			if tc.err != nil {
				if !errors.Is(err, tc.err) {
					t.Fatalf("err = %v, want %v", err, tc.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			defer a.Close()
			switch {
			case tc.model == "" && a.Project != nil:
				t.Errorf("project %s, want none", a.Project.Model.Name)
			case tc.model != "" && (a.Project == nil || a.Project.Model.Name != tc.model):
				t.Errorf("project %+v, want %s", a.Project, tc.model)
			}
		})
	}
}
