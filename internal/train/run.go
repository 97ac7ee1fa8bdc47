package train

import (
	"context"
	"errors"
	"fmt"
	"math"
	"math/rand"
	"runtime"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/stewardml/steward/internal/dataset"
	"github.com/stewardml/steward/internal/ml"
	"github.com/stewardml/steward/internal/ml/eval"
	"github.com/stewardml/steward/internal/ml/preprocess"
	"github.com/stewardml/steward/internal/train/split"
)

// Data is a labelled dataset to train on.
type Data struct {
	Schema *dataset.Schema
	Frame  *dataset.Frame
	// Digest is the dataset version (dataset.Digest of the bytes read).
	Digest string
}

// Options carry what a run needs besides data and configuration.
type Options struct {
	// Progress, when set, receives an event as each fold and each stage
	// completes. It is called from several goroutines, one call at a time.
	Progress func(Progress)
	// Now reads the clock for the timings; nil means time.Now. Timings are
	// reported but never affect the model.
	Now func() time.Time

	// candidateID renames the only candidate of a one-candidate run.
	candidateID string
}

// Stages of a Progress event.
const (
	StageFold    = "fold"    // one cross-validation fold of one candidate is scored
	StageSelect  = "select"  // the winner is chosen
	StageFinal   = "final"   // the winner is refitted on the training part
	StageHoldout = "holdout" // the final model is scored on the hold-out
)

// Progress reports how far a run has got.
type Progress struct {
	Stage     string `json:"stage"`
	Candidate string `json:"candidate,omitempty"` // candidate ID
	Family    string `json:"family,omitempty"`
	// FamilyIndex and FamilySize place the candidate in its family (1-based).
	FamilyIndex int `json:"family_index,omitempty"`
	FamilySize  int `json:"family_size,omitempty"`
	// Fold (1-based) of Folds, the folds × repeats of one candidate.
	Fold  int `json:"fold,omitempty"`
	Folds int `json:"folds,omitempty"`
	// Done of Total fits of the whole search.
	Done  int `json:"done"`
	Total int `json:"total"`
	// Metric and Value: the selection metric on this fold (StageFold), of
	// the winner (StageSelect) or on the hold-out (StageHoldout).
	Metric string  `json:"metric,omitempty"`
	Value  float64 `json:"value"`
	Err    string  `json:"error,omitempty"`
}

// Scored is a candidate with its cross-validation scores.
type Scored struct {
	Candidate
	// CV holds every metric's mean and std over the folds.
	CV map[string]eval.Stat `json:"cv,omitempty"`
	// Folds holds the selection metric on each fold, repeat by repeat.
	Folds []float64 `json:"folds,omitempty"`
	// Seconds is the wall time of all its fits (not part of any digest).
	Seconds float64 `json:"seconds"`
	// Error says why the candidate could not be scored; it then takes no
	// part in the selection.
	Error    string `json:"error,omitempty"`
	Selected bool   `json:"selected,omitempty"`
}

// Importance is the share of one input feature in the model's importances
// (one-hot columns summed back to their feature).
type Importance struct {
	Feature    string  `json:"feature"`
	Importance float64 `json:"importance"`
}

// Result is the outcome of Run.
type Result struct {
	// Config is the configuration run, defaults filled in.
	Config Config `json:"config"`
	// Features are the input features, in schema order.
	Features []dataset.Column `json:"features"`
	// Candidates are every candidate of the search with its scores, in
	// plan order.
	Candidates []Scored `json:"candidates"`
	// Winner indexes Candidates.
	Winner int `json:"winner"`
	// Holdout is the final model's report on the hold-out rows; nil
	// without a hold-out.
	Holdout *eval.Report `json:"holdout,omitempty"`
	// OutOfFold is the winner's report on its out-of-fold predictions of
	// the first repeat: each training row scored by a model that did not
	// see it.
	OutOfFold eval.Report `json:"out_of_fold"`
	// Importances are the final model's feature importances per input
	// feature.
	Importances []Importance `json:"importances"`
	// Rows, TrainRows and HoldoutRows count the data rows and their split;
	// Positives counts the positive labels.
	Rows        int `json:"rows"`
	Positives   int `json:"positives"`
	TrainRows   int `json:"train_rows"`
	HoldoutRows int `json:"holdout_rows"`

	// Model and Pipeline are the final fitted model and its preprocessing.
	Model    ml.Model             `json:"-"`
	Pipeline *preprocess.Pipeline `json:"-"`
	// Train indexes the rows of the frame the final model was fitted on;
	// OutOfFoldProb[k] is the out-of-fold probability of row Train[k].
	Train         []int     `json:"-"`
	OutOfFoldProb []float64 `json:"-"`
	// HonestProb holds, for every row of the frame, a probability from a
	// model that did not see the row: out-of-fold for the training rows,
	// the final model's for the hold-out rows. It is the reference
	// distribution of served predictions.
	HonestProb []float64 `json:"-"`
	// Seconds is the wall time of the run.
	Seconds float64 `json:"seconds"`
}

