package web

import (
	"context"
	"encoding/json"
	"fmt"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/stewardml/steward/internal/monitor"
	"github.com/stewardml/steward/internal/store"
)

// DriftSummary is one drift check as the history charts show it.
type DriftSummary struct {
	ID      string    `json:"id"`
	Key     string    `json:"key"`
	Time    time.Time `json:"t"`
	Version int       `json:"v,omitempty"`
	Verdict string    `json:"verdict"`
	Score   float64   `json:"score"`
	Share   float64   `json:"share"`
	Tested  int       `json:"tested"`
	Drifted []string  `json:"drifted,omitempty"`
	// Source is the data checked: "captures" (the window WindowFrom to
	// WindowTo) or "file:<name>"; Reason explains an insufficient_data
	// verdict.
	Source     string    `json:"source,omitempty"`
	WindowFrom time.Time `json:"wf,omitzero"`
	WindowTo   time.Time `json:"wt,omitzero"`
	Reason     string    `json:"reason,omitempty"`
	// Perf is the realised performance of the window, when it had labels.
	PerfVerdict string       `json:"pv,omitempty"`
	Perf        []PerfMetric `json:"perf,omitempty"`
}

// Data names the data a check read: the captures of its window, or the
// file it was given.
func (d DriftSummary) Data() string {
	switch {
	case strings.HasPrefix(d.Source, "file:"):
		return "file " + strings.TrimPrefix(d.Source, "file:")
	case d.Source == "captures" && !d.WindowFrom.IsZero():
		return "captures " + d.WindowFrom.UTC().Format("01-02 15:04") + " – " + d.WindowTo.UTC().Format("01-02 15:04")
	case d.Source != "":
		return d.Source
	}
	return "–"
}

// PerfMetric is one realised metric with its bootstrap interval.
type PerfMetric struct {
	Name  string  `json:"n"`
	Value float64 `json:"v"`
	Lower float64 `json:"lo"`
	Upper float64 `json:"hi"`
}

// DriftHistory lists a model's drift checks. Implementations are safe for
// concurrent use.
type DriftHistory interface {
	// Checks returns the checks with from <= Time < to, oldest first.
	Checks(ctx context.Context, model string, from, to time.Time) ([]DriftSummary, error)
	// Latest returns the newest check; ok is false when there is none.
	Latest(ctx context.Context, model string) (s DriftSummary, ok bool, err error)
}

// MonitorHistory is the DriftHistory of the drift monitor: the summary
// record each check writes (monitor.Partition, one small record per
// check). It keeps the summaries it has read in memory, since they never
// change: a page reads only the records written since the last one, and
// everything again at most every ReloadEvery, so that a year of hourly
// checks costs one full read per process. It is safe for concurrent use.
type MonitorHistory struct {
	Records store.RecordStore
	// ReloadEvery bounds how long a summary written out of order (with an
	// earlier time than one already read) can stay unseen; default 10 min.
	ReloadEvery time.Duration

	mu    sync.Mutex
	cache map[string]*historyCache
}

type historyCache struct {
	sums   []DriftSummary // in sort-key order
	lastSK string
	loaded time.Time
}

var _ DriftHistory = (*MonitorHistory)(nil)

// monitorSummary is the part of monitor.Summary the pages show; decoding
// only these fields keeps a year of checks cheap to read.
type monitorSummary struct {
	CheckID         string    `json:"checkId"`
	Version         int       `json:"version"`
	At              time.Time `json:"at"`
	Verdict         string    `json:"verdict"`
	DriftScore      float64   `json:"driftScore"`
	DriftShare      float64   `json:"driftShare"`
	Tested          int       `json:"tested"`
	DriftedFeatures []string  `json:"driftedFeatures"`
	ReportKey       string    `json:"reportKey"`
	Source          string    `json:"source"`
	WindowFrom      time.Time `json:"windowFrom"`
	WindowTo        time.Time `json:"windowTo"`
	Reason          string    `json:"reason"`
	Performance     *struct {
		Verdict string `json:"verdict"`
		Metrics []struct {
			Name  string  `json:"name"`
			Value float64 `json:"value"`
			Lower float64 `json:"lower"`
			Upper float64 `json:"upper"`
		} `json:"metrics"`
	} `json:"performance"`
}

func (m *MonitorHistory) load(ctx context.Context, model string) ([]DriftSummary, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.cache == nil {
		m.cache = map[string]*historyCache{}
	}
	every := m.ReloadEvery
	if every <= 0 {
		every = 10 * time.Minute
	}
	c := m.cache[model]
	if c == nil || time.Since(c.loaded) > every {
		c = &historyCache{loaded: time.Now()}
		m.cache[model] = c
	}
	recs, err := m.Records.Query(ctx, monitor.Partition(model), store.Query{From: c.lastSK})
	if err != nil {
		return nil, fmt.Errorf("web: drift history of %s: %w", model, err)
	}
	for _, r := range recs {
		if r.SK <= c.lastSK {
			continue
		}
		var s monitorSummary
		if err := json.Unmarshal(r.Body, &s); err != nil {
			return nil, fmt.Errorf("web: drift history of %s: decode %s: %w", model, r.SK, err)
		}
		d := DriftSummary{ID: s.CheckID, Key: s.ReportKey, Time: s.At.UTC(), Version: s.Version, Verdict: s.Verdict,
			Score: s.DriftScore, Share: s.DriftShare, Tested: s.Tested, Drifted: s.DriftedFeatures,
			Source: s.Source, WindowFrom: s.WindowFrom, WindowTo: s.WindowTo, Reason: s.Reason}
		if p := s.Performance; p != nil {
			d.PerfVerdict = p.Verdict
			for _, x := range p.Metrics {
				d.Perf = append(d.Perf, PerfMetric{Name: x.Name, Value: x.Value, Lower: x.Lower, Upper: x.Upper})
			}
		}
		c.sums = append(c.sums, d)
		c.lastSK = r.SK
	}
	return c.sums, nil
}

// Checks implements DriftHistory.
func (m *MonitorHistory) Checks(ctx context.Context, model string, from, to time.Time) ([]DriftSummary, error) {
	all, err := m.load(ctx, model)
	if err != nil {
		return nil, err
	}
	lo := sort.Search(len(all), func(i int) bool { return !all[i].Time.Before(from) })
	hi := len(all)
	if !to.IsZero() {
		hi = sort.Search(len(all), func(i int) bool { return !all[i].Time.Before(to) })
	}
	if lo >= hi {
		return nil, nil
	}
	return append([]DriftSummary(nil), all[lo:hi]...), nil
}

// Latest implements DriftHistory.
func (m *MonitorHistory) Latest(ctx context.Context, model string) (DriftSummary, bool, error) {
	all, err := m.load(ctx, model)
	if err != nil || len(all) == 0 {
		return DriftSummary{}, false, err
	}
	return all[len(all)-1], true, nil
}
