package tasks

import (
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"hash/fnv"
	"math"
	"slices"

	"github.com/stewardml/steward/internal/approval"
	"github.com/stewardml/steward/internal/audit"
	"github.com/stewardml/steward/internal/bundle"
	"github.com/stewardml/steward/internal/config"
	"github.com/stewardml/steward/internal/dataset"
	"github.com/stewardml/steward/internal/lambdaerr"
	"github.com/stewardml/steward/internal/ml"
	"github.com/stewardml/steward/internal/ml/eval"
	"github.com/stewardml/steward/internal/registry"
	"github.com/stewardml/steward/internal/store"
	"github.com/stewardml/steward/internal/train"
)

// Actor is the audit actor of the workflow's own steps.
const Actor = "workflow"

// Registry is the part of the model registry the workflow reads;
// *registry.Registry implements it. Alias reads an unset alias as version
// 0; Version and Versions return errors wrapping registry.ErrNotFound for
// what does not exist.
type Registry interface {
	Alias(ctx context.Context, model, alias string) (registry.Alias, error)
	Version(ctx context.Context, model string, n int) (registry.Version, error)
	Versions(ctx context.Context, model string) ([]registry.Version, error)
}

// Registered-as values of an Evaluation.
const (
	AsChampion   = train.AliasChampion
	AsChallenger = train.AliasChallenger
)

// EvaluateEvent is the EvaluateBest task's input: the Map's candidate
// results and the execution's context.
type EvaluateEvent struct {
	Model       string            `json:"model"`
	Dataset     dataset.Ref       `json:"dataset"`
	Candidates  []CandidateResult `json:"candidates"`
	Trigger     string            `json:"trigger"`
	Reason      string            `json:"reason"`
	RequestedBy string            `json:"requestedBy"`
	ExecutionID string            `json:"executionId"`
}

// Evaluation is the EvaluateBest task's result: the best candidate,
// registered as a version, and the champion, both scored on the rows the
// candidate's training held out.
type Evaluation struct {
	// Better is true when the candidate beats the champion by at least
	// Margin on Metric (always true for a model's first version).
	Better bool   `json:"better"`
	Model  string `json:"model"`
	Metric string `json:"metric"`
	// Margin is the required improvement; Improvement is the candidate's
	// score minus the champion's, signed so that positive is better
	// (0 without a champion).
	Margin      float64 `json:"margin"`
	Improvement float64 `json:"improvement"`
	// CandidateVersion is the registered candidate; ChampionVersion the
	// champion it was compared with (0: none, the candidate is the first
	// version). Promote expects champion to still be ChampionVersion.
	CandidateVersion int                `json:"candidateVersion"`
	ChampionVersion  int                `json:"championVersion"`
	CandidateMetrics map[string]float64 `json:"candidateMetrics"`
	ChampionMetrics  map[string]float64 `json:"championMetrics,omitempty"`
	// RegisteredAs is the alias the registration gave the candidate:
	// champion for a model's first version, else challenger.
	RegisteredAs string `json:"registeredAs"`
	// Candidate and Family name the winning candidate; Run is its
	// training run.
	Candidate   string `json:"candidate"`
	Family      string `json:"family"`
	Run         string `json:"run"`
	HoldoutRows int    `json:"holdoutRows"`
	// ComparedRows are the hold-out rows both models were scored on for
	// the comparison: those the champion did not train on (all of them
	// when it trained on other data, or on the same rows with the same
	// hold-out). Without a champion it equals HoldoutRows.
	ComparedRows int    `json:"comparedRows"`
	Dataset      string `json:"dataset"`
	// Compared names the rows of the comparison with each version's
	// confusion matrix on them; CandidateCompared is the candidate's
	// metrics on those rows (CandidateMetrics are on every hold-out row),
	// set when the champion was compared.
	Compared          *approval.Compared `json:"compared,omitempty"`
	CandidateCompared map[string]float64 `json:"candidateCompared,omitempty"`
	// Evidence lists the artifact keys the comparison rests on.
	Evidence []string `json:"evidence"`
	Summary  string   `json:"summary"`
}

