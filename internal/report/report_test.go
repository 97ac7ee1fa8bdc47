package report_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stewardml/steward/internal/approval"
	"github.com/stewardml/steward/internal/release"
	"github.com/stewardml/steward/internal/report"
	"github.com/stewardml/steward/internal/report/reporttest"
	"github.com/stewardml/steward/internal/train"
)

var update = flag.Bool("update", false, "rewrite the golden files and their view models from the bundled data")

// generated is the fixed "generated" time of the golden files.
var generated = time.Date(2026, 3, 2, 12, 0, 0, 0, time.UTC)

// bundled is the platform every test of this package reads: two training
// runs on the Cleveland data, an approved promotion of the second, and a
// drift check of the Hungarian data.
type bundled struct {
	p          *reporttest.Platform
	runs       []train.RunRecord
	approvalID string
	drift      *report.Drift
	svc        *report.Service
}

var (
	fixtureOnce sync.Once
	fixture     *bundled
	fixtureErr  error
)

// promoter plays the retraining workflow's part after an approval: the
// callback promotes the candidate through the release service.
type promoter struct {
	rel      *release.Service
	approver *approval.Service
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
	r, err := p.approver.Get(ctx, d.ApprovalID)
	if err != nil || !d.Approved {
		return err
	}
	_, err = p.rel.Promote(ctx, release.Request{
		Model: r.Model, To: r.CandidateVersion, Expected: r.ChampionVersion, Actor: d.Approver,
		Reason: "approved by " + d.Approver + " (" + d.Comment + ")", CorrelationID: r.ExecutionID, Execution: r.ExecutionID,
		Evidence: []string{"approval:" + r.ID},
		Details:  map[string]any{"approval": d},
	})
	return err
}

func setup(tb testing.TB) *bundled {
	tb.Helper()
	fixtureOnce.Do(func() {
		fixture, fixtureErr = build(tb)
	})
	if fixtureErr != nil {
		tb.Fatal(fixtureErr)
	}
	return fixture
}

func build(tb testing.TB) (*bundled, error) {
	ctx := context.Background()
	// The platform outlives the test that builds it: its directory is
	// removed by TestMain.
	dir, err := os.MkdirTemp("", "steward-report-")
	if err != nil {
		return nil, err
	}
	cleanup = append(cleanup, func() { os.RemoveAll(dir) })
	p := reporttest.NewIn(noCleanup{tb}, dir)
	b := &bundled{p: p}
	r1, err := p.Train(ctx, reporttest.SmallSearch(1))
	if err != nil {
		return nil, err
	}
	p.Clock.Advance(26 * time.Hour)
	cfg := reporttest.SmallSearch(2)
	cfg.Families = append(cfg.Families, train.FamilySearch{Family: "gbdt", Params: map[string]any{"n_trees": []any{60}, "max_depth": []any{2}, "learning_rate": []any{0.1}}})
	r2, err := p.Train(ctx, cfg)
	if err != nil {
		return nil, err
	}
	b.runs = []train.RunRecord{r1, r2}
	a := p.App
	pr := &promoter{rel: a.Release()}
	svc := a.Approvals(pr, nil)
	pr.approver = svc
	p.Clock.Advance(time.Hour)
	req, _, err := svc.Create(ctx, approval.Request{
		ExecutionID: "exec-0001", Model: "heart", CandidateVersion: r2.Version, ChampionVersion: r1.Version,
		Candidate: r2.Metrics, Champion: r1.Metrics, Trigger: "drift", Reason: "drift score 0.69 on the Hungarian window",
		RequestedBy: "agent", Approvers: []string{"alice@example.com"},
	}, "task-token-1", 24*time.Hour)
	if err != nil {
		return nil, err
	}
	b.approvalID = req.ID
	p.Clock.Advance(20 * time.Minute)
	if _, err := svc.Decide(ctx, req.ID, "alice@example.com", true, "better on the hold-out"); err != nil {
		return nil, err
	}
	p.Clock.Advance(time.Hour)
	b.drift, err = p.DriftCheck(ctx, r2.Version, "testdata/heart/processed.hungarian.data")
	if err != nil {
		return nil, err
	}
	b.svc = &report.Service{
		Loader:    &report.Loader{Artifacts: a.Artifacts, Registry: a.Registry(), Audit: a.Audit(), Approvals: svc},
		Artifacts: a.Artifacts, Links: report.DashboardLinks{Base: "http://127.0.0.1:8080"},
		Now: func() time.Time { return generated },
	}
	return b, nil
}

