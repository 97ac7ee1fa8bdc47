package eval

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"os"
	"testing"
)

type sklearnCase struct {
	Name        string          `json:"name"`
	Y           []float64       `json:"y"`
	P           []float64       `json:"p"`
	Threshold   float64         `json:"threshold"`
	Accuracy    float64         `json:"accuracy"`
	Precision   float64         `json:"precision"`
	Recall      float64         `json:"recall"`
	F1          float64         `json:"f1"`
	ROCAUC      float64         `json:"roc_auc"`
	PRAUC       float64         `json:"pr_auc"`
	LogLoss     float64         `json:"log_loss"`
	Brier       float64         `json:"brier"`
	Confusion   Confusion       `json:"confusion"`
	ROC         [][3]float64    `json:"roc"`
	PR          [][3]float64    `json:"pr"`
	Calibration sklearnCalBins  `json:"calibration"`
	Raw         json.RawMessage `json:"-"`
}

type sklearnCalBins struct {
	FracPositive  []float64 `json:"frac_positive"`
	MeanPredicted []float64 `json:"mean_predicted"`
}

func loadSklearn(t *testing.T) []sklearnCase {
	t.Helper()
	b, err := os.ReadFile("testdata/sklearn_metrics.json")
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Cases []sklearnCase `json:"cases"`
	}
	if err := json.Unmarshal(b, &doc); err != nil {
		t.Fatal(err)
	}
	if len(doc.Cases) == 0 {
		t.Fatal("no cases in testdata/sklearn_metrics.json")
	}
	return doc.Cases
}

const tol = 1e-12

func near(a, b, tol float64) bool {
	return math.Abs(a-b) <= tol*math.Max(1, math.Abs(b))
}

// TestScoreMatchesSklearn compares every metric with scikit-learn 1.2's
// values, computed by testdata/sklearn_metrics.py and committed.
func TestScoreMatchesSklearn(t *testing.T) {
	for _, c := range loadSklearn(t) {
		t.Run(c.Name, func(t *testing.T) {
			m, err := Score(c.Y, c.P, c.Threshold)
			if err != nil {
				t.Fatalf("Score: %v", err)
			}
			for _, tc := range []struct {
				name      string
				got, want float64
			}{
				{Accuracy, m.Accuracy, c.Accuracy},
				{Precision, m.Precision, c.Precision},
				{Recall, m.Recall, c.Recall},
				{F1, m.F1, c.F1},
				{ROCAUC, m.ROCAUC, c.ROCAUC},
				{PRAUC, m.PRAUC, c.PRAUC},
				{LogLoss, m.LogLoss, c.LogLoss},
				{Brier, m.Brier, c.Brier},
			} {
				if !near(tc.got, tc.want, tol) {
					t.Errorf("%s = %.17g, want %.17g", tc.name, tc.got, tc.want)
				}
			}
			if m.Confusion != c.Confusion {
				t.Errorf("confusion = %+v, want %+v", m.Confusion, c.Confusion)
			}
			if m.N != len(c.Y) || m.Positives != c.Confusion.TP+c.Confusion.FN {
				t.Errorf("n, positives = %d, %d", m.N, m.Positives)
			}
		})
	}
}

func TestCurvesMatchSklearn(t *testing.T) {
	for _, c := range loadSklearn(t) {
		t.Run(c.Name, func(t *testing.T) {
			roc := ROCCurve(c.Y, c.P)
			if len(roc) != len(c.ROC) {
				t.Fatalf("ROC has %d points, want %d", len(roc), len(c.ROC))
			}
			for i, w := range c.ROC {
				g := roc[i]
				if !near(g.FPR, w[0], tol) || !near(g.TPR, w[1], tol) || !near(g.Threshold, w[2], tol) {
					t.Errorf("ROC[%d] = %+v, want fpr %v tpr %v thr %v", i, g, w[0], w[1], w[2])
				}
			}
			pr := PRCurve(c.Y, c.P)
			if len(pr) != len(c.PR) {
				t.Fatalf("PR has %d points, want %d", len(pr), len(c.PR))
			}
			for i, w := range c.PR {
				g := pr[i]
				if !near(g.Recall, w[0], tol) || !near(g.Precision, w[1], tol) || !near(g.Threshold, w[2], tol) {
					t.Errorf("PR[%d] = %+v, want recall %v precision %v thr %v", i, g, w[0], w[1], w[2])
				}
			}
			var frac, mean []float64
			total := 0
			for _, b := range Calibration(c.Y, c.P, 10) {
				total += b.Count
				if b.Count > 0 {
					frac = append(frac, b.FracPositive)
					mean = append(mean, b.MeanPredicted)
				}
			}
			if total != len(c.Y) {
				t.Errorf("calibration bins hold %d rows, want %d", total, len(c.Y))
			}
			if fmt.Sprint(len(frac)) != fmt.Sprint(len(c.Calibration.FracPositive)) {
				t.Fatalf("%d non-empty calibration bins, want %d", len(frac), len(c.Calibration.FracPositive))
			}
			for i := range frac {
				if !near(frac[i], c.Calibration.FracPositive[i], tol) || !near(mean[i], c.Calibration.MeanPredicted[i], tol) {
					t.Errorf("bin %d = (%v, %v), want (%v, %v)", i, frac[i], mean[i], c.Calibration.FracPositive[i], c.Calibration.MeanPredicted[i])
				}
			}
		})
	}
}

