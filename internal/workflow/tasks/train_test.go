package tasks

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-lambda-go/lambda/messages"

	"github.com/stewardml/steward/internal/bundle"
	"github.com/stewardml/steward/internal/config"
	"github.com/stewardml/steward/internal/dataset"
	"github.com/stewardml/steward/internal/lambdaerr"
	"github.com/stewardml/steward/internal/local/files"
	"github.com/stewardml/steward/internal/store"
	"github.com/stewardml/steward/internal/train"
)

const trainEvents = "../../../testdata/events/train"

// fakeRegistry, runs and audit are in-memory fakes of the service's ports.
type fakeRegistry struct {
	mu       sync.Mutex
	versions []train.NewVersion
	aliases  map[string]int
	conflict bool // MoveAlias always loses
}

func (r *fakeRegistry) Register(ctx context.Context, v train.NewVersion) (int, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.versions = append(r.versions, v)
	return len(r.versions), nil
}

func (r *fakeRegistry) Alias(ctx context.Context, model, alias string) (int, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.aliases[alias], nil
}

func (r *fakeRegistry) VersionWithBundle(ctx context.Context, model, digest string) (int, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for i, v := range r.versions {
		if v.Model == model && v.BundleDigest == digest {
			return i + 1, nil
		}
	}
	return 0, nil
}

func (r *fakeRegistry) MoveAlias(ctx context.Context, model, alias string, from, to int, actor, reason string) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.conflict || r.aliases[alias] != from {
		return fmt.Errorf("fake: %w", train.ErrConflict)
	}
	r.aliases[alias] = to
	return nil
}

type runs struct {
	mu     sync.Mutex
	n      int
	status map[string]string
}

func (r *runs) StartRun(ctx context.Context, s train.RunStart) (string, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.n++
	id := fmt.Sprintf("run-%d", r.n)
	r.status[id] = train.StatusRunning
	return id, nil
}

func (r *runs) FinishRun(ctx context.Context, id string, metrics map[string]float64, artifacts []string, runErr error) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.status[id] = train.StatusSucceeded
	if runErr != nil {
		r.status[id] = train.StatusFailed
	}
	return nil
}

type fakeAudit struct {
	mu     sync.Mutex
	events []train.AuditEvent
}

func (a *fakeAudit) Append(ctx context.Context, e train.AuditEvent) error {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.events = append(a.events, e)
	return nil
}

type trainHarness struct {
	h     *Train
	arts  store.ArtifactStore
	reg   *fakeRegistry
	runs  *runs
	audit *fakeAudit
}

