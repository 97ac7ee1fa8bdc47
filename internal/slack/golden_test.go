package slack

import (
	"encoding/json"
	"flag"
	"path/filepath"
	"testing"

	"github.com/stewardml/steward/internal/notify"
	"github.com/stewardml/steward/internal/notify/notifytest"
)

var update = flag.Bool("update", false, "rewrite the golden payloads in testdata/golden")

const base = "https://steward.example.com"

// kinds holds one event of each kind, as the workflow, the agent and the
// report notifier make them.
var kinds = []notify.Event{
	{Kind: notify.ApprovalRequested, Model: "heart", Version: 2, Title: "Approve heart version 2?",
		Text:   "Version 2 of heart is better than v1 and waits for a decision by ana@example.com (until 2026-03-18 10:00 UTC).",
		Fields: map[string]string{"roc_auc": "0.8517 (champion 0.8019)"},
		Links:  []notify.Link{{Label: "Decision page", URL: base + "/approvals?request=5bf7"}, {Label: "Training report", URL: base + "/reports/training/run-1"}}},
	{Kind: notify.Promoted, Model: "heart", Version: 2, Title: "heart:2 is champion (was v1)", Text: "heart:2 is champion (was v1); roc_auc +0.0498",
		Fields: map[string]string{"decision": "approved by ana@example.com"},
		Links:  []notify.Link{{Label: "Deployment report", URL: base + "/reports/deployment/heart:2"}, {Label: "Model on the dashboard", URL: base + "/models"}}},
	{Kind: notify.Rejected, Model: "heart", Version: 2, Title: "heart:2 rejected by bo@example.com", Text: "rejected by bo@example.com: too few women",
		Links: []notify.Link{{Label: "Deployment report", URL: base + "/reports/deployment/heart:1"}}},
	{Kind: notify.RolledBack, Model: "heart", Version: 1, Title: "heart rolled back: v2 → v1", Text: "5xx alarm after the promotion.",
		Links: []notify.Link{{Label: "Deployment report", URL: base + "/reports/deployment/heart:3"}}},
	{Kind: notify.Escalated, Model: "heart", Version: 2, Title: "heart:2: approval not given in time, nothing promoted", Text: "nobody decided on heart:2 in time; nothing was promoted",
		Links: []notify.Link{{Label: "Approvals", URL: base + "/approvals"}}},
	{Kind: notify.DriftDetected, Model: "heart", Version: 1, Title: "heart: retraining started (rule retrain-approval)", Text: "drift score 0.75 on 8 of 10 features",
		Fields: map[string]string{"drift score": "0.75", "drifted features": "8 of 10"},
		Links:  []notify.Link{{Label: "Drift report", URL: base + "/reports/drift/heart/c1"}, {Label: "Drift on the dashboard", URL: base + "/drift"}}},
	{Kind: notify.AgentAction, Model: "heart", Title: "heart: provisioned concurrency 1 → 4", Text: "sustained throttling"},
	{Kind: notify.Failure, Model: "heart", Title: "retraining of heart failed: DataValidationFailed", Text: "retraining failed: DataValidationFailed: 6 expectations failed",
		Links: []notify.Link{{Label: "Agent on the dashboard", URL: base + "/agent"}}},
}

func TestEachKindsPayloadIsGolden(t *testing.T) {
	for _, e := range kinds {
		t.Run(e.Kind, func(t *testing.T) {
			b, err := json.MarshalIndent(Build(e), "", "  ")
			if err != nil {
				t.Fatal(err)
			}
			notifytest.Golden(t, filepath.Join("testdata", "golden", e.Kind+".json"), string(b)+"\n", *update)
		})
	}
	if len(kinds) != len(notify.Kinds) {
		t.Errorf("%d kinds covered, want every one of %d", len(kinds), len(notify.Kinds))
	}
}
