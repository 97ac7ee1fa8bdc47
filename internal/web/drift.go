package web

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"path"
	"strings"
	"sync"
	"time"

	"github.com/stewardml/steward/internal/report"
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

// DriftIndex is a DriftHistory over the drift reports of the artifact
// store (reports/drift/{model}/{id}.json): it keeps one small summary
// record per report in the record store, so that a year of hourly checks
// is one query, and indexes new reports at most every MinInterval.
type DriftIndex struct {
	Records   store.RecordStore
	Artifacts store.ArtifactStore
	// MinInterval between two scans of the artifact store for new reports
	// (default 30 s).
	MinInterval time.Duration
	Now         func() time.Time

	mu      sync.Mutex
	scanned map[string]time.Time
}

var _ DriftHistory = (*DriftIndex)(nil)

func driftPK(model string) string { return "DASH#DRIFT#" + model }

const skTime = "2006-01-02T15:04:05.000000000Z"

func (x *DriftIndex) now() time.Time {
	if x.Now == nil {
		return time.Now()
	}
	return x.Now()
}

// Checks implements DriftHistory.
func (x *DriftIndex) Checks(ctx context.Context, model string, from, to time.Time) ([]DriftSummary, error) {
	if err := x.fresh(ctx, model); err != nil {
		return nil, err
	}
	q := store.Query{}
	if !from.IsZero() {
		q.From = from.UTC().Format(skTime)
	}
	if !to.IsZero() {
		q.To = to.UTC().Add(-time.Nanosecond).Format(skTime) + "#~"
	}
	return x.query(ctx, model, q)
}

// Latest implements DriftHistory.
func (x *DriftIndex) Latest(ctx context.Context, model string) (DriftSummary, bool, error) {
	if err := x.fresh(ctx, model); err != nil {
		return DriftSummary{}, false, err
	}
	out, err := x.query(ctx, model, store.Query{Descending: true, Limit: 1})
	if err != nil || len(out) == 0 {
		return DriftSummary{}, false, err
	}
	return out[0], true, nil
}

func (x *DriftIndex) query(ctx context.Context, model string, q store.Query) ([]DriftSummary, error) {
	recs, err := x.Records.Query(ctx, driftPK(model), q)
	if err != nil {
		return nil, fmt.Errorf("web: drift history of %s: %w", model, err)
	}
	out := make([]DriftSummary, 0, len(recs))
	for _, r := range recs {
		var s DriftSummary
		if err := json.Unmarshal(r.Body, &s); err != nil {
			return nil, fmt.Errorf("web: decode drift summary %s: %w", r.SK, err)
		}
		out = append(out, s)
	}
	return out, nil
}

// fresh indexes new reports unless that was done less than MinInterval
// ago in this process.
func (x *DriftIndex) fresh(ctx context.Context, model string) error {
	x.mu.Lock()
	defer x.mu.Unlock()
	min := x.MinInterval
	if min == 0 {
		min = 30 * time.Second
	}
	now := x.now()
	if t, ok := x.scanned[model]; ok && !now.Before(t) && now.Sub(t) < min {
		return nil
	}
	if _, err := x.Index(ctx, model); err != nil {
		return err
	}
	if x.scanned == nil {
		x.scanned = map[string]time.Time{}
	}
	x.scanned[model] = now
	return nil
}

// Index adds a summary record for every stored report of model not yet
// indexed and returns how many it added. A report that cannot be read is
// indexed with the verdict "unreadable", so it is not read again.
func (x *DriftIndex) Index(ctx context.Context, model string) (int, error) {
	prefix := "reports/drift/" + model + "/"
	objs, err := x.Artifacts.List(ctx, prefix)
	if err != nil {
		return 0, fmt.Errorf("web: list drift reports of %s: %w", model, err)
	}
	known, err := x.Records.Query(ctx, driftPK(model), store.Query{})
	if err != nil {
		return 0, fmt.Errorf("web: drift history of %s: %w", model, err)
	}
	have := make(map[string]bool, len(known))
	for _, r := range known {
		if _, id, ok := strings.Cut(r.SK, "#"); ok {
			have[id] = true
		}
	}
	var batch []store.Write
	flush := func() error {
		if len(batch) == 0 {
			return nil
		}
		err := x.Records.Write(ctx, batch...)
		batch = batch[:0]
		return err
	}
	added := 0
	for _, o := range objs {
		rest := strings.TrimPrefix(o.Key, prefix)
		if !strings.HasSuffix(rest, ".json") || strings.Contains(rest, "/") {
			continue
		}
		id := strings.TrimSuffix(path.Base(rest), ".json")
		if have[id] {
			continue
		}
		s, err := x.summarise(ctx, model, id, o)
		if err != nil {
			return added, err
		}
		body, err := json.Marshal(s)
		if err != nil {
			return added, fmt.Errorf("web: encode drift summary: %w", err)
		}
		batch = append(batch, store.Write{Record: store.Record{PK: driftPK(model), SK: s.Time.UTC().Format(skTime) + "#" + id, Body: body, Version: 1}})
		added++
		if len(batch) == store.MaxBatch {
			if err := flush(); err != nil {
				return added, fmt.Errorf("web: index drift reports of %s: %w", model, err)
			}
		}
	}
	if err := flush(); err != nil {
		return added, fmt.Errorf("web: index drift reports of %s: %w", model, err)
	}
	return added, nil
}

func (x *DriftIndex) summarise(ctx context.Context, model, id string, o store.ObjectInfo) (DriftSummary, error) {
	s := DriftSummary{ID: id, Key: o.Key, Time: o.LastModified.UTC(), Verdict: "unreadable"}
	data, _, err := x.Artifacts.Get(ctx, o.Key)
	if errors.Is(err, store.ErrNotFound) || errors.Is(err, store.ErrChecksum) {
		return s, nil
	}
	if err != nil {
		return s, fmt.Errorf("web: read %s: %w", o.Key, err)
	}
	d := report.Drift{ID: id, Model: model, CheckedAt: s.Time}
	if err := report.DecodeDriftCheck(data, &d); err != nil {
		return s, nil
	}
	return SummaryOf(&d, o.Key), nil
}

// SummaryOf summarises a drift check.
func SummaryOf(d *report.Drift, key string) DriftSummary {
	r := d.Report
	s := DriftSummary{ID: d.ID, Key: key, Time: d.CheckedAt.UTC(), Version: d.Version, Verdict: string(r.Verdict),
		Score: r.DriftScore, Share: r.DriftShare, Tested: r.Tested, Drifted: r.DriftedFeatures}
	if p := r.Performance; p != nil {
		s.PerfVerdict = string(p.Verdict)
		for _, m := range p.Metrics {
			s.Perf = append(s.Perf, PerfMetric{Name: m.Name, Value: m.Value, Lower: m.Lower, Upper: m.Upper})
		}
	}
	return s
}
