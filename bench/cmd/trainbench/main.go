// Command trainbench times Steward's model families on the same train/test
// split as the Python training baseline (its cached .npz split arrays) and
// prints them side by side with the baseline's results.
//
//	trainbench -npz-dir DIR -sizes 100000,1000000 [-models logreg,forest,gbdt] [-out go.jsonl] [-python train.jsonl]
//
// Per size and model it records the median fit time (repeated up to about
// 3 s, once at 1M rows), the time of PredictProba on all rows, and hold-out
// ROC AUC, accuracy and F1 at 0.5, one JSON line each. With -python it then
// prints a table of Go and Python figures and their ratios.
package main

import (
	"bufio"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"math"
	"math/rand"
	"os"
	"path/filepath"
	"runtime"
	"runtime/pprof"
	"slices"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/stewardml/steward/internal/ml"
	"github.com/stewardml/steward/internal/ml/forest"
	"github.com/stewardml/steward/internal/ml/gbdt"
	"github.com/stewardml/steward/internal/ml/linear"
)

// nTrees is the ensemble size (-trees).
var nTrees = 100

type result struct {
	Size      int     `json:"size"`
	Model     string  `json:"model"`
	FitS      float64 `json:"fit_s"`
	FitReps   int     `json:"fit_reps"`
	FitCPUS   float64 `json:"fit_cpu_s"`
	PredictS  float64 `json:"predict_all_s"`
	AUC       float64 `json:"auc"`
	Accuracy  float64 `json:"accuracy"`
	F1        float64 `json:"f1"`
	Trees     int     `json:"trees,omitempty"`
	GoMaxProc int     `json:"gomaxprocs"`
}

func main() {
	if err := run(os.Args[1:], os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "trainbench:", err)
		os.Exit(1)
	}
}

func run(args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("trainbench", flag.ContinueOnError)
	npzDir := fs.String("npz-dir", "", "directory with heart_N.npz split arrays (the baseline's data/cache)")
	sizes := fs.String("sizes", "100000,1000000", "comma-separated sizes")
	models := fs.String("models", "logreg,forest,gbdt", "comma-separated families")
	out := fs.String("out", "", "append JSON lines here (default stdout)")
	pyResults := fs.String("python", "", "baseline train.jsonl to compare with")
	budget := fs.Duration("budget", 3*time.Second, "repeat small fits up to this long")
	fs.IntVar(&nTrees, "trees", 100, "trees per ensemble")
	cpuProfile := fs.String("cpuprofile", "", "write a CPU profile of the fits here")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *npzDir == "" {
		return fmt.Errorf("-npz-dir is required")
	}
	if *cpuProfile != "" {
		f, err := os.Create(*cpuProfile)
		if err != nil {
			return err
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			return err
		}
		defer pprof.StopCPUProfile()
	}
	w := stdout
	if *out != "" {
		f, err := os.OpenFile(*out, os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o644)
		if err != nil {
			return err
		}
		defer f.Close()
		w = f
	}
	var results []result
	for _, s := range strings.Split(*sizes, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(s))
		if err != nil {
			return fmt.Errorf("size %q: %w", s, err)
		}
		path := filepath.Join(*npzDir, fmt.Sprintf("heart_%d.npz", n))
		arr, shapes, err := npzArrays(path, "Xtr", "ytr", "Xte", "yte", "Xall")
		if err != nil {
			return err
		}
		mat := func(name string) ml.Matrix {
			sh := shapes[name]
			return ml.Matrix{Rows: sh[0], Cols: sh[1], Data: arr[name]}
		}
		Xtr, Xte, Xall := mat("Xtr"), mat("Xte"), mat("Xall")
		ytr, yte := arr["ytr"], arr["yte"]
		for _, model := range strings.Split(*models, ",") {
			r, err := bench(model, n, Xtr, ytr, Xte, yte, Xall, *budget)
			if err != nil {
				return err
			}
			fmt.Fprintf(stderr, "[N=%d] %s: fit %.4fs (cpu %.3fs, x%d) predict %.4fs auc %.4f acc %.4f f1 %.4f\n",
				n, model, r.FitS, r.FitCPUS, r.FitReps, r.PredictS, r.AUC, r.Accuracy, r.F1)
			b, _ := json.Marshal(r)
			fmt.Fprintln(w, string(b))
			results = append(results, r)
		}
	}
	if *pyResults != "" {
		return compare(results, *pyResults, stdout)
	}
	return nil
}

