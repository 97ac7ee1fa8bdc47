package modelimport

import (
	"bytes"
	"context"
	"encoding/hex"
	"encoding/json"
	"errors"
	"math"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/stewardml/steward/internal/bundle"
	"github.com/stewardml/steward/internal/config"
	"github.com/stewardml/steward/internal/dataset"
	"github.com/stewardml/steward/internal/store"
	"github.com/stewardml/steward/internal/train"
	"github.com/stewardml/steward/internal/validation"
)

const fixtures = "../../testdata/interop/xgboost/"

// fakes: an artifact map, a registry with aliases, an audit list.
type fakeArtifacts map[string][]byte

func (f fakeArtifacts) Put(_ context.Context, key string, body []byte, _ string) (store.ObjectInfo, error) {
	f[key] = body
	return store.ObjectInfo{Key: key}, nil
}

func (f fakeArtifacts) Exists(_ context.Context, key string) (bool, error) {
	_, ok := f[key]
	return ok, nil
}

type fakeRegistry struct {
	versions []train.NewVersion
	aliases  map[string]int
}

func (r *fakeRegistry) Register(_ context.Context, v train.NewVersion) (int, error) {
	r.versions = append(r.versions, v)
	return len(r.versions), nil
}

func (r *fakeRegistry) Alias(_ context.Context, _, alias string) (int, error) {
	return r.aliases[alias], nil
}

func (r *fakeRegistry) MoveAlias(_ context.Context, _, alias string, from, to int, _, _ string) error {
	if r.aliases[alias] != from {
		return train.ErrConflict
	}
	r.aliases[alias] = to
	return nil
}

func (r *fakeRegistry) VersionWithBundle(_ context.Context, _, digest string) (int, error) {
	for i, v := range r.versions {
		if v.BundleDigest == digest {
			return i + 1, nil
		}
	}
	return 0, nil
}

type fakeRuns struct{ started, finished int }

func (r *fakeRuns) StartRun(context.Context, train.RunStart) (string, error) {
	r.started++
	return "run-1", nil
}

func (r *fakeRuns) FinishRun(_ context.Context, _ string, _ map[string]float64, _ []string, err error) error {
	if err == nil {
		r.finished++
	}
	return nil
}

type fakeAudit []train.AuditEvent

func (a *fakeAudit) Append(_ context.Context, e train.AuditEvent) error {
	*a = append(*a, e)
	return nil
}

type env struct {
	svc   *Service
	arts  fakeArtifacts
	reg   *fakeRegistry
	log   *fakeAudit
	data  train.Data
	suite *validation.Suite
}

func newEnv(t *testing.T) *env {
	t.Helper()
	p, err := config.Load("../../steward.yaml")
	if err != nil {
		t.Fatal(err)
	}
	frame, raw, err := dataset.ReadFile(p.DataPath(), p.Schema(), dataset.Options{Format: p.DataFormat()})
	if err != nil {
		t.Fatal(err)
	}
	suiteRaw, err := os.ReadFile(p.SuitePath())
	if err != nil {
		t.Fatal(err)
	}
	suite, err := validation.ParseSuite(suiteRaw)
	if err != nil {
		t.Fatal(err)
	}
	e := &env{arts: fakeArtifacts{}, reg: &fakeRegistry{aliases: map[string]int{}}, log: &fakeAudit{}, suite: suite,
		data: train.Data{Schema: p.Schema(), Frame: frame, Digest: dataset.Digest(raw)}}
	e.svc = &Service{Artifacts: e.arts, Registry: e.reg, Audit: e.log, Actor: "cli",
		Now: func() time.Time { return time.Date(2026, 12, 8, 0, 0, 0, 0, time.UTC) }}
	return e
}

func (e *env) request(t *testing.T, file string) Request {
	t.Helper()
	b, err := os.ReadFile(fixtures + file)
	if err != nil {
		t.Fatal(err)
	}
	return Request{Model: "heart", File: b, Reference: e.data, Suite: e.suite, Seed: 1, As: "ana@example.com", Reason: "notebook model"}
}

