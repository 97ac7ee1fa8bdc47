package web

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/stewardml/steward/internal/capture"
	"github.com/stewardml/steward/internal/store"
)

// Latency histogram: LatencyBins log-spaced bins from 10 µs to 100 s.
const (
	LatencyBins    = 84
	latencyMin     = 0.01 // ms
	latencyDecades = 7.0
	// ProbBins is the number of equal bins of predicted probabilities.
	ProbBins = 20
)

// Agg aggregates the predictions of one hour or day.
type Agg struct {
	Start     time.Time `json:"t"`
	Count     int64     `json:"n"`
	Positives int64     `json:"pos"`
	ProbSum   float64   `json:"ps"`
	Latency   []int64   `json:"lat"`  // LatencyBins counts
	Prob      []int64   `json:"prob"` // ProbBins counts
	// Bad counts capture lines that could not be read.
	Bad int64 `json:"bad,omitempty"`
}

func newAgg(t time.Time) *Agg {
	return &Agg{Start: t, Latency: make([]int64, LatencyBins), Prob: make([]int64, ProbBins)}
}

func latencyBin(ms float64) int {
	if !(ms > latencyMin) {
		return 0
	}
	i := int(math.Log10(ms/latencyMin) / latencyDecades * LatencyBins)
	return min(i, LatencyBins-1)
}

// latencyUpper is the upper edge of bin i, in ms.
func latencyUpper(i int) float64 {
	return latencyMin * math.Pow(10, float64(i+1)*latencyDecades/LatencyBins)
}

func (a *Agg) add(latencyMs, prob float64, label int) {
	a.Count++
	if label == 1 {
		a.Positives++
	}
	a.ProbSum += prob
	a.Latency[latencyBin(latencyMs)]++
	a.Prob[max(0, min(ProbBins-1, int(prob*ProbBins)))]++
}

// Merge adds b's counts to a.
func (a *Agg) Merge(b *Agg) {
	a.Count += b.Count
	a.Positives += b.Positives
	a.ProbSum += b.ProbSum
	a.Bad += b.Bad
	for i := range a.Latency {
		if i < len(b.Latency) {
			a.Latency[i] += b.Latency[i]
		}
	}
	for i := range a.Prob {
		if i < len(b.Prob) {
			a.Prob[i] += b.Prob[i]
		}
	}
}

// Quantile returns the latency at quantile q (0..1) in ms: the upper edge
// of the histogram bin that holds it (at most 22 % above the true value).
// NaN without predictions.
func (a *Agg) Quantile(q float64) float64 {
	if a.Count == 0 {
		return math.NaN()
	}
	rank := int64(math.Ceil(q * float64(a.Count)))
	var seen int64
	for i, n := range a.Latency {
		seen += n
		if seen >= rank && n > 0 {
			return latencyUpper(i)
		}
	}
	return latencyUpper(LatencyBins - 1)
}

// MeanProb is the mean predicted probability; NaN without predictions.
func (a *Agg) MeanProb() float64 {
	if a.Count == 0 {
		return math.NaN()
	}
	return a.ProbSum / float64(a.Count)
}

// Trends keeps hourly and daily aggregates of the captured predictions
// (captures/{model}/dt=.../hour=.../*.jsonl) in the record store, so that
// the trends page reads at most a few hundred small records whatever the
// traffic. Refresh aggregates every hour that has ended (plus Grace, for
// late capture files) once; the current hours are aggregated on the fly.
// It is safe for concurrent use.
type Trends struct {
	Records   store.RecordStore
	Artifacts store.ArtifactStore
	// Grace is how long after an hour ends its aggregate is fixed
	// (default 10 minutes: captures are flushed within seconds).
	Grace time.Duration
	Now   func() time.Time

	mu sync.Mutex // one refresh at a time
}

func trendsPK(model string) string { return "DASH#TRENDS#" + model }

const (
	hourSK = "2006-01-02T15"
	daySK  = "2006-01-02"
)

type trendsState struct {
	// Done is the end of the last hour aggregated.
	Done time.Time `json:"done"`
}

func (t *Trends) now() time.Time {
	if t.Now == nil {
		return time.Now().UTC()
	}
	return t.Now().UTC()
}

func (t *Trends) grace() time.Duration {
	if t.Grace <= 0 {
		return 10 * time.Minute
	}
	return t.Grace
}

// final is the end of the hours whose aggregates are fixed.
func (t *Trends) final() time.Time { return t.now().Add(-t.grace()).Truncate(time.Hour) }

