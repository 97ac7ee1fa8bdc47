package eval

// ROCPoint is one point of the ROC curve: the rates when rows with
// probability >= Threshold are predicted positive.
type ROCPoint struct {
	FPR       float64 `json:"fpr"`
	TPR       float64 `json:"tpr"`
	Threshold float64 `json:"threshold"`
}

// PRPoint is one point of the precision-recall curve at Threshold.
type PRPoint struct {
	Recall    float64 `json:"recall"`
	Precision float64 `json:"precision"`
	Threshold float64 `json:"threshold"`
}

// CalibrationBin is one bin of a reliability diagram: the rows whose
// probability lies in (Lo, Hi] (the first bin also holds Lo).
type CalibrationBin struct {
	Lo            float64 `json:"lo"`
	Hi            float64 `json:"hi"`
	Count         int     `json:"count"`
	MeanPredicted float64 `json:"mean_predicted"` // 0 when Count is 0
	FracPositive  float64 `json:"frac_positive"`  // 0 when Count is 0
}

// ROCCurve returns the ROC curve with one point per distinct probability,
// in increasing FPR, starting at (0, 0) with threshold max(p)+1 as sklearn
// does. It returns nil when y holds a single class.
func ROCCurve(y, p []float64) []ROCPoint {
	r := rank(y, p)
	if r.pos == 0 || r.neg == 0 {
		return nil
	}
	out := make([]ROCPoint, 0, len(r.score)+1)
	out = append(out, ROCPoint{Threshold: r.score[0] + 1})
	for i, s := range r.score {
		out = append(out, ROCPoint{FPR: r.fp[i] / r.neg, TPR: r.tp[i] / r.pos, Threshold: s})
	}
	return out
}

// PRCurve returns the precision-recall curve, one point per distinct
// probability in decreasing threshold (so increasing recall), as sklearn's
// precision_recall_curve without its final threshold-less (0, 1) point. It
// returns nil when y has no positives.
func PRCurve(y, p []float64) []PRPoint {
	r := rank(y, p)
	if r.pos == 0 {
		return nil
	}
	out := make([]PRPoint, 0, len(r.score))
	for i, s := range r.score {
		out = append(out, PRPoint{Recall: r.tp[i] / r.pos, Precision: r.tp[i] / (r.tp[i] + r.fp[i]), Threshold: s})
	}
	return out
}

// Calibration bins the probabilities into n equal-width bins over [0, 1]
// (sklearn's calibration_curve with strategy "uniform", except that empty
// bins are kept with Count 0). It panics if n < 1.
func Calibration(y, p []float64, n int) []CalibrationBin {
	checkLen(y, p)
	if n < 1 {
		panic("eval: calibration needs at least one bin")
	}
	bins := make([]CalibrationBin, n)
	sum := make([]float64, n)
	pos := make([]float64, n)
	for b := range bins {
		bins[b].Lo = float64(b) / float64(n)
		bins[b].Hi = float64(b+1) / float64(n)
	}
	for i, v := range p {
		b := binOf(v, n)
		bins[b].Count++
		sum[b] += v
		pos[b] += y[i]
	}
	for b := range bins {
		if c := float64(bins[b].Count); c > 0 {
			bins[b].MeanPredicted = sum[b] / c
			bins[b].FracPositive = pos[b] / c
		}
	}
	return bins
}

// binOf returns the bin of v: the number of inner edges strictly below v, as
// numpy.searchsorted(edges[1:-1], v) does.
func binOf(v float64, n int) int {
	b := 0
	for b < n-1 && float64(b+1)/float64(n) < v {
		b++
	}
	return b
}

// Downsample returns at most max points of pts, always keeping the first
// and the last and spreading the rest evenly by index. A curve with a few
// hundred thousand distinct scores thus stays small in a report. pts is
// returned as is when it is short enough or max < 2.
func Downsample[T any](pts []T, max int) []T {
	if max < 2 || len(pts) <= max {
		return pts
	}
	out := make([]T, max)
	last := len(pts) - 1
	for k := range out {
		// Integer arithmetic keeps the choice exact and reproducible.
		out[k] = pts[k*last/(max-1)]
	}
	return out
}

// Report gathers the metrics of one set of predictions with the curves and
// calibration bins that reports plot.
type Report struct {
	Metrics     Metrics          `json:"metrics"`
	ROC         []ROCPoint       `json:"roc"`
	PR          []PRPoint        `json:"pr"`
	Calibration []CalibrationBin `json:"calibration"`
}

// Report options: the largest number of curve points kept and the number of
// calibration bins.
const (
	DefaultCurvePoints     = 101
	DefaultCalibrationBins = 10
)

// NewReport scores p against y at threshold and keeps at most maxPoints
// points of each curve and bins calibration bins. Like Score, it returns
// ErrOneClass with the metrics it could compute when y holds one class.
func NewReport(y, p []float64, threshold float64, maxPoints, bins int) (Report, error) {
	m, err := Score(y, p, threshold)
	r := Report{
		Metrics:     m,
		ROC:         Downsample(ROCCurve(y, p), maxPoints),
		PR:          Downsample(PRCurve(y, p), maxPoints),
		Calibration: Calibration(y, p, bins),
	}
	return r, err
}
