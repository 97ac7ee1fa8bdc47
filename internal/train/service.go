package train

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/stewardml/steward/internal/bundle"
	"github.com/stewardml/steward/internal/dataset"
	"github.com/stewardml/steward/internal/ml/eval"
	"github.com/stewardml/steward/internal/store"
)

// Aliases a training run sets.
const (
	AliasChampion   = "champion"
	AliasChallenger = "challenger"
)

// Run statuses.
const (
	StatusRunning   = "running"
	StatusSucceeded = "succeeded"
	StatusFailed    = "failed"
	// StatusCancelled is a run that was interrupted before it finished.
	StatusCancelled = "cancelled"
)

// ErrConflict is returned by Registry.MoveAlias when the alias no longer
// points where the caller said (a compare-and-set lost).
var ErrConflict = errors.New("train: alias moved concurrently")

// Artifacts is the part of the artifact store a training run uses;
// store.ArtifactStore satisfies it.
type Artifacts interface {
	Put(ctx context.Context, key string, body []byte, contentType string) (store.ObjectInfo, error)
	Exists(ctx context.Context, key string) (bool, error)
}

// NewVersion is what a training run registers.
type NewVersion struct {
	Model         string
	BundleKey     string
	BundleDigest  string
	DatasetDigest string
	Family        string
	// Params are the effective hyperparameters as JSON.
	Params  json.RawMessage
	Metrics map[string]float64
	// RunID is the tracking run that produced the version.
	RunID     string
	CreatedBy string
}

// Registry is the model registry as a training run needs it.
//
// Implementations are safe for concurrent use.
type Registry interface {
	// Register adds v as the next version of v.Model (creating the model
	// if needed) and returns the new version number.
	Register(ctx context.Context, v NewVersion) (int, error)
	// Alias returns the version alias points to, or 0 when it is unset.
	Alias(ctx context.Context, model, alias string) (int, error)
	// MoveAlias points alias at version to if it still points at from (0:
	// unset), recording who and why; otherwise it returns an error
	// wrapping ErrConflict and changes nothing.
	MoveAlias(ctx context.Context, model, alias string, from, to int, actor, reason string) error
	// VersionWithBundle returns the number of model's version whose bundle
	// has digest, or 0 when none has (an unknown model included).
	VersionWithBundle(ctx context.Context, model, digest string) (int, error)
}

// RunRecord is the full record of a training run: what it saw, tried and
// made. The tracking run holds its summary (configuration, every
// candidate's scores as metrics, the artifacts); the record itself is
// stored as JSON under RecordKey(ID) in the artifact store.
type RunRecord struct {
	ID            string    `json:"id"`
	Model         string    `json:"model"`
	Status        string    `json:"status"`
	StartedAt     time.Time `json:"started_at"`
	FinishedAt    time.Time `json:"finished_at,omitzero"`
	Seconds       float64   `json:"seconds"`
	CodeVersion   string    `json:"code_version"`
	DatasetDigest string    `json:"dataset_digest"`
	Actor         string    `json:"actor"`
	// Config is the training configuration, defaults filled in.
	Config Config `json:"config"`
	// Candidates are every candidate of the search with its CV scores.
	Candidates []Scored `json:"candidates,omitempty"`
	// Winner is the chosen candidate's ID.
	Winner string `json:"winner,omitempty"`
	// Metrics are the winner's CV means and stds ("cv_<metric>",
	// "cv_<metric>_std") and hold-out values ("holdout_<metric>").
	Metrics      map[string]float64 `json:"metrics,omitempty"`
	Holdout      *eval.Report       `json:"holdout,omitempty"`
	BundleKey    string             `json:"bundle_key,omitempty"`
	BundleDigest string             `json:"bundle_digest,omitempty"`
	// Version and Alias are the registered version and the alias it got.
	Version int    `json:"version,omitempty"`
	Alias   string `json:"alias,omitempty"`
	// SameAs is the existing version whose bundle is byte-identical to
	// this run's: the run registered nothing (see Request.Force).
	SameAs int    `json:"same_as,omitempty"`
	Error  string `json:"error,omitempty"`
}

// RecordKey is the artifact-store key of a run's full record.
func RecordKey(runID string) string { return "runs/" + runID + "/record.json" }