// noCleanup keeps a platform alive across tests.
type noCleanup struct{ testing.TB }

func (noCleanup) Cleanup(func()) {}

var cleanup []func()

func TestMain(m *testing.M) {
	flag.Parse()
	code := m.Run()
	for _, f := range cleanup {
		f()
	}
	os.Exit(code)
}

func refs(b *bundled) map[string]report.Ref {
	return map[string]report.Ref{
		"training":   {Kind: report.KindTraining, ID: b.runs[1].ID},
		"drift":      {Kind: report.KindDrift, Model: "heart", ID: b.drift.ID},
		"deployment": {Kind: report.KindDeployment, Model: "heart", ID: "2"},
	}
}

// TestEveryReportRendersForTheBundledData renders the three reports in
// both formats from the stores, publishes them and reads them back.
func TestEveryReportRendersForTheBundledData(t *testing.T) {
	b := setup(t)
	ctx := context.Background()
	r2 := b.runs[1]
	want := map[string][]string{
		"training": {"Training report: heart", r2.ID, r2.Winner, "logreg-1", "forest-1", "gbdt-1", "ROC curve", "Calibration",
			"Feature importance", "thal", r2.DatasetDigest, "Confusion matrix", "passed"},
		"drift": {"Drift report: heart", b.drift.ID, "drift", "thal", "chol", "adjusted p", "Realised performance", "reference", "current"},
		"deployment": {"Deployment report: heart", "promotion", "alice@example.com", "better on the hold-out", "exec-0001",
			"approval:" + b.approvalID, "version 1", "version 2", "model.promote"},
	}
	for name, ref := range refs(b) {
		t.Run(name, func(t *testing.T) {
			pubs, err := b.svc.Publish(ctx, ref, report.HTML, report.PDF)
			if err != nil {
				t.Fatal(err)
			}
			if len(pubs) != 2 {
				t.Fatalf("published %d files, want 2", len(pubs))
			}
			html, info, err := b.p.App.Artifacts.Get(ctx, pubs[0].Key)
			if err != nil {
				t.Fatal(err)
			}
			if info.ContentType != "text/html; charset=utf-8" || !strings.HasPrefix(pubs[0].URL, "http://127.0.0.1:8080/view/reports/rendered/") {
				t.Errorf("html stored as %q, linked as %q", info.ContentType, pubs[0].URL)
			}
			text := string(html)
			for _, w := range want[name] {
				if !strings.Contains(text, w) {
					t.Errorf("html lacks %q", w)
				}
			}
			checkSelfContained(t, text)
			pdf, _, err := b.p.App.Artifacts.Get(ctx, pubs[1].Key)
			if err != nil {
				t.Fatal(err)
			}
			pages, ptext := pdfText(t, pdf)
			if pages < 1 || pages > 6 {
				t.Errorf("pdf has %d pages, want 1 to 6", pages)
			}
			for _, w := range want[name] {
				if !strings.Contains(ptext, w) {
					t.Errorf("pdf text lacks %q", w)
				}
			}
			if !strings.Contains(ptext, "page 1 of "+strconv.Itoa(pages)) {
				t.Errorf("pdf footer lacks %q", "page 1 of "+strconv.Itoa(pages))
			}
		})
	}
}

// checkSelfContained fails when the page loads anything: no scripts, no
// external stylesheet, image or font, no URL other than in-page text.
func checkSelfContained(t *testing.T, html string) {
	t.Helper()
	for _, bad := range []string{"<script", "<link", "<img", "@import", "url(", "src="} {
		if strings.Contains(html, bad) {
			t.Errorf("html contains %q", bad)
		}
	}
	if n := strings.Count(html, "<svg"); n < 2 {
		t.Errorf("html has %d inline svg charts, want at least 2", n)
	}
	if strings.Contains(html, "NaN") {
		t.Error("html shows NaN")
	}
}