func TestHandComputedValues(t *testing.T) {
	// Two positives scored 0.9 and 0.4, two negatives 0.6 and 0.1: of the
	// four positive-negative pairs three are ordered right, so AUC = 3/4.
	// Ranked: 0.9(+) P=1 R=1/2, 0.6(-), 0.4(+) P=2/3 R=1: AP = 1/2 + 1/2·2/3.
	y := []float64{1, 0, 1, 0}
	p := []float64{0.9, 0.6, 0.4, 0.1}
	m, err := Score(y, p, 0.5)
	if err != nil {
		t.Fatal(err)
	}
	want := Metrics{
		Accuracy: 0.5, Precision: 0.5, Recall: 0.5, F1: 0.5,
		ROCAUC: 0.75, PRAUC: 0.5 + 1.0/3,
		LogLoss:   -(math.Log(0.9) + math.Log(0.4) + math.Log(0.4) + math.Log(0.9)) / 4,
		Brier:     (0.01 + 0.36 + 0.36 + 0.01) / 4,
		Threshold: 0.5,
		Confusion: Confusion{TP: 1, FP: 1, TN: 1, FN: 1},
		N:         4, Positives: 2,
	}
	for _, n := range Names {
		g, _ := m.Get(n)
		w, _ := want.Get(n)
		if !near(g, w, tol) {
			t.Errorf("%s = %v, want %v", n, g, w)
		}
	}
	if m.Confusion != want.Confusion {
		t.Errorf("confusion = %+v, want %+v", m.Confusion, want.Confusion)
	}
}

func TestThresholdIsInclusive(t *testing.T) {
	c := ConfusionAt([]float64{1, 0}, []float64{0.5, 0.5}, 0.5)
	if c != (Confusion{TP: 1, FP: 1}) {
		t.Errorf("ConfusionAt at p == threshold = %+v, want both predicted positive", c)
	}
}

func TestOneClassIsAnErrorButKeepsTheRest(t *testing.T) {
	m, err := Score([]float64{1, 1, 1}, []float64{0.9, 0.2, 0.7}, 0.5)
	if !errors.Is(err, ErrOneClass) {
		t.Fatalf("err = %v, want ErrOneClass", err)
	}
	if !near(m.Accuracy, 2.0/3, tol) || m.ROCAUC != 0 {
		t.Errorf("metrics = %+v, want accuracy 2/3 and ROC AUC 0", m)
	}
	if !math.IsNaN(ROCAUCOf([]float64{0, 0}, []float64{0.1, 0.2})) {
		t.Error("ROCAUCOf one class is not NaN")
	}
	if ROCCurve([]float64{0, 0}, []float64{0.1, 0.2}) != nil {
		t.Error("ROCCurve of one class is not nil")
	}
}

func TestLogLossClipsCertainMistakes(t *testing.T) {
	got := LogLossOf([]float64{1}, []float64{0})
	want := -math.Log(LogLossEps)
	if !near(got, want, 1e-9) {
		t.Errorf("LogLossOf(certain mistake) = %v, want %v", got, want)
	}
	if LogLossOf([]float64{1}, []float64{1}) > 1e-14 {
		t.Error("a certain right answer costs more than the clip")
	}
}

func TestEmptyInputs(t *testing.T) {
	m, err := Score(nil, nil, 0.5)
	if !errors.Is(err, ErrOneClass) {
		t.Errorf("Score(empty) err = %v, want ErrOneClass", err)
	}
	if m.Accuracy != 0 || m.LogLoss != 0 || m.Brier != 0 {
		t.Errorf("Score(empty) = %+v, want zeros", m)
	}
}

func TestMismatchedLengthsPanic(t *testing.T) {
	defer func() {
		if recover() == nil {
			t.Error("no panic on mismatched lengths")
		}
	}()
	Score([]float64{1, 0}, []float64{0.3}, 0.5)
}

func TestDownsample(t *testing.T) {
	pts := make([]int, 1000)
	for i := range pts {
		pts[i] = i
	}
	got := Downsample(pts, 5)
	want := []int{0, 249, 499, 749, 999}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("Downsample = %v, want %v", got, want)
	}
	if len(Downsample(pts[:3], 5)) != 3 {
		t.Error("a short curve was changed")
	}
}

func TestHigherIsBetter(t *testing.T) {
	for _, n := range Names {
		h, ok := HigherIsBetter(n)
		if !ok {
			t.Errorf("%s unknown", n)
		}
		if h == (n == LogLoss || n == Brier) {
			t.Errorf("HigherIsBetter(%s) = %v", n, h)
		}
	}
	if _, ok := HigherIsBetter("auc"); ok {
		t.Error("unknown metric accepted")
	}
}

func TestReportKeepsCurvesSmall(t *testing.T) {
	n := 5000
	y := make([]float64, n)
	p := make([]float64, n)
	for i := range y {
		y[i] = float64(i % 2)
		p[i] = float64(i) / float64(n)
	}
	r, err := NewReport(y, p, 0.5, 50, 10)
	if err != nil {
		t.Fatal(err)
	}
	if len(r.ROC) != 50 || len(r.PR) != 50 || len(r.Calibration) != 10 {
		t.Errorf("report sizes roc %d pr %d cal %d", len(r.ROC), len(r.PR), len(r.Calibration))
	}
	if r.ROC[len(r.ROC)-1].FPR != 1 || r.ROC[len(r.ROC)-1].TPR != 1 {
		t.Errorf("last ROC point %+v, want (1, 1)", r.ROC[len(r.ROC)-1])
	}
}

func BenchmarkScore(b *testing.B) {
	n := 100000
	y := make([]float64, n)
	p := make([]float64, n)
	for i := range y {
		y[i] = float64(i % 2)
		p[i] = float64((i*7919)%n) / float64(n)
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := Score(y, p, 0.5); err != nil {
			b.Fatal(err)
		}
	}
}
