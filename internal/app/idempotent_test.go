package app

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awssfn "github.com/aws/aws-sdk-go-v2/service/sfn"

	"github.com/stewardml/steward/internal/agent"
	"github.com/stewardml/steward/internal/asl"
	"github.com/stewardml/steward/internal/aws/sfn"
	"github.com/stewardml/steward/internal/config"
	"github.com/stewardml/steward/internal/dataset"
	"github.com/stewardml/steward/internal/train"
	"github.com/stewardml/steward/internal/workflow"
)

const machineARN = "arn:aws:states:eu-west-1:123456789012:stateMachine:steward-prod-retrain"

// sfnEmulator answers StartExecution as Step Functions does for a
// standard state machine: a new name starts an execution; the same name
// with the same input while it runs returns it again; any other reuse of
// a name is ExecutionAlreadyExists.
type sfnEmulator struct {
	mu     sync.Mutex
	execs  map[string]*sfnExecution // by name
	starts int
}

type sfnExecution struct {
	arn, input string
	ended      bool
}

func (e *sfnEmulator) end(name string) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.execs[name].ended = true
}

func (e *sfnEmulator) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	e.mu.Lock()
	defer e.mu.Unlock()
	w.Header().Set("Content-Type", "application/x-amz-json-1.0")
	if r.Header.Get("X-Amz-Target") != "AWSStepFunctions.StartExecution" {
		w.WriteHeader(400)
		io.WriteString(w, `{"__type":"UnknownOperationException"}`)
		return
	}
	var in struct{ StateMachineArn, Name, Input string }
	b, _ := io.ReadAll(r.Body)
	if err := json.Unmarshal(b, &in); err != nil || in.StateMachineArn != machineARN || in.Name == "" {
		w.WriteHeader(400)
		io.WriteString(w, `{"__type":"com.amazonaws.swf.service.v2.model#InvalidArn","message":"bad request"}`)
		return
	}
	e.starts++
	ex, ok := e.execs[in.Name]
	switch {
	case !ok:
		ex = &sfnExecution{arn: strings.Replace(machineARN, ":stateMachine:", ":execution:", 1) + ":" + in.Name, input: in.Input}
		e.execs[in.Name] = ex
	case ex.ended || ex.input != in.Input:
		w.WriteHeader(400)
		io.WriteString(w, `{"__type":"com.amazonaws.swf.service.v2.model#ExecutionAlreadyExists","message":"Execution Already Exists: '`+ex.arn+`'"}`)
		return
	}
	json.NewEncoder(w).Encode(map[string]any{"executionArn": ex.arn, "startDate": 1.7e9})
}

// testProject is the repository's steward.yaml with a quick training
// section.
func testProject(t *testing.T) *config.Project {
	t.Helper()
	p, err := config.Load("../../steward.yaml")
	if err != nil {
		t.Fatal(err)
	}
	holdout := 0.2
	p.Training = train.Config{Seed: 1, Folds: 2, Repeats: 1, Holdout: &holdout, Metric: "roc_auc",
		Families: []train.FamilySearch{{Family: "logreg", Params: map[string]any{"C": 1.0}}}}.WithDefaults()
	return p
}

// onStepFunctions is an app over local stores whose workflow starts on the
// emulated Step Functions.
func onStepFunctions(t *testing.T) (*App, *sfnEmulator) {
	t.Helper()
	a, err := New(context.Background(), Options{Runtime: config.Runtime{DataDir: t.TempDir(), Stage: "prod"}, Project: testProject(t)})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { a.Close() })
	em := &sfnEmulator{execs: map[string]*sfnExecution{}}
	srv := httptest.NewServer(em)
	t.Cleanup(srv.Close)
	// The stores stay local; the workflow is Step Functions'.
	a.Runtime.Bucket, a.Runtime.Table = "steward-prod-artifacts", "steward-prod"
	a.StepFunctions = sfn.New(awssfn.New(awssfn.Options{Region: "eu-west-1", BaseEndpoint: aws.String(srv.URL), Credentials: aws.AnonymousCredentials{}}), machineARN)
	return a, em
}

func storedData(t *testing.T, a *App) workflow.DatasetRef {
	t.Helper()
	raw, err := os.ReadFile(a.Project.DataPath())
	if err != nil {
		t.Fatal(err)
	}
	ref, err := dataset.Store(context.Background(), a.Artifacts, raw)
	if err != nil {
		t.Fatal(err)
	}
	return workflow.RefOf(ref)
}

