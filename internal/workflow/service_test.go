package workflow_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stewardml/steward/internal/config"
	"github.com/stewardml/steward/internal/dataset"
	"github.com/stewardml/steward/internal/local/files"
	"github.com/stewardml/steward/internal/workflow"
)

// fakeExecutions records the starts and answers a taken name as Step
// Functions does.
type fakeExecutions struct {
	workflow.Executions // the calls the service does not make panic
	mu                  sync.Mutex
	started             map[string]json.RawMessage
}

func (f *fakeExecutions) Start(ctx context.Context, name string, input json.RawMessage) (workflow.Execution, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if _, ok := f.started[name]; ok {
		return workflow.Execution{ID: "id-" + name, Name: name}, workflow.ErrExecutionExists
	}
	f.started[name] = input
	return workflow.Execution{ID: "id-" + name, Name: name, Status: workflow.StatusRunning}, nil
}

type serviceFixture struct {
	svc  *workflow.Service
	exec *fakeExecutions
	ref  workflow.DatasetRef
}

func newService(t *testing.T) serviceFixture {
	t.Helper()
	p, err := config.Load("../../steward.yaml")
	if err != nil {
		t.Fatal(err)
	}
	arts, err := files.New(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	ref, err := dataset.Store(context.Background(), arts, []byte("63,1,1,145,233,1,2,150,0,2.3,3,0,6,0\n"))
	if err != nil {
		t.Fatal(err)
	}
	exec := &fakeExecutions{started: map[string]json.RawMessage{}}
	svc := &workflow.Service{
		Project: p, Executions: exec, Artifacts: arts,
		Now:     func() time.Time { return time.Date(2026, 3, 14, 9, 0, 0, 0, time.UTC) },
		Entropy: bytes.NewReader([]byte{0x3f, 0xa2, 0xc1}),
	}
	return serviceFixture{svc: svc, exec: exec, ref: workflow.DatasetRef{Digest: ref.Digest}}
}

func TestStartFillsInTheDefaults(t *testing.T) {
	fx := newService(t)
	st, err := fx.svc.Start(context.Background(), workflow.RetrainInput{Dataset: fx.ref, RequestedBy: "ana"})
	if err != nil {
		t.Fatal(err)
	}
	if st.Name != "heart-20260314T090000Z-3fa2c1" || st.Status != string(workflow.StatusRunning) {
		t.Errorf("started %+v, want heart-20260314T090000Z-3fa2c1 RUNNING", st)
	}
	var in workflow.RetrainInput
	if err := json.Unmarshal(fx.exec.started[st.Name], &in); err != nil {
		t.Fatal(err)
	}
	want := workflow.RetrainInput{
		Model: "heart", Trigger: workflow.TriggerManual, RequestedBy: "ana",
		Dataset:                workflow.DatasetRef{Digest: fx.ref.Digest, Key: dataset.KeyFor(fx.ref.Digest)},
		ApprovalTimeoutSeconds: int(fx.svc.Project.Approval.Expiry.D() / time.Second),
	}
	if in != want {
		t.Errorf("input %+v, want %+v", in, want)
	}
}

// Start refuses what the workflow would fail on later, before anything runs.
func TestStartRefusesBadInputBeforeStarting(t *testing.T) {
	fx := newService(t)
	for _, tc := range []struct {
		name     string
		execName string
		in       workflow.RetrainInput
		want     error
	}{
		{"another model", "", workflow.RetrainInput{Model: "lungs", Dataset: fx.ref, RequestedBy: "x"}, workflow.ErrUnknownModel},
		{"a dataset never stored", "", workflow.RetrainInput{Dataset: workflow.DatasetRef{Digest: strings.Repeat("0", 64)}, RequestedBy: "x"}, workflow.ErrInvalidEvent},
		{"nobody asking", "", workflow.RetrainInput{Dataset: fx.ref}, workflow.ErrInvalidEvent},
		{"an unknown trigger", "", workflow.RetrainInput{Dataset: fx.ref, RequestedBy: "x", Trigger: "whim"}, workflow.ErrInvalidEvent},
		{"a name Step Functions refuses", "heart act:1", workflow.RetrainInput{Dataset: fx.ref, RequestedBy: "x"}, workflow.ErrInvalidEvent},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if _, _, err := fx.svc.StartNamed(context.Background(), tc.execName, tc.in); !errors.Is(err, tc.want) {
				t.Errorf("error %v, want %v", err, tc.want)
			}
		})
	}
	if len(fx.exec.started) != 0 {
		t.Errorf("%d executions started by refused inputs", len(fx.exec.started))
	}
}

func TestStartNamedFindsTheExecutionOfItsName(t *testing.T) {
	fx := newService(t)
	in := workflow.RetrainInput{Dataset: fx.ref, RequestedBy: "agent", Trigger: workflow.TriggerAgent}
	first, existed, err := fx.svc.StartNamed(context.Background(), "heart-act-1", in)
	if err != nil || existed || first.Name != "heart-act-1" {
		t.Fatalf("first start: %+v existed=%v %v", first, existed, err)
	}
	again, existed, err := fx.svc.StartNamed(context.Background(), "heart-act-1", in)
	if err != nil || !existed || again.ExecutionID != first.ExecutionID {
		t.Errorf("second start: %+v existed=%v %v, want the first execution", again, existed, err)
	}
	if len(fx.exec.started) != 1 {
		t.Errorf("%d executions, want 1", len(fx.exec.started))
	}
}

func TestStartWithoutExecutionsIsErrNoExecutions(t *testing.T) {
	fx := newService(t)
	fx.svc.Executions = nil
	if _, err := fx.svc.Start(context.Background(), workflow.RetrainInput{Dataset: fx.ref, RequestedBy: "x"}); !errors.Is(err, workflow.ErrNoExecutions) {
		t.Errorf("error %v, want ErrNoExecutions", err)
	}
}
