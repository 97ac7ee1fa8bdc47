package modelimport

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/stewardml/steward/internal/bundle"
	"github.com/stewardml/steward/internal/ml"
	"github.com/stewardml/steward/internal/ml/eval"
	"github.com/stewardml/steward/internal/ml/lightgbm"
	"github.com/stewardml/steward/internal/ml/preprocess"
	"github.com/stewardml/steward/internal/ml/xgboost"
	"github.com/stewardml/steward/internal/train"
	"github.com/stewardml/steward/internal/validation"
)

// Errors, checked with errors.Is. Each import error is one line.
var (
	// ErrModel marks a model file that cannot be imported: not a model, a
	// broken one, or one that uses what Steward cannot serve.
	ErrModel = errors.New("modelimport: the model cannot be imported")
	// ErrFeatures marks a model whose inputs disagree with the schema.
	ErrFeatures = errors.New("modelimport: the model's features do not match the schema")
	// ErrReference marks reference data that fails the project's suite or
	// cannot be scored.
	ErrReference = errors.New("modelimport: bad reference data")
)

// Formats a model file may be given in; "" means detect from the content.
const (
	FormatXGBoostJSON   = string(xgboost.FormatJSON)
	FormatXGBoostUBJSON = string(xgboost.FormatUBJSON)
	FormatLightGBM      = "lightgbm"
)

// ActionImport is the audit action of an import.
const ActionImport = "model.import"

// Provenance records where an imported model came from; it is the
// version's parameters and the bundle's.
type Provenance struct {
	Imported       bool   `json:"imported"`
	Library        string `json:"library"`
	LibraryVersion string `json:"library_version"`
	Format         string `json:"format"`
	Objective      string `json:"objective"`
	FileSHA256     string `json:"file_sha256"`
	FileBytes      int    `json:"file_bytes"`
	Trees          int    `json:"trees"`
	ImportedBy     string `json:"imported_by"`
	Reason         string `json:"reason,omitempty"`
}

// Request is one import.
type Request struct {
	// Model is the registered model name.
	Model string
	// File is the model file; Format its format ("" to detect).
	File   []byte
	Format string
	// Reference is the data the model was trained on (or a sample), read
	// with the project's schema, target included; its digest is the
	// stored dataset's.
	Reference train.Data
	// Suite validates the reference; nil skips validation.
	Suite *validation.Suite
	// Threshold is the probability at or above which the label is 1
	// (0 means 0.5); Seed seeds the profile's sampling.
	Threshold float64
	Seed      int64
	// As names who imports (default: the service's actor); Reason says why.
	As, Reason string
}

// Result is what an import registered.
type Result struct {
	Model        string     `json:"model"`
	Version      int        `json:"version"`
	Alias        string     `json:"alias"`
	BundleKey    string     `json:"bundle_key"`
	BundleDigest string     `json:"bundle_digest"`
	Provenance   Provenance `json:"provenance"`
	// Reference are the model's metrics on the reference data.
	Reference eval.Metrics `json:"reference"`
}

// Service imports models with the ports a training run uses.
type Service struct {
	Artifacts train.Artifacts
	Registry  train.Registry
	Audit     train.Audit
	// Runs, when set, records the import as a tracking run whose run
	// record (one candidate, "imported", scored on the reference data) the
	// training report reads; the version names it as its source.
	Runs train.Runs
	// Now reads the clock; nil means time.Now.
	Now func() time.Time
	// Actor names the caller ("cli", ...).
	Actor string
	// CodeVersion is recorded in the bundle.
	CodeVersion string
}

// Read decodes a model file as an XGBoost binary classifier; format ""
// detects it from the content. Errors wrap ErrModel and name what is wrong
// or unsupported.
func Read(file []byte, format string) (*xgboost.Classifier, Provenance, error) {
	var f xgboost.Format
	switch format {
	case "":
		if lightgbm.Detect(file) {
			format = FormatLightGBM
			break
		}
		d, err := xgboost.Detect(file)
		if err != nil {
			return nil, Provenance{}, fmt.Errorf("%w: %w", ErrModel, err)
		}
		f = d
	case FormatXGBoostJSON, FormatXGBoostUBJSON:
		f = xgboost.Format(format)
	case FormatLightGBM:
	default:
		return nil, Provenance{}, fmt.Errorf("%w: format %q (want %s, %s or %s)", ErrModel, format, FormatXGBoostJSON, FormatXGBoostUBJSON, FormatLightGBM)
	}
	if format == FormatLightGBM {
		if _, err := lightgbm.Read(file); err != nil {
			return nil, Provenance{}, fmt.Errorf("%w: %w", ErrModel, err)
		}
		return nil, Provenance{}, fmt.Errorf("%w: LightGBM models are read but cannot be served yet; import an XGBoost model", ErrModel)
	}
	m, err := xgboost.ReadFormat(file, f)
	if err != nil {
		return nil, Provenance{}, fmt.Errorf("%w: %w", ErrModel, err)
	}
	c, err := xgboost.NewClassifier(m, file)
	if err != nil {
		return nil, Provenance{}, fmt.Errorf("%w: %w", ErrModel, err)
	}
	sum := sha256.Sum256(file)
	p := Provenance{
		Imported: true, Library: "xgboost",
		LibraryVersion: fmt.Sprintf("%d.%d.%d", m.Version[0], m.Version[1], m.Version[2]),
		Format:         string(f), Objective: m.Objective,
		FileSHA256: hex.EncodeToString(sum[:]), FileBytes: len(file), Trees: m.NumTrees(),
	}
	return c, p, nil
}