// Best returns the winning candidate.
func (r *Result) Best() Scored { return r.Candidates[r.Winner] }

// prepared is the data of a run as matrices.
type prepared struct {
	cols []dataset.Column
	X    ml.Matrix
	y    []float64
}

// prepare extracts the feature matrix and labels, and checks that they can
// be trained on.
func prepare(d Data) (*prepared, error) {
	if d.Schema == nil || d.Frame == nil {
		return nil, &DataError{Msg: "no data: a schema and a frame are required"}
	}
	if d.Schema.Target.Column == "" {
		return nil, &DataError{Msg: "the schema names no target column"}
	}
	cols := d.Schema.Features()
	if len(cols) == 0 {
		return nil, &DataError{Msg: "the schema has no feature columns"}
	}
	names := make([]string, len(cols))
	for j, c := range cols {
		names[j] = c.Name
	}
	m, err := d.Frame.Matrix(names)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrInvalidData, err)
	}
	X := ml.Matrix(m)
	y, err := d.Schema.Target.Labels(d.Frame)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrInvalidData, err)
	}
	var pos int
	for _, v := range y {
		pos += int(v)
	}
	if pos == 0 || pos == len(y) {
		cls := 1
		if pos == 0 {
			cls = 0
		}
		return nil, &DataError{Column: d.Schema.Target.Column, Msg: fmt.Sprintf("target %q has a single class: all %d rows are class %d; training needs both classes", d.Schema.Target.String(), len(y), cls)}
	}
	for j, c := range cols {
		seen := false
		for i := 0; i < X.Rows; i++ {
			v := X.Data[i*X.Cols+j]
			if math.IsInf(v, 0) {
				return nil, &DataError{Row: i + 1, Column: c.Name, Msg: fmt.Sprintf("value %v, want a finite number or a missing cell", v)}
			}
			seen = seen || !math.IsNaN(v)
		}
		if !seen {
			return nil, &DataError{Column: c.Name, Msg: fmt.Sprintf("feature is missing in all %d rows; drop it from the schema or fix the data", X.Rows)}
		}
	}
	return &prepared{cols: cols, X: X, y: y}, nil
}

// takeRows returns the rows idx of X as a new matrix.
func takeRows(X ml.Matrix, idx []int) ml.Matrix {
	out := ml.NewMatrix(len(idx), X.Cols)
	for k, i := range idx {
		copy(out.Data[k*X.Cols:(k+1)*X.Cols], X.Data[i*X.Cols:(i+1)*X.Cols])
	}
	return out
}

// job is one fit of the search: a candidate on a fold.
type job struct {
	cand, fold int
}

// jobResult is what a job produced.
type jobResult struct {
	metrics eval.Metrics
	prob    []float64 // on the fold's test rows
	err     error
	seconds float64
}

