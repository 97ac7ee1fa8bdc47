package eval

import (
	"errors"
	"fmt"
	"math"
	"sort"
)

// ErrOneClass reports that the labels hold a single class, so the ranking
// metrics (ROC AUC, average precision) are undefined.
var ErrOneClass = errors.New("eval: labels hold a single class; ROC AUC and PR AUC are undefined")

// LogLossEps is the clipping bound of LogLoss: the float64 machine epsilon,
// scikit-learn 1.2's default (eps="auto").
const LogLossEps = 2.220446049250313e-16

// Metric names, as they appear in configuration, run records and manifests.
const (
	Accuracy  = "accuracy"
	Precision = "precision"
	Recall    = "recall"
	F1        = "f1"
	ROCAUC    = "roc_auc"
	PRAUC     = "pr_auc"
	LogLoss   = "log_loss"
	Brier     = "brier"
)

// Names lists every metric name in a fixed order.
var Names = []string{Accuracy, Precision, Recall, F1, ROCAUC, PRAUC, LogLoss, Brier}

// HigherIsBetter reports whether a larger value of the named metric is
// better; ok is false for an unknown name.
func HigherIsBetter(name string) (higher, ok bool) {
	switch name {
	case Accuracy, Precision, Recall, F1, ROCAUC, PRAUC:
		return true, true
	case LogLoss, Brier:
		return false, true
	}
	return false, false
}

// Stat is the mean and the population standard deviation of a metric over
// cross-validation folds.
type Stat struct {
	Mean float64 `json:"mean"`
	Std  float64 `json:"std"`
}

// Confusion is the confusion matrix of a binary classifier at one threshold.
type Confusion struct {
	TP int `json:"tp"`
	FP int `json:"fp"`
	TN int `json:"tn"`
	FN int `json:"fn"`
}

// ConfusionAt counts the confusion matrix of probabilities p against labels
// y, predicting positive when p >= threshold.
func ConfusionAt(y, p []float64, threshold float64) Confusion {
	checkLen(y, p)
	var c Confusion
	for i, v := range p {
		pos := v >= threshold
		switch {
		case y[i] == 1 && pos:
			c.TP++
		case y[i] == 1:
			c.FN++
		case pos:
			c.FP++
		default:
			c.TN++
		}
	}
	return c
}

// Accuracy is the share of correct predictions (0 for no rows).
func (c Confusion) Accuracy() float64 { return ratio(c.TP+c.TN, c.TP+c.TN+c.FP+c.FN) }

// Precision is TP / (TP + FP), 0 when nothing is predicted positive.
func (c Confusion) Precision() float64 { return ratio(c.TP, c.TP+c.FP) }

// Recall is TP / (TP + FN), 0 when there are no positives.
func (c Confusion) Recall() float64 { return ratio(c.TP, c.TP+c.FN) }

// F1 is the harmonic mean of precision and recall, 2TP / (2TP + FP + FN),
// 0 when undefined.
func (c Confusion) F1() float64 { return ratio(2*c.TP, 2*c.TP+c.FP+c.FN) }

func ratio(a, b int) float64 {
	if b == 0 {
		return 0
	}
	return float64(a) / float64(b)
}

// Metrics are the scores of one set of predictions.
type Metrics struct {
	Accuracy  float64   `json:"accuracy"`
	Precision float64   `json:"precision"`
	Recall    float64   `json:"recall"`
	F1        float64   `json:"f1"`
	ROCAUC    float64   `json:"roc_auc"`
	PRAUC     float64   `json:"pr_auc"`
	LogLoss   float64   `json:"log_loss"`
	Brier     float64   `json:"brier"`
	Threshold float64   `json:"threshold"`
	Confusion Confusion `json:"confusion"`
	N         int       `json:"n"`
	Positives int       `json:"positives"`
}

// Get returns the named metric; ok is false for an unknown name.
func (m Metrics) Get(name string) (v float64, ok bool) {
	switch name {
	case Accuracy:
		return m.Accuracy, true
	case Precision:
		return m.Precision, true
	case Recall:
		return m.Recall, true
	case F1:
		return m.F1, true
	case ROCAUC:
		return m.ROCAUC, true
	case PRAUC:
		return m.PRAUC, true
	case LogLoss:
		return m.LogLoss, true
	case Brier:
		return m.Brier, true
	}
	return 0, false
}

// Map returns the metrics by name (the names in Names).
func (m Metrics) Map() map[string]float64 {
	out := make(map[string]float64, len(Names))
	for _, n := range Names {
		out[n], _ = m.Get(n)
	}
	return out
}

