package train

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/google/uuid"

	"github.com/stewardml/steward/internal/bundle"
	"github.com/stewardml/steward/internal/store"
	"github.com/stewardml/steward/internal/train/eval"
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
	Model         string             `json:"model"`
	BundleKey     string             `json:"bundle_key"`
	BundleDigest  string             `json:"bundle_digest"`
	DatasetDigest string             `json:"dataset_digest"`
	Family        string             `json:"family"`
	Params        []byte             `json:"params"` // effective, JSON
	Metrics       map[string]float64 `json:"metrics"`
	RunID         string             `json:"run_id"`
	CreatedBy     string             `json:"created_by"`
	CreatedAt     time.Time          `json:"created_at"`
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
}

// RunRecord is a tracking run: what a training run saw, tried and made.
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
	// Metrics are the winner's CV means ("cv_<metric>") and hold-out
	// values ("holdout_<metric>").
	Metrics      map[string]float64 `json:"metrics,omitempty"`
	Holdout      *eval.Report       `json:"holdout,omitempty"`
	BundleKey    string             `json:"bundle_key,omitempty"`
	BundleDigest string             `json:"bundle_digest,omitempty"`
	// Version and Alias are the registered version and the alias it got.
	Version int    `json:"version,omitempty"`
	Alias   string `json:"alias,omitempty"`
	Error   string `json:"error,omitempty"`
}

// Runs records tracking runs.
//
// Implementations are safe for concurrent use.
type Runs interface {
	// SaveRun creates or replaces the run with r.ID.
	SaveRun(ctx context.Context, r RunRecord) error
}

// AuditEvent is one entry of the audit log.
type AuditEvent struct {
	Time     time.Time `json:"time"`
	Actor    string    `json:"actor"`
	Action   string    `json:"action"`
	Model    string    `json:"model"`
	Subject  string    `json:"subject"`
	Reason   string    `json:"reason"`
	Evidence []string  `json:"evidence,omitempty"`
}

// Audit actions written by a training run.
const (
	ActionTrainStarted   = "train.started"
	ActionTrainSucceeded = "train.succeeded"
	ActionTrainFailed    = "train.failed"
	ActionRegistered     = "model.registered"
	ActionAliasMoved     = "alias.moved"
)

// Audit appends audit events.
//
// Implementations are safe for concurrent use.
type Audit interface {
	Append(ctx context.Context, e AuditEvent) error
}

// ProfileInput is what the reference profile is built from: the training
// rows of the frame and the winner's out-of-fold probabilities for them.
type ProfileInput struct {
	Data Data
	// Rows index the frame's rows the model was fitted on.
	Rows []int
	// Prob[k] is the out-of-fold P(y=1) of row Rows[k].
	Prob []float64
	// CV are the winner's cross-validated scores, at Threshold.
	CV        map[string]eval.Stat
	Threshold float64
	// Seed is the run's seed, for any sampling.
	Seed int64
}

// Service runs training with its side effects: the bundle goes to the
// artifact store, the run to tracking, the version to the registry, the
// story to the audit log.
type Service struct {
	Artifacts Artifacts
	Registry  Registry
	Runs      Runs
	Audit     Audit
	// Profile builds the bundle's reference profile; nil means
	// DriftProfile.
	Profile func(ProfileInput) ([]byte, error)
	// Now reads the clock; NewID returns a fresh run ID.
	Now   func() time.Time
	NewID func() string
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

	candidateID string
}

// Train runs the search on req.Data, stores the bundle, records the run and
// registers the winner as a new version: champion when the model has none,
// challenger otherwise. The returned record is the one saved; on failure it
// carries the error and status failed (and is saved when possible).
func (s *Service) Train(ctx context.Context, req Request) (RunRecord, error) {
	rec, err := s.build(ctx, req)
	if err != nil {
		return rec, err
	}
	if err := s.register(ctx, &rec); err != nil {
		return s.fail(ctx, rec, err)
	}
	return rec, nil
}

