package web

import (
	"context"
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
	// Perf is the realised performance of the window, when it had labels.
	PerfVerdict string       `json:"pv,omitempty"`
	Perf        []PerfMetric `json:"perf,omitempty"`
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
// record each check writes (monitor.History), one small record per check,
// so a year of hourly checks is one query.
type MonitorHistory struct {
	Records store.RecordStore
}

var _ DriftHistory = MonitorHistory{}

// Checks implements DriftHistory.
func (m MonitorHistory) Checks(ctx context.Context, model string, from, to time.Time) ([]DriftSummary, error) {
	f := monitor.HistoryFilter{Model: model, From: from}
	if !to.IsZero() {
		f.To = to.Add(-time.Nanosecond)
	}
	sums, err := monitor.History(ctx, m.Records, f)
	if err != nil {
		return nil, err
	}
	out := make([]DriftSummary, len(sums))
	for i, s := range sums {
		out[i] = summaryOf(s)
	}
	return out, nil
}

// Latest implements DriftHistory.
func (m MonitorHistory) Latest(ctx context.Context, model string) (DriftSummary, bool, error) {
	sums, err := monitor.History(ctx, m.Records, monitor.HistoryFilter{Model: model, Newest: true, Limit: 1})
	if err != nil || len(sums) == 0 {
		return DriftSummary{}, false, err
	}
	return summaryOf(sums[0]), true, nil
}

func summaryOf(s monitor.Summary) DriftSummary {
	d := DriftSummary{ID: s.CheckID, Key: s.ReportKey, Time: s.At.UTC(), Version: s.Version, Verdict: string(s.Verdict),
		Score: s.DriftScore, Share: s.DriftShare, Tested: s.Tested, Drifted: s.DriftedFeatures}
	if p := s.Performance; p != nil {
		d.PerfVerdict = string(p.Verdict)
		for _, m := range p.Metrics {
			d.Perf = append(d.Perf, PerfMetric{Name: m.Name, Value: m.Value, Lower: m.Lower, Upper: m.Upper})
		}
	}
	return d
}
