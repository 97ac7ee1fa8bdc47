package mltest

import (
	"bufio"
	"bytes"
	_ "embed"
	"fmt"
	"math"
	"math/rand"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/stewardml/steward/internal/ml/core"
)

//go:embed testdata/processed.cleveland.data
var clevelandCSV []byte

// ClevelandFeatures names the 13 columns of Cleveland.
var ClevelandFeatures = []string{"age", "sex", "cp", "trestbps", "chol", "fbs", "restecg",
	"thalach", "exang", "oldpeak", "slope", "ca", "thal"}

// Cleveland returns the 303 rows of the UCI Cleveland table with "?" as NaN
// and the binary target num > 0.
func Cleveland() (core.Matrix, []float64) {
	var data, y []float64
	sc := bufio.NewScanner(bytes.NewReader(clevelandCSV))
	rows := 0
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line == "" {
			continue
		}
		f := strings.Split(line, ",")
		if len(f) != 14 {
			panic(fmt.Sprintf("mltest: cleveland line %d has %d fields", rows+1, len(f)))
		}
		for _, s := range f[:13] {
			v := math.NaN()
			if s != "?" {
				var err error
				if v, err = strconv.ParseFloat(s, 64); err != nil {
					panic(err)
				}
			}
			data = append(data, v)
		}
		num, err := strconv.ParseFloat(f[13], 64)
		if err != nil {
			panic(err)
		}
		if num > 0 {
			y = append(y, 1)
		} else {
			y = append(y, 0)
		}
		rows++
	}
	return core.Matrix{Rows: rows, Cols: 13, Data: data}, y
}

// Heart generates n synthetic rows shaped like the heart-disease table (13
// features, target from a noisy logistic rule with interactions; positive
// rate about one half). It follows the same recipe as the Python baseline's
// generator but not its random stream.
func Heart(n int, rng *rand.Rand) (core.Matrix, []float64) {
	X := core.NewMatrix(n, 13)
	y := make([]float64, n)
	choice := func(p []float64) float64 {
		u := rng.Float64()
		for i, pi := range p {
			if u < pi {
				return float64(i)
			}
			u -= pi
		}
		return float64(len(p) - 1)
	}
	b2f := func(b bool) float64 {
		if b {
			return 1
		}
		return 0
	}
	clip := func(v, lo, hi float64) float64 { return math.Min(math.Max(v, lo), hi) }
	for i := 0; i < n; i++ {
		age := clip(math.Round(rng.NormFloat64()*9+54.4), 29, 77)
		sex := b2f(rng.Float64() < 0.68)
		cp := choice([]float64{0.47, 0.17, 0.28, 0.08})
		trestbps := clip(math.Round(rng.NormFloat64()*17+131.6+0.3*(age-54.4)), 94, 200)
		chol := clip(math.Round(rng.NormFloat64()*50+246), 126, 564)
		fbs := b2f(rng.Float64() < 0.15)
		restecg := choice([]float64{0.485, 0.5, 0.015})
		thalach := clip(math.Round(rng.NormFloat64()*21+150-0.9*(age-54.4)), 71, 202)
		pe := 0.15
		if cp == 0 {
			pe = 0.55
		}
		exang := b2f(rng.Float64() < pe)
		opRaw := gamma16(rng) * 0.85
		oldpeak := 0.0
		if rng.Float64() >= 0.33 {
			oldpeak = clip(math.Round(opRaw*10)/10, 0.1, 6.2)
		}
		u := rng.Float64()
		pFlat := clip(0.30+0.15*oldpeak, 0, 0.9)
		slope := 2.0
		if u < 0.07 {
			slope = 0
		} else if u < 0.07+pFlat*0.93 {
			slope = 1
		}
		ca := choice([]float64{0.58, 0.21, 0.13, 0.07, 0.01})
		thal := choice([]float64{0.01, 0.06, 0.55, 0.38})
		s := 0.035*(age-54.4) + 0.90*sex + 1.30*b2f(cp == 0) - 0.30*b2f(cp == 3) +
			0.012*(trestbps-131.6) + 0.004*(chol-246) + 0.20*fbs - 0.25*b2f(restecg == 1) -
			0.022*(thalach-150) + 0.70*exang + 0.50*oldpeak + 0.45*b2f(slope == 1) + 0.75*ca +
			1.30*b2f(thal == 3) + 0.50*b2f(thal == 1) +
			0.60*exang*b2f(oldpeak > 1) - 0.020*sex*(age-54.4) + 0.0006*(thalach-150)*(thalach-150) +
			0.50*b2f(cp == 0)*b2f(thal == 3)
		z := -4.5 + 1.4*s + rng.NormFloat64()*0.6
		y[i] = b2f(rng.Float64() < core.Sigmoid(z))
		copy(X.Row(i), []float64{age, sex, cp, trestbps, chol, fbs, restecg, thalach, exang, oldpeak, slope, ca, thal})
	}
	return X, y
}