func TestImportedModelServesXGBoostsProbabilities(t *testing.T) {
	e := newEnv(t)
	runs := &fakeRuns{}
	e.svc.Runs = runs
	res, err := e.svc.Import(context.Background(), e.request(t, "heart_logistic.ubj"))
	if err != nil {
		t.Fatal(err)
	}
	var rec train.RunRecord
	if err := json.Unmarshal(e.arts[train.RecordKey("run-1")], &rec); err != nil || rec.Winner != "imported" || rec.Version != 1 ||
		rec.Status != train.StatusSucceeded || e.reg.versions[0].RunID != "run-1" || runs.finished != 1 {
		t.Errorf("run record %+v (%v), version run %q, %d runs finished", rec, err, e.reg.versions[0].RunID, runs.finished)
	}
	if res.Version != 1 || res.Alias != train.AliasChampion {
		t.Errorf("version %d alias %q, want 1 champion", res.Version, res.Alias)
	}
	p := res.Provenance
	if p.Library != "xgboost" || p.LibraryVersion != "1.7.4" || p.Objective != "binary:logistic" || p.Format != FormatXGBoostUBJSON ||
		len(p.FileSHA256) != 64 || p.ImportedBy != "ana@example.com" || p.Reason != "notebook model" {
		t.Errorf("provenance %+v", p)
	}
	v := e.reg.versions[0]
	var params Provenance
	if err := json.Unmarshal(v.Params, &params); err != nil || params != p || v.Family != "xgboost" || v.CreatedBy != "ana@example.com" {
		t.Errorf("version %+v (params %v)", v, err)
	}
	if res.Reference.ROCAUC < 0.9 {
		t.Errorf("reference ROC AUC %v", res.Reference.ROCAUC)
	}
	pred, err := bundle.Open(e.arts[res.BundleKey])
	if err != nil {
		t.Fatal(err)
	}
	if b, err := bundle.Decode(e.arts[res.BundleKey]); err != nil || len(b.Profile) == 0 || pred.Family() != "xgboost" {
		t.Fatalf("bundle: %v, profile of %d bytes, family %s", err, len(b.Profile), pred.Family())
	}
	// every heart row scores as XGBoost scored it
	var out struct{ Rows, Predictions [][]string }
	raw, _ := os.ReadFile(fixtures + "heart_logistic.outputs.json")
	if err := json.Unmarshal(raw, &out); err != nil {
		t.Fatal(err)
	}
	for i := range 303 {
		row := make([]float64, 13)
		for j, h := range out.Rows[i] {
			b, _ := hex.DecodeString(h)
			row[j] = math.Float64frombits(beUint64(b))
		}
		b, _ := hex.DecodeString(out.Predictions[i][0])
		want := float64(math.Float32frombits(uint32(beUint64(b))))
		if got := pred.Prob(row); got != want {
			t.Fatalf("row %d: %v, XGBoost %v", i, got, want)
		}
		if _, err := pred.Explain(row); err != nil && pred.Check(0, row) == nil {
			t.Fatalf("row %d: explain: %v", i, err)
		}
	}
	var actions []string
	for _, a := range *e.log {
		actions = append(actions, a.Action)
	}
	if got := strings.Join(actions, " "); got != "model.import alias.move" {
		t.Errorf("audit %q", got)
	}
	// a second model comes in as the challenger; the same one again is refused
	res2, err := e.svc.Import(context.Background(), e.request(t, "heart_logitraw.json"))
	if err != nil || res2.Version != 2 || res2.Alias != train.AliasChallenger {
		t.Errorf("second import: %+v, %v", res2, err)
	}
	if _, err := e.svc.Import(context.Background(), e.request(t, "heart_logistic.ubj")); !errors.Is(err, ErrModel) || !strings.Contains(err.Error(), "already version 1") {
		t.Errorf("the same import again: %v", err)
	}
}

func beUint64(b []byte) uint64 {
	var u uint64
	for _, c := range b {
		u = u<<8 | uint64(c)
	}
	return u
}

