package web_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/stewardml/steward/internal/approval"
	"github.com/stewardml/steward/internal/audit"
	"github.com/stewardml/steward/internal/dataset"
	"github.com/stewardml/steward/internal/local/gateway"
	"github.com/stewardml/steward/internal/monitor"
	"github.com/stewardml/steward/internal/monitor/monitortest"
	"github.com/stewardml/steward/internal/release"
	"github.com/stewardml/steward/internal/report"
	"github.com/stewardml/steward/internal/report/reporttest"
	"github.com/stewardml/steward/internal/train"
	"github.com/stewardml/steward/internal/web"
	"github.com/stewardml/steward/internal/workflow/tasks"
)

// site is a dashboard over a platform built from the bundled data, served
// by the local gateway on a loopback port as `steward serve` serves it.
type site struct {
	p          *reporttest.Platform
	h          *web.Handler
	srv        *httptest.Server
	approvals  *approval.Service
	approvalID string // pending: v4, the same bundle as the rejected v3
	rejectedID string // v3, rejected by bob
	runs       []train.RunRecord
	driftIDs   []string
	captured   int
}

const (
	operator = "alice"
	email    = "alice@example.com"
	password = "correct horse battery"
)

// promoter is the approval callback of these tests: it does what the
// retraining workflow's Promote step does after an approval, through the
// same release service.
type promoter struct {
	rel *release.Service
	svc *approval.Service
}

func (p *promoter) SendTaskSuccess(ctx context.Context, token string, out json.RawMessage) error {
	var d struct {
		Approved   bool   `json:"approved"`
		Approver   string `json:"approver"`
		ApprovalID string `json:"approvalId"`
		Comment    string `json:"comment"`
	}
	if err := json.Unmarshal(out, &d); err != nil {
		return err
	}
	if !d.Approved {
		return nil
	}
	r, err := p.svc.Get(ctx, d.ApprovalID)
	if err != nil {
		return err
	}
	_, err = p.rel.Promote(ctx, release.Request{
		Model: r.Model, To: r.CandidateVersion, Expected: r.ChampionVersion, Actor: d.Approver,
		Reason: "approved by " + d.Approver, CorrelationID: r.ExecutionID, Execution: r.ExecutionID,
		Evidence: []string{"approval:" + r.ID}, Details: map[string]any{"approval": d},
	})
	return err
}