// RunStart opens a tracking run.
type RunStart struct {
	Model         string
	Params        map[string]any
	DatasetDigest string
	CodeVersion   string
}

// Runs is experiment tracking as a training run needs it.
//
// Implementations are safe for concurrent use.
type Runs interface {
	// StartRun records a running run and returns its ID.
	StartRun(ctx context.Context, s RunStart) (string, error)
	// FinishRun ends the run: succeeded when runErr is nil, failed with
	// its message otherwise, adding the metrics and artifact keys.
	FinishRun(ctx context.Context, id string, metrics map[string]float64, artifacts []string, runErr error) error
}

// AuditEvent is one entry of the audit log.
type AuditEvent struct {
	Time     time.Time
	Actor    string
	Action   string
	Model    string
	Version  int
	Run      string
	Reason   string
	Evidence []string
}

// Audit actions written by a training run.
const (
	ActionTrainStart = "train.start"
	ActionTrainEnd   = "train.succeed"
	ActionTrainFail  = "train.fail"
	// ActionTrainCancelled ends a run that was interrupted (its context
	// was cancelled or ran out of time).
	ActionTrainCancelled = "train.cancelled"
	ActionRegister       = "model.register"
	// ActionRegisterSkipped records a run whose bundle equals an existing
	// version's, so nothing was registered.
	ActionRegisterSkipped = "model.register_skipped"
	ActionAliasMove       = "alias.move"
)

// Audit appends audit events.
//
// Implementations are safe for concurrent use.
type Audit interface {
	Append(ctx context.Context, e AuditEvent) error
}

// ProfileInput is what the reference profile is built from: rows of the
// frame and, for each, a probability from a model that did not see it.
type ProfileInput struct {
	Data Data
	// Rows index the frame's rows to profile.
	Rows []int
	// Prob[k] is the out-of-sample P(y=1) of row Rows[k].
	Prob []float64
	// CV are the winner's cross-validated scores, at Threshold.
	CV        map[string]eval.Stat
	Threshold float64
	// Seed is the run's seed, for any sampling.
	Seed int64
}

// Service runs training with its side effects: the bundle and the run
// record go to the artifact store, the run to tracking, the version to the
// registry, the story to the audit log.
type Service struct {
	Artifacts Artifacts
	Registry  Registry
	Runs      Runs
	Audit     Audit
	// Profile builds the bundle's reference profile; nil means
	// DriftProfile.
	Profile func(ProfileInput) ([]byte, error)
	// Now reads the clock.
	Now func() time.Time
	// Actor names who trains ("cli", "lambda:train", "agent").
	Actor string
	// CodeVersion is recorded in every run and bundle.
	CodeVersion string
}

// Request is one training run to perform.
type Request struct {
	// Model is the registered model name.
	Model  string
	Data   Data
	Config Config
	// Progress receives progress events (may be nil).
	Progress func(Progress)
	// Force registers the bundle even when an existing version of the
	// model has the identical bundle. Without it such a run is recorded
	// (tracking run, run record, audit) but registers nothing and
	// RunRecord.SameAs names the existing version.
	Force bool

	candidateID string
}

// Train runs the search on req.Data, stores the bundle, registers the
// winner as a new version (champion when the model has none, challenger
// otherwise) and finishes the tracking run. On failure the run is finished
// as failed and the returned record carries the error.
func (s *Service) Train(ctx context.Context, req Request) (RunRecord, error) {
	rec, err := s.build(ctx, req)
	if err != nil {
		return rec, err
	}
	if !req.Force {
		same, err := s.Registry.VersionWithBundle(ctx, rec.Model, rec.BundleDigest)
		if err != nil {
			return s.fail(ctx, rec, fmt.Errorf("train: look up bundle %s: %w", rec.BundleDigest, err))
		}
		if same != 0 {
			rec.SameAs = same
			if err := s.audit(ctx, AuditEvent{Action: ActionRegisterSkipped, Model: rec.Model, Version: same, Run: rec.ID,
				Reason:   fmt.Sprintf("the bundle of run %s is identical to version %d; nothing registered", rec.ID, same),
				Evidence: []string{rec.BundleKey}}); err != nil {
				return s.fail(ctx, rec, err)
			}
			return s.finish(ctx, rec)
		}
	}
	if err := s.register(ctx, &rec); err != nil {
		return s.fail(ctx, rec, err)
	}
	return s.finish(ctx, rec)
}

