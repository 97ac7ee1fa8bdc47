package report

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"path"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/stewardml/steward/internal/approval"
	"github.com/stewardml/steward/internal/audit"
	"github.com/stewardml/steward/internal/bundle"
	"github.com/stewardml/steward/internal/drift"
	"github.com/stewardml/steward/internal/registry"
	"github.com/stewardml/steward/internal/store"
	"github.com/stewardml/steward/internal/train"
	"github.com/stewardml/steward/internal/validation"
)

// Registry is what reports read of the model registry;
// *registry.Registry implements it.
type Registry interface {
	// Version returns a version or an error wrapping registry.ErrNotFound.
	Version(ctx context.Context, model string, n int) (registry.Version, error)
	// History returns an alias's moves, oldest first.
	History(ctx context.Context, model, alias string) ([]registry.AliasMove, error)
}

// Approvals reads approval requests; *approval.Service implements it.
type Approvals interface {
	// Get returns a request or an error wrapping approval.ErrNotFound.
	Get(ctx context.Context, id string) (approval.Request, error)
}

// Loader reads report sources. Registry, Audit and Approvals are needed by
// deployment reports only; Approvals may be nil (approvals are then shown
// from the audit trail alone).
type Loader struct {
	Artifacts store.ArtifactStore
	Registry  Registry
	Audit     audit.Log
	Approvals Approvals
}

// Load reads the view model of ref: a *Training, *Drift or *Deployment.
func (l *Loader) Load(ctx context.Context, ref Ref) (any, error) {
	switch ref.Kind {
	case KindTraining:
		return l.Training(ctx, ref.ID)
	case KindDrift:
		return l.Drift(ctx, ref.Model, ref.ID)
	case KindDeployment:
		var seq int64
		if ref.ID != "" {
			n, err := strconv.ParseInt(ref.ID, 10, 64)
			if err != nil {
				return nil, fmt.Errorf("%w: deployment seq %q", ErrInvalid, ref.ID)
			}
			seq = n
		}
		return l.Deployment(ctx, ref.Model, seq)
	}
	return nil, fmt.Errorf("%w: kind %q", ErrInvalid, ref.Kind)
}

func (l *Loader) get(ctx context.Context, key, what string) ([]byte, store.ObjectInfo, error) {
	b, info, err := l.Artifacts.Get(ctx, key)
	switch {
	case errors.Is(err, store.ErrNotFound):
		return nil, info, fmt.Errorf("%w: %s %s", ErrNotFound, what, key)
	case errors.Is(err, store.ErrInvalid):
		return nil, info, fmt.Errorf("%w: %s key %q: %v", ErrInvalid, what, key, err)
	case err != nil:
		return nil, info, fmt.Errorf("report: read %s %s: %w", what, key, err)
	}
	return b, info, nil
}

// Bundle reads and decodes a model bundle.
func (l *Loader) Bundle(ctx context.Context, key string) (*bundle.Bundle, error) {
	data, _, err := l.get(ctx, key, "model bundle")
	if err != nil {
		return nil, err
	}
	b, err := bundle.Decode(data)
	if err != nil {
		return nil, fmt.Errorf("%w: %s: %v", ErrCorrupt, key, err)
	}
	return b, nil
}