// Refresh aggregates the hours that ended since the last refresh and
// returns how many predictions it read.
func (t *Trends) Refresh(ctx context.Context, model string) (int64, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	var st trendsState
	ver := int64(0)
	rec, err := t.Records.Get(ctx, trendsPK(model), "STATE")
	switch {
	case errors.Is(err, store.ErrNotFound):
	case err != nil:
		return 0, fmt.Errorf("web: trends state of %s: %w", model, err)
	default:
		if err := json.Unmarshal(rec.Body, &st); err != nil {
			return 0, fmt.Errorf("web: decode trends state of %s: %w", model, err)
		}
		ver = rec.Version
	}
	final := t.final()
	if !st.Done.Before(final) {
		return 0, nil
	}
	files, err := t.files(ctx, model, st.Done, final)
	if err != nil {
		return 0, err
	}
	hours := make([]time.Time, 0, len(files))
	for h := range files {
		hours = append(hours, h)
	}
	sort.Slice(hours, func(i, j int) bool { return hours[i].Before(hours[j]) })
	var writes []store.Write
	days := map[time.Time]bool{}
	var total int64
	for _, h := range hours {
		a, err := t.aggregate(ctx, h, files[h])
		if err != nil {
			return total, err
		}
		total += a.Count
		body, err := json.Marshal(a)
		if err != nil {
			return total, err
		}
		writes = append(writes, store.Write{Record: store.Record{PK: trendsPK(model), SK: "H#" + h.Format(hourSK), Body: body, Version: 1}})
		days[h.Truncate(24*time.Hour)] = true
		if len(writes) == store.MaxBatch {
			if err := t.Records.Write(ctx, writes...); err != nil {
				return total, fmt.Errorf("web: store trends of %s: %w", model, err)
			}
			writes = writes[:0]
		}
	}
	if len(writes) > 0 {
		if err := t.Records.Write(ctx, writes...); err != nil {
			return total, fmt.Errorf("web: store trends of %s: %w", model, err)
		}
	}
	if err := t.rollup(ctx, model, days); err != nil {
		return total, err
	}
	body, _ := json.Marshal(trendsState{Done: final})
	cond := store.Cond{Kind: store.CondAbsent}
	if ver > 0 {
		cond = store.Cond{Kind: store.CondVersion, Version: ver}
	}
	err = t.Records.Write(ctx, store.Write{Record: store.Record{PK: trendsPK(model), SK: "STATE", Body: body, Version: ver + 1}, Cond: cond})
	if errors.Is(err, store.ErrConflict) {
		// Another process refreshed the same hours meanwhile: its
		// aggregates are the same, so nothing is lost.
		return total, nil
	}
	if err != nil {
		return total, fmt.Errorf("web: store trends state of %s: %w", model, err)
	}
	return total, nil
}

// files lists the capture files of the hours in [from, to), by hour. A
// short gap is listed hour by hour; a long one (the first refresh) in one
// listing of the model's captures.
func (t *Trends) files(ctx context.Context, model string, from, to time.Time) (map[time.Time][]string, error) {
	out := map[time.Time][]string{}
	if !from.IsZero() && to.Sub(from) <= 48*time.Hour {
		for h := from; h.Before(to); h = h.Add(time.Hour) {
			objs, err := t.Artifacts.List(ctx, capture.Prefix(model, h))
			if err != nil {
				return nil, fmt.Errorf("web: list captures of %s: %w", model, err)
			}
			for _, o := range objs {
				out[h] = append(out[h], o.Key)
			}
		}
		return out, nil
	}
	prefix := "captures/" + model + "/"
	objs, err := t.Artifacts.List(ctx, prefix)
	if err != nil {
		return nil, fmt.Errorf("web: list captures of %s: %w", model, err)
	}
	for _, o := range objs {
		h, ok := captureHour(strings.TrimPrefix(o.Key, prefix))
		if !ok || h.Before(from) || !h.Before(to) {
			continue
		}
		out[h] = append(out[h], o.Key)
	}
	return out, nil
}

// captureHour reads the hour of "dt=YYYY-MM-DD/hour=HH/file.jsonl".
func captureHour(rest string) (time.Time, bool) {
	parts := strings.Split(rest, "/")
	if len(parts) != 3 || !strings.HasPrefix(parts[0], "dt=") || !strings.HasPrefix(parts[1], "hour=") || !strings.HasSuffix(parts[2], ".jsonl") {
		return time.Time{}, false
	}
	t, err := time.Parse("2006-01-02T15", parts[0][3:]+"T"+parts[1][5:])
	return t, err == nil
}

func (t *Trends) aggregate(ctx context.Context, hour time.Time, keys []string) (*Agg, error) {
	a := newAgg(hour)
	for _, k := range keys {
		data, _, err := t.Artifacts.Get(ctx, k)
		if errors.Is(err, store.ErrNotFound) {
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("web: read captures %s: %w", k, err)
		}
		scanCaptures(data, a)
	}
	return a, nil
}

