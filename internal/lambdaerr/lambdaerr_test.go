package lambdaerr

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/aws/aws-lambda-go/lambda"
)

var errMissing = errors.New("thing: missing")

func TestMapNamesWrappedErrors(t *testing.T) {
	rules := []Rule{{ModelNotFound, Is(errMissing)}}
	tests := []struct {
		name string
		err  error
		want string
	}{
		{"wrapped sentinel", fmt.Errorf("load: %w", errMissing), ModelNotFound},
		{"unknown", errors.New("boom"), Internal},
		{"already named", New(Conflict, "lost"), Conflict},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Name(Map(tt.err, rules...)); got != tt.want {
				t.Errorf("Name(Map(%v)) = %q, want %q", tt.err, got, tt.want)
			}
		})
	}
	if Map(nil, rules...) != nil {
		t.Error("Map(nil) != nil")
	}
}

// TestLambdaReportsTheStableName goes through the real invoke path: the
// error type in the response is the stable name, not a Go type name.
func TestLambdaReportsTheStableName(t *testing.T) {
	h := lambda.NewHandler(func(ctx context.Context, in json.RawMessage) (string, error) {
		return "", Map(fmt.Errorf("handler: %w", errMissing), Rule{ModelNotFound, Is(errMissing)})
	})
	_, err := h.Invoke(context.Background(), []byte(`{}`))
	if err == nil {
		t.Fatal("Invoke returned no error")
	}
	if got := Name(err); got != ModelNotFound {
		t.Errorf("error name = %q, want %q", got, ModelNotFound)
	}
	if !strings.Contains(err.Error(), "thing: missing") {
		t.Errorf("message %q lost the cause", err.Error())
	}
}