// Run trains on d as c says: plan, split, cross-validate every candidate,
// select, refit and evaluate. It is deterministic for a given d, c and seed.
// Errors wrap ErrInvalidConfig, ErrInvalidData or ErrTrainingFailed, or are
// the context's error.
func Run(ctx context.Context, d Data, c Config, opt Options) (*Result, error) {
	now := opt.Now
	if now == nil {
		now = time.Now
	}
	start := now()
	opt.Progress = serialize(opt.Progress)
	cands, err := c.Plan()
	if err != nil {
		return nil, err
	}
	c = c.WithDefaults()
	if opt.candidateID != "" && len(cands) == 1 {
		cands[0].ID = opt.candidateID
	}
	p, err := prepare(d)
	if err != nil {
		return nil, err
	}
	trainIdx, holdIdx, err := split.StratifiedHoldout(p.y, *c.Holdout, rand.New(rand.NewSource(derive(c.Seed, "holdout"))))
	if err != nil {
		return nil, fmt.Errorf("%w: hold-out: %w", ErrInvalidData, err)
	}
	Xtr, ytr := takeRows(p.X, trainIdx), split.Take(p.y, trainIdx)
	folds, err := split.RepeatedStratifiedKFold(ytr, c.Folds, c.Repeats, rand.New(rand.NewSource(derive(c.Seed, "folds"))))
	if err != nil {
		return nil, fmt.Errorf("%w: cross-validation on the %d training rows: %w", ErrInvalidData, len(ytr), err)
	}

	results, err := crossValidate(ctx, p.cols, Xtr, ytr, folds, cands, c, opt, now)
	if err != nil {
		return nil, err
	}
	res := &Result{
		Config: c, Features: p.cols, Rows: len(p.y), TrainRows: len(trainIdx), HoldoutRows: len(holdIdx),
		Train: trainIdx,
	}
	for _, v := range p.y {
		res.Positives += int(v)
	}
	var firstErr error
	for ci, cand := range cands {
		s := Scored{Candidate: cand}
		rs := results[ci*len(folds) : (ci+1)*len(folds)]
		for _, r := range rs {
			s.Seconds += r.seconds
			if r.err != nil && s.Error == "" {
				s.Error = r.err.Error()
				if firstErr == nil {
					firstErr = r.err
				}
			}
		}
		if s.Error == "" {
			s.CV = aggregate(rs)
			for _, r := range rs {
				v, _ := r.metrics.Get(c.Metric)
				s.Folds = append(s.Folds, v)
			}
		}
		res.Candidates = append(res.Candidates, s)
	}
	win, ok := selectWinner(res.Candidates, c.Metric, c.TieTolerance)
	if !ok {
		if errors.Is(firstErr, ml.ErrBadData) {
			return nil, fmt.Errorf("%w: every candidate failed; the first: %w", ErrInvalidData, firstErr)
		}
		return nil, fmt.Errorf("%w: every candidate failed; the first: %w", ErrTrainingFailed, firstErr)
	}
	res.Winner = win
	res.Candidates[win].Selected = true
	best := res.Candidates[win]
	report(opt, Progress{Stage: StageSelect, Candidate: best.ID, Family: best.Family, Metric: c.Metric, Value: best.CV[c.Metric].Mean, Done: len(results), Total: len(results)})

	// Out-of-fold predictions of the winner's first repeat.
	res.OutOfFoldProb = make([]float64, len(ytr))
	for fi, f := range folds {
		if f.Repeat != 0 {
			continue
		}
		for k, i := range f.Test {
			res.OutOfFoldProb[i] = results[win*len(folds)+fi].prob[k]
		}
	}
	res.HonestProb = make([]float64, len(p.y))
	for k, i := range trainIdx {
		res.HonestProb[i] = res.OutOfFoldProb[k]
	}
	res.OutOfFold, _ = eval.NewReport(ytr, res.OutOfFoldProb, c.Threshold, eval.DefaultCurvePoints, eval.DefaultCalibrationBins)

	// The final model, fitted on every training row.
	pipe, model, err := fit(p.cols, Xtr, ytr, best.spec, runtime.GOMAXPROCS(0), best.seed("final", c.Seed))
	if err != nil {
		return nil, fmt.Errorf("%w: refit of %s on the training rows: %w", ErrTrainingFailed, best.ID, err)
	}
	res.Model, res.Pipeline = model, pipe
	report(opt, Progress{Stage: StageFinal, Candidate: best.ID, Family: best.Family, Done: len(results), Total: len(results)})
	imp := make([]float64, len(p.cols))
	pipe.Fold(imp, model.FeatureImportances())
	for j, col := range p.cols {
		res.Importances = append(res.Importances, Importance{Feature: col.Name, Importance: imp[j]})
	}
	if len(holdIdx) > 0 {
		Xh := pipe.Transform(takeRows(p.X, holdIdx))
		prob := make([]float64, Xh.Rows)
		model.PredictProba(Xh, prob)
		for k, i := range holdIdx {
			res.HonestProb[i] = prob[k]
		}
		rep, err := eval.NewReport(split.Take(p.y, holdIdx), prob, c.Threshold, eval.DefaultCurvePoints, eval.DefaultCalibrationBins)
		if err != nil {
			return nil, fmt.Errorf("%w: hold-out: %w", ErrInvalidData, err)
		}
		res.Holdout = &rep
		v, _ := rep.Metrics.Get(c.Metric)
		report(opt, Progress{Stage: StageHoldout, Candidate: best.ID, Family: best.Family, Metric: c.Metric, Value: v, Done: len(results), Total: len(results)})
	}
	res.Seconds = now().Sub(start).Seconds()
	return res, nil
}