// Evaluate serves EvaluateBest: it selects the best candidate of the Map
// (train.Select, the same rule as a single-process search), registers it
// (train.Service.Register: challenger, or champion for a first version),
// and scores the candidate's and the champion's bundles on the same
// hold-out rows of the dataset.
type Evaluate struct {
	Project   *config.Project
	Artifacts store.ArtifactStore
	Registry  Registry
	// Train registers the winner; it is copied per invocation to name the
	// execution as its actor.
	Train *train.Service
	Audit audit.Log
}

// EvaluateRules name Evaluate's errors for the state machine.
var EvaluateRules = []lambdaerr.Rule{
	{Name: lambdaerr.InvalidInput, Match: lambdaerr.Is(train.ErrInvalidConfig)},
	{Name: lambdaerr.TrainingFailed, Match: lambdaerr.Is(train.ErrTrainingFailed)},
	{Name: lambdaerr.DataValidationFailed, Match: lambdaerr.Is(ErrNotComparable)},
	{Name: lambdaerr.DataValidationFailed, Match: lambdaerr.Is(train.ErrInvalidData)},
	{Name: lambdaerr.DataValidationFailed, Match: lambdaerr.Is(dataset.ErrMalformed)},
	{Name: lambdaerr.DataValidationFailed, Match: lambdaerr.Is(dataset.ErrEmpty)},
	{Name: lambdaerr.DataValidationFailed, Match: lambdaerr.Is(dataset.ErrDigest)},
	{Name: lambdaerr.ModelNotFound, Match: lambdaerr.Is(registry.ErrNotFound)},
	{Name: lambdaerr.Conflict, Match: lambdaerr.Is(train.ErrConflict)},
	{Name: lambdaerr.Conflict, Match: lambdaerr.Is(registry.ErrConflict)},
}

// Invoke implements lambda.Handler.
func (h *Evaluate) Invoke(ctx context.Context, payload []byte) ([]byte, error) {
	return invoke(ctx, payload, EvaluateRules, h.Handle)
}

