package drift

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
)

// PerformanceOptions configure realised performance over a window's
// labelled rows.
type PerformanceOptions struct {
	// MinLabels is the minimum number of labelled rows for a verdict.
	MinLabels int `json:"min_labels"`
	// Bootstrap is the number of resamples behind the confidence intervals.
	Bootstrap int `json:"bootstrap"`
	// Confidence is the level of the percentile intervals (0.95).
	Confidence float64 `json:"confidence"`
	// Seed makes the resampling reproducible.
	Seed uint64 `json:"seed"`
	// Threshold is the decision threshold; 0 means the training threshold,
	// or 0.5 without training metrics. A row is predicted positive when its
	// probability is >= the threshold.
	Threshold float64 `json:"threshold"`
}

// DefaultPerformanceOptions: 30 labels, 1000 resamples, 95% intervals.
func DefaultPerformanceOptions() PerformanceOptions {
	return PerformanceOptions{MinLabels: 30, Bootstrap: 1000, Confidence: 0.95}
}

func (o PerformanceOptions) validate() error {
	if o.MinLabels < 0 || o.Bootstrap < 1 || !(o.Confidence > 0 && o.Confidence < 1) || !(o.Threshold >= 0 && o.Threshold <= 1) {
		return fmt.Errorf("%w: performance options need MinLabels >= 0, Bootstrap >= 1, Confidence in (0, 1) and Threshold in [0, 1] (got %+v)", ErrInvalid, o)
	}
	return nil
}

// PerformanceResult is the realised performance over the labelled rows of a
// window, each metric with a bootstrap interval, against the training
// metrics.
type PerformanceResult struct {
	// Verdict is drift when a metric's whole interval lies below its
	// training value, insufficient_data with too few labels or no training
	// metrics, else no_drift.
	Verdict    Verdict        `json:"verdict"`
	Reason     string         `json:"reason,omitempty"`
	Rows       int            `json:"labelled_rows"`
	Positives  int            `json:"positives"`
	Threshold  float64        `json:"threshold"`
	Confidence float64        `json:"confidence"`
	Bootstrap  int            `json:"bootstrap"`
	Metrics    []MetricResult `json:"metrics"`
}

// MetricResult is one realised metric.
type MetricResult struct {
	Name  string  `json:"name"`
	Value float64 `json:"value"`
	Lower float64 `json:"lower"`
	Upper float64 `json:"upper"`
	// Training is the training-time value, when known.
	Training *float64 `json:"training,omitempty"`
	// Degraded: the interval lies entirely below the training value.
	Degraded bool `json:"degraded"`
}

