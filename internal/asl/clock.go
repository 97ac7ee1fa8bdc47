package asl

import "time"

// Clock is the interpreter's view of time. Wait states, retry delays, task
// timeouts and heartbeats are computed from Now and persisted as deadlines;
// After only wakes a running driver early, so a fake Clock makes every
// timer in the interpreter testable without sleeping.
type Clock interface {
	Now() time.Time
	// After returns a channel that receives once d has passed.
	After(d time.Duration) <-chan time.Time
}

// SystemClock is the real clock.
type SystemClock struct{}

// Now implements Clock.
func (SystemClock) Now() time.Time { return time.Now() }

// After implements Clock.
func (SystemClock) After(d time.Duration) <-chan time.Time { return time.After(d) }