// gamma16 draws Gamma(1.6, 1) by Marsaglia and Tsang.
func gamma16(rng *rand.Rand) float64 {
	// shape < 1 trick not needed: 1.6 >= 1
	d := 1.6 - 1.0/3
	c := 1 / math.Sqrt(9*d)
	for {
		x := rng.NormFloat64()
		v := 1 + c*x
		if v <= 0 {
			continue
		}
		v = v * v * v
		u := rng.Float64()
		if math.Log(u) < 0.5*x*x+d-d*v+d*math.Log(v) {
			return d * v
		}
	}
}

// AUC returns the ROC AUC of score against 0/1 labels y (ties count half).
func AUC(y, score []float64) float64 {
	idx := make([]int, len(y))
	for i := range idx {
		idx[i] = i
	}
	sort.SliceStable(idx, func(a, b int) bool { return score[idx[a]] < score[idx[b]] })
	var rankSum, npos float64
	for i := 0; i < len(idx); {
		j := i
		for j < len(idx) && score[idx[j]] == score[idx[i]] {
			j++
		}
		avg := float64(i+j+1) / 2 // ranks are 1-based
		for k := i; k < j; k++ {
			if y[idx[k]] == 1 {
				rankSum += avg
				npos++
			}
		}
		i = j
	}
	nneg := float64(len(y)) - npos
	return (rankSum - npos*(npos+1)/2) / (npos * nneg)
}

// StratifiedFolds splits the rows into k folds with the class ratio kept,
// shuffled by rng, and returns the test rows of each fold.
func StratifiedFolds(y []float64, k int, rng *rand.Rand) [][]int {
	var pos, neg []int
	for i, v := range y {
		if v == 1 {
			pos = append(pos, i)
		} else {
			neg = append(neg, i)
		}
	}
	rng.Shuffle(len(pos), func(i, j int) { pos[i], pos[j] = pos[j], pos[i] })
	rng.Shuffle(len(neg), func(i, j int) { neg[i], neg[j] = neg[j], neg[i] })
	folds := make([][]int, k)
	for i, r := range append(pos, neg...) {
		folds[i%k] = append(folds[i%k], r)
	}
	for _, f := range folds {
		slices.Sort(f)
	}
	return folds
}

// Subset returns the given rows of X and y.
func Subset(X core.Matrix, y []float64, rows []int) (core.Matrix, []float64) {
	S := core.NewMatrix(len(rows), X.Cols)
	ys := make([]float64, len(rows))
	for i, r := range rows {
		copy(S.Row(i), X.Row(r))
		ys[i] = y[r]
	}
	return S, ys
}

// Complement returns the rows of [0,n) not in rows (sorted).
func Complement(n int, rows []int) []int {
	in := make([]bool, n)
	for _, r := range rows {
		in[r] = true
	}
	var out []int
	for i := 0; i < n; i++ {
		if !in[i] {
			out = append(out, i)
		}
	}
	return out
}

// Prep is fold-local preprocessing: median imputation and, optionally,
// standardisation, learned on the training fold.
type Prep struct {
	Median, Mean, Std []float64
	Scale             bool
}