// Handle evaluates. It is idempotent: a retry after the candidate was
// registered reuses that version.
func (h *Evaluate) Handle(ctx context.Context, ev EvaluateEvent) (Evaluation, error) {
	if ev.Model != h.Project.Model.Name {
		return Evaluation{}, fmt.Errorf("%w: %q (this deployment manages %q)", ErrUnknownModel, ev.Model, h.Project.Model.Name)
	}
	if ev.ExecutionID == "" {
		return Evaluation{}, invalid("executionId is required")
	}
	best, err := selectBest(ev.Candidates)
	if err != nil {
		return Evaluation{}, err
	}
	cfg := best.Config
	if cfg.Holdout == nil || *cfg.Holdout == 0 {
		return Evaluation{}, invalid("training.holdout is 0: the candidate has no hold-out rows to be compared on")
	}
	if best.DatasetDigest != "" && ev.Dataset.Digest != "" && best.DatasetDigest != ev.Dataset.Digest {
		return Evaluation{}, invalid("candidate %s was trained on dataset %s, the event names %s", best.Winner, best.DatasetDigest, ev.Dataset.Digest)
	}
	data, err := loadData(ctx, h.Artifacts, h.Project, ev.Dataset)
	if err != nil {
		return Evaluation{}, err
	}
	y, err := data.Schema.Target.Labels(data.Frame)
	if err != nil {
		return Evaluation{}, fmt.Errorf("%w: %w", train.ErrInvalidData, err)
	}
	rows, err := HoldoutRows(ctx, data, cfg)
	if err != nil {
		return Evaluation{}, err
	}
	yh := make([]float64, len(rows))
	for k, i := range rows {
		yh[k] = y[i]
	}

	candPred, err := h.predictor(ctx, best.BundleKey)
	if err != nil {
		return Evaluation{}, fmt.Errorf("tasks: candidate %s: %w", best.Winner, err)
	}
	cand, err := holdoutMetrics(candPred, data.Frame, rows, yh)
	if err != nil {
		return Evaluation{}, fmt.Errorf("tasks: candidate %s: %w", best.Winner, err)
	}
	if want, ok := best.Metrics["holdout_"+cfg.Metric]; ok {
		if got, _ := cand.Get(cfg.Metric); math.Abs(got-want) > 1e-9 {
			return Evaluation{}, fmt.Errorf("%w: %s %.12f on %d rows, its run recorded %.12f", ErrHoldoutMismatch, cfg.Metric, got, len(rows), want)
		}
	}

	champ, err := h.Registry.Alias(ctx, ev.Model, registry.Champion)
	if err != nil {
		return Evaluation{}, fmt.Errorf("tasks: read %s@champion: %w", ev.Model, err)
	}
	version, registeredAs, err := h.register(ctx, ev, best, champ.Version)
	if err != nil {
		return Evaluation{}, err
	}
	out := Evaluation{
		Model: ev.Model, Metric: cfg.Metric, Margin: h.Project.Approval.Margin,
		CandidateVersion: version, RegisteredAs: registeredAs,
		CandidateMetrics: cand.Map(), Candidate: best.Winner, Family: best.Candidates[0].Family, Run: best.ID,
		HoldoutRows: len(rows), ComparedRows: len(rows), Dataset: data.Digest,
		Evidence: []string{best.BundleKey, train.RecordKey(best.ID), dataset.KeyFor(data.Digest)},
	}
	candScore, _ := cand.Get(cfg.Metric)
	source := fmt.Sprintf("the hold-out rows of dataset %s (%d of its %d rows, seed %d)", shortDigest(data.Digest), len(rows), data.Frame.Rows, cfg.Seed)
	out.Compared = &approval.Compared{Source: source, Dataset: data.Digest, Rows: len(rows), Positives: cand.Positives, Metric: cfg.Metric, Candidate: cand.Confusion}
	if champ.Version == 0 || champ.Version == version {
		// The candidate is the model's first version: registering made it
		// champion, there is nothing to compare with.
		out.Better = true
		out.Summary = fmt.Sprintf("first version %s:%d (%s %s) is champion: %s %.4f on %d hold-out rows",
			ev.Model, version, best.Winner, out.Family, cfg.Metric, candScore, len(rows))
	} else {
		cv, err := h.Registry.Version(ctx, ev.Model, champ.Version)
		if err != nil {
			return Evaluation{}, fmt.Errorf("tasks: champion: %w", err)
		}
		champPred, err := h.predictor(ctx, cv.BundleKey)
		if err != nil {
			return Evaluation{}, fmt.Errorf("tasks: champion %s:%d: %w", ev.Model, cv.Number, err)
		}
		out.ChampionVersion = cv.Number
		out.Evidence = append(out.Evidence, cv.BundleKey)
		// Only rows the champion has not trained on make a fair
		// comparison: a champion scored on its own training rows looks
		// better than it is.
		cmp, why, err := h.unseenByChampion(ctx, champPred.Manifest(), cv.SourceRun, data, cfg, rows)
		if err != nil {
			return Evaluation{}, fmt.Errorf("tasks: champion %s:%d: %w", ev.Model, cv.Number, err)
		}
		out.ComparedRows = len(cmp)
		yc := make([]float64, len(cmp))
		for k, i := range cmp {
			yc[k] = y[i]
		}
		if n := len(cmp); n < minComparedRows || !bothClasses(yc) {
			out.Summary = fmt.Sprintf("candidate %s:%d (%s %s) %s %.4f on %d hold-out rows; not compared with champion %s:%d: %s, which leaves %d rows (at least %d, of both classes, are needed): not better",
				ev.Model, version, best.Winner, out.Family, cfg.Metric, candScore, len(rows), ev.Model, cv.Number, why, n, minComparedRows)
		} else {
			cc := cand
			if len(cmp) != len(rows) {
				if cc, err = holdoutMetrics(candPred, data.Frame, cmp, yc); err != nil {
					return Evaluation{}, fmt.Errorf("tasks: candidate %s: %w", best.Winner, err)
				}
			}
			cm, err := holdoutMetrics(champPred, data.Frame, cmp, yc)
			if err != nil {
				return Evaluation{}, fmt.Errorf("tasks: champion %s:%d: %w", ev.Model, cv.Number, err)
			}
			candCmp, _ := cc.Get(cfg.Metric)
			champScore, _ := cm.Get(cfg.Metric)
			higher, _ := eval.HigherIsBetter(cfg.Metric)
			out.Improvement = candCmp - champScore
			if !higher {
				out.Improvement = -out.Improvement
			}
			// A tiny tolerance keeps "exactly the margin" on the
			// accepting side despite rounding.
			out.Better = out.Improvement > 0 && out.Improvement >= h.Project.Approval.Margin-1e-12
			out.ChampionMetrics = cm.Map()
			out.CandidateCompared = cc.Map()
			out.Compared = &approval.Compared{Source: source, Dataset: data.Digest, Rows: len(cmp), Positives: cc.Positives, Metric: cfg.Metric,
				Note: why, Candidate: cc.Confusion, Champion: &cm.Confusion}
			verdict := "not better"
			if out.Better {
				verdict = "better"
			}
			rowsNote := fmt.Sprintf("%d hold-out rows", len(cmp))
			if why != "" {
				rowsNote += " (" + why + ")"
			}
			out.Summary = fmt.Sprintf("candidate %s:%d (%s %s) %s %.4f vs champion %s:%d %.4f on %s: %+.4f, margin %.4f: %s",
				ev.Model, version, best.Winner, out.Family, cfg.Metric, candCmp, ev.Model, cv.Number, champScore, rowsNote, out.Improvement, out.Margin, verdict)
		}
	}
	details, _ := json.Marshal(out)
	if _, err := h.Audit.Append(ctx, audit.Event{
		Actor: Actor, Action: "retrain.evaluated",
		Subject: audit.Subject{Model: ev.Model, Version: version, Execution: ev.ExecutionID, Run: best.ID},
		Reason:  out.Summary, Evidence: out.Evidence, CorrelationID: ev.ExecutionID, Details: details,
	}); err != nil {
		return Evaluation{}, fmt.Errorf("tasks: audit evaluation: %w", err)
	}
	return out, nil
}