// TrainCandidate trains one candidate (req.Config must plan exactly one),
// stores its bundle and finishes its tracking run without registering it:
// the unit of work of a distributed search. Its scores equal the
// candidate's scores in a full search with the same data, configuration and
// seed, and so does its bundle when it wins.
func (s *Service) TrainCandidate(ctx context.Context, req Request, id string) (RunRecord, error) {
	cands, err := req.Config.Plan()
	if err != nil {
		return RunRecord{}, err
	}
	if len(cands) != 1 {
		return RunRecord{}, configErr("a candidate run needs exactly one candidate, the configuration plans %d", len(cands))
	}
	req.candidateID = id
	rec, err := s.build(ctx, req)
	if err != nil {
		return rec, err
	}
	return s.finish(ctx, rec)
}

// Register registers the bundle of a finished, succeeded run that was not
// registered (the winner of a distributed search) and moves champion or
// challenger to it, as Train does. The version names the run as its source.
func (s *Service) Register(ctx context.Context, rec RunRecord) (RunRecord, error) {
	switch {
	case rec.Status != StatusSucceeded:
		return rec, configErr("run %s is %s; only a succeeded run can be registered", rec.ID, rec.Status)
	case rec.Version != 0:
		return rec, configErr("run %s is already registered as version %d", rec.ID, rec.Version)
	case rec.BundleKey == "" || rec.Model == "" || rec.Winner == "":
		return rec, configErr("run %s has no bundle, model or winner", rec.ID)
	}
	if err := s.register(ctx, &rec); err != nil {
		return rec, err
	}
	return rec, nil
}

// build opens the tracking run, trains and stores the bundle.
func (s *Service) build(ctx context.Context, req Request) (RunRecord, error) {
	start := s.now()
	rec := RunRecord{
		Model: req.Model, Status: StatusRunning, StartedAt: start,
		CodeVersion: s.CodeVersion, DatasetDigest: req.Data.Digest, Actor: s.Actor,
		Config: req.Config.WithDefaults(),
	}
	if req.Model == "" {
		rec.Status, rec.Error = StatusFailed, "no model name"
		return rec, configErr("no model name")
	}
	params, err := toMap(rec.Config)
	if err != nil {
		return rec, err
	}
	params["actor"] = s.Actor
	id, err := s.Runs.StartRun(ctx, RunStart{Model: req.Model, Params: params, DatasetDigest: req.Data.Digest, CodeVersion: s.CodeVersion})
	if err != nil {
		return rec, fmt.Errorf("train: start run: %w", err)
	}
	rec.ID = id
	if err := s.audit(ctx, AuditEvent{Action: ActionTrainStart, Model: req.Model, Run: id,
		Reason: fmt.Sprintf("training on dataset %s", req.Data.Digest)}); err != nil {
		return s.fail(ctx, rec, err)
	}
	res, err := Run(ctx, req.Data, req.Config, Options{Progress: req.Progress, Now: s.Now, candidateID: req.candidateID})
	if err != nil {
		return s.fail(ctx, rec, err)
	}
	rec.Candidates, rec.Winner = res.Candidates, res.Best().ID
	rec.Holdout = res.Holdout
	rec.Metrics = map[string]float64{}
	for n, st := range res.Best().CV {
		rec.Metrics["cv_"+n] = st.Mean
		rec.Metrics["cv_"+n+"_std"] = st.Std
	}
	if res.Holdout != nil {
		for n, v := range res.Holdout.Metrics.Map() {
			rec.Metrics["holdout_"+n] = v
		}
	}
	profiler := s.Profile
	if profiler == nil {
		profiler = DriftProfile
	}
	profile, err := profiler(ProfileInput{
		Data: req.Data, Rows: allRows(res.Rows), Prob: res.HonestProb,
		CV: res.Best().CV, Threshold: res.Config.Threshold, Seed: res.Config.Seed,
	})
	if err != nil {
		return s.fail(ctx, rec, fmt.Errorf("train: reference profile: %w", err))
	}
	b, err := res.Bundle(req.Model, req.Data, profile, s.CodeVersion, bundle.Training{StartedAt: start.UTC(), Seconds: res.Seconds})
	if err != nil {
		return s.fail(ctx, rec, err)
	}
	digest, err := b.Digest()
	if err != nil {
		return s.fail(ctx, rec, err)
	}
	key := bundle.Key(digest)
	// A bundle is immutable: the same digest is the same model, and the
	// first copy (with its training time) is kept.
	exists, err := s.Artifacts.Exists(ctx, key)
	if err != nil {
		return s.fail(ctx, rec, fmt.Errorf("train: look up bundle %s: %w", key, err))
	}
	if !exists {
		data, err := b.Encode()
		if err != nil {
			return s.fail(ctx, rec, err)
		}
		if _, err := s.Artifacts.Put(ctx, key, data, "application/x-tar"); err != nil {
			return s.fail(ctx, rec, fmt.Errorf("train: store bundle %s: %w", key, err))
		}
	}
	rec.BundleKey, rec.BundleDigest = key, digest
	return rec, nil
}

