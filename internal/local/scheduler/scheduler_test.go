package scheduler

import (
	"context"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stewardml/steward/internal/schedule"
)

func at(s string) time.Time {
	t, err := time.Parse("2006-01-02 15:04", s)
	if err != nil {
		panic(err)
	}
	return t
}

func TestTickRunsDueJobsOnce(t *testing.T) {
	now := at("2026-11-25 10:00")
	s := &Scheduler{Now: func() time.Time { return now }}
	sch, _ := schedule.Parse("rate(1 hour)")
	var runs atomic.Int32
	release := make(chan struct{})
	s.Add(Job{Name: "drift", Schedule: sch, Run: func(ctx context.Context, at time.Time) error {
		runs.Add(1)
		<-release
		return nil
	}})
	var wg sync.WaitGroup
	if n := s.Tick(context.Background(), at("2026-11-25 10:59"), &wg); n != 0 {
		t.Errorf("Tick before due started %d", n)
	}
	if n := s.Tick(context.Background(), at("2026-11-25 11:00"), &wg); n != 1 {
		t.Errorf("Tick when due started %d, want 1", n)
	}
	if n := s.Tick(context.Background(), at("2026-11-25 12:30"), &wg); n != 0 {
		t.Errorf("Tick while running started %d, want 0", n)
	}
	now = at("2026-11-25 12:30") // the run finished late: no catch-up run for 12:00
	close(release)
	wg.Wait()
	if runs.Load() != 1 {
		t.Errorf("runs = %d, want 1", runs.Load())
	}
	if next := s.NextRuns()[0].At; !next.Equal(at("2026-11-25 13:30")) {
		t.Errorf("next run = %s", next)
	}
}