func TestBadImportsRegisterNothing(t *testing.T) {
	e := newEnv(t)
	good, err := os.ReadFile(fixtures + "heart_logistic.json")
	if err != nil {
		t.Fatal(err)
	}
	ubj, err := os.ReadFile(fixtures + "heart_logistic.ubj")
	if err != nil {
		t.Fatal(err)
	}
	badPrefix := bytes.Clone(ubj)
	badPrefix[2] = 0x7f // the first key's length prefix: far past the end
	fourteen := bytes.ReplaceAll(good, []byte(`"num_feature":"13"`), []byte(`"num_feature":"14"`))
	fourteen = bytes.Replace(fourteen, []byte(`"feature_names":["age",`), []byte(`"feature_names":["extra","age",`), 1)
	unnamed := bytes.Replace(fourteen, []byte(`"feature_names":["extra",`), []byte(`"unused":["extra",`), 1)
	objective := bytes.Replace(good, []byte(`"name":"binary:logistic"`), []byte(`"name":"count:poisson"`), 1)
	lgb, err := os.ReadFile("../../testdata/interop/lightgbm/model_simple.txt")
	if err != nil {
		t.Fatal(err)
	}
	badRef := e.data
	fr, err := dataset.Parse([]byte(strings.Repeat("300.0,1.0,1.0,145.0,233.0,1.0,2.0,150.0,0.0,2.3,3.0,0.0,6.0,0\n63.0,1.0,1.0,145.0,233.0,1.0,2.0,150.0,0.0,2.3,3.0,0.0,6.0,1\n", 5)), e.data.Schema, dataset.Options{Format: dataset.FormatRaw})
	if err != nil {
		t.Fatal(err)
	}
	badRef.Frame = fr
	for _, c := range []struct {
		name     string
		file     []byte
		ref      *train.Data
		sentinel error
		says     string
	}{
		{"a truncated file", good[:len(good)/3], nil, ErrModel, "truncated"},
		{"a file of another format", lgb, nil, ErrModel, "LightGBM"},
		{"a CSV file", []byte("age,sex\n63,1\n"), nil, ErrModel, "not an XGBoost"},
		{"a model with 14 features", fourteen, nil, ErrFeatures, `extra feature "extra"`},
		{"a model with 14 unnamed features", unnamed, nil, ErrFeatures, "the model has 14 features, the schema 13"},
		{"an unsupported objective", objective, nil, ErrModel, `objective "count:poisson"`},
		{"a UBJSON file with a wrong length prefix", badPrefix, nil, ErrModel, "wrong length prefix"},
		{"a multiclass model", mustRead(t, "wine_softprob.json"), nil, ErrModel, "not a binary classifier"},
		{"a model on other features", mustRead(t, "tiny_categorical.json"), nil, ErrModel, "not a binary classifier"},
		{"a categorical feature the model treats as numeric", mustRead(t, "heart_categorical.json"), nil, ErrFeatures, `categorical feature "ca" is numeric in the model`},
		{"reference data that fails the suite", good, &badRef, ErrReference, "suite"},
	} {
		t.Run(c.name, func(t *testing.T) {
			req := e.request(t, "heart_logistic.json")
			req.File = c.file
			if c.ref != nil {
				req.Reference = *c.ref
			}
			_, err := e.svc.Import(context.Background(), req)
			if !errors.Is(err, c.sentinel) {
				t.Fatalf("error %v, want %v", err, c.sentinel)
			}
			t.Log(err)
			if msg := err.Error(); strings.Contains(msg, "\n") || !strings.Contains(msg, c.says) {
				t.Errorf("error %q: want one line saying %q", msg, c.says)
			}
			if len(e.reg.versions) != 0 || len(e.arts) != 0 || len(*e.log) != 0 {
				t.Errorf("something was registered: %d versions, %d artifacts, %d audit events", len(e.reg.versions), len(e.arts), len(*e.log))
			}
		})
	}
}

func mustRead(t *testing.T, file string) []byte {
	t.Helper()
	b, err := os.ReadFile(fixtures + file)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestCheckFeaturesNamesEveryMismatch(t *testing.T) {
	schema := []dataset.Column{{Name: "age", Kind: dataset.Numeric}, {Name: "cp", Kind: dataset.Categorical}, {Name: "chol", Kind: dataset.Numeric}}
	for _, c := range []struct {
		name string
		m    ModelFeatures
		says string
	}{
		{"agree", ModelFeatures{Count: 3, Names: []string{"age", "cp", "chol"}}, ""},
		{"agree without names", ModelFeatures{Count: 3}, ""},
		{"a missing and an extra feature", ModelFeatures{Count: 3, Names: []string{"age", "cp", "trestbps"}}, `missing feature "chol"; extra feature "trestbps"`},
		{"wrong order", ModelFeatures{Count: 3, Names: []string{"cp", "age", "chol"}}, "wrong order: the model has cp, age, chol, the schema age, cp, chol"},
		{"a count mismatch", ModelFeatures{Count: 4}, "the model has 4 features, the schema 3"},
		{"categorical treated as numeric", ModelFeatures{Count: 3, Names: []string{"age", "cp", "chol"}, Categorical: []bool{false, false, true}},
			`categorical feature "cp" is numeric in the model; numeric feature "chol" is categorical in the model`},
	} {
		t.Run(c.name, func(t *testing.T) {
			err := CheckFeatures(schema, c.m)
			if c.says == "" {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			if !errors.Is(err, ErrFeatures) || !strings.Contains(err.Error(), c.says) {
				t.Errorf("got %v, want one saying %q", err, c.says)
			}
		})
	}
}