// seed derives a candidate's random seed from its identity (family and
// effective parameters) rather than its place in the plan, so that a
// candidate scores the same in a full search and on its own.
func (c *Candidate) seed(use string, seed int64, nums ...int) int64 {
	return derive(seed, use+":"+c.Family+":"+string(c.Effective), nums...)
}

// serialize wraps a progress callback so that it is called one event at a
// time; nil stays nil.
func serialize(fn func(Progress)) func(Progress) {
	if fn == nil {
		return nil
	}
	var mu sync.Mutex
	return func(p Progress) {
		mu.Lock()
		defer mu.Unlock()
		fn(p)
	}
}

func report(opt Options, p Progress) {
	if opt.Progress != nil {
		opt.Progress(p)
	}
}

// fit learns the preprocessing and the model on X, y.
func fit(cols []dataset.Column, X ml.Matrix, y []float64, s ml.Spec, workers int, seed int64) (*preprocess.Pipeline, ml.Model, error) {
	pipe, err := preprocess.Fit(cols, X, prepOptions(s))
	if err != nil {
		return nil, nil, err
	}
	m, err := s.Trainer(workers).Fit(pipe.Transform(X), y, nil, rand.New(rand.NewSource(seed)))
	if err != nil {
		return nil, nil, err
	}
	return pipe, m, nil
}

// crossValidate runs every (candidate, fold) job on a pool of workers and
// returns the results candidate-major.
func crossValidate(ctx context.Context, cols []dataset.Column, X ml.Matrix, y []float64, folds []split.Fold, cands []Candidate, c Config, opt Options, now func() time.Time) ([]jobResult, error) {
	total := len(cands) * len(folds)
	results := make([]jobResult, total)
	par := c.Parallel
	if par <= 0 {
		par = runtime.GOMAXPROCS(0)
	}
	par = min(par, total)
	inner := max(1, runtime.GOMAXPROCS(0)/par)
	famSize := map[string]int{}
	famIndex := make([]int, len(cands))
	for i, cd := range cands {
		famSize[cd.Family]++
		famIndex[i] = famSize[cd.Family]
	}
	// Each fold's split is shared by every candidate: take its rows once.
	type foldData struct {
		Xtr, Xte ml.Matrix
		ytr, yte []float64
	}
	fd := make([]foldData, len(folds))
	for i, f := range folds {
		fd[i] = foldData{takeRows(X, f.Train), takeRows(X, f.Test), split.Take(y, f.Train), split.Take(y, f.Test)}
	}
	jobs := make(chan job)
	var wg sync.WaitGroup
	var mu sync.Mutex
	done := 0
	for w := 0; w < par; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := range jobs {
				cand, f := cands[j.cand], fd[j.fold]
				t0 := now()
				r := jobResult{}
				pipe, m, err := fit(cols, f.Xtr, f.ytr, cand.spec, inner, cand.seed("fit", c.Seed, j.fold))
				if err == nil {
					Xte := pipe.Transform(f.Xte)
					r.prob = make([]float64, Xte.Rows)
					m.PredictProba(Xte, r.prob)
					r.metrics, err = eval.Score(f.yte, r.prob, c.Threshold)
				}
				r.err = err
				r.seconds = now().Sub(t0).Seconds()
				results[j.cand*len(folds)+j.fold] = r
				mu.Lock()
				done++
				n := done
				mu.Unlock()
				ev := Progress{Stage: StageFold, Candidate: cand.ID, Family: cand.Family, FamilyIndex: famIndex[j.cand], FamilySize: famSize[cand.Family], Fold: j.fold + 1, Folds: len(folds), Done: n, Total: total, Metric: c.Metric}
				if err != nil {
					ev.Err = err.Error()
				} else {
					ev.Value, _ = r.metrics.Get(c.Metric)
				}
				report(opt, ev)
			}
		}()
	}
	var cerr error