// minComparedRows is the fewest hold-out rows a champion comparison rests
// on.
const minComparedRows = 20

// unseenByChampion returns the hold-out rows of data that the champion
// (manifest m, trained by run sourceRun) did not train on, and a note
// saying which were left out. Its training dataset is read by digest; its
// training rows are that dataset less the hold-out its run record's seed
// and fraction give (the whole dataset when the record cannot say), and a
// hold-out row found among them (same values in every column) is left
// out. A champion trained on this dataset with the same seed and hold-out
// size shares the hold-out: nothing is left out. A champion whose training
// data is not stored, or no longer reads, is compared on every row, and
// the note says so.
func (h *Evaluate) unseenByChampion(ctx context.Context, m *bundle.Manifest, sourceRun string, data train.Data, cfg train.Config, rows []int) ([]int, string, error) {
	d := m.Dataset
	switch {
	case d.Digest == "":
		return rows, "", nil
	case d.Digest == data.Digest && m.Seed == cfg.Seed && d.HoldoutRows == len(rows):
		return rows, "", nil
	}
	cd := data
	if d.Digest != data.Digest {
		raw, err := dataset.Fetch(ctx, h.Artifacts, d.Digest)
		if errors.Is(err, store.ErrNotFound) {
			return rows, "the champion's training data " + shortDigest(d.Digest) + " is not stored: compared on every hold-out row", nil
		}
		if err != nil {
			return nil, "", fmt.Errorf("tasks: the champion's training data: %w", err)
		}
		f, err := dataset.Parse(raw, h.Project.Schema(), dataset.Options{Format: h.Project.DataFormat()})
		if err != nil {
			return rows, "the champion's training data " + shortDigest(d.Digest) + " does not read with this schema: compared on every hold-out row", nil
		}
		cd = train.Data{Schema: h.Project.Schema(), Frame: f, Digest: d.Digest}
	}
	inHoldout := make([]bool, cd.Frame.Rows)
	if hold := h.championHoldout(ctx, sourceRun, cd, d.HoldoutRows); hold != nil {
		for _, i := range hold {
			inHoldout[i] = true
		}
	}
	seen := make(map[uint64]struct{}, cd.Frame.Rows)
	for i := 0; i < cd.Frame.Rows; i++ {
		if !inHoldout[i] {
			seen[rowKey(cd.Frame, i)] = struct{}{}
		}
	}
	kept := make([]int, 0, len(rows))
	for _, i := range rows {
		if _, ok := seen[rowKey(data.Frame, i)]; !ok {
			kept = append(kept, i)
		}
	}
	if len(kept) == len(rows) {
		return rows, "", nil
	}
	return kept, fmt.Sprintf("%d of %d left out: the champion trained on them", len(rows)-len(kept), len(rows)), nil
}

