package web_test

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"net/http"
	"os"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stewardml/steward/internal/httpedge/apigw"

	"github.com/aws/aws-lambda-go/events"

	"github.com/stewardml/steward/internal/approval"
	"github.com/stewardml/steward/internal/audit"
	"github.com/stewardml/steward/internal/drift"
	"github.com/stewardml/steward/internal/monitor"
	"github.com/stewardml/steward/internal/report/reporttest"
	"github.com/stewardml/steward/internal/store"
	"github.com/stewardml/steward/internal/web"
)

// cleanups run after every test and benchmark of the package.
var (
	cleanupMu sync.Mutex
	cleanups  []func()
)

func TestMain(m *testing.M) {
	code := m.Run()
	for _, f := range cleanups {
		f()
	}
	if shared != nil {
		shared.srv.Close()
	}
	os.Exit(code)
}

// yearSite is a platform with a year of history: an hourly drift check
// for 365 days (8,760 stored reports and summary records), a million
// captured predictions in hourly capture files, a daily agent decision,
// and fifty decided approval requests besides a pending one.
type yearSite struct {
	h         *web.Handler
	cookie    string
	checks    int
	captured  int
	generate  time.Duration
	refresh   time.Duration
	coldDrift time.Duration
}

var (
	yearOnce sync.Once
	year     *yearSite
)

// noCleanup keeps the year's platform for the whole run (TestMain
// removes its directory).
type noCleanup struct{ testing.TB }

func (noCleanup) Cleanup(func()) {}

func yearOfHistory(b *testing.B) *yearSite {
	b.Helper()
	yearOnce.Do(func() {
		dir, err := os.MkdirTemp("", "steward-dashboard-bench-")
		if err != nil {
			b.Fatal(err)
		}
		cleanupMu.Lock()
		cleanups = append(cleanups, func() { os.RemoveAll(dir) })
		cleanupMu.Unlock()
		year = buildYear(noCleanup{b}, dir)
	})
	if year == nil {
		b.Fatal("the year of history could not be built")
	}
	return year
}