// finish stores the record, ends the tracking run as succeeded and audits.
func (s *Service) finish(ctx context.Context, rec RunRecord) (RunRecord, error) {
	rec.Status = StatusSucceeded
	rec.FinishedAt = s.now()
	rec.Seconds = rec.FinishedAt.Sub(rec.StartedAt).Seconds()
	if err := s.putRecord(ctx, rec); err != nil {
		return s.fail(ctx, rec, err)
	}
	if err := s.Runs.FinishRun(ctx, rec.ID, trackedMetrics(rec), []string{rec.BundleKey, RecordKey(rec.ID), dataset.KeyFor(rec.DatasetDigest)}, nil); err != nil {
		return rec, fmt.Errorf("train: finish run %s: %w", rec.ID, err)
	}
	best := rec.Metrics["cv_"+rec.Config.Metric]
	err := s.audit(ctx, AuditEvent{Action: ActionTrainEnd, Model: rec.Model, Run: rec.ID, Version: rec.Version,
		Reason:   fmt.Sprintf("%s won by %s %.4f over %d candidates", rec.Winner, rec.Config.Metric, best, len(rec.Candidates)),
		Evidence: []string{rec.BundleKey, RecordKey(rec.ID)}})
	return rec, err
}

// trackedMetrics are the run's metrics plus every candidate's CV scores
// ("<candidate>.cv_<metric>" and its "_std").
func trackedMetrics(rec RunRecord) map[string]float64 {
	out := make(map[string]float64, len(rec.Metrics)+len(rec.Candidates)*2*len(eval.Names))
	for k, v := range rec.Metrics {
		out[k] = v
	}
	for _, c := range rec.Candidates {
		for n, st := range c.CV {
			out[c.ID+".cv_"+n] = st.Mean
			out[c.ID+".cv_"+n+"_std"] = st.Std
		}
	}
	return out
}

func (s *Service) putRecord(ctx context.Context, rec RunRecord) error {
	b, err := json.MarshalIndent(rec, "", "  ")
	if err != nil {
		return fmt.Errorf("train: encode run record: %w", err)
	}
	if _, err := s.Artifacts.Put(ctx, RecordKey(rec.ID), b, "application/json"); err != nil {
		return fmt.Errorf("train: store run record: %w", err)
	}
	return nil
}

func allRows(n int) []int {
	out := make([]int, n)
	for i := range out {
		out[i] = i
	}
	return out
}

// toMap turns v into a JSON object map.
func toMap(v any) (map[string]any, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return nil, fmt.Errorf("train: encode: %w", err)
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		return nil, fmt.Errorf("train: encode: %w", err)
	}
	return m, nil
}