// Training reads the training report of run id: its run record, its
// bundle and the latest validation result of its dataset.
func (l *Loader) Training(ctx context.Context, runID string) (*Training, error) {
	data, _, err := l.get(ctx, train.RecordKey(runID), "run record")
	if err != nil {
		return nil, err
	}
	var rec train.RunRecord
	if err := json.Unmarshal(data, &rec); err != nil {
		return nil, fmt.Errorf("%w: run record %s: %v", ErrCorrupt, runID, err)
	}
	t := &Training{
		RunID: rec.ID, Model: rec.Model, Status: rec.Status, Actor: rec.Actor, CodeVersion: rec.CodeVersion,
		StartedAt: rec.StartedAt.UTC(), Seconds: rec.Seconds, Metric: rec.Config.Metric,
		Folds: rec.Config.Folds, Repeats: rec.Config.Repeats, Threshold: rec.Config.Threshold,
		Winner: rec.Winner, Version: rec.Version, Alias: rec.Alias,
		BundleKey: rec.BundleKey, BundleDigest: rec.BundleDigest, Holdout: rec.Holdout,
	}
	t.Dataset.Digest = rec.DatasetDigest
	cands := rec.Candidates
	siblings, err := l.siblings(ctx, rec)
	if err != nil {
		return nil, err
	}
	for _, s := range siblings {
		for _, c := range s.Candidates {
			c.Selected = false // selected in its own run, not in the execution
			cands = append(cands, c)
		}
	}
	for _, c := range cands {
		st := c.CV[rec.Config.Metric]
		t.Candidates = append(t.Candidates, Candidate{
			ID: c.ID, Family: c.Family, Params: params(c.Params), Mean: st.Mean, Std: st.Std,
			CV: c.CV, Seconds: c.Seconds, Selected: c.Selected, Error: c.Error,
		})
		if c.ID == rec.Winner {
			t.Family = c.Family
		}
	}
	if rec.BundleKey != "" {
		b, err := l.Bundle(ctx, rec.BundleKey)
		if err != nil {
			return nil, err
		}
		m := b.Manifest
		t.Dataset, t.Importances, t.Threshold, t.Family = m.Dataset, m.Importances, m.Threshold, m.Family
		if b.Evaluation != nil {
			t.OutOfFold = b.Evaluation.OutOfFold
			if b.Evaluation.Holdout != nil {
				t.Holdout = b.Evaluation.Holdout
			}
		}
	}
	v, err := l.validation(ctx, t.Dataset.Digest)
	if err != nil {
		return nil, err
	}
	t.Validation = v
	return t, nil
}

// siblings returns the other runs of the workflow execution that trained
// rec: the retraining workflow trains one candidate per run (a Map
// state), so the report of the version it registered lists every
// candidate tried, from the audit log's train.succeed events of the
// execution (actor "workflow:{execution}"), on the same dataset.
func (l *Loader) siblings(ctx context.Context, rec train.RunRecord) ([]train.RunRecord, error) {
	if l.Audit == nil || !strings.HasPrefix(rec.Actor, "workflow:") || rec.StartedAt.IsZero() {
		return nil, nil
	}
	evs, err := l.Audit.List(ctx, audit.Filter{Model: rec.Model, From: rec.StartedAt.Add(-24 * time.Hour), To: rec.StartedAt.Add(24 * time.Hour)})
	if err != nil {
		return nil, fmt.Errorf("report: audit of %s: %w", rec.Model, err)
	}
	var out []train.RunRecord
	seen := map[string]bool{rec.ID: true}
	for _, ev := range evs {
		if ev.Action != train.ActionTrainEnd || ev.Actor != rec.Actor || ev.Run == "" || seen[ev.Run] {
			continue
		}
		seen[ev.Run] = true
		data, _, err := l.get(ctx, train.RecordKey(ev.Run), "run record")
		if err != nil {
			return nil, err
		}
		var s train.RunRecord
		if err := json.Unmarshal(data, &s); err != nil {
			return nil, fmt.Errorf("%w: run record %s: %v", ErrCorrupt, ev.Run, err)
		}
		if s.DatasetDigest == rec.DatasetDigest {
			out = append(out, s)
		}
	}
	return out, nil
}

// validation returns the newest stored validation result of a dataset.
func (l *Loader) validation(ctx context.Context, digest string) (*Validation, error) {
	if digest == "" {
		return nil, nil
	}
	objs, err := l.Artifacts.List(ctx, "validations/"+digest+"/")
	if err != nil {
		return nil, fmt.Errorf("report: list validations of %s: %w", digest, err)
	}
	var newest store.ObjectInfo
	for _, o := range objs {
		// Keys end in the run time (…/{suite}/{20060102T150405.000000Z}.json).
		if strings.HasSuffix(o.Key, ".json") && path.Base(o.Key) >= path.Base(newest.Key) {
			newest = o
		}
	}
	if newest.Key == "" {
		return nil, nil
	}
	data, _, err := l.get(ctx, newest.Key, "validation result")
	if err != nil {
		return nil, err
	}
	res, err := validation.ParseResult(data)
	if err != nil {
		return nil, fmt.Errorf("%w: validation result %s: %v", ErrCorrupt, newest.Key, err)
	}
	parts := strings.Split(newest.Key, "/")
	v := &Validation{
		Key: newest.Key, Suite: parts[len(parts)-2], RunTime: strings.TrimSuffix(parts[len(parts)-1], ".json"),
		Success: res.Success, Evaluated: res.Statistics.EvaluatedExpectations, Successful: res.Statistics.SuccessfulExpectations,
	}
	if name, ok := res.Meta.String("expectation_suite_name"); ok && name != "" {
		v.Suite = name
	}
	for _, f := range res.Failed() {
		d := f.Type()
		if c := f.Column(); c != "" {
			d += " (" + c + ")"
		}
		v.Failed = append(v.Failed, d)
	}
	return v, nil
}

