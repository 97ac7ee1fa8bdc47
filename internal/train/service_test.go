package train

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stewardml/steward/internal/bundle"
	"github.com/stewardml/steward/internal/dataset"
	"github.com/stewardml/steward/internal/store"
)

// memArtifacts is an in-memory Artifacts.
type memArtifacts struct {
	mu      sync.Mutex
	objects map[string][]byte
	puts    int
}

func (m *memArtifacts) Put(ctx context.Context, key string, body []byte, ct string) (store.ObjectInfo, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.objects == nil {
		m.objects = map[string][]byte{}
	}
	m.objects[key] = append([]byte(nil), body...)
	m.puts++
	return store.ObjectInfo{Key: key, Size: int64(len(body))}, nil
}

func (m *memArtifacts) Exists(ctx context.Context, key string) (bool, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	_, ok := m.objects[key]
	return ok, nil
}

// memRegistry is an in-memory Registry; beforeMove, when set, runs before
// each MoveAlias (to simulate a concurrent writer).
type memRegistry struct {
	mu         sync.Mutex
	versions   map[string][]NewVersion
	aliases    map[string]int
	moves      []string
	beforeMove func(r *memRegistry)
}

func (r *memRegistry) Register(ctx context.Context, v NewVersion) (int, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.versions == nil {
		r.versions = map[string][]NewVersion{}
	}
	r.versions[v.Model] = append(r.versions[v.Model], v)
	return len(r.versions[v.Model]), nil
}

func (r *memRegistry) Alias(ctx context.Context, model, alias string) (int, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.aliases[model+"@"+alias], nil
}

func (r *memRegistry) VersionWithBundle(ctx context.Context, model, digest string) (int, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for i, v := range r.versions[model] {
		if v.BundleDigest == digest {
			return i + 1, nil
		}
	}
	return 0, nil
}