// register records the run's bundle as a version and moves an alias to it.
func (s *Service) register(ctx context.Context, rec *RunRecord) error {
	var win Scored
	for _, c := range rec.Candidates {
		if c.ID == rec.Winner {
			win = c
		}
	}
	if win.ID == "" {
		return configErr("run %s: winner %q is not among its candidates", rec.ID, rec.Winner)
	}
	v := NewVersion{
		Model: rec.Model, BundleKey: rec.BundleKey, BundleDigest: rec.BundleDigest,
		DatasetDigest: rec.DatasetDigest, Family: win.Family, Params: win.Effective,
		Metrics: rec.Metrics, RunID: rec.ID, CreatedBy: s.Actor,
	}
	n, err := s.Registry.Register(ctx, v)
	if err != nil {
		return fmt.Errorf("train: register %s: %w", rec.Model, err)
	}
	rec.Version = n
	if err := s.audit(ctx, AuditEvent{Action: ActionRegister, Model: rec.Model, Version: n, Run: rec.ID,
		Reason: fmt.Sprintf("%s %s from run %s", win.Family, win.ID, rec.ID), Evidence: []string{rec.BundleKey}}); err != nil {
		return err
	}
	alias, err := s.claim(ctx, rec.Model, n)
	if err != nil {
		return err
	}
	rec.Alias = alias
	return nil
}

// claim makes version n the champion when the model has none, else the
// challenger. A lost compare-and-set is retried against the new holder; a
// champion that appears meanwhile turns the claim into a challenger.
func (s *Service) claim(ctx context.Context, model string, n int) (string, error) {
	for attempt := 0; attempt < 5; attempt++ {
		champ, err := s.Registry.Alias(ctx, model, AliasChampion)
		if err != nil {
			return "", fmt.Errorf("train: read %s@%s: %w", model, AliasChampion, err)
		}
		alias, from, reason := AliasChampion, 0, "first version of the model"
		if champ != 0 {
			alias, reason = AliasChallenger, fmt.Sprintf("new candidate against champion version %d", champ)
			from, err = s.Registry.Alias(ctx, model, AliasChallenger)
			if err != nil {
				return "", fmt.Errorf("train: read %s@%s: %w", model, AliasChallenger, err)
			}
		}
		err = s.Registry.MoveAlias(ctx, model, alias, from, n, s.Actor, reason)
		if errors.Is(err, ErrConflict) {
			continue
		}
		if err != nil {
			return "", fmt.Errorf("train: move %s@%s to %d: %w", model, alias, n, err)
		}
		return alias, s.audit(ctx, AuditEvent{Action: ActionAliasMove, Model: model, Version: n,
			Reason: fmt.Sprintf("%s: %d -> %d (%s)", alias, from, n, reason)})
	}
	return "", fmt.Errorf("train: move an alias of %s to %d: %w (5 attempts)", model, n, ErrConflict)
}

func (s *Service) now() time.Time {
	if s.Now == nil {
		return time.Now()
	}
	return s.Now()
}

// audit appends an event.
func (s *Service) audit(ctx context.Context, e AuditEvent) error {
	if s.Audit == nil {
		return nil
	}
	e.Time = s.now().UTC()
	e.Actor = s.Actor
	if err := s.Audit.Append(ctx, e); err != nil {
		return fmt.Errorf("train: audit %s: %w", e.Action, err)
	}
	return nil
}

// fail ends the tracking run as failed and returns err with the record.
func (s *Service) fail(ctx context.Context, rec RunRecord, err error) (RunRecord, error) {
	rec.Status = StatusFailed
	action := ActionTrainFail
	if ctx.Err() != nil {
		// Interrupted (Ctrl-C, a deadline): the run still gets its end,
		// written on a context that is not cancelled but is bounded.
		rec.Status, action = StatusCancelled, ActionTrainCancelled
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(context.WithoutCancel(ctx), recordTimeout)
		defer cancel()
	}
	rec.Error = err.Error()
	rec.FinishedAt = s.now()
	rec.Seconds = rec.FinishedAt.Sub(rec.StartedAt).Seconds()
	if rec.ID != "" {
		// Keep the original error even if the failure cannot be recorded.
		_ = s.putRecord(ctx, rec)
		_ = s.Runs.FinishRun(ctx, rec.ID, nil, []string{RecordKey(rec.ID)}, err)
		_ = s.audit(ctx, AuditEvent{Action: action, Model: rec.Model, Run: rec.ID, Reason: rec.Error})
	}
	return rec, err
}

// recordTimeout bounds how long an interrupted run may take to record its
// end.
const recordTimeout = 5 * time.Second