// championHoldout returns the rows of cd the champion's run held out, from
// its run record's seed and fraction, or nil when the record is missing or
// the split does not give the hold-out size the champion's manifest states.
func (h *Evaluate) championHoldout(ctx context.Context, run string, cd train.Data, want int) []int {
	if run == "" || want == 0 {
		return nil
	}
	raw, _, err := h.Artifacts.Get(ctx, train.RecordKey(run))
	if err != nil {
		return nil
	}
	var rec train.RunRecord
	if json.Unmarshal(raw, &rec) != nil || rec.Config.Holdout == nil || *rec.Config.Holdout <= 0 {
		return nil
	}
	hold, err := HoldoutRows(ctx, cd, rec.Config)
	if err != nil || len(hold) != want {
		return nil
	}
	return hold
}

// rowKey hashes row i of f, every column (NaN as one value).
func rowKey(f *dataset.Frame, i int) uint64 {
	h := fnv.New64a()
	var b [8]byte
	for _, col := range f.Cols {
		v := col[i]
		if v != v {
			v = math.NaN()
		}
		binary.LittleEndian.PutUint64(b[:], math.Float64bits(v))
		h.Write(b[:])
	}
	return h.Sum64()
}

func bothClasses(y []float64) bool {
	var c [2]bool
	for _, v := range y {
		c[int(v)&1] = true
	}
	return c[0] && c[1]
}

func shortDigest(d string) string { return d[:min(12, len(d))] }

// selectBest returns the run record of the candidate train.Select picks.
func selectBest(cands []CandidateResult) (train.RunRecord, error) {
	if len(cands) == 0 {
		return train.RunRecord{}, invalid("candidates is empty: nothing was trained")
	}
	scored := make([]train.Scored, len(cands))
	first := cands[0].Config
	for i, c := range cands {
		switch {
		case c.Status != train.StatusSucceeded:
			return train.RunRecord{}, invalid("candidates[%d]: run %s is %q, want succeeded", i, c.ID, c.Status)
		case len(c.Candidates) != 1 || c.Winner != c.Candidates[0].ID:
			return train.RunRecord{}, invalid("candidates[%d]: run %s is not a one-candidate run", i, c.ID)
		case c.BundleKey == "":
			return train.RunRecord{}, invalid("candidates[%d]: run %s has no bundle", i, c.ID)
		case c.Config.Metric != first.Metric || c.Config.Seed != first.Seed || !sameHoldout(c.Config.Holdout, first.Holdout):
			return train.RunRecord{}, invalid("candidates[%d]: run %s was trained with another metric, seed or hold-out than candidates[0]", i, c.ID)
		}
		scored[i] = c.Candidates[0]
	}
	i, err := train.Select(scored, first.Metric, first.TieTolerance)
	if err != nil {
		return train.RunRecord{}, err
	}
	return cands[i].RunRecord, nil
}

func sameHoldout(a, b *float64) bool {
	return (a == nil) == (b == nil) && (a == nil || *a == *b)
}

// register registers best, or finds the version an earlier attempt of
// this step registered from the same run.
func (h *Evaluate) register(ctx context.Context, ev EvaluateEvent, best train.RunRecord, champion int) (int, string, error) {
	versions, err := h.Registry.Versions(ctx, ev.Model)
	if err != nil && !errors.Is(err, registry.ErrNotFound) {
		return 0, "", fmt.Errorf("tasks: versions of %s: %w", ev.Model, err)
	}
	for _, v := range versions {
		if v.SourceRun == best.ID {
			as := AsChallenger
			if v.Number == champion {
				as = AsChampion
			}
			return v.Number, as, nil
		}
	}
	svc := *h.Train
	svc.Actor = "workflow:" + ev.ExecutionID
	rec, err := svc.Register(ctx, best)
	if err != nil {
		return 0, "", fmt.Errorf("tasks: register %s: %w", best.Winner, err)
	}
	return rec.Version, rec.Alias, nil
}

