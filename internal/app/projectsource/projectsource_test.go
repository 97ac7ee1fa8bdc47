package projectsource

import (
	"context"
	"errors"
	"os"
	"path"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stewardml/steward/internal/config"
	"github.com/stewardml/steward/internal/local/files"
	"github.com/stewardml/steward/internal/store"
)

// project returns the repository's steward.yaml and its suite.
func project(t *testing.T) (cfg, suite []byte) {
	t.Helper()
	cfg, err := os.ReadFile("../../../steward.yaml")
	if err != nil {
		t.Fatal(err)
	}
	suite, err = os.ReadFile("../../../testdata/suites/heart.json")
	if err != nil {
		t.Fatal(err)
	}
	return cfg, suite
}

func newStore(t *testing.T, objects map[string][]byte) store.ArtifactStore {
	t.Helper()
	st, err := files.New(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range objects {
		if _, err := st.Put(context.Background(), k, v, "application/octet-stream"); err != nil {
			t.Fatal(err)
		}
	}
	return st
}

func TestLoadFromTheArtifactStoreCopiesTheSuiteBesideTheConfiguration(t *testing.T) {
	cfg, suite := project(t)
	st := newStore(t, map[string][]byte{
		"config/steward.yaml":                  cfg,
		"config/testdata/suites/heart.json":    suite,
		"elsewhere/testdata/suites/heart.json": []byte("not this one"),
	})
	dir := t.TempDir()
	p, err := Load(context.Background(), "artifact:config/steward.yaml", st, dir)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := p.Model.Name, "heart"; got != want {
		t.Errorf("model %q, want %q", got, want)
	}
	if p.Schema() == nil || len(p.Schema().Columns) != 14 {
		t.Errorf("schema %+v, want the 14 heart columns", p.Schema())
	}
	if got, want := p.SuitePath(), filepath.Join(dir, "testdata", "suites", "heart.json"); got != want {
		t.Errorf("SuitePath %q, want %q", got, want)
	}
	got, err := os.ReadFile(p.SuitePath())
	if err != nil || string(got) != string(suite) {
		t.Errorf("suite copy: %d bytes, %v; want the %d stored bytes", len(got), err, len(suite))
	}
	if got := p.Approval.Approvers; len(got) != 1 || got[0] != "cardiology-ml@example.com" {
		t.Errorf("approvers %v", got)
	}
}

func TestLoadFromTheArtifactStoreWithoutSuite(t *testing.T) {
	cfg, _ := project(t)
	cfg = []byte(strings.Replace(string(cfg), "suite: testdata/suites/heart.json", "", 1))
	st := newStore(t, map[string][]byte{"steward.yaml": cfg})
	p, err := Load(context.Background(), "artifact:steward.yaml", st, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	if p.SuitePath() != "" {
		t.Errorf("SuitePath %q, want none", p.SuitePath())
	}
}

func TestLoadFromTheArtifactStoreErrors(t *testing.T) {
	cfg, suite := project(t)
	withSuite := func(s string) []byte {
		return []byte(strings.Replace(string(cfg), "suite: testdata/suites/heart.json", "suite: "+s, 1))
	}
	tests := []struct {
		name    string
		objects map[string][]byte
		ref     string
		want    error
		says    []string
	}{
		{"configuration missing", nil, "artifact:config/steward.yaml", ErrNotFound,
			[]string{"config/steward.yaml"}},
		{"suite missing", map[string][]byte{"config/steward.yaml": cfg}, "artifact:config/steward.yaml", ErrNotFound,
			[]string{"config/testdata/suites/heart.json", "artifact:config/steward.yaml"}},
		{"no key", nil, "artifact:", ErrInvalid, []string{`"artifact:"`}},
		{"a folder", nil, "artifact:config/", ErrInvalid, []string{`"artifact:config/"`}},
		{"bad key", nil, "artifact:../steward.yaml", ErrInvalid, []string{"../steward.yaml"}},
		{"suite outside the folder", map[string][]byte{"config/steward.yaml": withSuite("../suites/heart.json"), "suites/heart.json": suite},
			"artifact:config/steward.yaml", ErrInvalid, []string{"validation.suite", "under the configuration's folder"}},
		{"absolute suite", map[string][]byte{"config/steward.yaml": withSuite("/etc/suite.json")},
			"artifact:config/steward.yaml", ErrInvalid, []string{"validation.suite", "relative"}},
		{"invalid configuration", map[string][]byte{"config/steward.yaml": []byte("model:\n  name: Bad Name\n")},
			"artifact:config/steward.yaml", config.ErrInvalid, []string{"artifact:config/steward.yaml", "model.name"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := Load(context.Background(), tt.ref, newStore(t, tt.objects), t.TempDir())
			if !errors.Is(err, tt.want) || p != nil {
				t.Fatalf("Load = %v, %v; want an error wrapping %v", p, err, tt.want)
			}
			for _, s := range tt.says {
				if !strings.Contains(err.Error(), s) {
					t.Errorf("error %q does not say %q", err, s)
				}
			}
		})
	}
}

func TestLoadFile(t *testing.T) {
	ctx := context.Background()
	t.Run("present", func(t *testing.T) {
		p, err := Load(ctx, "../../../steward.yaml", nil, "")
		if err != nil || p == nil || p.Model.Name != "heart" {
			t.Fatalf("Load = %v, %v", p, err)
		}
		if _, err := os.Stat(p.SuitePath()); err != nil {
			t.Errorf("suite beside the file: %v", err)
		}
	})
	t.Run("absent is no configuration", func(t *testing.T) {
		p, err := Load(ctx, filepath.Join(t.TempDir(), "steward.yaml"), nil, "")
		if err != nil || p != nil {
			t.Fatalf("Load = %v, %v; want nil, nil", p, err)
		}
	})
	t.Run("invalid", func(t *testing.T) {
		path := filepath.Join(t.TempDir(), "steward.yaml")
		if err := os.WriteFile(path, []byte("model: [\n"), 0o644); err != nil {
			t.Fatal(err)
		}
		if _, err := Load(ctx, path, nil, ""); err == nil {
			t.Fatal("an unreadable configuration loaded")
		}
	})
}

func TestInStore(t *testing.T) {
	for ref, want := range map[string]string{"artifact:config/steward.yaml": "config/steward.yaml", "steward.yaml": "", "s3://b/k": ""} {
		key, ok := InStore(ref)
		if key != want || ok != (want != "") {
			t.Errorf("InStore(%q) = %q, %v", ref, key, ok)
		}
	}
}

// FuzzRelative: a suite path is accepted only if it stays under the
// configuration's folder, both as a store key and as a local file.
func FuzzRelative(f *testing.F) {
	for _, s := range []string{"testdata/suites/heart.json", "../x", "/etc/passwd", "a/../../b", "./a//b", `..\x`, "", "."} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, p string) {
		rel, err := relative(p)
		if err != nil {
			return
		}
		if rel != path.Clean(rel) || path.IsAbs(rel) || rel == "." {
			t.Fatalf("relative(%q) = %q: not a clean relative path", p, rel)
		}
		if key := path.Join("config", rel); !strings.HasPrefix(key, "config/") {
			t.Fatalf("relative(%q) = %q: key %q leaves config/", p, rel, key)
		}
		dir := filepath.Join(os.TempDir(), "copy")
		if local := filepath.Join(dir, filepath.FromSlash(rel)); !strings.HasPrefix(local, dir+string(filepath.Separator)) {
			t.Fatalf("relative(%q) = %q: file %q leaves %s", p, rel, local, dir)
		}
	})
}