// scaler is the StandardScaler the baseline puts before LogisticRegression.
type scaler struct{ mean, std []float64 }

func fitScaler(X ml.Matrix) scaler {
	s := scaler{make([]float64, X.Cols), make([]float64, X.Cols)}
	for i := 0; i < X.Rows; i++ {
		for j, v := range X.Row(i) {
			s.mean[j] += v
		}
	}
	for j := range s.mean {
		s.mean[j] /= float64(X.Rows)
	}
	for i := 0; i < X.Rows; i++ {
		for j, v := range X.Row(i) {
			d := v - s.mean[j]
			s.std[j] += d * d
		}
	}
	for j := range s.std {
		s.std[j] = math.Sqrt(s.std[j] / float64(X.Rows))
		if s.std[j] == 0 {
			s.std[j] = 1
		}
	}
	return s
}

func (s scaler) apply(X ml.Matrix) ml.Matrix {
	out := ml.NewMatrix(X.Rows, X.Cols)
	for i := 0; i < X.Rows; i++ {
		r, o := X.Row(i), out.Row(i)
		for j, v := range r {
			o[j] = (v - s.mean[j]) / s.std[j]
		}
	}
	return out
}

// scaledModel scores raw rows through the scaler, as the sklearn pipeline does.
type scaledModel struct {
	s scaler
	m ml.Model
}

func (sm scaledModel) predict(X ml.Matrix, out []float64) { sm.m.PredictProba(sm.s.apply(X), out) }

func bench(model string, n int, Xtr ml.Matrix, ytr []float64, Xte ml.Matrix, yte []float64, Xall ml.Matrix, budget time.Duration) (result, error) {
	var fit func() (func(ml.Matrix, []float64), int, error)
	switch model {
	case "logreg":
		fit = func() (func(ml.Matrix, []float64), int, error) {
			s := fitScaler(Xtr)
			m, err := linear.Trainer{Params: linear.Params{C: 1, MaxIter: 1000, Tol: 1e-4}}.Fit(s.apply(Xtr), ytr, nil, nil)
			if err != nil {
				return nil, 0, err
			}
			return scaledModel{s, m}.predict, 0, nil
		}
	case "forest":
		fit = func() (func(ml.Matrix, []float64), int, error) {
			m, err := forest.Trainer{Params: forest.Params{NTrees: nTrees}}.Fit(Xtr, ytr, nil, rand.New(rand.NewSource(0)))
			if err != nil {
				return nil, 0, err
			}
			return m.PredictProba, nTrees, nil
		}
	case "gbdt":
		fit = func() (func(ml.Matrix, []float64), int, error) {
			m, err := gbdt.Trainer{Params: gbdt.Params{NTrees: nTrees, MaxDepth: 6, LearningRate: 0.1, MaxBins: 255,
				MinChildWeight: 1, Lambda: 1, Subsample: 1, ColsampleByTree: 1}}.
				FitModel(Xtr, ytr, nil, rand.New(rand.NewSource(0)))
			if err != nil {
				return nil, 0, err
			}
			return m.PredictProba, len(m.Trees), nil
		}
	default:
		return result{}, fmt.Errorf("unknown model %q (want logreg, forest or gbdt)", model)
	}
	single := n >= 1_000_000
	var times []float64
	var predict func(ml.Matrix, []float64)
	var trees int
	var total time.Duration
	var cpu []float64
	for {
		runtime.GC()
		c0 := cpuTime()
		t0 := time.Now()
		p, nt, err := fit()
		d := time.Since(t0)
		cpu = append(cpu, cpuTime()-c0)
		if err != nil {
			return result{}, fmt.Errorf("%s at %d rows: %w", model, n, err)
		}
		predict, trees = p, nt
		times = append(times, d.Seconds())
		total += d
		if single || len(times) >= 50 || (len(times) >= 3 && total >= budget) || d > 10*time.Second {
			break
		}
	}
	all := make([]float64, Xall.Rows)
	var ptimes []float64
	total = 0
	for {
		t0 := time.Now()
		predict(Xall, all)
		d := time.Since(t0)
		ptimes = append(ptimes, d.Seconds())
		total += d
		if single || len(ptimes) >= 50 || (len(ptimes) >= 3 && total >= budget) || d > 10*time.Second {
			break
		}
	}
	p := make([]float64, Xte.Rows)
	predict(Xte, p)
	acc, f1 := accF1(yte, p)
	return result{Size: n, Model: model, FitS: median(times), FitReps: len(times), FitCPUS: median(cpu), PredictS: median(ptimes),
		AUC: auc(yte, p), Accuracy: acc, F1: f1, Trees: trees, GoMaxProc: runtime.GOMAXPROCS(0)}, nil
}