func buildYear(b testing.TB, dir string) *yearSite {
	ctx := context.Background()
	started := time.Now()
	p := reporttest.NewIn(b, dir)
	now := p.Clock.Now()
	first := now.Add(-365 * 24 * time.Hour).Truncate(time.Hour)
	p.Clock.Set(first.Add(-48 * time.Hour))
	r1, err := p.Train(ctx, reporttest.SmallSearch(1))
	if err != nil {
		b.Fatal(err)
	}
	p.Clock.Advance(time.Hour)
	r2, err := p.Train(ctx, reporttest.SmallSearch(2))
	if err != nil {
		b.Fatal(err)
	}
	// One real check of the Hungarian data; the year's checks are copies
	// of it whose scores follow a seasonal pattern.
	real, err := p.DriftCheck(ctx, r1.Version, "testdata/heart/processed.hungarian.data")
	if err != nil {
		b.Fatal(err)
	}
	sums, err := monitor.History(ctx, p.App.Records, monitor.HistoryFilter{Model: "heart"})
	if err != nil || len(sums) != 1 {
		b.Fatalf("history of the real check: %v (%d)", err, len(sums))
	}
	base := sums[0]
	var batch []store.Write
	checks := 0
	for at := first; at.Before(now); at = at.Add(time.Hour) {
		i := checks
		score := math.Round(10*(0.35+0.3*math.Sin(2*math.Pi*float64(i)/(24*30))+0.1*math.Sin(float64(i)))) / 10
		score = math.Max(0, math.Min(1, score))
		s := base
		s.CheckID = fmt.Sprintf("bench-%05d", i)
		s.At, s.Trigger, s.DriftScore = at, "schedule", score
		s.Drifted = int(math.Round(score * float64(s.Tested)))
		s.DatasetDrift = score >= s.DriftShare
		s.Verdict = drift.VerdictNoDrift
		if s.DatasetDrift {
			s.Verdict = drift.VerdictDrift
		}
		s.ReportKey = monitor.ReportKey("heart", s.CheckID)
		doc, err := json.Marshal(monitor.StoredReport{Check: s, Report: real.Report})
		if err != nil {
			b.Fatal(err)
		}
		if _, err := p.App.Artifacts.Put(ctx, s.ReportKey, doc, "application/json"); err != nil {
			b.Fatal(err)
		}
		body, _ := json.Marshal(s)
		batch = append(batch, store.Write{Record: store.Record{PK: monitor.Partition("heart"), SK: monitor.SortKey(at, s.CheckID), Body: body, Version: 1}})
		if len(batch) == store.MaxBatch {
			if err := p.App.Records.Write(ctx, batch...); err != nil {
				b.Fatal(err)
			}
			batch = batch[:0]
		}
		checks++
	}
	if len(batch) > 0 {
		if err := p.App.Records.Write(ctx, batch...); err != nil {
			b.Fatal(err)
		}
	}
	cur, _, err := p.Score(ctx, r1.Version, "testdata/heart/processed.hungarian.data")
	if err != nil {
		b.Fatal(err)
	}
	captured, err := p.Capture(ctx, r1.Version, cur, first, now, 1_000_000/(365*24)+1, 7)
	if err != nil {
		b.Fatal(err)
	}
	log := p.App.Audit()
	for d := 0; d < 365; d++ {
		at := first.Add(time.Duration(d)*24*time.Hour + 3*time.Hour)
		corr := fmt.Sprintf("bench-corr-%03d", d)
		for _, e := range []audit.Event{
			{Time: at, Actor: "scheduler", Action: "drift.checked", Reason: "drift score 0.6", CorrelationID: corr},
			{Time: at.Add(time.Second), Actor: "agent", Action: "agent.decision", Reason: "drift score 0.6 on 6 of 10 features → rule retrain-with-approval", CorrelationID: corr,
				Evidence: []string{monitor.ReportKey("heart", fmt.Sprintf("bench-%05d", d*24+3))}, Details: json.RawMessage(`{"rule":"retrain-with-approval"}`)},
			{Time: at.Add(time.Minute), Actor: "agent", Action: "retrain.start", Reason: "retraining on the last 30 days", CorrelationID: corr},
		} {
			e.Model = "heart"
			if _, err := log.Append(ctx, e); err != nil {
				b.Fatal(err)
			}
		}
	}
	p.Clock.Set(now)
	approvals := p.App.Approvals(approveNothing{}, nil)
	for i := 0; i < 51; i++ {
		p.Clock.Set(now.Add(time.Duration(i-51) * time.Hour))
		r, _, err := approvals.Create(ctx, approval.Request{Model: "heart", CandidateVersion: r2.Version, ChampionVersion: r1.Version,
			Candidate: r2.Metrics, Champion: r1.Metrics, Trigger: "drift", Approvers: []string{email}}, "token", 72*time.Hour)
		if err != nil {
			b.Fatal(err)
		}
		if i < 50 {
			approvals.Decide(ctx, r.ID, email, i%3 != 0, "bench")
		}
	}
	p.Clock.Set(now)
	h, err := web.New(web.Config{Records: p.App.Records, Artifacts: p.App.Artifacts, Registry: p.App.Registry(), Audit: log,
		Approvals: approvals, SigningKey: p.App.SigningKey, DefaultModel: "heart", InsecureLoopback: true, Now: p.Clock.Now})
	if err != nil {
		b.Fatal(err)
	}
	if _, err := h.Operators().Create(ctx, operator, email, password); err != nil {
		b.Fatal(err)
	}
	y := &yearSite{h: h, checks: checks, captured: captured, generate: time.Since(started)}
	y.cookie = signInDirect(b, h)
	// The first page that reads the drift history in a process decodes
	// every summary once.
	t0 := time.Now()
	if _, err := h.DriftHistory().Checks(ctx, "heart", first, now); err != nil {
		b.Fatal(err)
	}
	y.coldDrift = time.Since(t0)
	// The first visit of the trends page aggregates every hour of the year
	// once; later visits read the aggregates.
	t0 = time.Now()
	n, err := h.Trends().Refresh(ctx, "heart")
	if err != nil {
		b.Fatal(err)
	}
	y.refresh = time.Since(t0)
	if n < 900_000 {
		b.Fatalf("the refresh aggregated %d predictions, want about a million", n)
	}
	return y
}

// approveNothing is a callback for requests decided without a workflow.
type approveNothing struct{}

func (approveNothing) SendTaskSuccess(context.Context, string, json.RawMessage) error { return nil }