// pdfText returns the page count (pdfinfo) and the text (pdftotext) of a
// PDF; poppler-utils must be installed.
func pdfText(t *testing.T, pdf []byte) (int, string) {
	t.Helper()
	if _, err := exec.LookPath("pdftotext"); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatal("pdftotext not found: install poppler-utils")
		}
		t.Skip("pdftotext not found: install poppler-utils (apt-get install poppler-utils)")
	}
	path := filepath.Join(t.TempDir(), "r.pdf")
	if err := os.WriteFile(path, pdf, 0o644); err != nil {
		t.Fatal(err)
	}
	info, err := exec.Command("pdfinfo", path).CombinedOutput()
	if err != nil {
		t.Fatalf("pdfinfo: %v\n%s", err, info)
	}
	m := regexp.MustCompile(`(?m)^Pages:\s+(\d+)`).FindSubmatch(info)
	if m == nil {
		t.Fatalf("pdfinfo printed no page count:\n%s", info)
	}
	pages, _ := strconv.Atoi(string(m[1]))
	out, err := exec.Command("pdftotext", "-layout", path, "-").Output()
	if err != nil {
		t.Fatalf("pdftotext: %v", err)
	}
	// Undo the line wrapping of table cells and key-value rows.
	text := strings.Join(strings.Fields(string(out)), " ")
	return pages, text + "\n" + string(out)
}

// TestGolden renders committed view models (taken from the bundled data
// with -update) and compares the HTML byte for byte.
func TestGolden(t *testing.T) {
	if *update {
		b := setup(t)
		for name, ref := range refs(b) {
			v, err := b.svc.Loader.Load(context.Background(), ref)
			if err != nil {
				t.Fatal(err)
			}
			js, err := json.MarshalIndent(v, "", "  ")
			if err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(filepath.Join("testdata", name+".json"), append(js, '\n'), 0o644); err != nil {
				t.Fatal(err)
			}
		}
	}
	cases := map[string]any{"training": &report.Training{}, "drift": &report.Drift{}, "deployment": &report.Deployment{}}
	for name, v := range cases {
		t.Run(name, func(t *testing.T) {
			js, err := os.ReadFile(filepath.Join("testdata", name+".json"))
			if err != nil {
				t.Fatal(err)
			}
			if err := json.Unmarshal(js, v); err != nil {
				t.Fatal(err)
			}
			got, err := report.Bytes(v, report.HTML, report.Options{Now: func() time.Time { return generated }})
			if err != nil {
				t.Fatal(err)
			}
			golden := filepath.Join("testdata", name+".golden.html")
			if *update {
				if err := os.WriteFile(golden, got, 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(got, want) {
				t.Errorf("%s differs from %s (run go test -update after checking the change)", name, golden)
			}
		})
	}
}

func TestLoadErrors(t *testing.T) {
	b := setup(t)
	ctx := context.Background()
	tests := []struct {
		name string
		ref  report.Ref
		want error
	}{
		{"missing run", report.Ref{Kind: report.KindTraining, ID: "no-such-run"}, report.ErrNotFound},
		{"missing drift check", report.Ref{Kind: report.KindDrift, Model: "heart", ID: "nope"}, report.ErrNotFound},
		{"missing move", report.Ref{Kind: report.KindDeployment, Model: "heart", ID: "99"}, report.ErrNotFound},
		{"missing model", report.Ref{Kind: report.KindDeployment, Model: "nomodel"}, report.ErrNotFound},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := b.svc.Loader.Load(ctx, tt.ref)
			if !errors.Is(err, tt.want) {
				t.Errorf("Load(%v) = %v, want %v", tt.ref, err, tt.want)
			}
		})
	}
	// A stored drift check that is not a report is corrupt, not a panic.
	if _, err := b.p.App.Artifacts.Put(ctx, report.DriftKey("heart", "garbage"), []byte(`{"report": 3}`), "application/json"); err != nil {
		t.Fatal(err)
	}
	if _, err := b.svc.Loader.Load(ctx, report.Ref{Kind: report.KindDrift, Model: "heart", ID: "garbage"}); !errors.Is(err, report.ErrCorrupt) {
		t.Errorf("garbage drift check: %v, want ErrCorrupt", err)
	}
}
