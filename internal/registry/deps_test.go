package registry_test

import (
	"os/exec"
	"strings"
	"testing"
)

// TestDomainImportsNoAdapters keeps registry a domain package: it may depend on
// the store ports but never on the AWS SDK or a concrete adapter.
func TestDomainImportsNoAdapters(t *testing.T) {
	if testing.Short() {
		t.Skip("runs go list")
	}
	out, err := exec.Command("go", "list", "-deps", ".").Output()
	if err != nil {
		t.Skipf("go list unavailable: %v", err)
	}
	for _, dep := range strings.Fields(string(out)) {
		if strings.HasPrefix(dep, "github.com/aws/") || strings.Contains(dep, "/internal/aws/") || strings.Contains(dep, "/internal/local/") {
			t.Errorf("registry depends on %s", dep)
		}
	}
}