// DriftKey returns the artifact key of a drift check's JSON report.
func DriftKey(model, id string) string { return "reports/drift/" + model + "/" + id + ".json" }

// DecodeDriftCheck reads a stored drift check: the monitor's document
// {"check": {checkId, model, version, at, ...}, "report": {...}}, or a bare
// drift.Report. Fields the document lacks keep the values of into.
func DecodeDriftCheck(data []byte, into *Drift) error {
	var doc struct {
		Check *struct {
			CheckID string    `json:"checkId"`
			Model   string    `json:"model"`
			Version int       `json:"version"`
			At      time.Time `json:"at"`
		} `json:"check"`
		Report json.RawMessage `json:"report"`
	}
	if err := json.Unmarshal(data, &doc); err != nil {
		return fmt.Errorf("%w: drift check: %v", ErrCorrupt, err)
	}
	body := data
	if len(doc.Report) > 0 {
		body = doc.Report
	}
	if c := doc.Check; c != nil {
		if c.CheckID != "" {
			into.ID = c.CheckID
		}
		if c.Model != "" {
			into.Model = c.Model
		}
		if c.Version > 0 {
			into.Version = c.Version
		}
		if !c.At.IsZero() {
			into.CheckedAt = c.At.UTC()
		}
	}
	rep := &drift.Report{}
	if err := json.Unmarshal(body, rep); err != nil {
		return fmt.Errorf("%w: drift report: %v", ErrCorrupt, err)
	}
	if rep.Verdict == "" {
		return fmt.Errorf("%w: drift report has no verdict", ErrCorrupt)
	}
	into.Report = rep
	return nil
}

// Drift reads the drift check id of model.
func (l *Loader) Drift(ctx context.Context, model, id string) (*Drift, error) {
	key := DriftKey(model, id)
	data, info, err := l.get(ctx, key, "drift report")
	if err != nil {
		return nil, err
	}
	d := &Drift{ID: id, Model: model, Key: key, CheckedAt: info.LastModified.UTC()}
	if err := DecodeDriftCheck(data, d); err != nil {
		return nil, fmt.Errorf("%s: %w", key, err)
	}
	return d, nil
}

// Deployment reads the seq-th move of model's champion alias (0: the
// latest), with the audit event that recorded it, its approval and both
// versions.
func (l *Loader) Deployment(ctx context.Context, model string, seq int64) (*Deployment, error) {
	hist, err := l.Registry.History(ctx, model, registry.Champion)
	if errors.Is(err, registry.ErrNotFound) {
		return nil, fmt.Errorf("%w: model %q", ErrNotFound, model)
	}
	if err != nil {
		return nil, fmt.Errorf("report: champion history of %s: %w", model, err)
	}
	var mv *registry.AliasMove
	for i := range hist {
		if hist[i].Seq == seq || seq == 0 && i == len(hist)-1 {
			mv = &hist[i]
		}
	}
	if mv == nil {
		if seq == 0 {
			return nil, fmt.Errorf("%w: %s has never had a champion", ErrNotFound, model)
		}
		return nil, fmt.Errorf("%w: %s champion move %d (there are %d)", ErrNotFound, model, seq, len(hist))
	}
	d := &Deployment{
		Model: model, Seq: mv.Seq, From: mv.From, To: mv.To, Actor: mv.Actor, Reason: mv.Reason, At: mv.At.UTC(),
		Kind: "promotion",
	}
	if mv.Kind == registry.KindRollback {
		d.Kind = "rollback"
	}
	if l.Audit != nil {
		if err := l.deploymentAudit(ctx, d); err != nil {
			return nil, err
		}
	}
	if d.New, err = l.version(ctx, model, mv.To); err != nil {
		return nil, err
	}
	if mv.From > 0 {
		if d.Old, err = l.version(ctx, model, mv.From); err != nil {
			return nil, err
		}
	}
	return d, nil
}

