package agent

import (
	"flag"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stewardml/steward/internal/notify"
	"github.com/stewardml/steward/internal/notify/notifytest"
)

var update = flag.Bool("update", false, "rewrite the golden notifications in testdata/golden")

// describe writes the events as golden files keep them.
func describe(evs []notify.Event) string {
	var b strings.Builder
	for i, e := range evs {
		if i > 0 {
			b.WriteString("\n----\n")
		}
		fmt.Fprintf(&b, "kind: %s\nmodel: %s\nversion: %d\ntitle: %s\n", e.Kind, e.Model, e.Version, e.Title)
		keys := make([]string, 0, len(e.Fields))
		for k := range e.Fields {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		for _, k := range keys {
			fmt.Fprintf(&b, "field %s: %s\n", k, e.Fields[k])
		}
		for _, r := range e.Reports {
			fmt.Fprintf(&b, "report: %s %s\n", r.Kind, r.ID)
		}
		fmt.Fprintf(&b, "\n%s\n", e.Text)
	}
	return b.String()
}

func TestTheAgentsNotificationsSayWhatHappened(t *testing.T) {
	for _, tc := range []struct {
		name string
		run  func(t *testing.T, h *harness)
	}{
		{"drift-retrain-auto", func(t *testing.T, h *harness) { h.handle(t, testDrift(t, "c1", 0.6)) }},
		{"drift-retrain-approval", func(t *testing.T, h *harness) { h.handle(t, testDrift(t, "c1", 0.75)) }},
		{"drift-severe-escalated", func(t *testing.T, h *harness) { h.handle(t, testDrift(t, "c1", 0.95)) }},
		{"rollback-after-errors", func(t *testing.T, h *harness) {
			h.register(t, 2)
			h.promote(t, 1, 2, -20*time.Minute)
			tr, err := ParseEvent(readEvent(t, "alarm-5xx.json"), "heart")
			if err != nil {
				t.Fatal(err)
			}
			h.handle(t, tr)
			h.handle(t, tr)
		}},
		{"retraining-failed-escalated", func(t *testing.T, h *harness) {
			h.rt.fail = fmt.Errorf("states: ServiceUnavailable")
			h.handle(t, testDrift(t, "c1", 0.75))
			h.clock = h.clock.Add(time.Hour)
			h.handle(t, testDrift(t, "c2", 0.2))
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t)
			tc.run(t, h)
			notifytest.Golden(t, filepath.Join("testdata", "golden", tc.name+".txt"), describe(h.nt.events), *update)
		})
	}
}