// cpuTime returns the process's user+system CPU seconds: on a shared
// machine it moves less than wall time.
func cpuTime() float64 {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return float64(ru.Utime.Nano()+ru.Stime.Nano()) / 1e9
}

func median(v []float64) float64 {
	s := slices.Clone(v)
	slices.Sort(s)
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}

func auc(y, score []float64) float64 {
	idx := make([]int, len(y))
	for i := range idx {
		idx[i] = i
	}
	sort.Slice(idx, func(a, b int) bool { return score[idx[a]] < score[idx[b]] })
	var rankSum, npos float64
	for i := 0; i < len(idx); {
		j := i
		for j < len(idx) && score[idx[j]] == score[idx[i]] {
			j++
		}
		avg := float64(i+j+1) / 2
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

func accF1(y, p []float64) (float64, float64) {
	var tp, fp, fn, correct float64
	for i, v := range p {
		pred := 0.0
		if v >= 0.5 {
			pred = 1
		}
		if pred == y[i] {
			correct++
		}
		switch {
		case pred == 1 && y[i] == 1:
			tp++
		case pred == 1:
			fp++
		case y[i] == 1:
			fn++
		}
	}
	return correct / float64(len(y)), 2 * tp / (2*tp + fp + fn)
}

// pyRecord is the part of a baseline train.jsonl line the comparison uses.
type pyRecord struct {
	Kind    string  `json:"kind"`
	Size    int     `json:"size"`
	Model   string  `json:"model"`
	Status  string  `json:"status"`
	AUC     float64 `json:"auc"`
	Library string  `json:"library_version"`
	Fit     struct {
		Median float64 `json:"median_s"`
	} `json:"fit"`
	Predict struct {
		Median float64 `json:"median_s"`
	} `json:"predict_all"`
}

// pairs maps each Go family to the baseline models it is measured against.
var pairs = map[string][]string{
	"logreg": {"logreg"},
	"forest": {"rf_nj2", "rf_nj1"},
	"gbdt":   {"xgb", "hgb"},
}

func compare(results []result, path string, w io.Writer) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	py := map[string]pyRecord{}
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 16<<20)
	for sc.Scan() {
		var r pyRecord
		if err := json.Unmarshal(sc.Bytes(), &r); err != nil || r.Kind != "train" || r.Status != "ok" {
			continue
		}
		py[fmt.Sprintf("%d/%s", r.Size, r.Model)] = r // the last run wins
	}
	fmt.Fprintf(w, "| rows | Steward | Python | fit Go | fit Py | fit speed-up | predict Go | predict Py | predict speed-up | AUC Go | AUC Py | ΔAUC |\n")
	fmt.Fprintf(w, "|---:|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n")
	for _, r := range results {
		for _, pm := range pairs[r.Model] {
			p, ok := py[fmt.Sprintf("%d/%s", r.Size, pm)]
			if !ok {
				continue
			}
			fmt.Fprintf(w, "| %d | %s | %s | %s | %s | %.2fx | %s | %s | %.2fx | %.4f | %.4f | %+.4f |\n",
				r.Size, r.Model, pm, dur(r.FitS), dur(p.Fit.Median), p.Fit.Median/r.FitS,
				dur(r.PredictS), dur(p.Predict.Median), p.Predict.Median/r.PredictS, r.AUC, p.AUC, r.AUC-p.AUC)
		}
	}
	return nil
}

func dur(s float64) string {
	switch {
	case s >= 1:
		return fmt.Sprintf("%.2f s", s)
	case s >= 1e-3:
		return fmt.Sprintf("%.1f ms", s*1e3)
	}
	return fmt.Sprintf("%.0f µs", s*1e6)
}
