package monitor

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"time"

	"github.com/stewardml/steward/internal/drift"
	"github.com/stewardml/steward/internal/store"
)

// Summary is what a check says in a few hundred bytes: the record kept in
// the history and the detail of the DriftChecked event. The full report is
// at ReportKey.
type Summary struct {
	CheckID string    `json:"checkId"`
	Model   string    `json:"model"`
	Version int       `json:"version"`
	At      time.Time `json:"at"`
	// Trigger says who asked: schedule, cli, lambda, test.
	Trigger string `json:"trigger,omitempty"`
	// Source is "captures" or "file:<name>".
	Source     string    `json:"source"`
	WindowFrom time.Time `json:"windowFrom,omitzero"`
	WindowTo   time.Time `json:"windowTo,omitzero"`

	Verdict      drift.Verdict `json:"verdict"`
	Reason       string        `json:"reason,omitempty"`
	DriftScore   float64       `json:"driftScore"`
	DatasetDrift bool          `json:"datasetDrift"`
	DriftShare   float64       `json:"driftShare"`
	// Rows counts the window's rows; VersionRows those the checked version
	// scored; Labelled those of VersionRows with a feedback label.
	Rows            int              `json:"rows"`
	VersionRows     int              `json:"versionRows"`
	Labelled        int              `json:"labelled"`
	Features        int              `json:"features"`
	Tested          int              `json:"tested"`
	Drifted         int              `json:"drifted"`
	Insufficient    int              `json:"insufficient"`
	DriftedFeatures []string         `json:"driftedFeatures"`
	FeatureVerdicts []FeatureVerdict `json:"featureVerdicts"`
	Prediction      *FeatureVerdict  `json:"prediction,omitempty"`
	Performance     *Performance     `json:"performance,omitempty"`
	// Skipped counts capture lines that could not be read; SkippedFirst
	// says where the first one was and why.
	Skipped      int    `json:"skipped,omitempty"`
	SkippedFirst string `json:"skippedFirst,omitempty"`
	Duplicates   int    `json:"duplicates,omitempty"`
	ReportKey    string `json:"reportKey"`
}

// FeatureVerdict is one feature's line of a Summary.
type FeatureVerdict struct {
	Name    string         `json:"name"`
	Verdict drift.Verdict  `json:"verdict"`
	Test    drift.TestName `json:"test"`
	// Score is what the threshold was compared with: the adjusted p-value
	// or the distance. Nil when the feature was not tested.
	Score     *float64 `json:"score,omitempty"`
	Threshold float64  `json:"threshold"`
	// Effect is the effect size (normed Wasserstein or PSI/JS).
	Effect        *float64       `json:"effect,omitempty"`
	EffectMeasure drift.TestName `json:"effectMeasure,omitempty"`
	Reason        string         `json:"reason,omitempty"`
}

// Performance is realised performance in a Summary.
type Performance struct {
	Verdict drift.Verdict        `json:"verdict"`
	Reason  string               `json:"reason,omitempty"`
	Rows    int                  `json:"rows"`
	Metrics []drift.MetricResult `json:"metrics"`
}

// Metric returns the named realised metric, if present.
func (p *Performance) Metric(name string) (drift.MetricResult, bool) {
	if p == nil {
		return drift.MetricResult{}, false
	}
	for _, m := range p.Metrics {
		if m.Name == name {
			return m, true
		}
	}
	return drift.MetricResult{}, false
}

// finite returns a pointer to v, or nil when v is not finite (a JSON
// number cannot be NaN or infinite).
func finite(v float64) *float64 {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return nil
	}
	return &v
}

func verdictOf(r drift.FeatureResult) FeatureVerdict {
	fv := FeatureVerdict{Name: r.Name, Verdict: r.Verdict, Test: r.Test, Threshold: r.Threshold, Reason: r.Reason}
	switch {
	case r.AdjustedPValue != nil:
		fv.Score = finite(float64(*r.AdjustedPValue))
	case r.DriftScore != nil:
		fv.Score = finite(float64(*r.DriftScore))
	}
	if r.Effect != nil {
		fv.Effect = finite(float64(r.Effect.Value))
		fv.EffectMeasure = r.Effect.Measure
	}
	return fv
}

// summarize fills the drift fields of s from r.
func summarize(s *Summary, r *drift.Report) {
	s.Verdict, s.Reason = r.Verdict, r.Reason
	s.DriftScore, s.DatasetDrift, s.DriftShare = r.DriftScore, r.DatasetDrift, r.DriftShare
	s.Features, s.Tested, s.Drifted, s.Insufficient = r.Features, r.Tested, r.Drifted, r.Insufficient
	s.DriftedFeatures = append([]string{}, r.DriftedFeatures...)
	s.FeatureVerdicts = make([]FeatureVerdict, len(r.FeatureResults))
	for i, f := range r.FeatureResults {
		s.FeatureVerdicts[i] = verdictOf(f)
	}
	if r.Prediction != nil {
		p := verdictOf(*r.Prediction)
		s.Prediction = &p
	}
	if r.Performance != nil {
		s.Performance = &Performance{Verdict: r.Performance.Verdict, Reason: r.Performance.Reason,
			Rows: r.Performance.Rows, Metrics: r.Performance.Metrics}
	}
}

// Partition returns the record-store partition of a model's check
// history.
func Partition(model string) string { return "DRIFT#" + model }

const timeLayout = "2006-01-02T15:04:05.000000000Z"

// SortKey orders a model's checks by time; the check id breaks ties.
func SortKey(at time.Time, checkID string) string {
	return at.UTC().Format(timeLayout) + "#" + checkID
}

// ReportKey returns the artifact key of a check's report.
func ReportKey(model, checkID string) string {
	return "reports/drift/" + model + "/" + checkID + ".json"
}

// HistoryFilter selects a model's checks.
type HistoryFilter struct {
	Model    string
	From, To time.Time // inclusive; zero for open
	Limit    int       // 0 for all
	Newest   bool      // newest first
}

// History returns a model's check summaries in time order (newest first
// with f.Newest): the data behind drift trend charts.
func History(ctx context.Context, rs store.RecordStore, f HistoryFilter) ([]Summary, error) {
	if f.Model == "" {
		return nil, fmt.Errorf("%w: history needs a model", ErrInvalid)
	}
	if f.Limit < 0 {
		return nil, fmt.Errorf("%w: negative limit %d", ErrInvalid, f.Limit)
	}
	if !f.From.IsZero() && !f.To.IsZero() && f.From.After(f.To) {
		return nil, fmt.Errorf("%w: from %s is after to %s", ErrInvalid, f.From.Format(time.RFC3339), f.To.Format(time.RFC3339))
	}
	q := store.Query{Limit: f.Limit, Descending: f.Newest}
	if !f.From.IsZero() {
		q.From = f.From.UTC().Format(timeLayout)
	}
	if !f.To.IsZero() {
		q.To = f.To.UTC().Format(timeLayout) + "#~"
	}
	recs, err := rs.Query(ctx, Partition(f.Model), q)
	if err != nil {
		return nil, fmt.Errorf("monitor: history of %s: %w", f.Model, err)
	}
	out := make([]Summary, 0, len(recs))
	for _, r := range recs {
		var s Summary
		if err := json.Unmarshal(r.Body, &s); err != nil {
			return nil, fmt.Errorf("monitor: history of %s: decode %s: %w", f.Model, r.SK, err)
		}
		out = append(out, s)
	}
	return out, nil
}