// newTrainHarness loads the project's steward.yaml, stores the bundled
// Cleveland data in a directory-backed artifact store, and builds the
// handler over in-memory fakeRegistry, runs and audit.
func newTrainHarness(t *testing.T) *trainHarness {
	t.Helper()
	p, err := config.Load("../../../steward.yaml")
	if err != nil {
		t.Fatal(err)
	}
	arts, err := files.New(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	raw, err := os.ReadFile(p.DataPath())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := dataset.Store(context.Background(), arts, raw); err != nil {
		t.Fatal(err)
	}
	hs := &trainHarness{arts: arts, reg: &fakeRegistry{aliases: map[string]int{}}, runs: &runs{status: map[string]string{}}, audit: &fakeAudit{}}
	hs.h = &Train{
		Project:   p,
		Artifacts: arts,
		Service: &train.Service{
			Artifacts: arts, Registry: hs.reg, Runs: hs.runs, Audit: hs.audit,
			Now:         func() time.Time { return time.Date(2026, 5, 1, 0, 0, 0, 0, time.UTC) },
			Actor:       "lambda:train",
			CodeVersion: "test",
		},
	}
	return hs
}

// invoke sends the event file through Lambda's real JSON path.
func (hs *trainHarness) invoke(t *testing.T, name string) ([]byte, error) {
	t.Helper()
	payload, err := os.ReadFile(filepath.Join(trainEvents, name))
	if err != nil {
		t.Fatal(err)
	}
	return hs.invokeBytes(payload)
}

// forceEvent returns the event in name with "force": true.
func forceEvent(t *testing.T, name string) []byte {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join(trainEvents, name))
	if err != nil {
		t.Fatal(err)
	}
	var ev map[string]any
	if err := json.Unmarshal(raw, &ev); err != nil {
		t.Fatal(err)
	}
	ev["force"] = true
	out, err := json.Marshal(ev)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func (hs *trainHarness) invokeBytes(payload []byte) ([]byte, error) {
	return lambda.NewHandler(hs.h).Invoke(context.Background(), payload)
}

func TestTrainEventRegistersAVersion(t *testing.T) {
	if testing.Short() {
		t.Skip("trains the project's full default search")
	}
	hs := newTrainHarness(t)
	out, err := hs.invoke(t, "train.json")
	if err != nil {
		t.Fatal(err)
	}
	var rec train.RunRecord
	if err := json.Unmarshal(out, &rec); err != nil {
		t.Fatal(err)
	}
	if rec.Status != train.StatusSucceeded || rec.Version != 1 || rec.Alias != train.AliasChampion {
		t.Errorf("run %s: status %s version %d alias %s", rec.ID, rec.Status, rec.Version, rec.Alias)
	}
	if len(rec.Candidates) != 12 || rec.Config.Metric != "f1" || rec.Holdout == nil {
		t.Errorf("%d candidates, metric %s, hold-out %v", len(rec.Candidates), rec.Config.Metric, rec.Holdout != nil)
	}
	data, _, err := hs.arts.Get(context.Background(), rec.BundleKey)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := bundle.Open(data); err != nil {
		t.Errorf("stored bundle does not open: %v", err)
	}
	if rec.DatasetDigest != "a74b7efa387bc9d108d7d0115d831fe9b414b29ae7124f331b622b4efa0427c8" {
		t.Errorf("dataset digest %s", rec.DatasetDigest)
	}
}

func TestPlanThenCandidateThroughJSON(t *testing.T) {
	hs := newTrainHarness(t)
	out, err := hs.invoke(t, "plan.json")
	if err != nil {
		t.Fatal(err)
	}
	var plan PlanResult
	if err := json.Unmarshal(out, &plan); err != nil {
		t.Fatal(err)
	}
	if len(plan.Candidates) != 12 || plan.Metric != "f1" || plan.Dataset.Digest == "" {
		t.Fatalf("plan: %d candidates, metric %s, dataset %+v", len(plan.Candidates), plan.Metric, plan.Dataset)
	}
	var gb Candidate
	for _, c := range plan.Candidates {
		if c.ID == "gbdt-2" {
			gb = c
		}
	}
	// The sample candidate event carries exactly what plan lists.
	var sample TrainEvent
	b, _ := os.ReadFile(filepath.Join(trainEvents, "candidate.json"))
	if err := json.Unmarshal(b, &sample); err != nil {
		t.Fatal(err)
	}
	if fmt.Sprint(sample.Candidate.Params) != fmt.Sprint(gb.Params) {
		t.Errorf("sample candidate %v, plan lists %v", sample.Candidate.Params, gb.Params)
	}

	out, err = hs.invoke(t, "candidate.json")
	if err != nil {
		t.Fatal(err)
	}
	var res CandidateResult
	if err := json.Unmarshal(out, &res); err != nil {
		t.Fatal(err)
	}
	if res.Index != 9 || res.Metric != "f1" || res.Score < 0.8 || res.Version != 0 || res.BundleKey == "" {
		t.Errorf("candidate result: index %d metric %s score %v version %d bundle %q", res.Index, res.Metric, res.Score, res.Version, res.BundleKey)
	}
	if len(res.Candidates) != 1 || res.Candidates[0].ID != "gbdt-2" || len(res.Candidates[0].Folds) != 15 {
		t.Errorf("candidate scores %+v", res.Candidates)
	}
	if res.Actor != "workflow:"+sample.ExecutionID {
		t.Errorf("actor %q", res.Actor)
	}
	if !strings.Contains(string(out), `"score":`) || strings.Contains(string(out), `"roc":`) {
		t.Errorf("result should carry the score and no curves: %.300s", out)
	}
	if len(hs.reg.versions) != 0 {
		t.Error("a candidate run registered a version")
	}
	// The workflow's evaluation step can register the winner as is.
	svc := *hs.h.Service
	reg, err := svc.Register(context.Background(), res.RunRecord)
	if err != nil || reg.Version != 1 || reg.Alias != train.AliasChampion {
		t.Errorf("register the candidate: version %d alias %s err %v", reg.Version, reg.Alias, err)
	}
}

func TestSmallConfigOverride(t *testing.T) {
	hs := newTrainHarness(t)
	out, err := hs.invoke(t, "train-small-config.json")
	if err != nil {
		t.Fatal(err)
	}
	var rec train.RunRecord
	if err := json.Unmarshal(out, &rec); err != nil {
		t.Fatal(err)
	}
	if len(rec.Candidates) != 3 || rec.Config.Folds != 3 || rec.Config.Seed != 7 || rec.Version != 1 {
		t.Errorf("candidates %d folds %d seed %d version %d", len(rec.Candidates), rec.Config.Folds, rec.Config.Seed, rec.Version)
	}
	// Second run: the identical bundle registers nothing.
	out, err = hs.invoke(t, "train-small-config.json")
	if err != nil {
		t.Fatal(err)
	}
	var again train.RunRecord
	json.Unmarshal(out, &again)
	if again.Version != 0 || again.SameAs != 1 || again.BundleDigest != rec.BundleDigest {
		t.Errorf("second run: version %d same as %d digest %s vs %s", again.Version, again.SameAs, again.BundleDigest, rec.BundleDigest)
	}
	// Forced: challenger.
	out, err = hs.invokeBytes(forceEvent(t, "train-small-config.json"))
	if err != nil {
		t.Fatal(err)
	}
	var forced train.RunRecord
	json.Unmarshal(out, &forced)
	if forced.Version != 2 || forced.Alias != train.AliasChallenger || forced.BundleDigest != rec.BundleDigest {
		t.Errorf("forced run: version %d alias %s digest %s vs %s", forced.Version, forced.Alias, forced.BundleDigest, rec.BundleDigest)
	}
}

func TestBadEventsGetStableErrorNames(t *testing.T) {
	hs := newTrainHarness(t)
	tests := []struct {
		file string
		name string
		says string
	}{
		{"malformed.json", lambdaerr.InvalidInput, "decode event"},
		{"unknown-field.json", lambdaerr.InvalidInput, `unknown field "seed"`},
		{"unknown-action.json", lambdaerr.InvalidInput, `action "deploy"`},
		{"unknown-model.json", lambdaerr.ModelNotFound, `"diabetes"`},
		{"no-dataset.json", lambdaerr.InvalidInput, "dataset.digest or dataset.key is required"},
		{"dataset-not-stored.json", lambdaerr.InvalidInput, "is not stored"},
		{"candidate-unknown-family.json", lambdaerr.InvalidInput, `family "xgboost" is unknown`},
		{"candidate-bad-param.json", lambdaerr.InvalidInput, "C = -1"},
	}
	for _, tc := range tests {
		t.Run(tc.file, func(t *testing.T) {
			_, err := hs.invoke(t, tc.file)
			if err == nil {
				t.Fatal("no error")
			}
			if got := lambdaerr.Name(err); got != tc.name {
				t.Errorf("error name %q, want %q (%v)", got, tc.name, err)
			}
			var named messages.InvokeResponse_Error
			if !errors.As(err, &named) || !strings.Contains(named.Message, tc.says) {
				t.Errorf("message %q, want it to say %q", named.Message, tc.says)
			}
		})
	}
}

func TestDataProblemsAreDataValidationFailed(t *testing.T) {
	hs := newTrainHarness(t)
	ctx := context.Background()
	clev, _ := os.ReadFile("../../../testdata/heart/processed.cleveland.data")
	lines := strings.Split(strings.TrimSpace(string(clev)), "\n")
	var sick []string
	for _, l := range lines {
		if !strings.HasSuffix(l, ",0") {
			sick = append(sick, l)
		}
	}
	cases := map[string][]byte{
		"one class":             []byte(strings.Join(sick, "\n") + "\n"),
		"text in a number":      []byte(strings.Replace(string(clev), "233.0", "abc", 1)),
		"infinite value":        []byte(strings.Replace(string(clev), "233.0", "inf", 1)),
		"fewer rows than folds": []byte(strings.Join(lines[:6], "\n") + "\n"),
	}
	for name, data := range cases {
		t.Run(name, func(t *testing.T) {
			ref, err := dataset.Store(ctx, hs.arts, data)
			if err != nil {
				t.Fatal(err)
			}
			ev, _ := json.Marshal(TrainEvent{Model: "heart", Dataset: dataset.Ref{Digest: ref.Digest}})
			_, err = hs.invokeBytes(ev)
			if got := lambdaerr.Name(err); got != lambdaerr.DataValidationFailed {
				t.Errorf("error name %q, want DataValidationFailed (%v)", got, err)
			}
		})
	}
}

func TestErrorMapping(t *testing.T) {
	tests := []struct {
		err  error
		want string
	}{
		{fmt.Errorf("x: %w", ErrInvalidEvent), lambdaerr.InvalidInput},
		{fmt.Errorf("x: %w", train.ErrInvalidConfig), lambdaerr.InvalidInput},
		{fmt.Errorf("x: %w", ErrUnknownModel), lambdaerr.ModelNotFound},
		{&train.DataError{Msg: "one class"}, lambdaerr.DataValidationFailed},
		{&dataset.ParseError{Row: 3, Msg: "bad"}, lambdaerr.DataValidationFailed},
		{dataset.ErrEmpty, lambdaerr.DataValidationFailed},
		{fmt.Errorf("x: %w", dataset.ErrDigest), lambdaerr.DataValidationFailed},
		{fmt.Errorf("x: %w", train.ErrTrainingFailed), lambdaerr.TrainingFailed},
		{fmt.Errorf("x: %w", train.ErrConflict), lambdaerr.Conflict},
		{errors.New("disk on fire"), lambdaerr.Internal},
	}
	for _, tc := range tests {
		if got := lambdaerr.Name(lambdaerr.Map(tc.err, TrainRules...)); got != tc.want {
			t.Errorf("%v: %q, want %q", tc.err, got, tc.want)
		}
	}
}

func TestLostAliasRaceIsConflict(t *testing.T) {
	hs := newTrainHarness(t)
	hs.reg.conflict = true
	_, err := hs.invoke(t, "train-small-config.json")
	if got := lambdaerr.Name(err); got != lambdaerr.Conflict {
		t.Errorf("error name %q, want Conflict (%v)", got, err)
	}
}