// Score computes every metric of probabilities p against 0/1 labels y at the
// given threshold. It returns ErrOneClass (with the threshold metrics, log
// loss and Brier filled in and the ranking metrics 0) when y holds a single
// class. It panics if the lengths differ or a label is not 0 or 1.
func Score(y, p []float64, threshold float64) (Metrics, error) {
	checkLen(y, p)
	c := ConfusionAt(y, p, threshold)
	m := Metrics{
		Accuracy:  c.Accuracy(),
		Precision: c.Precision(),
		Recall:    c.Recall(),
		F1:        c.F1(),
		LogLoss:   LogLossOf(y, p),
		Brier:     BrierOf(y, p),
		Threshold: threshold,
		Confusion: c,
		N:         len(y),
		Positives: c.TP + c.FN,
	}
	if m.Positives == 0 || m.Positives == m.N {
		return m, ErrOneClass
	}
	m.ROCAUC = ROCAUCOf(y, p)
	m.PRAUC = AveragePrecision(y, p)
	return m, nil
}

// LogLossOf is the mean negative log-likelihood of y under p, with p clipped
// to [LogLossEps, 1-LogLossEps]. It is 0 for no rows.
func LogLossOf(y, p []float64) float64 {
	checkLen(y, p)
	if len(y) == 0 {
		return 0
	}
	var s float64
	for i, v := range p {
		v = math.Min(math.Max(v, LogLossEps), 1-LogLossEps)
		if y[i] == 1 {
			s -= math.Log(v)
		} else {
			s -= math.Log1p(-v)
		}
	}
	return s / float64(len(y))
}

// BrierOf is the mean squared difference between p and y (0 for no rows).
func BrierOf(y, p []float64) float64 {
	checkLen(y, p)
	if len(y) == 0 {
		return 0
	}
	var s float64
	for i, v := range p {
		d := v - y[i]
		s += d * d
	}
	return s / float64(len(y))
}

// ranked holds the cumulative counts at each distinct score, scores in
// descending order: the points of sklearn's _binary_clf_curve.
type ranked struct {
	score  []float64 // distinct scores, descending
	tp, fp []float64 // positives and negatives with score >= score[i]
	pos    float64   // total positives
	neg    float64   // total negatives
}

func rank(y, p []float64) ranked {
	checkLen(y, p)
	idx := make([]int, len(p))
	for i := range idx {
		idx[i] = i
	}
	sort.SliceStable(idx, func(a, b int) bool { return p[idx[a]] > p[idx[b]] })
	var r ranked
	var tp, fp float64
	for k, i := range idx {
		if y[i] == 1 {
			tp++
		} else {
			fp++
		}
		if k+1 < len(idx) && p[idx[k+1]] == p[i] {
			continue // the next row ties: one point per distinct score
		}
		r.score = append(r.score, p[i])
		r.tp = append(r.tp, tp)
		r.fp = append(r.fp, fp)
	}
	r.pos, r.neg = tp, fp
	return r
}

// ROCAUCOf is the area under the ROC curve, ties counted as half (the
// Mann-Whitney statistic, as sklearn's roc_auc_score). It returns NaN when y
// holds a single class.
func ROCAUCOf(y, p []float64) float64 {
	r := rank(y, p)
	if r.pos == 0 || r.neg == 0 {
		return math.NaN()
	}
	var area, ptp, pfp float64
	for i := range r.score {
		area += (r.fp[i] - pfp) * (r.tp[i] + ptp) / 2
		ptp, pfp = r.tp[i], r.fp[i]
	}
	return area / (r.pos * r.neg)
}

// AveragePrecision is the area under the precision-recall curve as sklearn's
// average_precision_score computes it: the sum over distinct thresholds of
// the recall gained times the precision there. It returns NaN without
// positives.
func AveragePrecision(y, p []float64) float64 {
	r := rank(y, p)
	if r.pos == 0 {
		return math.NaN()
	}
	var ap, prevRecall float64
	for i := range r.score {
		recall := r.tp[i] / r.pos
		precision := r.tp[i] / (r.tp[i] + r.fp[i])
		ap += (recall - prevRecall) * precision
		prevRecall = recall
	}
	return ap
}

func checkLen(y, p []float64) {
	if len(y) != len(p) {
		panic(fmt.Sprintf("eval: %d labels for %d predictions", len(y), len(p)))
	}
	for i, v := range y {
		if v != 0 && v != 1 {
			panic(fmt.Sprintf("eval: label %v at row %d, want 0 or 1", v, i))
		}
	}
}
