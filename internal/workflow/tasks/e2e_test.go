package tasks_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stewardml/steward/internal/approval"
	"github.com/stewardml/steward/internal/asl"
	"github.com/stewardml/steward/internal/notify/notifytest"
	"github.com/stewardml/steward/internal/train"
	"github.com/stewardml/steward/internal/workflow/tasks"
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
		if len(m.Attachments) != 1 || !strings.HasPrefix(m.Attachments[0], "training-report-") {
			t.Errorf("email to %s attaches %q, want the candidate's training report", m.To, m.Attachments)
		}
	}
	// The signed link changes with the data directory's key, the port, run
	// id and expiry with each run.
	golden := approvals[0].Summary
	for _, r := range []struct{ re, with string }{
		{`/approvals/[0-9a-f]+\?approver=[^\s]+`, "/approvals/ID?approver=…"},
		{`127\.0\.0\.1:\d+`, "127.0.0.1:PORT"},
		{`training-report-[0-9a-f-]+\.pdf`, "training-report-RUN.pdf"},
		{`expires \d{4}-\d\d-\d\d \d\d:\d\d UTC`, "expires DATE"},
	} {
		golden = regexp.MustCompile(r.re).ReplaceAllString(golden, r.with)
	}
	notifytest.Golden(t, filepath.Join("testdata", "golden", "approval-requested.txt"), golden, *update)
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
	if code != http.StatusOK || !strings.Contains(body, "You approved version 2 — champion is now version 2.") {
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

func countKind(e *env, kind string) (n int, to []string) {
	for _, m := range e.outbox() {
		if m.Kind == kind {
			n++
			to = append(to, m.To)
		}
	}
	return n, to
}

func TestRejectEndToEnd(t *testing.T) {
	e := newEnv(t)
	id := waitingForApproval(t, e)
	link := e.approvalLink("bo@example.com")
	code, body := e.post(link, "reject", "too little data from women", nil)
	if code != http.StatusOK || !strings.Contains(body, "You rejected version 2 — champion stays version 1.") {
		t.Fatalf("POST reject %d:\n%s", code, body)
	}
	ex := e.describe(id)
	if ex.Status != asl.StatusSucceeded {
		t.Fatalf("execution %s\n%s", ex.Status, e.failures(id))
	}
	if got := e.champion(); got != 1 {
		t.Fatalf("champion is %d after a rejection, want 1", got)
	}
	if !visited(e.history(id), "RecordRejected") || visited(e.history(id), "Promote") {
		t.Error("the execution did not go RecordRejected without Promote")
	}
	chain := e.auditChain(id)
	want := []string{"retrain.start", "retrain.evaluated", "approval.requested", "approval.rejected", "retrain.rejected"}
	if got := actions(chain); !slices.Equal(got, want) {
		t.Fatalf("audit chain %v, want %v", got, want)
	}
	last := chain[len(chain)-1]
	if last.Actor != "bo@example.com" || !strings.Contains(last.Reason, "too little data from women") {
		t.Errorf("rejection recorded as %+v", last)
	}
	r, err := e.wf.Approvals.Get(context.Background(), approvalID(link))
	if err != nil || r.Status != approval.Rejected || !r.CallbackDone {
		t.Errorf("approval %+v, %v; want rejected and called back", r, err)
	}
	if n, _ := countKind(e, "rejected"); n != 1 {
		t.Errorf("%d rejection notifications, want 1", n)
	}
}

func visited(h []asl.Event, state string) bool {
	for _, ev := range h {
		if ev.State == state && strings.HasSuffix(string(ev.Type), "StateEntered") {
			return true
		}
	}
	return false
}

func TestExpiredApprovalEscalates(t *testing.T) {
	e := newEnv(t)
	id := waitingForApproval(t, e)
	link := e.approvalLink("ana@example.com")
	ctx := context.Background()

	// Nothing happens before the timeout.
	e.clock.Advance(71 * time.Hour)
	if err := e.wf.Runner.Tick(ctx); err != nil {
		t.Fatal(err)
	}
	if ex := e.describe(id); ex.Status != asl.StatusRunning {
		t.Fatalf("execution %s after 71 h, want still RUNNING", ex.Status)
	}
	// The link expires a minute before the task times out.
	e.clock.Advance(time.Hour - 30*time.Second)
	if code, body := e.get(link); code != http.StatusGone || !strings.Contains(body, "expired") {
		t.Fatalf("GET of a link past its expiry: %d\n%s", code, body)
	}
	e.clock.Advance(time.Minute)
	if err := e.wf.Runner.Tick(ctx); err != nil {
		t.Fatal(err)
	}
	ex := e.describe(id)
	if ex.Status != asl.StatusSucceeded || !visited(e.history(id), "Escalate") || visited(e.history(id), "Promote") {
		t.Fatalf("execution %s, want SUCCEEDED through Escalate without Promote\n%s", ex.Status, e.failures(id))
	}
	var timedOut bool
	for _, ev := range e.history(id) {
		timedOut = timedOut || (ev.Type == asl.EventTaskTimedOut && ev.State == "RequestApproval")
	}
	if !timedOut {
		t.Error("no TaskTimedOut event for RequestApproval")
	}
	if got := e.champion(); got != 1 {
		t.Fatalf("champion is %d after an escalation, want 1", got)
	}
	r, err := e.wf.Approvals.Get(ctx, approvalID(link))
	if err != nil || r.Status != approval.Expired {
		t.Fatalf("approval %v, %v; want expired", r.Status, err)
	}
	n, to := countKind(e, "escalated")
	if n != 1 || to[0] != "oncall@example.com" {
		t.Errorf("escalation emails %d to %v, want 1 to oncall@example.com", n, to)
	}
	chain := e.auditChain(id)
	want := []string{"retrain.start", "retrain.evaluated", "approval.requested", "approval.link_refused", "approval.expired", "retrain.escalated"}
	if got := actions(chain); !slices.Equal(got, want) {
		t.Fatalf("audit chain %v, want %v", got, want)
	}
	// A late POST is refused and changes nothing.
	before := e.snapshot(approvalID(link), id)
	if code, _ := e.post(link, "approve", "", nil); code != http.StatusGone {
		t.Errorf("late POST %d, want 410", code)
	}
	after := e.snapshot(approvalID(link), id)
	after.Audit-- // the refusal is audited
	if !equalState(before, after) {
		t.Errorf("late POST changed state:\nbefore %+v\nafter  %+v", before, after)
	}
}

func TestForgedLinksAreRefused(t *testing.T) {
	e := newEnv(t)
	id := waitingForApproval(t, e)
	link := e.approvalLink("ana@example.com")
	forged := []struct {
		name   string
		tamper func(url.Values)
	}{
		{"signature changed", func(v url.Values) {
			s := []byte(v.Get("sig"))
			s[3] ^= 1
			v.Set("sig", string(s))
		}},
		{"approver swapped", func(v url.Values) { v.Set("approver", "mallory@example.com") }},
		{"expiry extended", func(v url.Values) { v.Set("exp", "4102444800") }},
		{"signature from another key", func(v url.Values) {
			exp, _ := strconv.ParseInt(v.Get("exp"), 10, 64)
			v.Set("sig", approval.Signer{Key: []byte("not the key of this deployment!!")}.Sign(approvalID(link), "ana@example.com", time.Unix(exp, 0)))
		}},
		{"no signature", func(v url.Values) { v.Del("sig") }},
	}
	before := e.snapshot(approvalID(link), id)
	for _, f := range forged {
		code, body := e.post(link, "approve", "", f.tamper)
		if code != http.StatusForbidden || !strings.Contains(body, "not valid") {
			t.Errorf("%s: POST %d, want 403 with a clear page:\n%s", f.name, code, body)
		}
		u := *link
		q := u.Query()
		f.tamper(q)
		u.RawQuery = q.Encode()
		if code, _ := e.get(&u); code != http.StatusForbidden {
			t.Errorf("%s: GET %d, want 403", f.name, code)
		}
	}
	after := e.snapshot(approvalID(link), id)
	// Anyone can open a link, so refusals are audited once per link id
	// and minute, not once each.
	if after.Audit != before.Audit+1 {
		t.Errorf("%d audit events for %d refused requests of one link in one minute, want 1", after.Audit-before.Audit, 2*len(forged))
	}
	after.Audit = before.Audit
	if !equalState(before, after) {
		t.Fatalf("forged requests changed state:\nbefore %+v\nafter  %+v", before, after)
	}
	var refused int
	for _, ev := range e.auditChain(id) {
		if ev.Action == "approval.link_refused" {
			refused++
		}
	}
	if refused != 1 {
		t.Errorf("%d refusals in the execution's chain, want 1", refused)
	}
	// The genuine link still works.
	if code, _ := e.post(link, "approve", "", nil); code != http.StatusOK {
		t.Fatalf("genuine POST after forgeries: %d", code)
	}
	if got := e.champion(); got != 2 {
		t.Errorf("champion %d, want 2", got)
	}
}

func TestReplayedPostSendsNothing(t *testing.T) {
	e := newEnv(t)
	id := waitingForApproval(t, e)
	link := e.approvalLink("ana@example.com")
	if code, _ := e.post(link, "approve", "first", nil); code != http.StatusOK {
		t.Fatalf("first POST %d", code)
	}
	before := e.snapshot(approvalID(link), id)
	for _, replay := range []struct {
		who, decision string
	}{{"ana@example.com", "approve"}, {"ana@example.com", "reject"}, {"bo@example.com", "reject"}} {
		code, body := e.post(e.approvalLink(replay.who), replay.decision, "again", nil)
		if code != http.StatusConflict || !strings.Contains(body, "Already decided: approved by ana@example.com") {
			t.Errorf("replay by %s (%s): %d\n%s", replay.who, replay.decision, code, body)
		}
	}
	if after := e.snapshot(approvalID(link), id); !equalState(before, after) {
		t.Fatalf("replays changed state:\nbefore %+v\nafter  %+v", before, after)
	}
	if code, body := e.get(link); code != http.StatusOK || !strings.Contains(body, "Already decided") || strings.Contains(body, `value="approve"`) {
		t.Errorf("GET after the decision: %d\n%s", code, body)
	}
}

func TestConcurrentPostsCallBackOnce(t *testing.T) {
	e := newEnv(t)
	id := waitingForApproval(t, e)
	links := []*url.URL{e.approvalLink("ana@example.com"), e.approvalLink("bo@example.com")}
	const n = 8
	codes := make([]int, n)
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i := 0; i < n; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			<-start
			decision := "approve"
			if i%2 == 1 {
				decision = "reject"
			}
			codes[i], _ = e.post(links[i%2], decision, fmt.Sprintf("post %d", i), nil)
		}(i)
	}
	close(start)
	wg.Wait()
	var ok, conflict int
	for _, c := range codes {
		switch c {
		case http.StatusOK:
			ok++
		case http.StatusConflict:
			conflict++
		}
	}
	if ok != 1 || conflict != n-1 {
		t.Fatalf("status codes %v: want exactly one 200 and %d 409", codes, n-1)
	}
	var callbacks int
	for _, ev := range e.history(id) {
		if ev.State == "RequestApproval" && ev.Type == asl.EventTaskSucceeded {
			callbacks++
		}
	}
	if callbacks != 1 {
		t.Fatalf("%d callbacks reached the execution, want exactly 1", callbacks)
	}
	var decisions []string
	for _, ev := range e.auditChain(id) {
		if ev.Action == "approval.approved" || ev.Action == "approval.rejected" {
			decisions = append(decisions, ev.Action)
		}
	}
	if len(decisions) != 1 {
		t.Fatalf("decisions audited: %v, want exactly one", decisions)
	}
	ex := e.describe(id)
	wantChampion := 1
	if decisions[0] == "approval.approved" {
		wantChampion = 2
	}
	if ex.Status != asl.StatusSucceeded || e.champion() != wantChampion {
		t.Errorf("execution %s, champion %d after %s", ex.Status, e.champion(), decisions[0])
	}
}