func (r *memRegistry) MoveAlias(ctx context.Context, model, alias string, from, to int, actor, reason string) error {
	if r.beforeMove != nil {
		f := r.beforeMove
		r.beforeMove = nil
		f(r)
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.aliases == nil {
		r.aliases = map[string]int{}
	}
	if r.aliases[model+"@"+alias] != from {
		return fmt.Errorf("mem: %w", ErrConflict)
	}
	r.aliases[model+"@"+alias] = to
	r.moves = append(r.moves, fmt.Sprintf("%s %d->%d by %s", alias, from, to, actor))
	return nil
}

type memRuns struct {
	mu   sync.Mutex
	n    int
	runs map[string]*trackedRun
}

type trackedRun struct {
	start     RunStart
	status    string
	metrics   map[string]float64
	artifacts []string
	err       string
}

func (m *memRuns) StartRun(ctx context.Context, s RunStart) (string, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.runs == nil {
		m.runs = map[string]*trackedRun{}
	}
	m.n++
	id := fmt.Sprintf("run-%d", m.n)
	m.runs[id] = &trackedRun{start: s, status: StatusRunning}
	return id, nil
}

func (m *memRuns) FinishRun(ctx context.Context, id string, metrics map[string]float64, artifacts []string, runErr error) error {
	if err := ctx.Err(); err != nil { // as a real store would
		return err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	r, ok := m.runs[id]
	if !ok || r.status != StatusRunning {
		return fmt.Errorf("mem: run %s is not running", id)
	}
	r.status, r.metrics, r.artifacts = StatusSucceeded, metrics, artifacts
	if runErr != nil {
		r.status, r.err = StatusFailed, runErr.Error()
	}
	return nil
}

type memAudit struct {
	mu     sync.Mutex
	events []AuditEvent
}

func (m *memAudit) Append(ctx context.Context, e AuditEvent) error {
	if err := ctx.Err(); err != nil { // as a real store would
		return err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	m.events = append(m.events, e)
	return nil
}

func (m *memAudit) actions() string {
	var out []string
	for _, e := range m.events {
		out = append(out, e.Action)
	}
	return strings.Join(out, " ")
}

type fixture struct {
	svc   *Service
	art   *memArtifacts
	reg   *memRegistry
	runs  *memRuns
	audit *memAudit
}

func newFixture() *fixture {
	f := &fixture{art: &memArtifacts{}, reg: &memRegistry{}, runs: &memRuns{}, audit: &memAudit{}}
	clock := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	var mu sync.Mutex
	f.svc = &Service{
		Artifacts: f.art, Registry: f.reg, Runs: f.runs, Audit: f.audit,
		Now: func() time.Time {
			mu.Lock()
			defer mu.Unlock()
			clock = clock.Add(time.Second)
			return clock
		},
		Actor:       "test",
		CodeVersion: "v-test",
		Profile: func(in ProfileInput) ([]byte, error) {
			return []byte(fmt.Sprintf(`{"rows":%d}`, len(in.Rows))), nil
		},
	}
	return f
}

// smallConfig is a quick search: two families, 3 folds, one repeat.
func smallConfig(seed int64) Config {
	return Config{Seed: seed, Folds: 3, Repeats: 1, Families: []FamilySearch{
		{Family: "logreg", Params: map[string]any{"C": []any{0.1, 1.0}}},
		{Family: "gbdt", Params: map[string]any{"n_trees": 30, "max_depth": 2}},
	}}
}

func TestTrainRegistersChampionThenChallenger(t *testing.T) {
	f := newFixture()
	d := cleveland(t)
	ctx := context.Background()
	first, err := f.svc.Train(ctx, Request{Model: "heart", Data: d, Config: smallConfig(1)})
	if err != nil {
		t.Fatal(err)
	}
	if first.Version != 1 || first.Alias != AliasChampion || first.Status != StatusSucceeded {
		t.Errorf("first run: version %d alias %q status %s", first.Version, first.Alias, first.Status)
	}
	if _, ok := f.art.objects[first.BundleKey]; !ok || !strings.HasPrefix(first.BundleKey, bundle.KeyPrefix) {
		t.Fatalf("bundle %s not stored", first.BundleKey)
	}
	b, err := bundle.Decode(f.art.objects[first.BundleKey])
	if err != nil {
		t.Fatal(err)
	}
	if string(b.Profile) != fmt.Sprintf(`{"rows":%d}`, 303) || b.Manifest.CodeVersion != "v-test" || b.Manifest.Dataset.Digest != d.Digest {
		t.Errorf("bundle profile %s, code %s, dataset %s", b.Profile, b.Manifest.CodeVersion, b.Manifest.Dataset.Digest)
	}
	if len(first.Candidates) != 3 || first.Winner == "" || first.Metrics["cv_f1"] == 0 || first.Metrics["holdout_roc_auc"] == 0 {
		t.Errorf("run record candidates %d winner %q metrics %v", len(first.Candidates), first.Winner, first.Metrics)
	}
	tr := f.runs.runs[first.ID]
	if tr.status != StatusSucceeded || tr.start.DatasetDigest != d.Digest || tr.start.CodeVersion != "v-test" {
		t.Errorf("tracking run %+v", tr)
	}
	if tr.metrics["cv_f1"] != first.Metrics["cv_f1"] || tr.metrics["logreg-1.cv_roc_auc"] == 0 || tr.metrics["gbdt-1.cv_f1_std"] == 0 {
		t.Errorf("tracked metrics lack the candidates' scores: %d metrics", len(tr.metrics))
	}
	if fmt.Sprint(tr.artifacts) != fmt.Sprint([]string{first.BundleKey, RecordKey(first.ID), "datasets/sha256/" + d.Digest}) {
		t.Errorf("tracked artifacts %v", tr.artifacts)
	}
	if _, ok := tr.start.Params["families"]; !ok {
		t.Errorf("tracked params %v lack the search", tr.start.Params)
	}
	var saved RunRecord
	if err := json.Unmarshal(f.art.objects[RecordKey(first.ID)], &saved); err != nil {
		t.Fatal(err)
	}
	if saved.Version != 1 || saved.Alias != AliasChampion || len(saved.Candidates) != 3 || saved.Status != StatusSucceeded {
		t.Errorf("stored record: version %d alias %s candidates %d status %s", saved.Version, saved.Alias, len(saved.Candidates), saved.Status)
	}

	second, err := f.svc.Train(ctx, Request{Model: "heart", Data: d, Config: smallConfig(2)})
	if err != nil {
		t.Fatal(err)
	}
	if second.Version != 2 || second.Alias != AliasChallenger {
		t.Errorf("second run: version %d alias %q", second.Version, second.Alias)
	}
	if got, want := strings.Join(f.reg.moves, "; "), "champion 0->1 by test; challenger 0->2 by test"; got != want {
		t.Errorf("alias moves %q, want %q", got, want)
	}
	want := "train.start model.register alias.move train.succeed train.start model.register alias.move train.succeed"
	if got := f.audit.actions(); got != want {
		t.Errorf("audit %q, want %q", got, want)
	}
	if e := f.audit.events[0]; e.Actor != "test" || e.Model != "heart" || e.Run != first.ID || e.Time.IsZero() {
		t.Errorf("audit event %+v", f.audit.events[0])
	}
	v := f.reg.versions["heart"][0]
	if v.BundleDigest != first.BundleDigest || v.RunID != first.ID || v.DatasetDigest != d.Digest || v.Family == "" || len(v.Params) == 0 {
		t.Errorf("registered version %+v", v)
	}
}

func TestIdenticalBundleRegistersNothingUnlessForced(t *testing.T) {
	f := newFixture()
	d := cleveland(t)
	a, err := f.svc.Train(context.Background(), Request{Model: "heart", Data: d, Config: smallConfig(7)})
	if err != nil {
		t.Fatal(err)
	}
	b, err := f.svc.Train(context.Background(), Request{Model: "heart", Data: d, Config: smallConfig(7)})
	if err != nil {
		t.Fatal(err)
	}
	if a.BundleDigest != b.BundleDigest {
		t.Errorf("digests %s and %s", a.BundleDigest, b.BundleDigest)
	}
	if n := len(f.art.objects); n != 3 {
		t.Errorf("%d objects stored, want one bundle and two run records", n)
	}
	if a.Version != 1 || b.Version != 0 || b.SameAs != 1 || b.Status != StatusSucceeded {
		t.Errorf("identical second run: version %d, same as %d, status %s; want nothing registered, same as 1", b.Version, b.SameAs, b.Status)
	}
	if n := len(f.reg.versions["heart"]); n != 1 {
		t.Errorf("%d versions registered, want 1", n)
	}
	if got, want := f.audit.actions(), "train.start model.register alias.move train.succeed train.start model.register_skipped train.succeed"; got != want {
		t.Errorf("audit %q, want %q", got, want)
	}
	if tr := f.runs.runs[b.ID]; tr.status != StatusSucceeded {
		t.Errorf("the identical run's tracking run is %q, want it recorded as succeeded", tr.status)
	}

	c, err := f.svc.Train(context.Background(), Request{Model: "heart", Data: d, Config: smallConfig(7), Force: true})
	if err != nil {
		t.Fatal(err)
	}
	if c.Version != 2 || c.Alias != AliasChallenger || c.SameAs != 0 {
		t.Errorf("forced run: version %d alias %s same as %d, want version 2 challenger", c.Version, c.Alias, c.SameAs)
	}
}

func TestClaimRetriesALostCompareAndSet(t *testing.T) {
	f := newFixture()
	// Another trainer makes version 9 champion between our read and move.
	f.reg.beforeMove = func(r *memRegistry) {
		r.mu.Lock()
		defer r.mu.Unlock()
		r.aliases = map[string]int{"heart@champion": 9}
	}
	alias, err := f.svc.claim(context.Background(), "heart", 1)
	if err != nil {
		t.Fatal(err)
	}
	if alias != AliasChallenger || f.reg.aliases["heart@challenger"] != 1 || f.reg.aliases["heart@champion"] != 9 {
		t.Errorf("alias %s, aliases %v", alias, f.reg.aliases)
	}
}

func TestInterruptedRunIsRecordedAsCancelled(t *testing.T) {
	f := newFixture()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	rec, err := f.svc.Train(ctx, Request{Model: "heart", Data: cleveland(t), Config: smallConfig(1),
		Progress: func(p Progress) {
			if p.Stage == StageFold {
				cancel() // Ctrl-C during cross-validation
			}
		}})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v, want context.Canceled", err)
	}
	if rec.Status != StatusCancelled {
		t.Errorf("record status %q, want %q", rec.Status, StatusCancelled)
	}
	if got, want := f.audit.actions(), "train.start train.cancelled"; got != want {
		t.Errorf("audit %q, want %q", got, want)
	}
	if got := f.runs.runs[rec.ID]; got.status != StatusFailed {
		t.Errorf("tracking run still %q, want it ended", got.status)
	}
	if len(f.reg.versions["heart"]) != 0 {
		t.Error("an interrupted run registered a version")
	}
}

func TestFailedRunIsRecorded(t *testing.T) {
	f := newFixture()
	d := cleveland(t)
	// Every row positive: a single class.
	cols := make([][]float64, len(d.Frame.Cols))
	for j := range cols {
		cols[j] = append([]float64(nil), d.Frame.Cols[j]...)
	}
	for i := range cols[13] {
		cols[13][i] = 1
	}
	fr, err := dataset.NewFrame(d.Frame.Names, cols)
	if err != nil {
		t.Fatal(err)
	}
	rec, err := f.svc.Train(context.Background(), Request{Model: "heart", Data: Data{Schema: d.Schema, Frame: fr, Digest: "x"}, Config: smallConfig(1)})
	if !errors.Is(err, ErrInvalidData) {
		t.Fatalf("err = %v, want ErrInvalidData", err)
	}
	if rec.Status != StatusFailed || !strings.Contains(rec.Error, "single class") {
		t.Errorf("record status %s error %q", rec.Status, rec.Error)
	}
	if got := f.runs.runs[rec.ID]; got.status != StatusFailed || !strings.Contains(got.err, "single class") {
		t.Errorf("tracking run %+v", got)
	}
	if got := f.audit.actions(); got != "train.start train.fail" {
		t.Errorf("audit %q", got)
	}
	if len(f.reg.versions) != 0 || len(f.art.objects) != 1 || f.art.objects[RecordKey(rec.ID)] == nil {
		t.Errorf("a failed run registered a version or stored more than its record: %d objects", len(f.art.objects))
	}
}

// TestCandidateRunMatchesTheFullSearch: a candidate trained on its own (the
// distributed search's unit of work) scores exactly as in the full search,
// and its bundle is the same bundle when it is the winner.
func TestCandidateRunMatchesTheFullSearch(t *testing.T) {
	f := newFixture()
	d := cleveland(t)
	ctx := context.Background()
	full, err := f.svc.Train(ctx, Request{Model: "heart", Data: d, Config: smallConfig(3)})
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range full.Candidates {
		cfg := smallConfig(3)
		cfg.Families = []FamilySearch{{Family: c.Family, Params: c.Params}}
		one, err := f.svc.TrainCandidate(ctx, Request{Model: "heart", Data: d, Config: cfg}, c.ID)
		if err != nil {
			t.Fatal(err)
		}
		got := one.Candidates[0]
		if got.ID != c.ID || fmt.Sprint(got.Folds) != fmt.Sprint(c.Folds) || got.CV["roc_auc"] != c.CV["roc_auc"] {
			t.Errorf("%s alone: %s folds %v, in the search %v", c.ID, got.ID, got.Folds, c.Folds)
		}
		if c.Selected && one.BundleDigest != full.BundleDigest {
			t.Errorf("winner %s alone has bundle %s, in the search %s", c.ID, one.BundleDigest, full.BundleDigest)
		}
		if one.Version != 0 || one.Alias != "" {
			t.Errorf("a candidate run registered version %d alias %q", one.Version, one.Alias)
		}
	}
	cfg := smallConfig(3)
	if _, err := f.svc.TrainCandidate(ctx, Request{Model: "heart", Data: d, Config: cfg}, "x"); !errors.Is(err, ErrInvalidConfig) {
		t.Errorf("a three-candidate config: err = %v, want ErrInvalidConfig", err)
	}
}

func TestOutOfFoldProbabilitiesAreHonest(t *testing.T) {
	d := cleveland(t)
	res, err := Run(context.Background(), d, smallConfig(1), Options{})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.OutOfFoldProb) != res.TrainRows || len(res.Train) != res.TrainRows || len(res.HonestProb) != res.Rows {
		t.Fatalf("%d out-of-fold probabilities, %d train rows, %d honest probabilities", len(res.OutOfFoldProb), res.TrainRows, len(res.HonestProb))
	}
	for i, p := range res.HonestProb {
		if !(p > 0 && p < 1) {
			t.Fatalf("row %d: honest probability %v", i, p)
		}
	}
	for i, p := range res.OutOfFoldProb {
		if !(p > 0 && p < 1) || math.IsNaN(p) {
			t.Fatalf("row %d: out-of-fold probability %v", i, p)
		}
	}
	if math.Abs(res.OutOfFold.Metrics.ROCAUC-res.Best().CV["roc_auc"].Mean) > 0.05 {
		t.Errorf("out-of-fold AUC %v far from the CV mean %v", res.OutOfFold.Metrics.ROCAUC, res.Best().CV["roc_auc"].Mean)
	}
}

// TestDistributedSearchRegistersTheWinner walks the retraining workflow's
// path: plan, one candidate run each (results through JSON, as Step
// Functions passes them), Select, Register. It ends where a full search
// ends: the same winner, the same bundle, version 1 as champion.
func TestDistributedSearchRegistersTheWinner(t *testing.T) {
	d := cleveland(t)
	ctx := context.Background()
	full, err := newFixture().svc.Train(ctx, Request{Model: "heart", Data: d, Config: smallConfig(5)})
	if err != nil {
		t.Fatal(err)
	}
	f := newFixture()
	plan, err := smallConfig(5).Plan()
	if err != nil {
		t.Fatal(err)
	}
	var recs []RunRecord
	var scored []Scored
	for _, c := range plan {
		cfg := smallConfig(5)
		cfg.Families = []FamilySearch{{Family: c.Family, Params: c.Params}}
		rec, err := f.svc.TrainCandidate(ctx, Request{Model: "heart", Data: d, Config: cfg}, c.ID)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := json.Marshal(rec)
		var back RunRecord
		if err := json.Unmarshal(b, &back); err != nil {
			t.Fatal(err)
		}
		recs = append(recs, back)
		scored = append(scored, back.Candidates[0])
	}
	win, err := Select(scored, "f1", DefaultTieTolerance)
	if err != nil {
		t.Fatal(err)
	}
	if scored[win].ID != full.Winner {
		t.Errorf("distributed winner %s, full search %s", scored[win].ID, full.Winner)
	}
	rec, err := f.svc.Register(ctx, recs[win])
	if err != nil {
		t.Fatal(err)
	}
	if rec.Version != 1 || rec.Alias != AliasChampion || rec.BundleDigest != full.BundleDigest {
		t.Errorf("registered version %d alias %s digest %s (full search %s)", rec.Version, rec.Alias, rec.BundleDigest, full.BundleDigest)
	}
	if _, err := f.svc.Register(ctx, rec); !errors.Is(err, ErrInvalidConfig) {
		t.Errorf("registering twice: %v", err)
	}
	if _, err := Select(nil, "f1", 0); !errors.Is(err, ErrTrainingFailed) {
		t.Errorf("Select(nil) = %v, want ErrTrainingFailed", err)
	}
}

// TestDigestDoesNotDependOnParallelism: one worker or several, the same
// folds, scores and bundle.
func TestDigestDoesNotDependOnParallelism(t *testing.T) {
	d := cleveland(t)
	var digests []string
	for _, par := range []int{1, 3} {
		cfg := smallConfig(9)
		cfg.Families = append(cfg.Families, FamilySearch{Family: "forest", Params: map[string]any{"n_trees": 30}})
		cfg.Parallel = par
		rec, err := newFixture().svc.Train(context.Background(), Request{Model: "heart", Data: d, Config: cfg})
		if err != nil {
			t.Fatal(err)
		}
		digests = append(digests, rec.BundleDigest+" "+rec.Winner+fmt.Sprint(rec.Candidates[3].Folds))
	}
	if digests[0] != digests[1] {
		t.Errorf("parallel 1 and 3 differ:\n%s\n%s", digests[0], digests[1])
	}
}
