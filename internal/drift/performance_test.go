package drift

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/stewardml/steward/internal/ml/eval"
)

// scored draws n labelled predictions whose ranking quality grows with
// signal: the label is 1 with probability p, and p is the prediction.
func scored(seed uint64, n int, signal float64) (y, p []float64) {
	r := rand.New(rand.NewPCG(seed, 5))
	for i := 0; i < n; i++ {
		z := r.NormFloat64()
		prob := 1 / (1 + math.Exp(-signal*z))
		label := 0.0
		if r.Float64() < prob {
			label = 1
		}
		y = append(y, label)
		p = append(p, math.Round(prob*100)/100) // ties, as real scores have
	}
	return y, p
}

func TestPerformancePointEstimatesMatchEval(t *testing.T) {
	y, p := scored(1, 400, 2)
	res, err := Performance(y, p, nil, DefaultPerformanceOptions())
	if err != nil {
		t.Fatal(err)
	}
	want, err := eval.Score(y, p, 0.5)
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]float64{}
	for _, m := range res.Metrics {
		got[m.Name] = m.Value
		if !(m.Lower <= m.Value && m.Value <= m.Upper) || m.Upper-m.Lower <= 0 {
			t.Errorf("%s: %v outside its interval [%v, %v]", m.Name, m.Value, m.Lower, m.Upper)
		}
	}
	checkClose(t, "accuracy", got["accuracy"], want.Accuracy)
	checkClose(t, "f1", got["f1"], want.F1)
	checkClose(t, "roc_auc", got["roc_auc"], want.ROCAUC)
	if res.Verdict != VerdictInsufficient || res.Reason == "" {
		t.Errorf("without training metrics: verdict %s (%q), want insufficient_data", res.Verdict, res.Reason)
	}
}

func TestPerformanceIntervalsAreSeededAndCover(t *testing.T) {
	y, p := scored(2, 300, 1.5)
	opts := DefaultPerformanceOptions()
	opts.Seed = 9
	a, _ := Performance(y, p, nil, opts)
	b, _ := Performance(y, p, nil, opts)
	if a.Metrics[2] != b.Metrics[2] {
		t.Errorf("same seed, different intervals: %+v vs %+v", a.Metrics[2], b.Metrics[2])
	}
	opts.Seed = 10
	c, _ := Performance(y, p, nil, opts)
	if a.Metrics[2].Lower == c.Metrics[2].Lower && a.Metrics[2].Upper == c.Metrics[2].Upper {
		t.Error("a different seed gave the same interval")
	}
	// Coverage: the population AUC of this generator lies inside most 95%
	// intervals drawn from independent samples.
	_, bigP := scored(99, 200000, 1.5)
	bigY, _ := scored(99, 200000, 1.5)
	truth := eval.ROCAUCOf(bigY, bigP)
	covered := 0
	const trials = 40
	opts.Bootstrap = 300
	for s := uint64(0); s < trials; s++ {
		y, p := scored(1000+s, 300, 1.5)
		r, err := Performance(y, p, nil, opts)
		if err != nil {
			t.Fatal(err)
		}
		if auc := r.Metrics[2]; auc.Lower <= truth && truth <= auc.Upper {
			covered++
		}
	}
	if covered < 33 {
		t.Errorf("95%% AUC intervals covered the population value %.3f in %d of %d samples", truth, covered, trials)
	}
}

func TestPerformanceFlagsDegradationAgainstTraining(t *testing.T) {
	training := &Metrics{Accuracy: 0.85, F1: 0.85, ROCAUC: 0.93, Threshold: 0.5}
	good, gp := scored(3, 500, 4)
	res, err := Performance(good, gp, training, DefaultPerformanceOptions())
	if err != nil {
		t.Fatal(err)
	}
	if res.Verdict != VerdictNoDrift {
		t.Errorf("a model as good as in training: verdict %s, metrics %+v", res.Verdict, res.Metrics)
	}
	bad, bp := scored(4, 500, 0.3)
	res, err = Performance(bad, bp, training, DefaultPerformanceOptions())
	if err != nil {
		t.Fatal(err)
	}
	if res.Verdict != VerdictDrift {
		t.Fatalf("a near-random model: verdict %s, want drift", res.Verdict)
	}
	for _, m := range res.Metrics {
		if m.Name == "roc_auc" && (!m.Degraded || m.Training == nil || *m.Training != 0.93) {
			t.Errorf("roc_auc %+v: want degraded against training 0.93", m)
		}
	}
}

func TestPerformanceNeedsLabels(t *testing.T) {
	y, p := scored(5, 20, 2)
	res, err := Performance(y, p, &Metrics{Accuracy: 0.8, F1: 0.8, ROCAUC: 0.9, Threshold: 0.5}, DefaultPerformanceOptions())
	if err != nil {
		t.Fatal(err)
	}
	if res.Verdict != VerdictInsufficient || res.Rows != 20 || len(res.Metrics) != 0 {
		t.Errorf("20 labels: verdict %s, rows %d, %d metrics; want insufficient_data, 20, none", res.Verdict, res.Rows, len(res.Metrics))
	}
	ones := make([]float64, 50)
	for i := range ones {
		ones[i] = 1
	}
	res, err = Performance(ones, ones, nil, DefaultPerformanceOptions())
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range res.Metrics {
		if m.Name == "roc_auc" {
			t.Errorf("one class: AUC reported as %v", m.Value)
		}
	}
}

func TestCheckReportsPredictionDriftAndPerformance(t *testing.T) {
	_, p := scored(6, 2000, 2)
	x := continuous(7, 2000, 0)
	prof, err := BuildProfile(ProfileInput{
		Features:    []Column{{Name: "x", Kind: KindNumeric, Values: x}},
		Predictions: p,
		Training:    &Metrics{Accuracy: 0.75, F1: 0.75, ROCAUC: 0.85, Threshold: 0.5},
	}, DefaultProfileOptions())
	if err != nil {
		t.Fatal(err)
	}
	if prof.Prediction == nil || prof.Prediction.Count != 2000 {
		t.Fatalf("profile prediction %+v", prof.Prediction)
	}
	// Current: the model now predicts higher probabilities, half the rows
	// have feedback.
	cy, cp := scored(8, 1000, 2)
	for i := range cp {
		cp[i] = math.Min(1, cp[i]+0.2)
		if i%2 == 1 {
			cy[i] = math.NaN()
		}
	}
	r, err := Check(prof, Window{Columns: map[string][]float64{"x": continuous(9, 1000, 0)}, Predictions: cp, Labels: cy}, DefaultOptions())
	if err != nil {
		t.Fatal(err)
	}
	if r.Prediction == nil || r.Prediction.Verdict != VerdictDrift || r.Prediction.Test != TestWasserstein {
		t.Fatalf("prediction result %+v, want wasserstein drift", r.Prediction)
	}
	if r.Performance == nil || r.Performance.Rows != 500 {
		t.Fatalf("performance %+v, want 500 labelled rows", r.Performance)
	}
	if r.DriftScore != 0 || r.Verdict != VerdictNoDrift {
		t.Errorf("prediction drift leaked into the feature drift score: %v %s", r.DriftScore, r.Verdict)
	}
}
