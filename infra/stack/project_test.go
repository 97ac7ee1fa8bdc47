package stack

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func writeFiles(t *testing.T, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	for name, body := range files {
		p := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// TestReadProjectTakesTheRepositoryConfigurationAndItsSuite reads the
// steward.yaml `make synth` deploys.
func TestReadProjectTakesTheRepositoryConfigurationAndItsSuite(t *testing.T) {
	root := repoRoot(t)
	files, err := ReadProject(filepath.Join(root, "steward.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	if got, want := strings.Join(files.Keys(), ","), "steward.yaml,testdata/suites/heart.json"; got != want {
		t.Errorf("keys = %s, want %s", got, want)
	}
	suite, err := os.ReadFile(filepath.Join(root, "testdata", "suites", "heart.json"))
	if err != nil {
		t.Fatal(err)
	}
	if string(files["testdata/suites/heart.json"]) != string(suite) {
		t.Error("the suite uploaded is not the suite file")
	}
}

func TestReadProject(t *testing.T) {
	tests := []struct {
		name    string
		files   map[string]string
		keys    string
		wantErr string
	}{
		{"suite beside it", map[string]string{"steward.yaml": "validation:\n  suite: suites/a.json\n", "suites/a.json": "{}"},
			"steward.yaml,suites/a.json", ""},
		{"suite path cleaned", map[string]string{"steward.yaml": "validation:\n  suite: ./suites/../suites/a.json\n", "suites/a.json": "{}"},
			"steward.yaml,suites/a.json", ""},
		{"no suite", map[string]string{"steward.yaml": "model:\n  name: m\n"}, "steward.yaml", ""},
		{"suite outside the folder", map[string]string{"steward.yaml": "validation:\n  suite: ../a.json\n"},
			"", `validation.suite "../a.json": want a path under the configuration's folder`},
		{"absolute suite", map[string]string{"steward.yaml": "validation:\n  suite: /etc/a.json\n"},
			"", `validation.suite "/etc/a.json": want a path relative to the configuration`},
		{"missing suite", map[string]string{"steward.yaml": "validation:\n  suite: a.json\n"},
			"", `validation.suite "a.json": no such file beside the configuration`},
		{"not YAML", map[string]string{"steward.yaml": "validation: [\n"}, "", "is not YAML"},
		{"no configuration", map[string]string{}, "", "does not exist: the functions need the project's steward.yaml (set -c projectConfig=FILE"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := writeFiles(t, tt.files)
			files, err := ReadProject(filepath.Join(dir, "steward.yaml"))
			if tt.wantErr != "" {
				if !errors.Is(err, ErrProject) || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want ErrProject saying %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got := strings.Join(files.Keys(), ","); !sameKeys(got, tt.keys) {
				t.Errorf("keys = %s, want %s", got, tt.keys)
			}
		})
	}
}

func sameKeys(a, b string) bool {
	x, y := strings.Split(a, ","), strings.Split(b, ",")
	if len(x) != len(y) {
		return false
	}
	seen := map[string]bool{}
	for _, k := range x {
		seen[k] = true
	}
	for _, k := range y {
		if !seen[k] {
			return false
		}
	}
	return true
}

func TestProjectDigestFollowsContentAndNames(t *testing.T) {
	a := ProjectFiles{"steward.yaml": []byte("x"), "s.json": []byte("{}")}
	b := ProjectFiles{"steward.yaml": []byte("x"), "s.json": []byte("{ }")}
	c := ProjectFiles{"steward.yaml": []byte("x"), "t.json": []byte("{}")}
	if a.Digest() == b.Digest() || a.Digest() == c.Digest() {
		t.Errorf("digests %s %s %s: want a change of content or name to change it", a.Digest(), b.Digest(), c.Digest())
	}
	if a.Digest() != (ProjectFiles{"s.json": []byte("{}"), "steward.yaml": []byte("x")}).Digest() {
		t.Error("digest depends on map order")
	}
}
