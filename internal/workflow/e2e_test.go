package workflow_test

import (
	"context"
	"encoding/json"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stewardml/steward/internal/approval"
	"github.com/stewardml/steward/internal/asl"
)

// waitingForApproval starts a retraining that needs approval against a
// weak champion and checks that it waits at RequestApproval.
func waitingForApproval(t *testing.T, e *env) (executionID string) {
	t.Helper()
	champ := e.trainChampion(stumpTraining(e.app.Project.Training))
	st := e.start(true)
	if st.Status != string(asl.StatusRunning) || len(st.Waiting) != 1 || st.Waiting[0].State != "RequestApproval" || st.Waiting[0].Kind != "callback" {
		t.Fatalf("started %s %v, want RUNNING and waiting for the RequestApproval callback\n%s", st.Status, st.Waiting, e.failures(st.ExecutionID))
	}
	if got := e.champion(); got != champ.Version {
		t.Fatalf("champion moved to %d before any decision", got)
	}
	return st.ExecutionID
}

func TestApproveEndToEnd(t *testing.T) {
	e := newEnv(t)
	id := waitingForApproval(t, e)

	// One email per approver, each with its own link and no task token.
	var approvals []email
	for _, m := range e.outbox() {
		if m.Kind == "approval_requested" {
			approvals = append(approvals, m)
		}
	}
	if len(approvals) != 2 {
		t.Fatalf("%d approval emails, want one per approver (2)", len(approvals))
	}
	tokens := tokensOf(t, e, id)
	for _, m := range approvals {
		for _, tok := range tokens {
			if strings.Contains(m.Text, tok) || strings.Contains(m.HTML, tok) || strings.Contains(e.console.String(), tok) {
				t.Fatal("a task token appears in an email or on the console")
			}
		}
		if !strings.Contains(m.Text, "roc_auc") || !strings.Contains(m.Subject, "Approve heart version 2?") {
			t.Errorf("email to %s lacks the comparison or subject:\n%s\n%s", m.To, m.Subject, m.Text)
		}
	}
	link := e.approvalLink("ana@example.com")
	if !strings.Contains(e.console.String(), link.String()) {
		t.Errorf("the console does not show the link %s:\n%s", link, e.console)
	}

	// A GET (a mail scanner, or the approver looking) changes nothing.
	before := e.snapshot(approvalID(link), id)
	code, body := e.get(link)
	if code != http.StatusOK || !strings.Contains(body, "Approve heart version 2?") || !strings.Contains(body, `value="approve"`) {
		t.Fatalf("GET %d:\n%s", code, body)
	}
	code, _ = e.get(link)
	if after := e.snapshot(approvalID(link), id); !equalState(before, after) {
		t.Fatalf("GET changed state:\nbefore %+v\nafter  %+v", before, after)
	}

	e.clock.Advance(2 * time.Hour)
	code, body = e.post(link, "approve", "holds up on the hold-out", nil)
	if code != http.StatusOK || !strings.Contains(body, "approved by ana@example.com") {
		t.Fatalf("POST approve %d:\n%s", code, body)
	}
	ex := e.describe(id)
	if ex.Status != asl.StatusSucceeded {
		t.Fatalf("execution %s (%s: %s), want SUCCEEDED", ex.Status, ex.Error, ex.Cause)
	}
	if got := e.champion(); got != 2 {
		t.Fatalf("champion is %d, want the candidate 2", got)
	}
	var out struct {
		Evaluation struct {
			Result struct {
				Better                            bool
				CandidateVersion, ChampionVersion int
				Metric                            string
				HoldoutRows                       int
				CandidateMetrics, ChampionMetrics map[string]float64
			}
		}
		Approval  struct{ Approved bool }
		Promotion struct{ Result struct{ From, To int } }
	}
	if err := json.Unmarshal(ex.Output, &out); err != nil {
		t.Fatal(err)
	}
	ev := out.Evaluation.Result
	if !ev.Better || ev.CandidateVersion != 2 || ev.ChampionVersion != 1 || ev.Metric != "roc_auc" || ev.HoldoutRows != 61 {
		t.Errorf("evaluation %+v", ev)
	}
	if ev.CandidateMetrics["roc_auc"] <= ev.ChampionMetrics["roc_auc"]+0.01 {
		t.Errorf("candidate roc_auc %.4f not better than the stump's %.4f by the margin", ev.CandidateMetrics["roc_auc"], ev.ChampionMetrics["roc_auc"])
	}
	t.Logf("hold-out roc_auc: candidate %.4f, stump champion %.4f", ev.CandidateMetrics["roc_auc"], ev.ChampionMetrics["roc_auc"])
	if !out.Approval.Approved || out.Promotion.Result.From != 1 || out.Promotion.Result.To != 2 {
		t.Errorf("approval %+v promotion %+v", out.Approval, out.Promotion)
	}

	// The whole chain, correlated by the execution id.
	chain := e.auditChain(id)
	want := []string{"retrain.start", "retrain.evaluated", "approval.requested", "approval.approved", "model.promote", "retrain.promoted"}
	if got := actions(chain); !slices.Equal(got, want) {
		t.Fatalf("audit chain %v, want %v", got, want)
	}
	byAction := map[string]int{}
	for i, ev := range chain {
		byAction[ev.Action] = i
		if ev.Time.IsZero() || ev.Actor == "" || ev.Reason == "" || ev.Execution != id {
			t.Errorf("%s lacks who, when, why or the execution: %+v", ev.Action, ev)
		}
	}
	if a := chain[byAction["retrain.start"]]; a.Actor != "ops@example.com" || !strings.Contains(a.Reason, "quarterly refresh") || len(a.Evidence) == 0 {
		t.Errorf("start %+v", a)
	}
	if a := chain[byAction["retrain.evaluated"]]; len(a.Evidence) < 4 || !strings.Contains(a.Reason, "roc_auc") {
		t.Errorf("evaluation evidence %v reason %q", a.Evidence, a.Reason)
	}
	for _, act := range []string{"approval.approved", "model.promote", "retrain.promoted"} {
		if a := chain[byAction[act]]; a.Actor != "ana@example.com" {
			t.Errorf("%s actor %q, want the approver", act, a.Actor)
		}
	}
	if a := chain[byAction["approval.approved"]]; a.Reason != "holds up on the hold-out" || !a.Time.Equal(t0.Add(2*time.Hour)) {
		t.Errorf("approval event %+v", a)
	}
	// A promoted notification went out.
	var promoted int
	for _, m := range e.outbox() {
		if m.Kind == "promoted" {
			promoted++
		}
	}
	if promoted != 1 {
		t.Errorf("%d promoted notifications, want 1", promoted)
	}
}

func equalState(a, b state) bool {
	return string(a.Approval) == string(b.Approval) && a.Status == b.Status && a.Events == b.Events && a.Audit == b.Audit && a.Champion == b.Champion
}

// tokensOf returns the task tokens the execution's history shows.
func tokensOf(t *testing.T, e *env, id string) []string {
	t.Helper()
	var out []string
	for _, ev := range e.history(id) {
		var in struct {
			TaskToken string `json:"taskToken"`
			Payload   struct {
				TaskToken string `json:"taskToken"`
			}
		}
		if json.Unmarshal(ev.Input, &in) == nil {
			for _, tok := range []string{in.TaskToken, in.Payload.TaskToken} {
				if tok != "" {
					out = append(out, tok)
				}
			}
		}
	}
	if len(out) == 0 {
		t.Fatal("no task token in the history")
	}
	return out
}

var _ = approval.Pending
var _ = context.Background