// Features returns what an XGBoost model says about its inputs: the
// feature types it records, or, without them, the features its trees
// split on as categories (when there are any).
func Features(m *xgboost.Model) ModelFeatures {
	out := ModelFeatures{Count: m.NumFeature, Names: m.FeatureNames}
	switch {
	case m.FeatureTypes != nil:
		out.Categorical = make([]bool, len(m.FeatureTypes))
		for i, t := range m.FeatureTypes {
			out.Categorical[i] = t == "c"
		}
	case m.HasCategoricalSplits():
		out.Categorical = make([]bool, m.NumFeature)
		for _, j := range m.CategoricalFeatures() {
			out.Categorical[j] = true
		}
	}
	return out
}

// Import reads, checks, bundles and registers the model. Nothing is stored
// or registered when a check fails.
func (s *Service) Import(ctx context.Context, req Request) (Result, error) {
	res := Result{Model: req.Model}
	if req.Model == "" {
		return res, fmt.Errorf("%w: no model name", ErrModel)
	}
	c, prov, err := Read(req.File, req.Format)
	if err != nil {
		return res, err
	}
	prov.ImportedBy, prov.Reason = s.Actor, req.Reason
	if req.As != "" {
		prov.ImportedBy = req.As
	}
	res.Provenance = prov
	d := req.Reference
	feats := d.Schema.Features()
	if err := CheckFeatures(feats, Features(c.Booster())); err != nil {
		return res, err
	}
	if req.Suite != nil {
		vr := validation.Validate(req.Suite, d.Frame, validation.Options{})
		if !vr.Success {
			return res, fmt.Errorf("%w: the project's suite fails: %s", ErrReference, validation.Summarize(vr))
		}
	}
	threshold := req.Threshold
	if threshold == 0 {
		threshold = 0.5
	}
	b, metrics, err := s.bundle(req, c, prov, threshold)
	if err != nil {
		return res, err
	}
	res.Reference = metrics
	// the bundle must load and score as the classifier does
	pred, err := bundle.Load(b)
	if err != nil {
		return res, fmt.Errorf("modelimport: the bundle does not load: %w", err)
	}
	if pred.Model().Family() != xgboost.Name {
		return res, fmt.Errorf("modelimport: the bundle loads as %s", pred.Model().Family())
	}
	digest, err := b.Digest()
	if err != nil {
		return res, err
	}
	key := bundle.Key(digest)
	if same, err := s.Registry.VersionWithBundle(ctx, req.Model, digest); err != nil {
		return res, fmt.Errorf("modelimport: look up bundle %s: %w", digest, err)
	} else if same != 0 {
		return res, fmt.Errorf("%w: it is already version %d of %s (the same file, reference and settings)", ErrModel, same, req.Model)
	}
	if ok, err := s.Artifacts.Exists(ctx, key); err != nil {
		return res, fmt.Errorf("modelimport: look up bundle %s: %w", key, err)
	} else if !ok {
		data, err := b.Encode()
		if err != nil {
			return res, err
		}
		if _, err := s.Artifacts.Put(ctx, key, data, "application/x-tar"); err != nil {
			return res, fmt.Errorf("modelimport: store bundle %s: %w", key, err)
		}
	}
	res.BundleKey, res.BundleDigest = key, digest
	params, _ := json.Marshal(prov)
	run, err := s.startRun(ctx, req, prov, threshold)
	if err != nil {
		return res, err
	}
	n, err := s.Registry.Register(ctx, train.NewVersion{
		Model: req.Model, BundleKey: key, BundleDigest: digest, DatasetDigest: d.Digest,
		Family: xgboost.Name, Params: params, Metrics: prefixed("reference_", metrics.Map()),
		RunID: run.ID, CreatedBy: prov.ImportedBy,
	})
	if err != nil {
		return res, s.failRun(ctx, run, fmt.Errorf("modelimport: register %s: %w", req.Model, err))
	}
	res.Version = n
	why := fmt.Sprintf("imported %s %s model (%s, %d trees, file sha256 %s)", prov.Library, prov.LibraryVersion, prov.Objective, prov.Trees, prov.FileSHA256)
	if prov.Reason != "" {
		why += ": " + prov.Reason
	}
	if err := s.audit(ctx, train.AuditEvent{Action: ActionImport, Actor: prov.ImportedBy, Model: req.Model, Version: n, Reason: why, Evidence: []string{key}}); err != nil {
		return res, err
	}
	if res.Alias, err = s.claim(ctx, req.Model, n, prov.ImportedBy); err != nil {
		return res, s.failRun(ctx, run, err)
	}
	return res, s.finishRun(ctx, run, res, params)
}

