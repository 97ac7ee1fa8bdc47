package asl_test

import (
	"context"
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stewardml/steward/internal/asl"
	"github.com/stewardml/steward/internal/asl/asltest"
	"github.com/stewardml/steward/internal/local/sqlite"
)

// The record-store backend runs over the local record store, SQLite: the
// adapter Steward uses locally, tested here through its real protocol.
func openSQLite(t *testing.T, path string) *sqlite.Store {
	t.Helper()
	s, err := sqlite.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func TestRecordStoreBackendOnSQLite(t *testing.T) {
	asltest.TestStore(t, func(t *testing.T) asl.Store {
		return asl.NewRecordStoreBackend(openSQLite(t, filepath.Join(t.TempDir(), "records.db")))
	})
}

// The retrain shape over SQLite: the CLI's runner starts the execution and
// exits; `steward serve`, with its own database handle on the same file,
// receives the approval after a restart and finishes it.
func TestPendingApprovalSurvivesRestartOnSQLite(t *testing.T) {
	path := filepath.Join(t.TempDir(), "records.db")
	a := &approvals{}
	promoted := 0
	res := map[string]asl.Invoker{
		"steward-request-approval": a,
		"steward-promote": asl.InvokerFunc(func(ctx context.Context, req asl.TaskRequest) (json.RawMessage, error) {
			promoted++
			return json.RawMessage(`{"champion":"v2"}`), nil
		}),
	}
	def := mustParse(t, `{"StartAt":"RequestApproval","States":{
		"RequestApproval":{"Type":"Task","Resource":"arn:aws:states:::lambda:invoke.waitForTaskToken","TimeoutSeconds":259200,
			"Parameters":{"FunctionName":"steward-request-approval","Payload":{"token.$":"$$.Task.Token"}},"ResultPath":"$.approval","Next":"Promote"},
		"Promote":{"Type":"Task","Resource":"arn:aws:states:::lambda:invoke","Parameters":{"FunctionName":"steward-promote","Payload.$":"$"},
			"ResultSelector":{"promotion.$":"$.Payload"},"ResultPath":"$.promotion","End":true}}}`)
	clock := asltest.NewClock(t0)

	cliStore := openSQLite(t, path)
	cli, err := asl.NewRunner(asl.Config{Store: asl.NewRecordStoreBackend(cliStore), Resources: res, Clock: clock})
	must(t, err)
	ex, err := cli.Start(context.Background(), asl.StartInput{StateMachine: def, StateMachineName: "retrain", Name: "run-1", Input: json.RawMessage(`{"model":"heart"}`)})
	must(t, err)
	if ex.Status != asl.StatusRunning {
		t.Fatalf("status %s, want RUNNING", ex.Status)
	}
	must(t, cliStore.Close())

	clock.Advance(24 * time.Hour)
	serve, err := asl.NewRunner(asl.Config{Store: asl.NewRecordStoreBackend(openSQLite(t, path)), Resources: res, Clock: clock})
	must(t, err)
	must(t, serve.Tick(context.Background()))
	must(t, serve.SendTaskSuccess(context.Background(), a.last(t), json.RawMessage(`{"approved":true,"approver":"ana"}`)))
	got, err := serve.DescribeExecution(context.Background(), ex.ID)
	must(t, err)
	if got.Status != asl.StatusSucceeded || promoted != 1 {
		t.Fatalf("status %s after %d promotions, want SUCCEEDED after 1", got.Status, promoted)
	}
	jsonEq(t, got.Output, `{"model":"heart","approval":{"approved":true,"approver":"ana"},"promotion":{"promotion":{"champion":"v2"}}}`)
}

// A save whose events exceed one record body is split into several event
// records, still written in one atomic batch.
func TestRecordStoreBackendSplitsLargeEventBatches(t *testing.T) {
	s := asl.NewRecordStoreBackend(openSQLite(t, filepath.Join(t.TempDir(), "records.db")))
	big := json.RawMessage(`"` + strings.Repeat("x", 200*1024) + `"`)
	var events []asl.Event
	for i := int64(1); i <= 5; i++ {
		events = append(events, asl.Event{ID: i, Type: asl.EventTaskSucceeded, Timestamp: t0, Output: big})
	}
	must(t, s.SaveExecution(context.Background(), asl.ExecutionRecord{ID: "x", Version: 1, Status: asl.StatusRunning, StartTime: t0, Data: json.RawMessage(`{}`)}, events))
	got, err := s.LoadEvents(context.Background(), "x", 0)
	must(t, err)
	if len(got) != 5 || got[4].ID != 5 || len(got[4].Output) != len(big) {
		t.Fatalf("got %d events", len(got))
	}
	tooBig := asl.ExecutionRecord{ID: "y", Version: 1, Status: asl.StatusRunning, StartTime: t0, Data: json.RawMessage(`"` + strings.Repeat("x", 400*1024) + `"`)}
	if err := s.SaveExecution(context.Background(), tooBig, nil); err == nil || !strings.Contains(err.Error(), "more than the record store's") {
		t.Errorf("oversized state: got %v", err)
	}
}
