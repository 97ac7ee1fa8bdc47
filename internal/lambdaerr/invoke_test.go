package lambdaerr_test

import (
	"context"
	"encoding/json"
	"errors"
	"testing"

	"github.com/aws/aws-lambda-go/lambda"

	"github.com/stewardml/steward/internal/lambdaerr"
)

var errNoModel = errors.New("test: no such model")

type event struct {
	Model string `json:"model"`
}

func TestHandlerTakesTheLambdaJSONPath(t *testing.T) {
	typed := lambda.NewHandler(lambdaerr.Handler("test", func(_ context.Context, ev event) (map[string]string, error) {
		if ev.Model != "heart" {
			return nil, errNoModel
		}
		return map[string]string{"model": ev.Model}, nil
	}, lambdaerr.Rule{Name: lambdaerr.ModelNotFound, Match: lambdaerr.Is(errNoModel)}))
	raw := lambda.NewHandler(lambdaerr.Handler("test", func(_ context.Context, p json.RawMessage) (int, error) {
		return len(p), nil
	}))
	for _, tc := range []struct {
		name     string
		h        lambda.Handler
		payload  string
		out, err string // the result, or the error's name
	}{
		{"a typed event", typed, `{"model":"heart"}`, `{"model":"heart"}`, ""},
		{"a mapped error", typed, `{"model":"lung"}`, "", lambdaerr.ModelNotFound},
		{"an unknown field", typed, `{"model":"heart","x":1}`, "", lambdaerr.InvalidInput},
		{"trailing data", typed, `{"model":"heart"} {}`, "", lambdaerr.InvalidInput},
		{"not JSON", typed, `nope`, "", lambdaerr.InvalidInput},
		{"a raw payload as it arrived", raw, `nope`, "4", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			out, err := tc.h.Invoke(context.Background(), []byte(tc.payload))
			if got := lambdaerr.Name(err); got != tc.err || string(out) != tc.out {
				t.Errorf("= %s, %q (%v); want %s, %q", out, got, err, tc.out, tc.err)
			}
		})
	}
}
