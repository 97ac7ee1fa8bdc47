package approval_test

import (
	"math"
	"testing"
	"time"

	"github.com/stewardml/steward/internal/approval"
	"github.com/stewardml/steward/internal/ml/eval"
)

func TestBriefMarksBetterAndWorseKnowingLowerIsBetter(t *testing.T) {
	r := approval.Request{ID: "r", Model: "heart", CandidateVersion: 4, ChampionVersion: 1,
		Candidate: map[string]float64{"f1": 0.80, "log_loss": 0.40, "brier": 0.20, "roc_auc": 0.85},
		Champion:  map[string]float64{"f1": 0.75, "log_loss": 0.45, "brier": 0.15, "roc_auc": 0.85},
		Compared: &approval.Compared{Source: "the hold-out rows", Rows: 76, Positives: 35, Metric: "roc_auc",
			Candidate: eval.Confusion{TP: 25, FN: 10, TN: 35, FP: 6}, Champion: &eval.Confusion{TP: 26, FN: 9, TN: 33, FP: 8}},
	}
	b := approval.NewBrief(r, nil, func(k string) string { return "/" + k })
	if b.Rows[0].Name != "roc_auc" || !b.Rows[0].Selection {
		t.Fatalf("first row %+v, want the selection metric roc_auc", b.Rows[0])
	}
	want := map[string]string{"f1": "better", "log_loss": "better", "brier": "worse", "roc_auc": "same"}
	for _, row := range b.Rows {
		if got := row.Comparison; got != want[row.Name] {
			t.Errorf("%s: %s, want %s", row.Name, got, want[row.Name])
		}
	}
	if ci := b.Rows[0].CandidateCI; ci == nil || !(ci.Lo < 0.85 && 0.85 < ci.Hi) {
		t.Errorf("ROC AUC interval %+v does not hold the value", ci)
	}
	m := b.Matrices[0]
	if math.Abs(m.Sensitivity-25.0/35) > 1e-12 || math.Abs(m.Specificity-35.0/41) > 1e-12 {
		t.Errorf("sensitivity %v, specificity %v", m.Sensitivity, m.Specificity)
	}
}

func TestBriefFlagsACandidateBundleAlreadyRejected(t *testing.T) {
	at := time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)
	bundle := "bundles/sha256/abc.tar"
	r := approval.Request{ID: "new", Model: "heart", CandidateVersion: 4, Evidence: []string{bundle}, CreatedAt: at}
	others := []approval.Request{
		{ID: "new", Model: "heart", Status: approval.Pending, Evidence: []string{bundle}},
		{ID: "old", Model: "heart", CandidateVersion: 3, Status: approval.Rejected, Evidence: []string{bundle}, CreatedAt: at.Add(-time.Hour),
			Decision: &approval.Decision{By: "bob@example.com", At: at.Add(-time.Hour)}},
		{ID: "other", Model: "heart", CandidateVersion: 2, Status: approval.Rejected, Evidence: []string{"bundles/sha256/def.tar"}, CreatedAt: at.Add(-2 * time.Hour)},
		{ID: "elsewhere", Model: "lungs", CandidateVersion: 3, Status: approval.Rejected, Evidence: []string{bundle}},
	}
	b := approval.NewBrief(r, others, func(k string) string { return "/" + k })
	if len(b.SameAsRejected) != 1 || b.SameAsRejected[0].ID != "old" {
		t.Errorf("same as rejected: %+v, want the request old", b.SameAsRejected)
	}
	if len(b.Earlier) != 2 || b.Earlier[0].ID != "old" {
		t.Errorf("earlier decisions: %+v, want old then other", b.Earlier)
	}
	if b.Evidence[0].Text != "candidate v4 model bundle" || b.Evidence[0].Href != "/"+bundle {
		t.Errorf("evidence %+v", b.Evidence[0])
	}
}

func TestYourDecisionSaysWhereChampionStands(t *testing.T) {
	approved := approval.Request{CandidateVersion: 4, Decision: &approval.Decision{Approved: true}}
	rejected := approval.Request{CandidateVersion: 4, Decision: &approval.Decision{}}
	for _, c := range []struct {
		r        approval.Request
		champion int
		want     string
	}{
		{approved, 4, "You approved version 4 — champion is now version 4."},
		{approved, 1, "You approved version 4 — Steward is promoting it: champion becomes version 4 when the promotion step has run."},
		{rejected, 1, "You rejected version 4 — champion stays version 1."},
		{rejected, -1, "You rejected version 4 — champion does not change."},
	} {
		if got := approval.YourDecision(c.r, c.champion); got != c.want {
			t.Errorf("YourDecision(champion %d) = %q, want %q", c.champion, got, c.want)
		}
	}
}