// deploymentAudit finds the audit event of the move (release writes one
// per move, with the alias and seq in its details) and the chain of its
// correlation id, and the approval it names.
func (l *Loader) deploymentAudit(ctx context.Context, d *Deployment) error {
	evs, err := l.Audit.List(ctx, audit.Filter{Model: d.Model, From: d.At.Add(-time.Minute), To: d.At.Add(time.Minute)})
	if err != nil {
		return fmt.Errorf("report: audit of %s: %w", d.Model, err)
	}
	var found *audit.Event
	for i, e := range evs {
		if e.Action != "model.promote" && e.Action != "model.rollback" {
			continue
		}
		var det struct {
			Alias   string `json:"alias"`
			Seq     int64  `json:"seq"`
			Context struct {
				Approval *struct {
					ApprovalID string `json:"approvalId"`
				} `json:"approval"`
			} `json:"context"`
		}
		_ = json.Unmarshal(e.Details, &det)
		if det.Seq == d.Seq && (det.Alias == "" || det.Alias == registry.Champion) {
			found = &evs[i]
			if a := det.Context.Approval; a != nil && a.ApprovalID != "" {
				d.Evidence = append(d.Evidence, "approval:"+a.ApprovalID)
			}
			break
		}
	}
	if found == nil {
		return nil
	}
	ev := append(append([]string(nil), found.Evidence...), d.Evidence...)
	d.Evidence = nil
	seen := map[string]bool{}
	for _, e := range ev {
		if !seen[e] {
			seen[e] = true
			d.Evidence = append(d.Evidence, e)
		}
	}
	d.CorrelationID, d.Execution = found.CorrelationID, found.Execution
	if found.Reason != "" {
		d.Reason = found.Reason
	}
	if d.CorrelationID != "" {
		all, err := l.Audit.List(ctx, audit.Filter{Model: d.Model})
		if err != nil {
			return fmt.Errorf("report: audit of %s: %w", d.Model, err)
		}
		for _, e := range all {
			if e.CorrelationID == d.CorrelationID {
				d.Chain = append(d.Chain, ChainEvent{Time: e.Time.UTC(), Actor: e.Actor, Action: e.Action, Reason: e.Reason})
			}
		}
	}
	if l.Approvals != nil {
		for _, ev := range d.Evidence {
			id, ok := strings.CutPrefix(ev, "approval:")
			if !ok {
				continue
			}
			r, err := l.Approvals.Get(ctx, id)
			if errors.Is(err, approval.ErrNotFound) {
				continue
			}
			if err != nil {
				return fmt.Errorf("report: approval %s: %w", id, err)
			}
			d.Approval = &r
			break
		}
	}
	return nil
}

// version summarises version n, with its hold-out report from the bundle.
func (l *Loader) version(ctx context.Context, model string, n int) (*VersionSummary, error) {
	v, err := l.Registry.Version(ctx, model, n)
	if errors.Is(err, registry.ErrNotFound) {
		return nil, fmt.Errorf("%w: %s version %d", ErrNotFound, model, n)
	}
	if err != nil {
		return nil, fmt.Errorf("report: %s version %d: %w", model, n, err)
	}
	s := &VersionSummary{
		Number: v.Number, Family: v.Family, CreatedAt: v.CreatedAt.UTC(), CreatedBy: v.CreatedBy,
		SourceRun: v.SourceRun, Dataset: v.DatasetDigest, Metrics: v.Metrics,
	}
	if v.BundleKey != "" {
		b, err := l.Bundle(ctx, v.BundleKey)
		if err != nil {
			return nil, err
		}
		if b.Evaluation != nil {
			s.Holdout = b.Evaluation.Holdout
		}
	}
	return s, nil
}

// params renders a search point as "k=v k=v" in key order.
func params(p map[string]any) string {
	keys := make([]string, 0, len(p))
	for k := range p {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = fmt.Sprintf("%s=%v", k, p[k])
	}
	if len(parts) == 0 {
		return "(defaults)"
	}
	return strings.Join(parts, " ")
}
