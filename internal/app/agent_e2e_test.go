package app_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stewardml/steward/internal/agent"
	"github.com/stewardml/steward/internal/app"
	"github.com/stewardml/steward/internal/asl/asltest"
	"github.com/stewardml/steward/internal/audit"
	"github.com/stewardml/steward/internal/config"
	"github.com/stewardml/steward/internal/dataset"
	"github.com/stewardml/steward/internal/local/gateway"
	"github.com/stewardml/steward/internal/local/scheduler"
	"github.com/stewardml/steward/internal/monitor"
	"github.com/stewardml/steward/internal/monitor/monitortest"
	"github.com/stewardml/steward/internal/notify/notifytest"
	"github.com/stewardml/steward/internal/registry"
	"github.com/stewardml/steward/internal/train"
)

// e2eProject is the repository's steward.yaml with: a quick training
// section; one approver; an hourly drift check over the last day; a policy
// whose retraining band asks for approval from a drift score of 0.5; and
// the bundled expectation suite with the not-null expectations of chol,
// slope, ca and thal relaxed to half the rows — the retraining data is the
// training file plus the labelled Hungarian traffic, in which those are
// mostly missing, and the bundled suite (rightly) refuses that.
func e2eProject(t *testing.T, dir string, extra ...string) string {
	t.Helper()
	b, err := os.ReadFile("../../steward.yaml")
	if err != nil {
		t.Fatal(err)
	}
	s := string(b)
	root, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	s = strings.Replace(s, "source: testdata/", "source: "+root+"/testdata/", 1)
	suite, err := os.ReadFile(filepath.Join(root, "testdata/suites/heart.json"))
	if err != nil {
		t.Fatal(err)
	}
	var doc map[string]any
	if err := json.Unmarshal(suite, &doc); err != nil {
		t.Fatal(err)
	}
	for _, e := range doc["expectations"].([]any) {
		e := e.(map[string]any)
		kw := e["kwargs"].(map[string]any)
		if e["expectation_type"] == "expect_column_values_to_not_be_null" && (kw["column"] == "slope" || kw["column"] == "ca" || kw["column"] == "thal" || kw["column"] == "chol") {
			kw["mostly"] = 0.5
		}
	}
	suite, _ = json.Marshal(doc)
	suitePath := filepath.Join(dir, "suite.json")
	if err := os.WriteFile(suitePath, suite, 0o644); err != nil {
		t.Fatal(err)
	}
	s = cut(t, s, "validation:") + "validation:\n  suite: " + suitePath + "\n"
	s = cut(t, s, "training:") + `training:
  seed: 7
  folds: 3
  repeats: 1
  holdout: 0.2
  metric: roc_auc
  families:
    - family: logreg
      params: {C: [0.1, 1.0]}
`
	s = cut(t, s, "drift:") + `drift:
  schedule: rate(1 hour)
  window: 24h
`
	s = cut(t, s, "agent:") + `agent:
  cooldown: 6h
  bands:
    - {name: log-only, from: 0}
    - {name: retrain-approval, from: 0.5, retrain: true, approval: true}
    - {name: escalate, from: 0.9, retrain: true, approval: true, escalate: true}
`
	s = cut(t, s, "approval:") + `approval:
  approvers: [ana@example.com]
  expiry: 72h
  margin: 0.01
`
	for _, e := range extra {
		s = cut(t, s, strings.SplitN(e, "\n", 2)[0]) + e
	}
	path := filepath.Join(dir, "steward.yaml")
	if err := os.WriteFile(path, []byte(s), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// cut removes the top-level YAML section starting with key.
func cut(t *testing.T, s, key string) string {
	t.Helper()
	i := strings.Index(s, "\n"+key)
	if i < 0 {
		t.Fatalf("steward.yaml has no %s section", key)
	}
	j := i + 1 + len(key)
	for j < len(s) {
		k := strings.IndexByte(s[j:], '\n')
		if k < 0 {
			j = len(s)
			break
		}
		j += k + 1
		if j < len(s) && s[j] != ' ' && s[j] != '#' && s[j] != '\n' {
			break
		}
	}
	return s[:i+1] + s[j:]
}

// driftRun is a drift-triggered retraining waiting for approval, as
// driftToApproval leaves it.
type driftRun struct {
	dir     string
	a       *app.App
	srv     *httptest.Server
	wf      *app.Workflow
	clock   *asltest.Clock
	s       *app.Serving
	console syncBuffer
	t0      time.Time
	check   monitor.Summary
	execID  string
}

// driftToApproval drives the local platform, as `steward serve` wires it,
// from Hungarian traffic to the retraining that waits for approval: the
// project is e2eProject's with the extra top-level sections given, and
// getenv is the environment the runtime reads settings from.
func driftToApproval(t *testing.T, getenv func(string) string, extra ...string) *driftRun {
	t.Helper()
	r := &driftRun{}
	console := &r.console
	ctx := context.Background()
	dir := t.TempDir()
	// The clock starts at the real time because the SQLite record store
	// expires records (the approval's task token) by the real clock.
	t0 := time.Now().UTC().Truncate(time.Minute)
	clock := asltest.NewClock(t0)
	var mu sync.Mutex
	var gwh http.Handler
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		h := gwh
		mu.Unlock()
		h.ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	env := map[string]string{"STEWARD_DATA_DIR": dir, "STEWARD_CONFIG": e2eProject(t, dir, extra...), "STEWARD_PUBLIC_URL": srv.URL}
	rt, err := config.FromEnv(func(k string) string {
		if v, ok := env[k]; ok {
			return v
		}
		if getenv != nil {
			return getenv(k)
		}
		return ""
	})
	if err != nil {
		t.Fatal(err)
	}
	a, err := app.New(ctx, app.Options{Runtime: rt, Console: console, Now: clock.Now})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { a.Close() })

	// A weak champion (one depth-1 tree) trained on Cleveland, with its
	// reference profile, as `steward train` stores it.
	p := a.Project
	frame, raw, err := dataset.ReadFile(p.DataPath(), p.Schema(), dataset.Options{Format: p.DataFormat()})
	if err != nil {
		t.Fatal(err)
	}
	ref, err := dataset.Store(ctx, a.Artifacts, raw)
	if err != nil {
		t.Fatal(err)
	}
	stump := p.Training
	stump.Families = []train.FamilySearch{{Family: "forest", Params: map[string]any{"n_trees": 1, "max_depth": 1}}}
	rec, err := a.TrainService("test").Train(ctx, train.Request{Model: "heart", Data: train.Data{Schema: p.Schema(), Frame: frame, Digest: ref.Digest}, Config: stump})
	if err != nil || rec.Version != 1 {
		t.Fatalf("champion: v%d %v", rec.Version, err)
	}

	// `steward serve`: the prediction API and the approval links behind the
	// local gateway, the drift schedule, the agent on the local bus.
	s := a.Serving(app.ServingOptions{RefreshInterval: time.Hour, FlushInterval: 10 * time.Millisecond})
	t.Cleanup(func() { s.Captures.Close(ctx) })
	wf, err := a.WorkflowWith(app.WorkflowOptions{Clock: clock, Owner: "serve"})
	if err != nil {
		t.Fatal(err)
	}
	gw := gateway.New(gateway.Config{Now: clock.Now})
	gw.Mount("/v1/", s.Handler)
	wf.Mount(gw)
	dash, err := a.Dashboard(app.DashboardOptions{InsecureLoopback: true, Approvals: wf.Approvals})
	if err != nil {
		t.Fatal(err)
	}
	gw.Mount("/", dash, gateway.Public())
	mu.Lock()
	gwh = gw
	mu.Unlock()
	if err := a.SubscribeAgent(nil); err != nil {
		t.Fatal(err)
	}
	var schedLog syncBuffer
	sch := &scheduler.Scheduler{Now: clock.Now, Log: &schedLog}
	if err := a.ScheduleDrift(sch); err != nil {
		t.Fatal(err)
	}

	// Hungarian traffic, one patient per request, and its feedback.
	feats, labels, err := monitortest.Rows("../../testdata/heart/processed.hungarian.data")
	if err != nil {
		t.Fatal(err)
	}
	clock.Advance(10 * time.Minute)
	served, refused := 0, 0
	for i, f := range feats {
		inst := map[string]any{}
		for k, v := range f {
			if math.IsNaN(v) {
				inst[k] = nil
			} else {
				inst[k] = v
			}
		}
		body, _ := json.Marshal(map[string]any{"instances": []any{inst}})
		code, resp := post(t, srv.URL+"/v1/models/heart/predict", "application/json", body)
		if code == http.StatusUnprocessableEntity {
			refused++ // out of the schema's ranges (chol 85, 603)
			continue
		}
		var pr predictResponse
		if code != http.StatusOK || json.Unmarshal(resp, &pr) != nil || len(pr.Predictions) != 1 || pr.Model.Version != 1 {
			t.Fatalf("predict %d: %d %s", i, code, resp)
		}
		fb, _ := json.Marshal(map[string]any{"id": pr.Predictions[0].ID, "label": labels[i]})
		if code, resp := post(t, srv.URL+"/v1/feedback", "application/json", fb); code != http.StatusOK {
			t.Fatalf("feedback %d: %d %s", i, code, resp)
		}
		served++
	}
	if err := s.Captures.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	if served < 250 || refused == 0 {
		t.Fatalf("%d served, %d refused", served, refused)
	}

	// The hourly check fires; the agent decides and starts the retraining,
	// which waits for approval.
	clock.Advance(50 * time.Minute)
	var wg sync.WaitGroup
	if n := sch.Tick(ctx, clock.Now(), &wg); n != 1 {
		t.Fatalf("%d jobs due at %s, want the drift check (next runs %v)", n, clock.Now(), sch.NextRuns())
	}
	wg.Wait()
	if !strings.Contains(schedLog.String(), "drift heart ran for") {
		t.Fatalf("scheduler: %s\nconsole: %s", schedLog.String(), console.String())
	}
	hist, err := monitor.History(ctx, a.Records, monitor.HistoryFilter{Model: "heart"})
	if err != nil || len(hist) != 1 {
		t.Fatalf("history %v %v", hist, err)
	}
	check := hist[0]
	if check.Verdict != "drift" || check.Rows != served || check.Labelled != served || check.Trigger != "schedule" {
		t.Fatalf("check %+v", check)
	}
	decisions, err := agent.ReadLog(ctx, a.Audit(), audit.Filter{Model: "heart"})
	if err != nil || len(decisions) != 1 {
		t.Fatalf("decisions %+v %v\nconsole: %s", decisions, err, console.String())
	}
	d := decisions[0].Entry
	if d.Decision.Rule != "retrain-approval" || d.Outcome.Status != agent.OutcomeStarted || d.Trigger.Check.CheckID != check.CheckID {
		t.Fatalf("decision %+v\n%+v", d.Decision, d.Outcome)
	}
	execID := d.Outcome.Execution
	ex, err := wf.Runner.DescribeExecution(ctx, execID)
	if err != nil || ex.Status != "RUNNING" || len(ex.Waiting) != 1 || ex.Waiting[0].State != "RequestApproval" {
		t.Fatalf("execution %s: %s %v\n%s", execID, ex.Status, err, failures(t, wf, execID))
	}

	r.dir, r.a, r.srv, r.wf, r.clock, r.s, r.t0, r.check, r.execID = dir, a, srv, wf, clock, s, t0, check, execID
	return r
}

// TestDriftToApprovedChampionEndToEnd is issue 8's end-to-end acceptance
// test, on the local platform as `steward serve` wires it: Hungarian
// patients are scored through the prediction API and their diagnoses come
// back as feedback; the hourly drift check fires from the scheduler; its
// DriftChecked reaches the agent on the local bus; the agent's policy
// retrains with approval; the approver follows the emailed link and
// approves; the new champion serves; and one query of the audit log shows
// the whole chain, each step linked by ids.
func TestDriftToApprovedChampionEndToEnd(t *testing.T) {
	if testing.Short() {
		t.Skip("trains two models and runs the retraining workflow")
	}
	r := driftToApproval(t, nil)
	ctx, dir, a, srv, wf, clock, s := context.Background(), r.dir, r.a, r.srv, r.wf, r.clock, r.s
	t0, check, execID := r.t0, r.check, r.execID

	// The approver follows the link in the email and approves.
	link := approvalLink(t, dir, "ana@example.com")
	clock.Advance(30 * time.Minute)
	q := link.Query()
	form := url.Values{"approver": {q.Get("approver")}, "exp": {q.Get("exp")}, "sig": {q.Get("sig")}, "decision": {"approve"}, "comment": {"Hungarian patients now"}}
	code, body := post(t, srv.URL+link.Path, "application/x-www-form-urlencoded", []byte(form.Encode()))
	if code != http.StatusOK || !strings.Contains(string(body), "You approved version 2 — champion is now version 2.") {
		t.Fatalf("approve: %d %s", code, body)
	}
	if ex, err := wf.Runner.DescribeExecution(ctx, execID); err != nil || ex.Status != "SUCCEEDED" {
		t.Fatalf("execution after approval: %+v %v", ex, err)
	}

	// The new champion serves.
	champ, err := a.Registry().Alias(ctx, "heart", registry.Champion)
	if err != nil || champ.Version != 2 {
		t.Fatalf("champion %+v %v", champ, err)
	}
	// Its training report lists every candidate the workflow tried (one
	// run each): logreg with C 0.1 and 1.0.
	v2, err := a.Registry().Version(ctx, "heart", 2)
	if err != nil {
		t.Fatal(err)
	}
	reports, err := a.Reports()
	if err != nil {
		t.Fatal(err)
	}
	tr, err := reports.Loader.Training(ctx, v2.SourceRun)
	if err != nil {
		t.Fatal(err)
	}
	selected := 0
	for _, c := range tr.Candidates {
		if c.Selected {
			selected++
		}
	}
	if len(tr.Candidates) != 2 || selected != 1 {
		t.Errorf("training report of v2: %d candidates (%d selected), want the 2 the workflow tried, 1 selected", len(tr.Candidates), selected)
	}
	s.Models.Refresh(ctx)
	body, _ = json.Marshal(map[string]any{"instances": []any{json.RawMessage(`{"age":63,"sex":1,"cp":1,"trestbps":145,"chol":233,"fbs":1,"restecg":2,"thalach":150,"exang":0,"oldpeak":2.3,"slope":3,"ca":0,"thal":6}`)}})
	code, resp := post(t, srv.URL+"/v1/models/heart/predict", "application/json", body)
	var pr predictResponse
	if code != http.StatusOK || json.Unmarshal(resp, &pr) != nil || pr.Model.Version != 2 {
		t.Fatalf("after the promotion: %d %s", code, resp)
	}

	// One query of the audit log: the chain, each step linked by ids.
	evs, err := a.Audit().List(ctx, audit.Filter{Model: "heart", From: t0.Add(time.Minute)})
	if err != nil {
		t.Fatal(err)
	}
	var chain []string
	byAction := map[string]audit.Event{}
	for _, ev := range evs {
		chain = append(chain, ev.Action)
		byAction[ev.Action] = ev
		t.Logf("%s  %-20s %-18s corr=%s exec=%s v%d  %s", ev.Time.Format("15:04:05"), ev.Action, ev.Actor, ev.CorrelationID, ev.Execution, ev.Version, oneLine(ev.Reason))
	}
	want := []string{agent.AuditAction, "retrain.start", "retrain.evaluated", "approval.requested", "approval.approved", "model.promote", "retrain.promoted"}
	if !containsInOrder(chain, want) {
		t.Fatalf("audit chain %v, want %v in order", chain, want)
	}
	dec := byAction[agent.AuditAction]
	if dec.CorrelationID != "check:"+check.CheckID || dec.Execution != execID || !slicesContains(dec.Evidence, check.ReportKey) {
		t.Errorf("decision %+v: not linked to check %s (%s) and execution %s", dec, check.CheckID, check.ReportKey, execID)
	}
	for _, a := range want[1:] {
		ev := byAction[a]
		if ev.CorrelationID != execID {
			t.Errorf("%s: correlation %q, want the execution %s", a, ev.CorrelationID, execID)
		}
	}
	if st := byAction["retrain.start"]; st.Actor != agent.Actor || !strings.Contains(st.Reason, "rule retrain-approval") {
		t.Errorf("retrain.start %+v", st)
	}
	if ap := byAction["approval.approved"]; ap.Actor != "ana@example.com" {
		t.Errorf("approval %+v", ap)
	}
	if pm := byAction["model.promote"]; pm.Version != 2 || pm.Execution != execID {
		t.Errorf("promotion %+v", pm)
	}
	if _, _, err := a.Artifacts.Get(ctx, check.ReportKey); err != nil {
		t.Errorf("drift report: %v", err)
	}

	// And the agent's log says it in one line.
	decisions, err := agent.ReadLog(ctx, a.Audit(), audit.Filter{Model: "heart"})
	if err != nil || len(decisions) != 1 {
		t.Fatal(decisions, err)
	}
	line := decisions[0].Line
	if !strings.HasPrefix(line, fmt.Sprintf("drift score %.2f on %d of %d features (", check.DriftScore, check.Drifted, check.Tested)) ||
		!strings.HasSuffix(line, "→ rule `retrain-approval` → execution "+execID+" started (approval required) → version 2 promoted (approved by ana@example.com)") {
		t.Errorf("log line %q", line)
	}
	t.Logf("agent log: %s", line)
}

// failures lists the failed steps of an execution, for messages.
func failures(t *testing.T, wf *app.Workflow, id string) string {
	h, err := wf.Runner.History(context.Background(), id)
	if err != nil {
		return err.Error()
	}
	var b strings.Builder
	for _, ev := range h {
		if ev.Error != "" {
			fmt.Fprintf(&b, "%s %s: %s: %s\n", ev.Type, ev.State, ev.Error, ev.Cause)
		}
	}
	return b.String()
}

type predictResponse struct {
	Model struct {
		Version int `json:"version"`
	} `json:"model"`
	Predictions []struct {
		ID string `json:"id"`
	} `json:"predictions"`
}

func post(t *testing.T, u, contentType string, body []byte) (int, []byte) {
	t.Helper()
	resp, err := http.Post(u, contentType, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, b
}

var linkRE = regexp.MustCompile(`http://127\.0\.0\.1:\d+/approvals/[^\s"<>]+`)

// approvalLink reads the outbox for the approval email sent to whom.
func approvalLink(t *testing.T, dir, whom string) *url.URL {
	t.Helper()
	paths, err := filepath.Glob(filepath.Join(dir, "outbox", "*.eml"))
	if err != nil {
		t.Fatal(err)
	}
	sort.Strings(paths)
	for _, p := range paths {
		raw, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		m, err := notifytest.ParseMail(raw)
		if err != nil {
			t.Fatalf("%s: %v", p, err)
		}
		if m.Header.Get("X-Steward-Event") != "approval_requested" || m.Header.Get("To") != whom {
			continue
		}
		text := m.Text
		l := linkRE.FindString(string(text))
		if l == "" {
			t.Fatalf("approval email to %s has no link:\n%s", whom, text)
		}
		u, err := url.Parse(l)
		if err != nil {
			t.Fatal(err)
		}
		return u
	}
	t.Fatalf("no approval email to %s in %d outbox messages", whom, len(paths))
	return nil
}

func containsInOrder(got, want []string) bool {
	i := 0
	for _, g := range got {
		if i < len(want) && g == want[i] {
			i++
		}
	}
	return i == len(want)
}

func slicesContains(xs []string, x string) bool {
	for _, v := range xs {
		if v == x {
			return true
		}
	}
	return false
}

func oneLine(s string) string {
	s = strings.Join(strings.Fields(s), " ")
	if len(s) > 110 {
		return s[:109] + "…"
	}
	return s
}

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}