// signInDirect signs in through Handle and returns the Cookie header of
// the session.
func signInDirect(b testing.TB, h *web.Handler) string {
	ctx := context.Background()
	resp, err := apigw.New(h).Handle(ctx, events.APIGatewayProxyRequest{HTTPMethod: "GET", Path: "/signin", Headers: map[string]string{"Host": "127.0.0.1:8080"}})
	if err != nil {
		b.Fatal(err)
	}
	pre := strings.SplitN(resp.MultiValueHeaders["Set-Cookie"][0], ";", 2)[0]
	m := csrfRE.FindStringSubmatch(resp.Body)
	body := "csrf=" + m[1] + "&name=" + operator + "&password=" + strings.ReplaceAll(password, " ", "+") + "&next=%2Fmodels"
	resp, err = apigw.New(h).Handle(ctx, events.APIGatewayProxyRequest{HTTPMethod: "POST", Path: "/signin", Body: body,
		Headers: map[string]string{"Host": "127.0.0.1:8080", "Content-Type": "application/x-www-form-urlencoded", "Cookie": pre}})
	if err != nil || resp.StatusCode != http.StatusSeeOther {
		b.Fatalf("sign-in: %d %v", resp.StatusCode, err)
	}
	for _, c := range resp.MultiValueHeaders["Set-Cookie"] {
		if strings.HasPrefix(c, "steward_session=") {
			return strings.SplitN(c, ";", 2)[0]
		}
	}
	b.Fatal("no session cookie")
	return ""
}

// BenchmarkDashboardPages renders each page over a year of history; the
// target is under 300 ms per page on one core of the development machine.
// It reports the time to generate the year and to aggregate a million
// captured predictions once (the first visit of the trends page).
func BenchmarkDashboardPages(b *testing.B) {
	y := yearOfHistory(b)
	b.Logf("year of history: %d drift checks, %d captured predictions, generated in %v; first trends aggregation %v; first read of the drift history %v",
		y.checks, y.captured, y.generate.Round(time.Millisecond), y.refresh.Round(time.Millisecond), y.coldDrift.Round(time.Millisecond))
	pages := []struct{ name, path, query string }{
		{"models", "/models", ""},
		{"drift-30d", "/drift", ""},
		{"drift-365d", "/drift", "range=365d"},
		{"approvals", "/approvals", ""},
		{"decision", "/approvals", ""}, // filled below with a pending request
		{"trends-7d", "/trends", ""},
		{"trends-30d", "/trends", "range=30d"},
		{"trends-365d", "/trends", "range=365d"},
		{"agent", "/agent", ""},
	}
	ctx := context.Background()
	for _, pg := range pages {
		ev := events.APIGatewayProxyRequest{HTTPMethod: "GET", Path: pg.path,
			Headers: map[string]string{"Host": "127.0.0.1:8080", "Cookie": y.cookie}}
		if pg.query != "" {
			k, v, _ := strings.Cut(pg.query, "=")
			ev.QueryStringParameters = map[string]string{k: v}
		}
		if pg.name == "decision" {
			resp, _ := apigw.New(y.h).Handle(ctx, ev)
			m := pendingRE.FindStringSubmatch(resp.Body)
			if m == nil {
				b.Fatal("no pending request on the approvals page")
			}
			ev.QueryStringParameters = map[string]string{"request": m[1]}
		}
		b.Run(pg.name, func(b *testing.B) {
			// The first visit in a process reads the drift history and the
			// bundles into memory; it is reported above, not here.
			if resp, err := apigw.New(y.h).Handle(ctx, ev); err != nil || resp.StatusCode != http.StatusOK {
				b.Fatalf("%s: %d %v", pg.name, resp.StatusCode, err)
			}
			var size int
			for b.Loop() {
				resp, err := apigw.New(y.h).Handle(ctx, ev)
				if err != nil || resp.StatusCode != http.StatusOK {
					b.Fatalf("%s: %d %v\n%.300s", pg.name, resp.StatusCode, err, resp.Body)
				}
				size = len(resp.Body)
			}
			b.ReportMetric(float64(size)/1024, "KiB/page")
			if per := b.Elapsed() / time.Duration(b.N); per > 300*time.Millisecond {
				b.Errorf("%s renders in %v, over the 300 ms budget", pg.name, per)
			}
		})
	}
}

var pendingRE = regexp.MustCompile(`/approvals\?request=([0-9a-f-]+)`)
