// Package scheduler is the local stand-in for EventBridge Scheduler: it
// fires jobs on the times of their schedule (package schedule parses the
// same rate(...) and cron(...) expressions EventBridge reads) inside
// `steward serve`.
package scheduler

import (
	"context"
	"fmt"
	"io"
	"sort"
	"sync"
	"time"

	"github.com/stewardml/steward/internal/schedule"
)

// Job is one scheduled task. Run receives the scheduled fire time.
type Job struct {
	Name     string
	Schedule schedule.Schedule
	Run      func(ctx context.Context, at time.Time) error
}

// Scheduler fires jobs at their times. A run that is still going when its
// next time comes is not started twice; missed times while the process was
// down are not replayed (like EventBridge, which does not backfill).
type Scheduler struct {
	Now  func() time.Time
	Log  io.Writer // one line per run and per failure; may be nil
	mu   sync.Mutex
	jobs []*entry
}

type entry struct {
	Job
	next    time.Time
	running bool
}

// Add registers a job; its first fire time is computed from now.
func (s *Scheduler) Add(j Job) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.jobs = append(s.jobs, &entry{Job: j, next: j.Schedule.Next(s.now())})
}

func (s *Scheduler) now() time.Time {
	if s.Now != nil {
		return s.Now()
	}
	return time.Now()
}

// Tick starts every job that is due at now and returns how many started.
// Runs happen in goroutines; wg (optional) tracks them.
func (s *Scheduler) Tick(ctx context.Context, now time.Time, wg *sync.WaitGroup) int {
	s.mu.Lock()
	var due []*entry
	for _, e := range s.jobs {
		if !e.next.IsZero() && !now.Before(e.next) && !e.running {
			due = append(due, e)
			e.running = true
		}
	}
	s.mu.Unlock()
	for _, e := range due {
		at := e.next
		if wg != nil {
			wg.Add(1)
		}
		go func(e *entry) {
			if wg != nil {
				defer wg.Done()
			}
			err := e.Run(ctx, at)
			s.mu.Lock()
			e.running = false
			done := s.now()
			if done.Before(now) {
				done = now
			}
			e.next = e.Schedule.Next(done)
			s.mu.Unlock()
			if s.Log != nil {
				if err != nil {
					fmt.Fprintf(s.Log, "scheduler: %s at %s failed: %v\n", e.Name, at.Format(time.RFC3339), err)
				} else {
					fmt.Fprintf(s.Log, "scheduler: %s ran for %s\n", e.Name, at.Format(time.RFC3339))
				}
			}
		}(e)
	}
	return len(due)
}

// NextRuns lists each job's next fire time, soonest first.
func (s *Scheduler) NextRuns() []struct {
	Name string
	At   time.Time
} {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]struct {
		Name string
		At   time.Time
	}, 0, len(s.jobs))
	for _, e := range s.jobs {
		out = append(out, struct {
			Name string
			At   time.Time
		}{e.Name, e.next})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].At.Before(out[j].At) })
	return out
}

// Run ticks every second until ctx ends, then waits for running jobs.
func (s *Scheduler) Run(ctx context.Context) {
	var wg sync.WaitGroup
	t := time.NewTicker(time.Second)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			wg.Wait()
			return
		case <-t.C:
			s.Tick(ctx, s.now(), &wg)
		}
	}
}