// startRun opens the tracking run of an import; without Runs it returns a
// record with no ID and records nothing.
func (s *Service) startRun(ctx context.Context, req Request, prov Provenance, threshold float64) (train.RunRecord, error) {
	none := 0.0
	rec := train.RunRecord{
		Model: req.Model, Status: train.StatusRunning, StartedAt: s.now().UTC(), CodeVersion: s.CodeVersion,
		DatasetDigest: req.Reference.Digest, Actor: prov.ImportedBy,
		Config: train.Config{Seed: req.Seed, Metric: train.DefaultMetric, Threshold: threshold, Holdout: &none},
	}
	if s.Runs == nil {
		return rec, nil
	}
	id, err := s.Runs.StartRun(ctx, train.RunStart{Model: req.Model, DatasetDigest: req.Reference.Digest, CodeVersion: s.CodeVersion,
		Params: map[string]any{"imported": true, "library": prov.Library, "library_version": prov.LibraryVersion,
			"objective": prov.Objective, "file_sha256": prov.FileSHA256, "actor": prov.ImportedBy}})
	if err != nil {
		return rec, fmt.Errorf("modelimport: start run: %w", err)
	}
	rec.ID = id
	return rec, nil
}

// finishRun stores the import's run record and ends its tracking run.
func (s *Service) finishRun(ctx context.Context, rec train.RunRecord, res Result, params []byte) error {
	if rec.ID == "" {
		return nil
	}
	stats := map[string]eval.Stat{}
	for name, v := range res.Reference.Map() {
		stats[name] = eval.Stat{Mean: v}
	}
	rec.Status, rec.FinishedAt = train.StatusSucceeded, s.now().UTC()
	rec.Seconds = rec.FinishedAt.Sub(rec.StartedAt).Seconds()
	rec.Candidates = []train.Scored{{Candidate: train.Candidate{ID: "imported", Family: xgboost.Name,
		Params: map[string]any{"file_sha256": res.Provenance.FileSHA256, "objective": res.Provenance.Objective}, Effective: params},
		CV: stats, Selected: true}}
	rec.Winner, rec.Metrics = "imported", prefixed("reference_", res.Reference.Map())
	rec.BundleKey, rec.BundleDigest, rec.Version, rec.Alias = res.BundleKey, res.BundleDigest, res.Version, res.Alias
	b, err := json.MarshalIndent(rec, "", "  ")
	if err != nil {
		return err
	}
	if _, err := s.Artifacts.Put(ctx, train.RecordKey(rec.ID), b, "application/json"); err != nil {
		return fmt.Errorf("modelimport: store run record: %w", err)
	}
	if err := s.Runs.FinishRun(ctx, rec.ID, rec.Metrics, []string{rec.BundleKey, train.RecordKey(rec.ID)}, nil); err != nil {
		return fmt.Errorf("modelimport: finish run %s: %w", rec.ID, err)
	}
	return nil
}

// failRun ends the tracking run as failed and returns err.
func (s *Service) failRun(ctx context.Context, rec train.RunRecord, err error) error {
	if rec.ID != "" {
		_ = s.Runs.FinishRun(ctx, rec.ID, nil, nil, err)
	}
	return err
}