func (h *Evaluate) predictor(ctx context.Context, key string) (*bundle.Predictor, error) {
	raw, _, err := h.Artifacts.Get(ctx, key)
	if err != nil {
		return nil, fmt.Errorf("bundle %s: %w", key, err)
	}
	p, err := bundle.Open(raw)
	if err != nil {
		return nil, fmt.Errorf("bundle %s: %w", key, err)
	}
	return p, nil
}

// HoldoutRows returns the indices of the rows of d that a training run
// with cfg holds out. It asks the train package itself, with a probe run
// that keeps cfg's seed, hold-out share and labels but trains one tiny
// candidate: train.Run draws the hold-out from the seed and the labels
// alone, before any candidate is looked at.
func HoldoutRows(ctx context.Context, d train.Data, cfg train.Config) ([]int, error) {
	probe := train.Config{
		Seed: cfg.Seed, Holdout: cfg.Holdout, Metric: cfg.Metric, Threshold: cfg.Threshold,
		Folds: 2, Repeats: 1, Parallel: 1,
		Families: []train.FamilySearch{{Family: ml.FamilyLogReg, Params: map[string]any{}}},
	}
	res, err := train.Run(ctx, d, probe, train.Options{})
	if err != nil {
		return nil, fmt.Errorf("tasks: hold-out rows: %w", err)
	}
	inTrain := make([]bool, d.Frame.Rows)
	for _, i := range res.Train {
		inTrain[i] = true
	}
	var rows []int
	for i, t := range inTrain {
		if !t {
			rows = append(rows, i)
		}
	}
	if len(rows) != res.HoldoutRows {
		return nil, fmt.Errorf("%w: %d rows outside the training part, the run held out %d", ErrHoldoutMismatch, len(rows), res.HoldoutRows)
	}
	return rows, nil
}

// holdoutMetrics scores p on the given rows of f. The rows are not checked
// against p's schema, as training does not check them either: a champion
// sees exactly what the candidate saw.
func holdoutMetrics(p *bundle.Predictor, f *dataset.Frame, rows []int, y []float64) (eval.Metrics, error) {
	feats := p.Features()
	names := make([]string, len(feats))
	for j, c := range feats {
		names[j] = c.Name
	}
	m, err := f.Matrix(names)
	if err != nil {
		return eval.Metrics{}, fmt.Errorf("%w: %w", ErrNotComparable, err)
	}
	X := make([]float64, 0, len(rows)*len(names))
	for _, i := range rows {
		X = append(X, m.Data[i*m.Cols:(i+1)*m.Cols]...)
	}
	prob := make([]float64, len(rows))
	p.PredictProba(X, prob)
	if slices.ContainsFunc(prob, math.IsNaN) {
		return eval.Metrics{}, fmt.Errorf("%w: the model returned NaN probabilities", ErrNotComparable)
	}
	met, err := eval.Score(y, prob, p.Threshold())
	if err != nil {
		return eval.Metrics{}, fmt.Errorf("%w: %w", ErrNotComparable, err)
	}
	return met, nil
}

// loadData fetches and parses the dataset ref names, for the training and
// evaluation tasks.
func loadData(ctx context.Context, arts store.ArtifactStore, p *config.Project, ref dataset.Ref) (train.Data, error) {
	var raw []byte
	var err error
	switch {
	case ref.Digest != "":
		raw, err = dataset.Fetch(ctx, arts, ref.Digest)
		if errors.Is(err, store.ErrNotFound) {
			return train.Data{}, invalid("dataset %s is not stored", ref.Digest)
		}
	case ref.Key != "":
		raw, _, err = arts.Get(ctx, ref.Key)
		if errors.Is(err, store.ErrNotFound) || errors.Is(err, store.ErrInvalid) {
			return train.Data{}, invalid("dataset key %q: %v", ref.Key, err)
		}
	default:
		return train.Data{}, invalid("dataset.digest or dataset.key is required")
	}
	if err != nil {
		return train.Data{}, fmt.Errorf("tasks: dataset: %w", err)
	}
	f, err := dataset.Parse(raw, p.Schema(), dataset.Options{Format: p.DataFormat()})
	if err != nil {
		return train.Data{}, err
	}
	return train.Data{Schema: p.Schema(), Frame: f, Digest: dataset.Digest(raw)}, nil
}