func TestStartNamedOnStepFunctionsFindsTheExistingExecution(t *testing.T) {
	ctx := context.Background()
	a, em := onStepFunctions(t)
	w, err := a.Workflow()
	if err != nil {
		t.Fatal(err)
	}
	in := workflow.RetrainInput{Dataset: storedData(t, a), Trigger: workflow.TriggerAgent, RequestedBy: agent.Actor, Reason: "rule retrain-auto: drift score 0.62"}
	const name = "heart-act-0123456789abcdef0123"
	first, existed, err := w.StartNamed(ctx, name, in)
	wantARN := "arn:aws:states:eu-west-1:123456789012:execution:steward-prod-retrain:" + name
	if err != nil || existed || first.ExecutionID != wantARN || first.Status != "RUNNING" {
		t.Fatalf("first start %+v existed %v: %v", first, existed, err)
	}

	// Repeated after a crash, with the input the retry builds (another
	// reason), or after the execution ended: refused by Step Functions,
	// and the existing execution is the answer.
	in.Reason += "; retried"
	again, existed, err := w.StartNamed(ctx, name, in)
	if err != nil || !existed || again.ExecutionID != wantARN || again.Name != name {
		t.Errorf("start with another input: %+v existed %v: %v", again, existed, err)
	}
	em.end(name)
	in.Reason = "rule retrain-auto: drift score 0.62"
	again, existed, err = w.StartNamed(ctx, name, in)
	if err != nil || !existed || again.ExecutionID != wantARN {
		t.Errorf("start after it ended: %+v existed %v: %v", again, existed, err)
	}
	if len(em.execs) != 1 || em.starts != 3 {
		t.Errorf("%d executions from %d starts, want 1 from 3", len(em.execs), em.starts)
	}

	// Without a name each start is a new execution.
	other, existed, err := w.StartNamed(ctx, "", in)
	if err != nil || existed || other.ExecutionID == wantARN || !strings.HasPrefix(other.Name, "heart-") {
		t.Errorf("unnamed start %+v existed %v: %v", other, existed, err)
	}
	if _, _, err := w.StartNamed(ctx, "heart act:1", in); !errors.Is(err, workflow.ErrInvalidEvent) {
		t.Errorf("a name Step Functions refuses: %v", err)
	}
}

// TestAgentRetrainerStartsOncePerAction: the agent's retrainer names the
// execution after the action, so the same action started twice is one
// execution, and the agent hears it existed.
func TestAgentRetrainerStartsOncePerAction(t *testing.T) {
	ctx := context.Background()
	a, em := onStepFunctions(t)
	req := agent.RetrainRequest{Model: "heart", ActionID: "act-00112233445566778899", Reason: "rule retrain-auto", RequestedBy: agent.Actor}
	first, err := agentRetrainer{a}.StartRetrain(ctx, req)
	if err != nil || first.Existed || first.Name != "heart-act-00112233445566778899" {
		t.Fatalf("first %+v: %v", first, err)
	}
	em.end(first.Name)
	second, err := agentRetrainer{a}.StartRetrain(ctx, req)
	if err != nil || !second.Existed || second.ID != first.ID {
		t.Errorf("second %+v: %v, want the first execution %s", second, err, first.ID)
	}
	if len(em.execs) != 1 {
		t.Errorf("%d executions", len(em.execs))
	}
}

func TestStartNamedOnTheLocalRunnerFindsTheExistingExecution(t *testing.T) {
	ctx := context.Background()
	a, err := New(ctx, Options{Runtime: config.Runtime{DataDir: t.TempDir()}, Project: testProject(t)})
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	w, err := a.WorkflowWith(WorkflowOptions{Owner: "test", PollInterval: 10 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	in := workflow.RetrainInput{Dataset: storedData(t, a), Trigger: workflow.TriggerAgent, RequestedBy: agent.Actor, Reason: "rule retrain-approval", RequireApproval: true}
	const name = "heart-act-ffeeddccbbaa99887766"
	first, existed, err := w.StartNamed(ctx, name, in)
	// Without a champion the first version is promoted at once: the
	// execution has ended.
	if err != nil || existed || first.Name != name || first.Status != "SUCCEEDED" {
		t.Fatalf("first start %s %s existed %v: %v", first.ExecutionID, first.Status, existed, err)
	}
	in.Reason += "; retried"
	again, existed, err := w.StartNamed(ctx, name, in)
	if err != nil || !existed || again.ExecutionID != first.ExecutionID || again.Status != first.Status {
		t.Errorf("second start %s %s existed %v: %v; want %s", again.ExecutionID, again.Status, existed, err, first.ExecutionID)
	}
	list, err := w.Runner.ListExecutions(ctx, asl.ListFilter{})
	if err != nil || len(list) != 1 {
		t.Errorf("%d executions (%v), want 1", len(list), err)
	}
	if vs, err := a.Registry().Versions(ctx, "heart"); err != nil || len(vs) != 1 {
		t.Errorf("%d versions registered (%v), want the first start's only", len(vs), err)
	}
	// Without StartNamed's check the runner refuses the name itself.
	if _, err := w.Runner.Start(ctx, name, json.RawMessage(`{}`)); !errors.Is(err, asl.ErrExecutionExists) {
		t.Errorf("runner: %v", err)
	}
}
