package asl_test

import (
	"errors"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stewardml/steward/internal/asl"
)

// repoRoot is the directory holding go.mod.
func repoRoot(t *testing.T) string {
	t.Helper()
	dir, err := filepath.Abs(".")
	must(t, err)
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			t.Fatal("no go.mod above the test directory")
		}
		dir = parent
	}
}

// aslFiles lists every *.asl.json of the repository, this package's test
// fixtures included.
func aslFiles(t *testing.T, root string) []string {
	t.Helper()
	var files []string
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && (d.Name() == "node_modules" || d.Name() == "cdk.out" || strings.HasPrefix(d.Name(), ".")) && path != root {
			return filepath.SkipDir
		}
		if !d.IsDir() && strings.HasSuffix(d.Name(), ".asl.json") {
			files = append(files, path)
		}
		return nil
	})
	must(t, err)
	if len(files) < 2 {
		t.Fatalf("found %d ASL files, want at least this package's fixtures", len(files))
	}
	return files
}

// Every ASL file of the repository passes asl-validator (the npm package the
// repository's package.json pins; `npm ci` installs it).
func TestASLValidator(t *testing.T) {
	if _, err := exec.LookPath("node"); err != nil {
		t.Skip("node is not installed: asl-validator cannot run (install Node.js and run `npm ci` at the repository root)")
	}
	root := repoRoot(t)
	bin := filepath.Join(root, "node_modules", ".bin", "asl-validator")
	if _, err := os.Stat(bin); err != nil {
		t.Fatalf("asl-validator is not installed under node_modules: run `npm ci` at the repository root (%v)", err)
	}
	files := aslFiles(t, root)
	args := []string{}
	for _, f := range files {
		args = append(args, "--json-path", f)
	}
	out, err := exec.Command(bin, args...).CombinedOutput()
	if err != nil {
		t.Fatalf("asl-validator rejected an ASL file: %v\n%s", err, out)
	}
	t.Logf("asl-validator: %d files valid", len(files))

	// The invalid fixtures must be rejected by both validators. One run
	// checks them all (node starts slowly); it reports each file.
	invalid, err := filepath.Glob(filepath.Join("testdata", "invalid", "*.json"))
	must(t, err)
	args = args[:0]
	for _, f := range invalid {
		args = append(args, "--json-path", f)
	}
	out, _ = exec.Command(bin, args...).CombinedOutput()
	for _, f := range invalid {
		if !strings.Contains(string(out), `"`+f+`" is invalid`) {
			t.Errorf("asl-validator did not reject %s, which Parse rejects:\n%s", f, out)
		}
	}
}

// Every ASL file of the repository parses here too, once its placeholders
// are filled, and every invalid fixture is rejected.
func TestRepositoryMachinesParse(t *testing.T) {
	for _, f := range aslFiles(t, repoRoot(t)) {
		def, err := os.ReadFile(f)
		must(t, err)
		values := map[string]string{}
		for _, p := range asl.Placeholders(def) {
			values[p] = "1"
		}
		filled, err := asl.Substitute(def, values)
		must(t, err)
		if _, err := asl.Parse(filled); err != nil {
			t.Errorf("%s: %v", f, err)
		}
	}
	invalid, err := filepath.Glob(filepath.Join("testdata", "invalid", "*.json"))
	must(t, err)
	if len(invalid) == 0 {
		t.Fatal("no invalid fixtures")
	}
	for _, f := range invalid {
		def, err := os.ReadFile(f)
		must(t, err)
		if _, err := asl.Parse(def); !errors.Is(err, asl.ErrInvalidDefinition) {
			t.Errorf("%s: got %v, want ErrInvalidDefinition", f, err)
		}
	}
}
