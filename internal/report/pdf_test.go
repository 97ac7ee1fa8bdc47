package report_test

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/stewardml/steward/internal/config"
	"github.com/stewardml/steward/internal/report"
	"github.com/stewardml/steward/internal/report/reporttest"
)

// heartTraining is the training report of the bundled heart run with the
// candidates the project's own search (steward.yaml) plans, each with
// the winner's cross-validation figures.
func heartTraining(t *testing.T) *report.Training {
	t.Helper()
	js, err := os.ReadFile(filepath.Join("testdata", "training.json"))
	if err != nil {
		t.Fatal(err)
	}
	var tr report.Training
	if err := json.Unmarshal(js, &tr); err != nil {
		t.Fatal(err)
	}
	p, err := config.Load(filepath.Join(reporttest.RepoRoot(t), "steward.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	plan, err := p.Training.Plan()
	if err != nil {
		t.Fatal(err)
	}
	var win report.Candidate
	for _, c := range tr.Candidates {
		if c.Selected {
			win = c
		}
	}
	tr.Candidates = nil
	for i, c := range plan {
		keys := make([]string, 0, len(c.Params))
		for k := range c.Params {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		var ps []string
		for _, k := range keys {
			ps = append(ps, fmt.Sprintf("%s=%v", k, c.Params[k]))
		}
		tr.Candidates = append(tr.Candidates, report.Candidate{ID: c.ID, Family: c.Family, Params: strings.Join(ps, " "),
			Mean: win.Mean, Std: win.Std, CV: win.CV, Seconds: win.Seconds, Selected: i == 0})
	}
	return &tr
}

// TestHeartTrainingPDFHasTwoPages renders the heart model's training
// report, with every candidate of the project's search, as a PDF: it
// fits on two pages (pdfinfo's count).
func TestHeartTrainingPDFHasTwoPages(t *testing.T) {
	tr := heartTraining(t)
	if len(tr.Candidates) < 10 {
		t.Fatalf("the heart search plans %d candidates; the test means the full search", len(tr.Candidates))
	}
	pdf, err := report.Bytes(tr, report.PDF, report.Options{})
	if err != nil {
		t.Fatal(err)
	}
	pages, text := pdfText(t, pdf)
	if pages != 2 {
		t.Errorf("the heart training PDF has %d pages, want 2", pages)
	}
	for _, w := range []string{tr.Candidates[len(tr.Candidates)-1].ID, "Cross-validated f1 per candidate", "Feature importance", "Confusion matrix"} {
		if !strings.Contains(text, w) {
			t.Errorf("the PDF lacks %q", w)
		}
	}
}

// TestOneCandidateRunHasNoCandidateChart: a run of one candidate has
// nothing to compare it with, so neither format draws a one-bar chart.
func TestOneCandidateRunHasNoCandidateChart(t *testing.T) {
	tr := heartTraining(t)
	tr.Candidates = tr.Candidates[:1]
	for _, f := range []report.Format{report.HTML, report.PDF} {
		b, err := report.Bytes(tr, f, report.Options{})
		if err != nil {
			t.Fatal(err)
		}
		text := string(b)
		if f == report.PDF {
			_, text = pdfText(t, b)
		}
		if strings.Contains(text, "per candidate") {
			t.Errorf("%v: a one-candidate run draws the candidates chart", f)
		}
	}
}