// Register registers the bundle of a succeeded run that was not registered
// yet (a candidate run chosen by a distributed search) and moves champion
// or challenger to it, as Train does. The run is saved again with its
// version and alias.
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

// TrainCandidate trains one candidate (req.Config must plan exactly one)
// and stores its bundle without registering it: the unit of work of a
// distributed search. Its scores equal the candidate's scores in a full
// search with the same data, configuration and seed.
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
	return rec, err
}

// build runs training, stores the bundle and saves the run as succeeded
// (not yet registered).
func (s *Service) build(ctx context.Context, req Request) (RunRecord, error) {
	start := s.now()
	newID := s.NewID
	if newID == nil {
		newID = uuid.NewString
	}
	rec := RunRecord{
		ID: newID(), Model: req.Model, Status: StatusRunning, StartedAt: start,
		CodeVersion: s.CodeVersion, DatasetDigest: req.Data.Digest, Actor: s.Actor,
		Config: req.Config.WithDefaults(),
	}
	if req.Model == "" {
		return s.fail(ctx, rec, configErr("no model name"))
	}
	if err := s.Runs.SaveRun(ctx, rec); err != nil {
		return rec, fmt.Errorf("train: save run %s: %w", rec.ID, err)
	}
	if err := s.audit(ctx, AuditEvent{Action: ActionTrainStarted, Model: req.Model, Subject: "run/" + rec.ID,
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
		Data: req.Data, Rows: res.Train, Prob: res.OutOfFoldProb,
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
	rec.Status = StatusSucceeded
	rec.FinishedAt = s.now()
	rec.Seconds = rec.FinishedAt.Sub(start).Seconds()
	if err := s.Runs.SaveRun(ctx, rec); err != nil {
		return rec, fmt.Errorf("train: save run %s: %w", rec.ID, err)
	}
	if err := s.audit(ctx, AuditEvent{Action: ActionTrainSucceeded, Model: req.Model, Subject: "run/" + rec.ID,
		Reason:   fmt.Sprintf("%s won by %s %.4f over %d candidates", rec.Winner, res.Config.Metric, res.Best().CV[res.Config.Metric].Mean, len(res.Candidates)),
		Evidence: []string{key}}); err != nil {
		return rec, err
	}
	return rec, nil
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
		Metrics: rec.Metrics, RunID: rec.ID, CreatedBy: s.Actor, CreatedAt: s.now().UTC(),
	}
	n, err := s.Registry.Register(ctx, v)
	if err != nil {
		return fmt.Errorf("train: register %s: %w", rec.Model, err)
	}
	rec.Version = n
	if err := s.audit(ctx, AuditEvent{Action: ActionRegistered, Model: rec.Model, Subject: fmt.Sprintf("%s:%d", rec.Model, n),
		Reason: fmt.Sprintf("%s from run %s", win.Family, rec.ID), Evidence: []string{rec.BundleKey, "run/" + rec.ID}}); err != nil {
		return err
	}
	alias, err := s.claim(ctx, rec.Model, n)
	if err != nil {
		return err
	}
	rec.Alias = alias
	if err := s.Runs.SaveRun(ctx, *rec); err != nil {
		return fmt.Errorf("train: save run %s: %w", rec.ID, err)
	}
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
		return alias, s.audit(ctx, AuditEvent{Action: ActionAliasMoved, Model: model, Subject: fmt.Sprintf("%s@%s", model, alias),
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

// fail records the run as failed and returns err.
func (s *Service) fail(ctx context.Context, rec RunRecord, err error) (RunRecord, error) {
	rec.Status = StatusFailed
	rec.Error = err.Error()
	rec.FinishedAt = s.now()
	rec.Seconds = rec.FinishedAt.Sub(rec.StartedAt).Seconds()
	if rec.ID != "" && rec.Model != "" {
		// Keep the original error even if the record cannot be saved.
		_ = s.Runs.SaveRun(ctx, rec)
		_ = s.audit(ctx, AuditEvent{Action: ActionTrainFailed, Model: rec.Model, Subject: "run/" + rec.ID, Reason: rec.Error})
	}
	return rec, err
}
