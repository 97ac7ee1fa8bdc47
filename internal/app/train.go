package app

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/stewardml/steward/internal/audit"
	"github.com/stewardml/steward/internal/buildinfo"
	"github.com/stewardml/steward/internal/registry"
	"github.com/stewardml/steward/internal/tracking"
	"github.com/stewardml/steward/internal/train"
)

// TrainService returns the training service over the application's stores:
// bundles and run records in the artifact store, runs in tracking,
// versions in the registry, events in the audit log. actor names who
// trains ("cli", "lambda:train", ...).
func (a *App) TrainService(actor string) *train.Service {
	reg, runs, log := a.trainStores()
	return &train.Service{
		Artifacts:   a.Artifacts,
		Registry:    reg,
		Runs:        runs,
		Audit:       log,
		Now:         a.Now,
		Actor:       actor,
		CodeVersion: buildinfo.Version(),
	}
}

// trainStores are the registry, tracking and audit a training run or an
// import writes through, on the application's clock.
func (a *App) trainStores() (trainRegistry, trainRuns, trainAudit) {
	runs := tracking.New(a.Records)
	runs.Now = a.Now
	return trainRegistry{a.Registry()}, trainRuns{runs}, trainAudit{a.Audit()}
}

// trainRegistry adapts the registry to train.Registry.
type trainRegistry struct{ r *registry.Registry }

var _ train.Registry = trainRegistry{}

// Register registers v and returns its number.
func (t trainRegistry) Register(ctx context.Context, v train.NewVersion) (int, error) {
	var params map[string]any
	if len(v.Params) > 0 {
		if err := json.Unmarshal(v.Params, &params); err != nil {
			return 0, fmt.Errorf("app: version params: %w", err)
		}
	}
	got, err := t.r.Register(ctx, v.Model, registry.NewVersion{
		BundleKey: v.BundleKey, BundleDigest: v.BundleDigest, DatasetDigest: v.DatasetDigest,
		Family: v.Family, Params: params, Metrics: v.Metrics, CreatedBy: v.CreatedBy, SourceRun: v.RunID,
	})
	if err != nil {
		return 0, err
	}
	return got.Number, nil
}

// Alias returns the version alias points at, 0 when unset.
func (t trainRegistry) Alias(ctx context.Context, model, alias string) (int, error) {
	a, err := t.r.Alias(ctx, model, alias)
	if err != nil {
		return 0, err
	}
	return a.Version, nil
}

// MoveAlias moves alias by compare-and-set; a lost race wraps train.ErrConflict.
func (t trainRegistry) MoveAlias(ctx context.Context, model, alias string, from, to int, actor, reason string) error {
	_, err := t.r.MoveAlias(ctx, model, alias, from, to, actor, reason)
	if errors.Is(err, registry.ErrConflict) {
		return errors.Join(train.ErrConflict, err)
	}
	return err
}

// VersionWithBundle returns the version of model whose bundle has digest,
// 0 when none has or the model does not exist yet.
func (t trainRegistry) VersionWithBundle(ctx context.Context, model, digest string) (int, error) {
	vs, err := t.r.Versions(ctx, model)
	if errors.Is(err, registry.ErrNotFound) {
		return 0, nil
	}
	if err != nil {
		return 0, err
	}
	for _, v := range vs {
		if v.BundleDigest == digest {
			return v.Number, nil
		}
	}
	return 0, nil
}

// trainRuns adapts tracking to train.Runs.
type trainRuns struct{ t *tracking.Tracker }

var _ train.Runs = trainRuns{}

// StartRun opens a tracking run.
func (t trainRuns) StartRun(ctx context.Context, s train.RunStart) (string, error) {
	r, err := t.t.Start(ctx, tracking.Start{Model: s.Model, Params: s.Params, DatasetDigest: s.DatasetDigest, CodeVersion: s.CodeVersion})
	if err != nil {
		return "", err
	}
	return r.ID, nil
}

// FinishRun ends a tracking run with its metrics and artifacts.
func (t trainRuns) FinishRun(ctx context.Context, id string, metrics map[string]float64, artifacts []string, runErr error) error {
	_, err := t.t.Finish(ctx, id, tracking.Update{Metrics: metrics, Artifacts: artifacts}, runErr)
	return err
}

// trainAudit adapts the audit log to train.Audit.
type trainAudit struct{ l audit.Log }

var _ train.Audit = trainAudit{}

// Append writes e to the audit log.
func (t trainAudit) Append(ctx context.Context, e train.AuditEvent) error {
	_, err := t.l.Append(ctx, audit.Event{
		Time: e.Time, Actor: e.Actor, Action: e.Action,
		Subject:  audit.Subject{Model: e.Model, Version: e.Version, Run: e.Run},
		Reason:   e.Reason,
		Evidence: e.Evidence,
	})
	return err
}
