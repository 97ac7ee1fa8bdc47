package serving

import (
	"os/exec"
	"strings"
	"testing"
)

// TestNoAWSDependency keeps the prediction service free of AWS types: the
// API Gateway shape lives in serving/apigw, the SDK in the adapters.
func TestNoAWSDependency(t *testing.T) {
	if testing.Short() {
		t.Skip("runs go list")
	}
	out, err := exec.Command("go", "list", "-deps", ".").Output()
	if err != nil {
		t.Skipf("go list: %v", err)
	}
	for _, dep := range strings.Fields(string(out)) {
		if strings.HasPrefix(dep, "github.com/aws/") {
			t.Errorf("package serving depends on %s", dep)
		}
	}
}
