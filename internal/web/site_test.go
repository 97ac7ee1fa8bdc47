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
	"github.com/stewardml/steward/internal/local/gateway"
	"github.com/stewardml/steward/internal/release"
	"github.com/stewardml/steward/internal/report"
	"github.com/stewardml/steward/internal/report/reporttest"
	"github.com/stewardml/steward/internal/train"
	"github.com/stewardml/steward/internal/web"
)

// site is a dashboard over a platform built from the bundled data, served
// by the local gateway on a loopback port as `steward serve` serves it.
type site struct {
	p          *reporttest.Platform
	h          *web.Handler
	srv        *httptest.Server
	approvals  *approval.Service
	approvalID string
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

// newSite trains two versions on the Cleveland data (v1 champion, v2
// challenger), records drift checks every six hours for a week (the
// Hungarian data drifts, the Cleveland data does not), captures a week of
// predictions, asks for approval of v2 and records the agent's decisions.
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
	p.Clock.Set(start)
	cur, _, err := p.Score(ctx, r1.Version, "testdata/heart/processed.hungarian.data")
	if err != nil {
		t.Fatal(err)
	}
	if s.captured, err = p.Capture(ctx, r1.Version, cur, start.Add(-7*24*time.Hour), start.Add(time.Hour), 40, 1); err != nil {
		t.Fatal(err)
	}
	pr := &promoter{rel: a.Release()}
	s.approvals = a.Approvals(pr, nil)
	pr.svc = s.approvals
	req, _, err := s.approvals.Create(ctx, approval.Request{
		ExecutionID: lastCorr, Model: "heart", CandidateVersion: r2.Version, ChampionVersion: r1.Version,
		Candidate: r2.Metrics, Champion: r1.Metrics, Trigger: "drift", Reason: "drift on the Hungarian window",
		RequestedBy: "agent", Approvers: []string{email, "bob@example.com"},
		Evidence: []string{"reports/drift/heart/" + s.driftIDs[len(s.driftIDs)-1] + ".json"},
	}, "task-token", 48*time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	s.approvalID = req.ID
	if _, err := log.Append(ctx, audit.Event{Time: p.Clock.Now(), Actor: "agent", Action: "approval.requested", Subject: audit.Subject{Model: "heart", Version: r2.Version},
		Reason: "candidate v2 against champion v1; approvers " + email + ", bob@example.com", Evidence: []string{"approval:" + req.ID}, CorrelationID: lastCorr}); err != nil {
		t.Fatal(err)
	}
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
	s.srv = httptest.NewServer(gw)
	t.Cleanup(s.srv.Close)
	return s
}

// client returns an HTTP client with a cookie jar that does not follow
// redirects, so tests see them.
func (s *site) client(t testing.TB) *http.Client {
	t.Helper()
	jar := newJar()
	return &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }, Timeout: 30 * time.Second}
}
