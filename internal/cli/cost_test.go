package cli

import (
	"strings"
	"testing"
)

func TestCostPrintsEveryLineAndBothFrontDoors(t *testing.T) {
	code, out, errOut := run(t, t.TempDir(), "cost", "--predictions-per-month", "100000000", "--capture-months", "12")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	for _, want := range []string{"API Gateway REST requests  ", "350.00", "EMF custom metrics", "IA transitions", "Drift reads",
		"Log ingestion: capture lines", "Capture PUTs", "per million predictions (rest front door)"} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	code, out, _ = run(t, t.TempDir(), "cost", "--predictions-per-month", "100000000", "--api", "http", "--capture-rate", "0.1")
	if code != 0 || !strings.Contains(out, "API Gateway HTTP requests") || !strings.Contains(out, "Key authorizer") || !strings.Contains(out, "10M captured") {
		t.Errorf("http at 10%% capture: exit %d\n%s", code, out)
	}
	if code, _, errOut := run(t, t.TempDir(), "cost", "--predictions-per-month", "1", "--api", "grpc"); code != ExitUsage || !strings.Contains(errOut, `api "grpc"`) {
		t.Errorf("an unknown front door: exit %d, %s", code, errOut)
	}
	if code, _, _ := run(t, t.TempDir(), "cost"); code != ExitUsage {
		t.Errorf("without --predictions-per-month: exit %d, want %d", code, ExitUsage)
	}
}