feed:
	for ci := range cands {
		for fi := range folds {
			select {
			case jobs <- job{ci, fi}:
			case <-ctx.Done():
				cerr = ctx.Err()
				break feed
			}
		}
	}
	close(jobs)
	wg.Wait()
	if cerr != nil {
		return nil, fmt.Errorf("train: %w", cerr)
	}
	return results, nil
}

// aggregate returns the mean and population std of every metric.
func aggregate(rs []jobResult) map[string]eval.Stat {
	out := make(map[string]eval.Stat, len(eval.Names))
	for _, n := range eval.Names {
		var sum float64
		for _, r := range rs {
			v, _ := r.metrics.Get(n)
			sum += v
		}
		mean := sum / float64(len(rs))
		var ss float64
		for _, r := range rs {
			v, _ := r.metrics.Get(n)
			ss += (v - mean) * (v - mean)
		}
		out[n] = eval.Stat{Mean: mean, Std: math.Sqrt(ss / float64(len(rs)))}
	}
	return out
}

// Select returns the index of the winner among scored candidates, by the
// same rule as Run: the best mean of metric over the folds, candidates
// within tol of it tied and the simplest of them chosen. It serves
// candidates scored separately (a distributed search) and decoded from
// JSON. Candidates with an Error take no part; when none is left it returns
// an error wrapping ErrTrainingFailed.
func Select(cs []Scored, metric string, tol float64) (int, error) {
	if _, ok := eval.HigherIsBetter(metric); !ok {
		return 0, configErr("metric %q is unknown, want one of %s", metric, strings.Join(eval.Names, ", "))
	}
	cs = append([]Scored(nil), cs...)
	for i := range cs {
		if cs[i].Error != "" {
			continue
		}
		if _, ok := cs[i].CV[metric]; !ok {
			return 0, configErr("candidate %s has no %s score", cs[i].ID, metric)
		}
		fam, rank, ok := lookupFamily(cs[i].Family)
		if !ok {
			return 0, configErr("candidate %s: family %q is unknown", cs[i].ID, cs[i].Family)
		}
		spec, err := fam.Parse(cs[i].Effective)
		if err != nil {
			return 0, configErr("candidate %s: parameters %s: %v", cs[i].ID, cs[i].Effective, err)
		}
		cs[i].rank, cs[i].complexity = rank, spec.Complexity
	}
	i, ok := selectWinner(cs, metric, tol)
	if !ok {
		return 0, fmt.Errorf("%w: no candidate was scored", ErrTrainingFailed)
	}
	return i, nil
}

// selectWinner returns the index of the best scored candidate by metric;
// candidates within tol of the best are tied and the simplest wins: the
// lower family rank, then the lexicographically smaller complexity, then
// the earlier candidate. ok is false when no candidate was scored.
func selectWinner(cs []Scored, metric string, tol float64) (int, bool) {
	higher, _ := eval.HigherIsBetter(metric)
	best := math.Inf(-1)
	for _, s := range cs {
		if s.Error != "" {
			continue
		}
		v := s.CV[metric].Mean
		if !higher {
			v = -v
		}
		best = math.Max(best, v)
	}
	var tied []int
	for i, s := range cs {
		if s.Error != "" {
			continue
		}
		v := s.CV[metric].Mean
		if !higher {
			v = -v
		}
		if v >= best-tol {
			tied = append(tied, i)
		}
	}
	if len(tied) == 0 {
		return 0, false
	}
	sort.SliceStable(tied, func(a, b int) bool { return simpler(cs[tied[a]].Candidate, cs[tied[b]].Candidate) })
	return tied[0], true
}

// simpler reports whether a is a simpler model than b.
func simpler(a, b Candidate) bool {
	if a.rank != b.rank {
		return a.rank < b.rank
	}
	for k := 0; k < len(a.complexity) && k < len(b.complexity); k++ {
		if a.complexity[k] != b.complexity[k] {
			return a.complexity[k] < b.complexity[k]
		}
	}
	return false
}
