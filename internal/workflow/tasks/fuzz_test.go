package tasks_test

import (
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/aws/aws-lambda-go/lambda"

	"github.com/stewardml/steward/internal/lambdaerr"
)

// The names the handlers may fail with: the state machine routes nothing
// else.
var stableNames = []string{
	lambdaerr.InvalidInput, lambdaerr.DataValidationFailed, lambdaerr.TrainingFailed, lambdaerr.ModelNotFound,
	lambdaerr.Conflict, lambdaerr.NotificationFailed, lambdaerr.Internal,
}

// FuzzEvents feeds arbitrary payloads to every handler's Lambda JSON path:
// none may panic, and every error must carry a stable name. The seed
// corpus is testdata/fuzz/FuzzEvents plus every sample event.
func FuzzEvents(f *testing.F) {
	paths, _ := filepath.Glob(filepath.Join(events, "*", "*.json"))
	for _, p := range paths {
		switch filepath.Base(filepath.Dir(p)) {
		case "evaluate", "requestapproval", "promote", "record":
			if b, err := os.ReadFile(p); err == nil {
				f.Add(b)
			}
		}
	}
	// One local Steward for every input.
	fx := newFixture(f)
	f.Fuzz(func(t *testing.T, payload []byte) {
		for name, h := range map[string]lambda.Handler{
			"evaluate": fx.h.Evaluate, "requestapproval": fx.h.RequestApproval, "promote": fx.h.Promote, "record": fx.h.Record,
		} {
			out, err := lambda.NewHandler(h).Invoke(t.Context(), payload)
			if err != nil {
				if n := lambdaerr.Name(err); !slices.Contains(stableNames, n) {
					t.Errorf("%s: error %q (%v) has no stable name", name, n, err)
				}
				continue
			}
			if len(out) == 0 {
				t.Errorf("%s: empty result without an error", name)
			}
		}
	})
}