// A pending approval survives a restart: the process that started the
// execution closes, a new one opens the same data directory and takes
// the decision.
func TestPendingApprovalSurvivesRestart(t *testing.T) {
	e := newEnv(t)
	id := waitingForApproval(t, e)
	link := e.approvalLink("ana@example.com")
	e.close()

	e.open("after-restart")
	if ex := e.describe(id); ex.Status != asl.StatusRunning || len(ex.Waiting) != 1 || ex.Waiting[0].State != "RequestApproval" {
		t.Fatalf("after the restart the execution is %s waiting %v", ex.Status, ex.Waiting)
	}
	if err := e.wf.Runner.Tick(context.Background()); err != nil {
		t.Fatal(err)
	}
	if code, body := e.post(link, "approve", "", nil); code != http.StatusOK {
		t.Fatalf("POST after restart: %d\n%s", code, body)
	}
	if ex := e.describe(id); ex.Status != asl.StatusSucceeded {
		t.Fatalf("execution %s\n%s", ex.Status, e.failures(id))
	}
	if got := e.champion(); got != 2 {
		t.Errorf("champion %d, want 2", got)
	}
	h := e.history(id)
	for i, ev := range h {
		if ev.ID != int64(i+1) {
			t.Fatalf("history event %d has id %d: one sequence across both processes expected", i, ev.ID)
		}
	}
}

