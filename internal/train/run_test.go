package train

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"testing"
	"time"
)

func sha(b []byte) string {
	h := sha256.Sum256(b)
	return hex.EncodeToString(h[:])
}

func TestRunCleveland(t *testing.T) {
	d := cleveland(t)
	t0 := time.Now()
	res, err := Run(context.Background(), d, Config{Seed: 1}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("%.2fs", time.Since(t0).Seconds())
	for _, c := range res.Candidates {
		t.Logf("%-10s %v auc %.3f f1 %.3f acc %.3f %.2fs %s", c.ID, c.Params, c.CV["roc_auc"].Mean, c.CV["f1"].Mean, c.CV["accuracy"].Mean, c.Seconds, c.Error)
	}
	t.Logf("winner %s holdout %+v", res.Best().ID, res.Holdout.Metrics)
	t.Logf("importances %v", res.Importances)
}
