package train

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"math"
	"testing"

	"github.com/stewardml/steward/internal/ml/eval"
)

func sha(b []byte) string {
	h := sha256.Sum256(b)
	return hex.EncodeToString(h[:])
}

func TestRunScoresEveryCandidate(t *testing.T) {
	d := cleveland(t)
	res, err := Run(context.Background(), d, Config{Seed: 1}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Candidates) != 12 {
		t.Fatalf("%d candidates, want the 12 of the default search", len(res.Candidates))
	}
	selected := 0
	for _, c := range res.Candidates {
		if c.Error != "" || len(c.Folds) != 15 || len(c.CV) != len(eval.Names) {
			t.Errorf("%s: error %q, %d fold scores, %d metrics", c.ID, c.Error, len(c.Folds), len(c.CV))
		}
		if auc := c.CV[eval.ROCAUC].Mean; auc < 0.85 || auc > 0.95 {
			t.Errorf("%s: CV ROC AUC %.3f outside the plausible 0.85-0.95", c.ID, auc)
		}
		if c.Selected {
			selected++
		}
	}
	if selected != 1 || !res.Best().Selected {
		t.Errorf("%d candidates flagged selected", selected)
	}
	if res.Rows != 303 || res.Positives != 139 || res.TrainRows != 242 || res.HoldoutRows != 61 || res.Holdout.Metrics.N != 61 {
		t.Errorf("rows %d positives %d train %d hold-out %d", res.Rows, res.Positives, res.TrainRows, res.HoldoutRows)
	}
	var sum float64
	for _, imp := range res.Importances {
		sum += imp.Importance
	}
	if len(res.Importances) != 13 || math.Abs(sum-1) > 1e-9 {
		t.Errorf("%d importances summing to %v", len(res.Importances), sum)
	}
	if len(res.Holdout.ROC) == 0 || len(res.Holdout.PR) == 0 || len(res.Holdout.Calibration) != eval.DefaultCalibrationBins {
		t.Error("the hold-out report lacks its curves")
	}
}

func TestRunStopsWhenCancelled(t *testing.T) {
	d := cleveland(t)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := Run(ctx, d, Config{}, Options{})
	if !errors.Is(err, context.Canceled) {
		t.Errorf("err = %v, want context.Canceled", err)
	}
}

func TestProgressCoversEveryFold(t *testing.T) {
	d := cleveland(t)
	var events []Progress
	_, err := Run(context.Background(), d, smallConfig(2), Options{Progress: func(p Progress) { events = append(events, p) }})
	if err != nil {
		t.Fatal(err)
	}
	folds := map[string]int{}
	stages := map[string]int{}
	for _, e := range events {
		stages[e.Stage]++
		if e.Stage == StageFold {
			folds[e.Candidate]++
			if e.Total != 9 || e.Folds != 3 || e.Metric != "f1" || e.FamilySize == 0 {
				t.Errorf("fold event %+v", e)
			}
		}
	}
	if len(folds) != 3 || folds["logreg-1"] != 3 || folds["gbdt-1"] != 3 {
		t.Errorf("fold events per candidate %v", folds)
	}
	if stages[StageSelect] != 1 || stages[StageFinal] != 1 || stages[StageHoldout] != 1 {
		t.Errorf("stages %v", stages)
	}
}