// A candidate no better than the champion by the margin is registered
// and recorded, and nobody is asked.
func TestNotBetterEndsWithoutApproval(t *testing.T) {
	e := newEnv(t)
	e.trainChampion(e.app.Project.Training) // the same search: the same model
	st := e.start(true)
	if st.Status != string(asl.StatusSucceeded) {
		t.Fatalf("execution %s\n%s", st.Status, e.failures(st.ExecutionID))
	}
	if !visited(e.history(st.ExecutionID), "RecordNotBetter") || visited(e.history(st.ExecutionID), "RequestApproval") {
		t.Error("the execution did not end through RecordNotBetter without asking")
	}
	if n, _ := countKind(e, "approval_requested"); n != 0 {
		t.Errorf("%d approval emails for a candidate that is not better", n)
	}
	if got := e.champion(); got != 1 {
		t.Errorf("champion %d, want 1", got)
	}
	var out struct {
		Evaluation struct{ Result workflowEvaluation }
	}
	if err := json.Unmarshal(st.Output, &out); err != nil {
		t.Fatal(err)
	}
	if r := out.Evaluation.Result; r.Better || r.Improvement != 0 || r.CandidateVersion != 2 || r.RegisteredAs != "challenger" {
		t.Errorf("evaluation %+v, want an equal challenger, not better", r)
	}
	if got := actions(e.auditChain(st.ExecutionID)); !slices.Equal(got, []string{"retrain.start", "retrain.evaluated", "retrain.not_better"}) {
		t.Errorf("audit chain %v", got)
	}
}