// bundle scores the reference and assembles the bundle.
func (s *Service) bundle(req Request, c *xgboost.Classifier, prov Provenance, threshold float64) (*bundle.Bundle, eval.Metrics, error) {
	d := req.Reference
	feats := d.Schema.Features()
	X, err := d.Frame.Matrix(d.Schema.FeatureNames())
	if err != nil {
		return nil, eval.Metrics{}, fmt.Errorf("%w: %w", ErrReference, err)
	}
	y, err := d.Schema.Target.Labels(d.Frame)
	if err != nil {
		return nil, eval.Metrics{}, fmt.Errorf("%w: %w", ErrReference, err)
	}
	pipe, err := preprocess.Fit(feats, ml.Matrix(X), preprocess.Options{KeepMissing: true})
	if err != nil {
		return nil, eval.Metrics{}, fmt.Errorf("%w: %w", ErrReference, err)
	}
	prob := make([]float64, X.Rows)
	c.PredictProba(ml.Matrix(X), prob)
	report, err := eval.NewReport(y, prob, threshold, eval.DefaultCurvePoints, eval.DefaultCalibrationBins)
	if err != nil {
		return nil, eval.Metrics{}, fmt.Errorf("%w: %w", ErrReference, err)
	}
	m := report.Metrics
	stats := map[string]eval.Stat{}
	for name, v := range m.Map() {
		stats[name] = eval.Stat{Mean: v}
	}
	rows := make([]int, X.Rows)
	for i := range rows {
		rows[i] = i
	}
	profile, err := train.DriftProfile(train.ProfileInput{Data: d, Rows: rows, Prob: prob, CV: stats, Threshold: threshold, Seed: req.Seed})
	if err != nil {
		return nil, eval.Metrics{}, fmt.Errorf("%w: %w", ErrReference, err)
	}
	params, err := json.Marshal(prov)
	if err != nil {
		return nil, eval.Metrics{}, err
	}
	positives := 0
	for _, v := range y {
		positives += int(v)
	}
	man := bundle.Manifest{
		Model: req.Model, Family: xgboost.Name, Params: params, Candidate: "imported",
		Schema: bundle.Schema{
			Features: feats, Columns: d.Schema.Names(), Target: d.Schema.Target, Missing: d.Schema.MissingMarkers(),
		},
		Preprocess: pipe, Threshold: threshold,
		Metrics:     bundle.Metrics{Selection: "reference", CV: stats},
		Dataset:     bundle.Dataset{Digest: d.Digest, Rows: X.Rows, Positives: positives, TrainRows: X.Rows},
		CodeVersion: s.CodeVersion, Seed: req.Seed,
		Training: bundle.Training{StartedAt: s.now().UTC()},
	}
	for j, v := range c.FeatureImportances() {
		man.Importances = append(man.Importances, bundle.Importance{Feature: feats[j].Name, Importance: v})
	}
	payload, _ := c.MarshalBinary()
	return &bundle.Bundle{Manifest: man, Model: payload, Profile: profile, Evaluation: &bundle.Evaluation{OutOfFold: &report}}, m, nil
}

// claim makes version n the champion when the model has none, else the
// challenger, by compare-and-set, retrying a lost race.
func (s *Service) claim(ctx context.Context, model string, n int, actor string) (string, error) {
	for range 5 {
		champ, err := s.Registry.Alias(ctx, model, train.AliasChampion)
		if err != nil {
			return "", fmt.Errorf("modelimport: read %s@%s: %w", model, train.AliasChampion, err)
		}
		alias, from, reason := train.AliasChampion, 0, "first version of the model (imported)"
		if champ != 0 {
			alias, reason = train.AliasChallenger, fmt.Sprintf("imported model against champion version %d", champ)
			if from, err = s.Registry.Alias(ctx, model, train.AliasChallenger); err != nil {
				return "", fmt.Errorf("modelimport: read %s@%s: %w", model, train.AliasChallenger, err)
			}
		}
		err = s.Registry.MoveAlias(ctx, model, alias, from, n, actor, reason)
		if errors.Is(err, train.ErrConflict) {
			continue
		}
		if err != nil {
			return "", fmt.Errorf("modelimport: move %s@%s to %d: %w", model, alias, n, err)
		}
		return alias, s.audit(ctx, train.AuditEvent{Action: train.ActionAliasMove, Actor: actor, Model: model, Version: n,
			Reason: fmt.Sprintf("%s: %d -> %d (%s)", alias, from, n, reason)})
	}
	return "", fmt.Errorf("modelimport: move an alias of %s to %d: %w (5 attempts)", model, n, train.ErrConflict)
}

func (s *Service) now() time.Time {
	if s.Now == nil {
		return time.Now()
	}
	return s.Now()
}

func (s *Service) audit(ctx context.Context, e train.AuditEvent) error {
	if s.Audit == nil {
		return nil
	}
	e.Time = s.now().UTC()
	if e.Actor == "" {
		e.Actor = s.Actor
	}
	if err := s.Audit.Append(ctx, e); err != nil {
		return fmt.Errorf("modelimport: audit %s: %w", e.Action, err)
	}
	return nil
}

// prefixed returns m with every key prefixed.
func prefixed(prefix string, m map[string]float64) map[string]float64 {
	out := make(map[string]float64, len(m))
	for k, v := range m {
		out[prefix+k] = v
	}
	return out
}
