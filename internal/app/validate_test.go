package app

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/stewardml/steward/internal/agent"
	"github.com/stewardml/steward/internal/bus"
	"github.com/stewardml/steward/internal/config"
	"github.com/stewardml/steward/internal/dataset"
	"github.com/stewardml/steward/internal/lambdaerr"
)

// TestFailedValidationReachesTheAgent: a dataset that fails the project's
// suite makes the validate handler publish ValidationFailed, in the shape
// the agent parses as a trigger.
func TestFailedValidationReachesTheAgent(t *testing.T) {
	ctx := context.Background()
	p, err := config.Load(filepath.Join("..", "..", "steward.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	rt, err := config.FromEnv(func(k string) string {
		if k == "STEWARD_DATA_DIR" {
			return t.TempDir()
		}
		return ""
	})
	if err != nil {
		t.Fatal(err)
	}
	a, err := New(ctx, Options{Runtime: rt, Project: p})
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	var got []bus.Event
	a.LocalBus.Subscribe(bus.ValidationFailed, func(ctx context.Context, e bus.Event) error {
		got = append(got, e)
		return nil
	})
	raw, err := os.ReadFile(filepath.Join("..", "..", "testdata", "heart", "processed.hungarian.data"))
	if err != nil {
		t.Fatal(err)
	}
	ref, err := dataset.Store(ctx, a.Artifacts, raw)
	if err != nil {
		t.Fatal(err)
	}
	h, err := a.ValidateHandler()
	if err != nil {
		t.Fatal(err)
	}
	ev, _ := json.Marshal(map[string]any{"dataset": map[string]string{"digest": ref.Digest}})
	_, err = h.Handle(ctx, ev)
	if lambdaerr.Name(err) != lambdaerr.DataValidationFailed {
		t.Fatalf("Handle = %v, want DataValidationFailed", err)
	}
	if len(got) != 1 {
		t.Fatalf("published %d ValidationFailed events, want 1", len(got))
	}
	b, _ := json.Marshal(got[0])
	tr, err := agent.ParseEvent(b, "heart")
	if err != nil {
		t.Fatalf("the agent cannot parse the event: %v\n%s", err, b)
	}
	if tr.Kind != agent.TriggerValidation || tr.Validation.Failed != 6 || tr.Validation.ResultKey == "" {
		t.Errorf("trigger = %+v, validation %+v; want 6 failed expectations and the result key", tr, tr.Validation)
	}

	// Good data publishes nothing.
	raw, _ = os.ReadFile(filepath.Join("..", "..", "testdata", "heart", "processed.cleveland.data"))
	ref, _ = dataset.Store(ctx, a.Artifacts, raw)
	ev, _ = json.Marshal(map[string]any{"dataset": map[string]string{"digest": ref.Digest}})
	if _, err := h.Handle(ctx, ev); err != nil && !errors.Is(err, context.Canceled) {
		t.Fatalf("Cleveland: %v", err)
	}
	if len(got) != 1 {
		t.Errorf("a passing validation published an event")
	}
}