type workflowEvaluation = tasks.Evaluation

func TestWithoutApprovalPromotesAtOnce(t *testing.T) {
	e := newEnv(t)
	e.trainChampion(stumpTraining(e.app.Project.Training))
	st := e.start(false)
	if st.Status != string(asl.StatusSucceeded) || e.champion() != 2 {
		t.Fatalf("execution %s, champion %d\n%s", st.Status, e.champion(), e.failures(st.ExecutionID))
	}
	chain := e.auditChain(st.ExecutionID)
	if got := actions(chain); !slices.Equal(got, []string{"retrain.start", "retrain.evaluated", "model.promote", "retrain.promoted"}) {
		t.Fatalf("audit chain %v", got)
	}
	if a := chain[2]; a.Actor != "workflow" || !strings.Contains(a.Reason, "no approval required") {
		t.Errorf("promotion recorded as %+v", a)
	}
}

// A model's first version is champion once registered; approval is not
// asked for what already happened.
func TestFirstVersionNeedsNoApproval(t *testing.T) {
	e := newEnv(t)
	st := e.start(true)
	if st.Status != string(asl.StatusSucceeded) || e.champion() != 1 {
		t.Fatalf("execution %s, champion %d\n%s", st.Status, e.champion(), e.failures(st.ExecutionID))
	}
	if visited(e.history(st.ExecutionID), "RequestApproval") || !visited(e.history(st.ExecutionID), "RecordPromoted") {
		t.Error("a first version went through approval")
	}
}

// A champion moved by someone else while the execution waited makes
// Promote fail with Conflict, recorded as a failure; nothing is overwritten.
func TestChampionMovedMeanwhileIsAConflict(t *testing.T) {
	e := newEnv(t)
	id := waitingForApproval(t, e)
	ctx := context.Background()
	// While the approval waits, someone trains a hotfix (v3) and makes it
	// champion by hand.
	d, _ := e.loadData()
	rec, err := e.app.TrainService("test").Train(ctx, train.Request{Model: "heart", Data: d, Config: stumpTraining(e.app.Project.Training)})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.app.Registry().MoveAlias(ctx, "heart", "champion", 1, rec.Version, "carol@example.com", "hotfix"); err != nil {
		t.Fatal(err)
	}
	if code, _ := e.post(e.approvalLink("ana@example.com"), "approve", "", nil); code != http.StatusOK {
		t.Fatalf("POST %d", code)
	}
	ex := e.describe(id)
	if ex.Status != asl.StatusFailed || !strings.Contains(e.failures(id), "Conflict") {
		t.Fatalf("execution %s, want FAILED with a Conflict\n%s", ex.Status, e.failures(id))
	}
	if got := e.champion(); got != rec.Version {
		t.Errorf("champion %d, want the hotfix %d kept", got, rec.Version)
	}
	if got := actions(e.auditChain(id)); got[len(got)-1] != "retrain.failed" {
		t.Errorf("audit chain %v, want it to end with retrain.failed", got)
	}
	if n, _ := countKind(e, "failure"); n != 1 {
		t.Errorf("%d failure notifications, want 1", n)
	}
}
