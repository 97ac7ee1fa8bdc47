package tracking_test

import (
	"context"
	"errors"
	"fmt"
	"math"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/stewardml/steward/internal/local/sqlite"
	"github.com/stewardml/steward/internal/tracking"
)

func newTracker(t *testing.T) (*tracking.Tracker, *time.Time) {
	t.Helper()
	rs, err := sqlite.Open(filepath.Join(t.TempDir(), "records.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { rs.Close() })
	tr := tracking.New(rs)
	now := time.Date(2025, 6, 1, 10, 0, 0, 0, time.UTC)
	tr.Now = func() time.Time { return now }
	return tr, &now
}

func TestRunLifecycle(t *testing.T) {
	tr, now := newTracker(t)
	ctx := context.Background()
	r, err := tr.Start(ctx, tracking.Start{Model: "heart", Params: map[string]any{"C": 0.5}, DatasetDigest: "sha256:abc", CodeVersion: "v0.1.0"})
	if err != nil {
		t.Fatal(err)
	}
	if id, err := uuid.Parse(r.ID); err != nil || id.Version() != 7 {
		t.Fatalf("run id %q is not a UUIDv7", r.ID)
	}
	if r.Status != tracking.StatusRunning || !r.StartedAt.Equal(*now) {
		t.Fatalf("started run = %+v", r)
	}
	if _, err := tr.Record(ctx, r.ID, tracking.Update{Metrics: map[string]float64{"cv_auc": 0.88}, Artifacts: []string{"runs/x/cv.json"}}); err != nil {
		t.Fatal(err)
	}
	*now = now.Add(90 * time.Second)
	done, err := tr.Finish(ctx, r.ID, tracking.Update{Metrics: map[string]float64{"test_auc": 0.9}, Artifacts: []string{"runs/x/cv.json", "models/heart/bundle.json"}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	got, err := tr.Get(ctx, r.ID)
	if err != nil {
		t.Fatal(err)
	}
	for _, run := range []tracking.Run{done, got} {
		if run.Status != tracking.StatusSucceeded || run.Duration != 90*time.Second || run.Metrics["cv_auc"] != 0.88 || run.Metrics["test_auc"] != 0.9 ||
			len(run.Artifacts) != 2 || run.DatasetDigest != "sha256:abc" || run.CodeVersion != "v0.1.0" || run.Params["C"] != 0.5 {
			t.Errorf("finished run = %+v", run)
		}
	}
	if _, err := tr.Finish(ctx, r.ID, tracking.Update{}, nil); !errors.Is(err, tracking.ErrFinished) {
		t.Errorf("second Finish: err = %v, want ErrFinished", err)
	}
	if _, err := tr.Record(ctx, r.ID, tracking.Update{}); !errors.Is(err, tracking.ErrFinished) {
		t.Errorf("Record after Finish: err = %v, want ErrFinished", err)
	}
}

func TestFailedRunKeepsError(t *testing.T) {
	tr, _ := newTracker(t)
	ctx := context.Background()
	r, _ := tr.Start(ctx, tracking.Start{Model: "heart"})
	got, err := tr.Finish(ctx, r.ID, tracking.Update{}, errors.New("train: no rows left after cleaning"))
	if err != nil {
		t.Fatal(err)
	}
	if got.Status != tracking.StatusFailed || got.Error != "train: no rows left after cleaning" {
		t.Fatalf("failed run = %+v", got)
	}
	listed, _ := tr.List(ctx, "heart", 0)
	if len(listed) != 1 || listed[0].Status != tracking.StatusFailed {
		t.Fatalf("listed = %+v, want the failed run as stored", listed)
	}
}

func TestListNewestFirst(t *testing.T) {
	tr, now := newTracker(t)
	ctx := context.Background()
	var ids []string
	for i := range 5 {
		*now = now.Add(time.Minute)
		r, err := tr.Start(ctx, tracking.Start{Model: "heart", Params: map[string]any{"i": i}})
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, r.ID)
		time.Sleep(2 * time.Millisecond) // distinct UUIDv7 milliseconds
	}
	if _, err := tr.Start(ctx, tracking.Start{Model: "iris"}); err != nil {
		t.Fatal(err)
	}
	got, err := tr.List(ctx, "heart", 3)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 3 || got[0].ID != ids[4] || got[1].ID != ids[3] || got[2].ID != ids[2] {
		t.Fatalf("List limit 3 = %v, want the last three started, newest first", got)
	}
	all, _ := tr.List(ctx, "heart", 0)
	if len(all) != 5 {
		t.Fatalf("List = %d runs, want 5", len(all))
	}
}

func TestConcurrentRecordsAreMerged(t *testing.T) {
	tr, _ := newTracker(t)
	ctx := context.Background()
	r, _ := tr.Start(ctx, tracking.Start{Model: "heart"})
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if _, err := tr.Record(ctx, r.ID, tracking.Update{Metrics: map[string]float64{fmt.Sprintf("fold%d", i): float64(i)}}); err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	got, _ := tr.Get(ctx, r.ID)
	if len(got.Metrics) != 8 {
		t.Fatalf("metrics = %v, want all 8 folds (lost update)", got.Metrics)
	}
}

func TestBadInput(t *testing.T) {
	tr, _ := newTracker(t)
	ctx := context.Background()
	if _, err := tr.Start(ctx, tracking.Start{}); !errors.Is(err, tracking.ErrInvalid) {
		t.Errorf("Start without model: err = %v, want ErrInvalid", err)
	}
	r, _ := tr.Start(ctx, tracking.Start{Model: "heart"})
	if _, err := tr.Record(ctx, r.ID, tracking.Update{Metrics: map[string]float64{"auc": math.NaN()}}); !errors.Is(err, tracking.ErrInvalid) {
		t.Errorf("NaN metric: err = %v, want ErrInvalid", err)
	}
	if _, err := tr.Get(ctx, "nope"); !errors.Is(err, tracking.ErrNotFound) {
		t.Errorf("Get unknown: err = %v, want ErrNotFound", err)
	}
	if _, err := tr.List(ctx, "", 0); !errors.Is(err, tracking.ErrInvalid) {
		t.Errorf("List without model: err = %v, want ErrInvalid", err)
	}
}