// newSite builds a week of a model's life on the Cleveland data: v1
// champion; drift checks every six hours (the Hungarian data drifts, the
// Cleveland data does not) with the agent's decisions; v2 approved by bob
// and then rolled back by the agent; v3 rejected by bob; v4, the same
// bundle as v3, waiting for alice's or bob's decision; a week of captured
// predictions, an hour of them with feedback labels, and a drift check
// that scores them.
func newSite(t testing.TB, insecureLoopback bool) *site {
	t.Helper()
	ctx := context.Background()
	p := reporttest.New(t)
	s := &site{p: p}
	start := p.Clock.Now()
	p.Clock.Set(start.Add(-8 * 24 * time.Hour))
	r1, err := p.Train(ctx, reporttest.SmallSearch(1))
	if err != nil {
		t.Fatal(err)
	}
	p.Clock.Advance(time.Hour)
	cfg := reporttest.SmallSearch(2)
	cfg.Families = append(cfg.Families, train.FamilySearch{Family: "gbdt", Params: map[string]any{"n_trees": []any{60}, "max_depth": []any{2}, "learning_rate": []any{0.1}}})
	r2, err := p.Train(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	s.runs = []train.RunRecord{r1, r2}
	a := p.App
	log := a.Audit()
	var lastCorr string
	for i := 0; i < 28; i++ {
		p.Clock.Set(start.Add(-7*24*time.Hour + time.Duration(i)*6*time.Hour))
		file := "testdata/heart/processed.cleveland.data"
		if i%4 == 3 || i >= 24 {
			file = "testdata/heart/processed.hungarian.data"
		}
		d, err := p.DriftCheck(ctx, r1.Version, file)
		if err != nil {
			t.Fatal(err)
		}
		id := d.ID
		s.driftIDs = append(s.driftIDs, id)
		corr := "drift-" + p.Clock.Now().Format("20060102T150405Z")
		lastCorr = corr
		if _, err := log.Append(ctx, audit.Event{Actor: "scheduler", Action: "drift.checked", Subject: audit.Subject{Model: "heart", Version: r1.Version},
			Reason: fmt.Sprintf("%s: drift score %.2f", d.Report.Verdict, d.Report.DriftScore), Evidence: []string{d.Key}, CorrelationID: corr}); err != nil {
			t.Fatal(err)
		}
		action, reason := "agent.log_only", fmt.Sprintf("drift score %.2f below 0.5 → rule log-only", d.Report.DriftScore)
		if d.Report.DriftScore >= 0.5 {
			action, reason = "agent.retrain", fmt.Sprintf("drift score %.2f on %d of %d features → rule retrain-with-approval", d.Report.DriftScore, d.Report.Drifted, d.Report.Tested)
		}
		details, _ := json.Marshal(map[string]any{"rule": action, "drift_score": d.Report.DriftScore, "drifted": d.Report.DriftedFeatures})
		if _, err := log.Append(ctx, audit.Event{Time: p.Clock.Now().Add(time.Second), Actor: "agent", Action: action, Subject: audit.Subject{Model: "heart"},
			Reason: reason, Evidence: []string{d.Key}, CorrelationID: corr, Details: details}); err != nil {
			t.Fatal(err)
		}
	}
	pr := &promoter{rel: a.Release()}
	s.approvals = a.Approvals(pr, nil)
	pr.svc = s.approvals
	handlers, err := a.WorkflowHandlers()
	if err != nil {
		t.Fatal(err)
	}
	// ask evaluates run as the workflow's EvaluateBest does and asks alice
	// and bob to approve it, as RequestApproval does.
	ask := func(run train.RunRecord, exec, reason string) approval.Request {
		t.Helper()
		ev, err := handlers.Evaluate.Handle(ctx, tasks.EvaluateEvent{Model: "heart", Dataset: dataset.Ref{Digest: run.DatasetDigest},
			Candidates: []tasks.CandidateResult{{RunRecord: run, Metric: "f1", Score: run.Metrics["cv_f1"]}},
			Trigger:    "drift", Reason: reason, RequestedBy: "agent", ExecutionID: exec})
		if err != nil {
			t.Fatal(err)
		}
		req, _, err := s.approvals.Create(ctx, tasks.NewApprovalRequest(tasks.ApprovalEvent{TaskToken: "token-" + exec, ExecutionID: exec, Model: "heart",
			Evaluation: ev, Trigger: "drift", Reason: reason, RequestedBy: "agent"}, []string{email, "bob@example.com"}), "token-"+exec, 48*time.Hour)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := log.Append(ctx, audit.Event{Time: p.Clock.Now(), Actor: "agent", Action: "approval.requested", Subject: audit.Subject{Model: "heart", Version: run.Version},
			Reason: fmt.Sprintf("candidate v%d against champion v%d; approvers %s, bob@example.com", ev.CandidateVersion, ev.ChampionVersion, email), Evidence: []string{"approval:" + req.ID}, CorrelationID: exec}); err != nil {
			t.Fatal(err)
		}
		return req
	}
	// v2 approved by bob, then rolled back by the agent on a latency alarm.
	p.Clock.Set(start.Add(-5 * time.Hour))
	a2, _, err := s.approvals.Create(ctx, approval.Request{
		ExecutionID: "retrain-v2", Model: "heart", CandidateVersion: r2.Version, ChampionVersion: r1.Version,
		Candidate: r2.Metrics, Champion: r1.Metrics, Trigger: "drift", Reason: "drift on the Hungarian window",
		RequestedBy: "agent", Approvers: []string{email, "bob@example.com"},
		Evidence: []string{"reports/drift/heart/" + s.driftIDs[len(s.driftIDs)-1] + ".json"},
	}, "token-retrain-v2", 48*time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	p.Clock.Advance(10 * time.Minute)
	if _, err := s.approvals.Decide(ctx, a2.ID, "bob@example.com", true, "better recall on the hold-out"); err != nil {
		t.Fatal(err)
	}
	p.Clock.Set(start.Add(-4 * time.Hour))
	details, _ := json.Marshal(map[string]any{"rule": "rollback-on-latency", "alarm": map[string]any{"name": "p99-latency", "state": "ALARM", "value_ms": 412.5}, "from": 2, "to": 1})
	if _, err := log.Append(ctx, audit.Event{Time: p.Clock.Now(), Actor: "agent", Action: "agent.rollback", Subject: audit.Subject{Model: "heart", Version: 2},
		Reason: "alarm `p99-latency` in ALARM → rule `rollback-on-latency`", CorrelationID: "alarm-p99", Details: details}); err != nil {
		t.Fatal(err)
	}
	if _, err := a.Release().Rollback(ctx, release.Request{Model: "heart", Expected: 2, Actor: "agent", Reason: "p99 latency alarm: rule rollback-on-latency", CorrelationID: "alarm-p99"}); err != nil {
		t.Fatal(err)
	}
	// v3 rejected; v4, retrained on the same data with the same settings,
	// is the very same bundle and waits for a decision.
	p.Clock.Set(start.Add(-3 * time.Hour))
	// The workflow trains one candidate per run.
	// Its seed and hold-out are v1's, so both are compared on every
	// hold-out row.
	one := reporttest.SmallSearch(1)
	one.Families = []train.FamilySearch{{Family: "forest", Params: map[string]any{"n_trees": []any{60}, "max_depth": []any{3}}}}
	r3, err := p.Train(ctx, one)
	if err != nil {
		t.Fatal(err)
	}
	a3 := ask(r3, "retrain-v3", "drift on the Hungarian window")
	p.Clock.Advance(10 * time.Minute)
	if _, err := s.approvals.Decide(ctx, a3.ID, "bob@example.com", false, "lower sensitivity than the champion"); err != nil {
		t.Fatal(err)
	}
	s.rejectedID = a3.ID
	p.Clock.Set(start.Add(-2 * time.Hour))
	r4, err := p.Train(ctx, one)
	if err != nil {
		t.Fatal(err)
	}
	s.runs = append(s.runs, r3, r4)
	s.approvalID = ask(r4, lastCorr, "drift on the Hungarian window").ID
	// Traffic: a week of captured predictions, and an hour of predictions
	// with their true labels (feedback) that a drift check over the
	// captures scores.
	p.Clock.Set(start)
	cur, _, err := p.Score(ctx, r1.Version, "testdata/heart/processed.hungarian.data")
	if err != nil {
		t.Fatal(err)
	}
	if s.captured, err = p.Capture(ctx, r1.Version, cur, start.Add(-7*24*time.Hour), start.Add(time.Hour), 40, 1); err != nil {
		t.Fatal(err)
	}
	n, err := labelledTraffic(ctx, p, r1.Version, cur, start.Add(-90*time.Minute))
	if err != nil {
		t.Fatal(err)
	}
	s.captured += n
	p.Clock.Advance(5 * time.Minute)
	rsvc := &report.Service{
		Loader:    &report.Loader{Artifacts: a.Artifacts, Registry: a.Registry(), Audit: log, Approvals: s.approvals},
		Artifacts: a.Artifacts, Now: p.Clock.Now,
	}
	s.h, err = web.New(web.Config{
		Records: a.Records, Artifacts: a.Artifacts, Registry: a.Registry(), Audit: log, Approvals: s.approvals,
		Reports: rsvc, SigningKey: a.SigningKey, DefaultModel: "heart", InsecureLoopback: insecureLoopback, Now: p.Clock.Now,
	})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.h.Operators().Create(ctx, operator, email, password); err != nil {
		t.Fatal(err)
	}
	gw := gateway.New(gateway.Config{Now: p.Clock.Now})
	gw.Mount("/", s.h, gateway.Public())
	gw.Mount("/approvals/", &approval.Handler{Service: s.approvals, Aliases: a.Registry()}, gateway.Public())
	s.srv = httptest.NewServer(gw)
	t.Cleanup(s.srv.Close)
	return s
}

// labelledTraffic captures cur's rows as version v's predictions at at,
// stores every true label as feedback, and runs the scheduled drift check
// over the last day of captures, which scores the labelled ones. It
// returns how many predictions it captured.
func labelledTraffic(ctx context.Context, p *reporttest.Platform, v int, cur *reporttest.Current, at time.Time) (int, error) {
	a := p.App
	pred, err := monitortest.Predictor(ctx, a.Artifacts, a.Records, v)
	if err != nil {
		return 0, err
	}
	rows := make([]map[string]float64, len(cur.Labels))
	for i := range rows {
		rows[i] = map[string]float64{}
		for name, col := range cur.Columns {
			rows[i][name] = col[i]
		}
	}
	ids, kept, err := monitortest.Captures(ctx, a.Artifacts, pred, v, at, rows)
	if err != nil {
		return 0, err
	}
	labels := make([]int, len(kept))
	for k, i := range kept {
		labels[k] = int(cur.Labels[i])
	}
	if err := monitortest.Feedback(ctx, a.Records, ids, labels, at.Add(30*time.Minute)); err != nil {
		return 0, err
	}
	_, err = a.Monitor().Check(ctx, monitor.Request{Model: "heart", Version: v, Window: 24 * time.Hour, End: p.Clock.Now(), Trigger: "schedule", Quiet: true})
	return len(ids), err
}

// client returns an HTTP client with a cookie jar that does not follow
// redirects, so tests see them.
func (s *site) client(t testing.TB) *http.Client {
	t.Helper()
	jar := newJar()
	return &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }, Timeout: 30 * time.Second}
}
