package stack

import (
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
)

// TestEveryFunctionDirectoryIsDeployed keeps the one list in step with the
// repository: a functions/<name> the Makefile builds but the stack does
// not deploy would be dead code on AWS.
func TestEveryFunctionDirectoryIsDeployed(t *testing.T) {
	entries, err := os.ReadDir(filepath.Join(repoRoot(t), "functions"))
	if os.IsNotExist(err) {
		t.Skip("no functions directory yet")
	}
	if err != nil {
		t.Fatal(err)
	}
	known := map[string]bool{}
	for _, name := range FunctionNames() {
		known[name] = true
	}
	for _, e := range entries {
		if e.IsDir() && !known[e.Name()] {
			t.Errorf("functions/%s is not in stack.Functions, so it is never deployed", e.Name())
		}
	}
}

// TestEveryDeployedFunctionHasItsCode is the other direction: a function
// in the table without functions/<name> would deploy as the stand-in
// that fails every invocation.
func TestEveryDeployedFunctionHasItsCode(t *testing.T) {
	for _, name := range FunctionNames() {
		if _, err := os.Stat(filepath.Join(repoRoot(t), "functions", name, "main.go")); err != nil {
			t.Errorf("stack.Functions deploys %s, but functions/%s/main.go: %v", name, name, err)
		}
	}
}

func TestFunctionTableIsConsistent(t *testing.T) {
	seen := map[string]bool{}
	var placeholders []string
	for _, f := range Functions {
		if seen[f.Name] {
			t.Errorf("function %s listed twice", f.Name)
		}
		seen[f.Name] = true
		if f.MemoryMB < 128 || f.MemoryMB > 10240 || f.Timeout <= 0 || f.Timeout.Minutes() > 15 {
			t.Errorf("%s: memory %d MB, timeout %v outside Lambda's limits", f.Name, f.MemoryMB, f.Timeout)
		}
		if f.Description == "" {
			t.Errorf("%s has no description", f.Name)
		}
		switch {
		case !f.Access.Writes() && len(f.WritePrefixes) > 0:
			t.Errorf("%s has write prefixes but may not write", f.Name)
		case f.Access.Writes() && len(f.WritePrefixes) == 0:
			t.Errorf("%s may write but names no prefix: say where it writes", f.Name)
		case f.Access.Has(WriteArtifacts) && f.Access.Has(PutArtifacts):
			t.Errorf("%s has both WriteArtifacts and PutArtifacts; WriteArtifacts includes the put", f.Name)
		}
		for _, p := range f.WritePrefixes {
			// The project configuration under config/ is the
			// deployment's to write, never a function's.
			if p == "" || !strings.HasSuffix(p, "/") || strings.HasPrefix(p, "/") || strings.HasPrefix(ConfigPrefix, p) {
				t.Errorf("%s: write prefix %q: want a folder such as \"reports/\", not containing %s", f.Name, p, ConfigPrefix)
			}
		}
		if f.Placeholder != "" {
			placeholders = append(placeholders, f.Placeholder)
		}
	}
	sort.Strings(placeholders)
	want := []string{"EvaluateFunctionArn", "PromoteFunctionArn", "RecordFunctionArn", "ReportFunctionArn", "RequestApprovalFunctionArn", "TrainFunctionArn", "ValidateFunctionArn"}
	if len(placeholders) != len(want) {
		t.Fatalf("placeholders = %v, want %v", placeholders, want)
	}
	for i := range want {
		if placeholders[i] != want[i] {
			t.Errorf("placeholders = %v, want %v", placeholders, want)
			break
		}
	}
	// Functions behind API Gateway answer within its 29-second limit.
	for _, name := range []string{"predict", "approval", "dashboard"} {
		for _, f := range Functions {
			if f.Name == name && f.Timeout.Seconds() > 29 {
				t.Errorf("%s times out after %v, beyond API Gateway's 29 s", name, f.Timeout)
			}
		}
	}
}