// FitPrep learns the preprocessing from X.
func FitPrep(X core.Matrix, scale bool) *Prep {
	p := &Prep{Median: make([]float64, X.Cols), Mean: make([]float64, X.Cols), Std: make([]float64, X.Cols), Scale: scale}
	for j := 0; j < X.Cols; j++ {
		var col []float64
		for i := 0; i < X.Rows; i++ {
			if v := X.At(i, j); !math.IsNaN(v) {
				col = append(col, v)
			}
		}
		slices.Sort(col)
		n := len(col)
		if n%2 == 1 {
			p.Median[j] = col[n/2]
		} else {
			p.Median[j] = (col[n/2-1] + col[n/2]) / 2
		}
		var s, ss float64
		for i := 0; i < X.Rows; i++ {
			v := X.At(i, j)
			if math.IsNaN(v) {
				v = p.Median[j]
			}
			s += v
		}
		mean := s / float64(X.Rows)
		for i := 0; i < X.Rows; i++ {
			v := X.At(i, j)
			if math.IsNaN(v) {
				v = p.Median[j]
			}
			ss += (v - mean) * (v - mean)
		}
		p.Mean[j] = mean
		p.Std[j] = math.Sqrt(ss / float64(X.Rows))
		if p.Std[j] == 0 {
			p.Std[j] = 1
		}
	}
	return p
}

// Apply returns a preprocessed copy of X.
func (p *Prep) Apply(X core.Matrix) core.Matrix {
	out := core.NewMatrix(X.Rows, X.Cols)
	for i := 0; i < X.Rows; i++ {
		for j := 0; j < X.Cols; j++ {
			v := X.At(i, j)
			if math.IsNaN(v) {
				v = p.Median[j]
			}
			if p.Scale {
				v = (v - p.Mean[j]) / p.Std[j]
			}
			out.Data[i*X.Cols+j] = v
		}
	}
	return out
}

// CVAUC runs repeats × k-fold stratified cross-validation of trainer on X, y
// (fold-local imputation, and standardisation when scale is set) and returns
// the mean fold ROC AUC.
func CVAUC(trainer core.Trainer, X core.Matrix, y []float64, k, repeats int, seed int64, scale bool) (float64, error) {
	rng := rand.New(rand.NewSource(seed))
	var sum float64
	var n int
	for r := 0; r < repeats; r++ {
		for _, test := range StratifiedFolds(y, k, rng) {
			train := Complement(X.Rows, test)
			Xtr, ytr := Subset(X, y, train)
			Xte, yte := Subset(X, y, test)
			prep := FitPrep(Xtr, scale)
			m, err := trainer.Fit(prep.Apply(Xtr), ytr, nil, rand.New(rand.NewSource(seed+int64(n))))
			if err != nil {
				return 0, err
			}
			p := make([]float64, len(yte))
			m.PredictProba(prep.Apply(Xte), p)
			sum += AUC(yte, p)
			n++
		}
	}
	return sum / float64(n), nil
}

// ProbeRows returns rows to compare two evaluations of a model on: every row
// of X, n rows of Heart when X has its 13 columns, and n rows whose values are each one of the
// column's values in X (so thresholds are hit exactly), that value moved by
// a little, or NaN (one in eight).
func ProbeRows(X core.Matrix, n int, rng *rand.Rand) [][]float64 {
	rows := make([][]float64, 0, X.Rows+2*n)
	for i := range X.Rows {
		rows = append(rows, X.Row(i))
	}
	if H, _ := Heart(n, rng); H.Cols == X.Cols {
		for i := range n {
			rows = append(rows, H.Row(i))
		}
	}
	for range n {
		row := make([]float64, X.Cols)
		for j := range row {
			v := X.At(rng.Intn(X.Rows), j)
			switch rng.Intn(8) {
			case 0:
				v = math.NaN()
			case 1, 2:
				v += rng.NormFloat64() * 0.1 * (1 + math.Abs(v))
			}
			row[j] = v
		}
		rows = append(rows, row)
	}
	return rows
}