// Performance scores predicted probabilities against feedback labels (0/1,
// NaN where no label arrived) with seeded percentile-bootstrap intervals for
// accuracy, F1 and ROC AUC (AUC is left out when the labels hold one class).
// It panics if the slices differ in length and returns ErrInvalid for labels
// other than 0, 1 and NaN or bad options.
func Performance(labels, predictions []float64, training *Metrics, opts PerformanceOptions) (*PerformanceResult, error) {
	if len(labels) != len(predictions) {
		panic("drift: Performance: labels and predictions differ in length")
	}
	if err := opts.validate(); err != nil {
		return nil, err
	}
	var y []bool
	var s []float64
	for i, l := range labels {
		if math.IsNaN(l) || math.IsNaN(predictions[i]) {
			continue
		}
		if l != 0 && l != 1 {
			return nil, &DataError{Column: "label", Row: i, Value: l, Expected: "0, 1 or NaN", Err: ErrInvalid}
		}
		y = append(y, l == 1)
		s = append(s, predictions[i])
	}
	threshold := opts.Threshold
	if threshold == 0 {
		threshold = 0.5
		if training != nil && training.Threshold > 0 {
			threshold = training.Threshold
		}
	}
	res := &PerformanceResult{Rows: len(y), Threshold: threshold, Confidence: opts.Confidence, Bootstrap: opts.Bootstrap, Metrics: []MetricResult{}}
	for _, v := range y {
		if v {
			res.Positives++
		}
	}
	if len(y) == 0 || len(y) < opts.MinLabels {
		res.Verdict = VerdictInsufficient
		res.Reason = fmt.Sprintf("%d labelled rows, fewer than the minimum %d", len(y), max(opts.MinLabels, 1))
		return res, nil
	}

	sc := newScorer(y, s, threshold)
	w := make([]int32, len(y))
	for i := range w {
		w[i] = 1
	}
	point := sc.score(w)
	oneClass := res.Positives == 0 || res.Positives == len(y)

	boot := make([][3]float64, 0, opts.Bootstrap)
	r := rand.New(rand.NewPCG(opts.Seed, 0x626f6f74))
	for b := 0; b < opts.Bootstrap; b++ {
		clear(w)
		for k := 0; k < len(y); k++ {
			w[r.IntN(len(y))]++
		}
		boot = append(boot, sc.score(w))
	}
	names := []string{"accuracy", "f1", "roc_auc"}
	var trainVals [3]float64
	if training != nil {
		trainVals = [3]float64{training.Accuracy, training.F1, training.ROCAUC}
	}
	for m, name := range names {
		if m == 2 && oneClass {
			continue
		}
		var vals []float64
		for _, bv := range boot {
			if !math.IsNaN(bv[m]) {
				vals = append(vals, bv[m])
			}
		}
		mr := MetricResult{Name: name, Value: point[m], Lower: point[m], Upper: point[m]}
		if len(vals) > 0 {
			slices.Sort(vals)
			q := compress(vals)
			mr.Lower = Quantile(q, (1-opts.Confidence)/2)
			mr.Upper = Quantile(q, (1+opts.Confidence)/2)
		}
		if training != nil {
			tv := trainVals[m]
			mr.Training = &tv
			mr.Degraded = mr.Upper < tv
		}
		res.Metrics = append(res.Metrics, mr)
	}
	switch {
	case training == nil:
		res.Verdict = VerdictInsufficient
		res.Reason = "no training metrics in the profile to compare with"
	default:
		res.Verdict = VerdictNoDrift
		for _, m := range res.Metrics {
			if m.Degraded {
				res.Verdict = VerdictDrift
			}
		}
	}
	return res, nil
}

// scorer computes weighted accuracy, F1 and ROC AUC in O(n) per call, the
// rows sorted once by score.
type scorer struct {
	y      []bool
	pos    []bool // predicted positive
	order  []int  // rows by ascending score
	groups []int  // end (exclusive) in order of each run of tied scores
}

func newScorer(y []bool, s []float64, threshold float64) *scorer {
	sc := &scorer{y: y, pos: make([]bool, len(y)), order: make([]int, len(y))}
	for i := range y {
		sc.pos[i] = s[i] >= threshold
		sc.order[i] = i
	}
	slices.SortStableFunc(sc.order, func(a, b int) int { return cmpFloat(s[a], s[b]) })
	for k := range sc.order {
		if k+1 == len(sc.order) || s[sc.order[k+1]] != s[sc.order[k]] {
			sc.groups = append(sc.groups, k+1)
		}
	}
	return sc
}

// score returns accuracy, F1 and AUC (NaN for one class) under weights w.
func (sc *scorer) score(w []int32) [3]float64 {
	var tp, fp, tn, fn float64
	for i, wi := range w {
		if wi == 0 {
			continue
		}
		f := float64(wi)
		switch {
		case sc.y[i] && sc.pos[i]:
			tp += f
		case sc.y[i]:
			fn += f
		case sc.pos[i]:
			fp += f
		default:
			tn += f
		}
	}
	n := tp + fp + tn + fn
	acc := (tp + tn) / n
	f1 := 0.0
	if d := 2*tp + fp + fn; d > 0 {
		f1 = 2 * tp / d
	}
	var area, negBelow, P, N float64
	start := 0
	for _, end := range sc.groups {
		var pg, ng float64
		for _, i := range sc.order[start:end] {
			if sc.y[i] {
				pg += float64(w[i])
			} else {
				ng += float64(w[i])
			}
		}
		area += float64(pg * (negBelow + ng/2))
		negBelow += ng
		P += pg
		N += ng
		start = end
	}
	auc := math.NaN()
	if P > 0 && N > 0 {
		auc = area / (P * N)
	}
	return [3]float64{acc, f1, auc}
}