// rollup recomputes the daily aggregate of each day from its hours.
func (t *Trends) rollup(ctx context.Context, model string, days map[time.Time]bool) error {
	var writes []store.Write
	for d := range days {
		recs, err := t.Records.Query(ctx, trendsPK(model), store.Query{Prefix: "H#" + d.Format(daySK) + "T"})
		if err != nil {
			return fmt.Errorf("web: trends of %s: %w", model, err)
		}
		day := newAgg(d)
		for _, r := range recs {
			var a Agg
			if err := json.Unmarshal(r.Body, &a); err != nil {
				return fmt.Errorf("web: decode trends %s: %w", r.SK, err)
			}
			day.Merge(&a)
		}
		body, _ := json.Marshal(day)
		writes = append(writes, store.Write{Record: store.Record{PK: trendsPK(model), SK: "D#" + d.Format(daySK), Body: body, Version: 1}})
		if len(writes) == store.MaxBatch {
			if err := t.Records.Write(ctx, writes...); err != nil {
				return fmt.Errorf("web: store daily trends of %s: %w", model, err)
			}
			writes = writes[:0]
		}
	}
	if len(writes) > 0 {
		if err := t.Records.Write(ctx, writes...); err != nil {
			return fmt.Errorf("web: store daily trends of %s: %w", model, err)
		}
	}
	return nil
}

// Series returns the aggregates of [from, to) in steps of an hour or a
// day, oldest first, without empty steps. Hours not fixed yet (after the
// last Refresh, at most the last two days) are read from their capture
// files and merged in.
func (t *Trends) Series(ctx context.Context, model string, from, to time.Time, daily bool) ([]*Agg, error) {
	from, to = from.UTC(), to.UTC()
	kind, layout, step := "H#", hourSK, time.Hour
	if daily {
		kind, layout, step = "D#", daySK, 24*time.Hour
	}
	from = from.Truncate(step)
	recs, err := t.Records.Query(ctx, trendsPK(model), store.Query{From: kind + from.Format(layout), To: kind + to.Add(-time.Nanosecond).Format(layout)})
	if err != nil {
		return nil, fmt.Errorf("web: trends of %s: %w", model, err)
	}
	var st trendsState
	if rec, err := t.Records.Get(ctx, trendsPK(model), "STATE"); err == nil {
		_ = json.Unmarshal(rec.Body, &st)
	} else if !errors.Is(err, store.ErrNotFound) {
		return nil, fmt.Errorf("web: trends state of %s: %w", model, err)
	}
	byStart := make(map[time.Time]*Agg, len(recs)+2)
	for _, r := range recs {
		a := &Agg{}
		if err := json.Unmarshal(r.Body, a); err != nil {
			return nil, fmt.Errorf("web: decode trends %s: %w", r.SK, err)
		}
		byStart[a.Start.UTC()] = a
	}
	live := st.Done
	if lim := to.Add(-48 * time.Hour).Truncate(time.Hour); live.Before(lim) {
		live = lim
	}
	if live.Before(from) {
		live = from
	}
	end := to
	if n := t.now().Add(time.Hour); n.Before(end) {
		end = n
	}
	for h := live.Truncate(time.Hour); h.Before(end); h = h.Add(time.Hour) {
		objs, err := t.Artifacts.List(ctx, capture.Prefix(model, h))
		if err != nil {
			return nil, fmt.Errorf("web: list captures of %s: %w", model, err)
		}
		if len(objs) == 0 {
			continue
		}
		keys := make([]string, len(objs))
		for i, o := range objs {
			keys[i] = o.Key
		}
		a, err := t.aggregate(ctx, h, keys)
		if err != nil {
			return nil, err
		}
		at := h.Truncate(step)
		if cur, ok := byStart[at]; ok && daily {
			cur.Merge(a)
			continue
		}
		a.Start = at
		byStart[at] = a
	}
	out := make([]*Agg, 0, len(byStart))
	for _, a := range byStart {
		if a.Count > 0 {
			out = append(out, a)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Start.Before(out[j].Start) })
	return out, nil
}

var (
	keyLatency = []byte(`"latencyMs":`)
	keyProb    = []byte(`"probability":`)
	keyLabel   = []byte(`"label":`)
)

// scanCaptures adds every capture line of data to a. It reads only the
// three fields it needs, without decoding the whole line: a year of
// captures is read once, and fast. Lines it cannot read are counted in
// a.Bad.
func scanCaptures(data []byte, a *Agg) {
	for len(data) > 0 {
		line := data
		if i := bytes.IndexByte(data, '\n'); i >= 0 {
			line, data = data[:i], data[i+1:]
		} else {
			data = nil
		}
		if len(bytes.TrimSpace(line)) == 0 {
			continue
		}
		lat, ok1 := number(line, keyLatency)
		prob, ok2 := number(line, keyProb)
		label, ok3 := number(line, keyLabel)
		if !ok1 || !ok2 || !ok3 || prob < 0 || prob > 1 || lat < 0 {
			a.Bad++
			continue
		}
		a.add(lat, prob, int(label))
	}
}

// number returns the JSON number that follows key in line.
func number(line, key []byte) (float64, bool) {
	i := bytes.Index(line, key)
	if i < 0 {
		return 0, false
	}
	rest := line[i+len(key):]
	j := 0
	for j < len(rest) && (rest[j] >= '0' && rest[j] <= '9' || rest[j] == '.' || rest[j] == '-' || rest[j] == 'e' || rest[j] == 'E' || rest[j] == '+') {
		j++
	}
	v, err := strconv.ParseFloat(string(rest[:j]), 64)
	if err != nil || math.IsNaN(v) || math.IsInf(v, 0) {
		return 0, false
	}
	return v, true
}
