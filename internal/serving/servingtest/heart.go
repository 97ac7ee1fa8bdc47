package servingtest

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/stewardml/steward/internal/bundle"
	"github.com/stewardml/steward/internal/dataset"
	"github.com/stewardml/steward/internal/registry"
	"github.com/stewardml/steward/internal/store"
	"github.com/stewardml/steward/internal/train"
)

// HeartSchema is the schema of the UCI processed heart-disease files, as
// the bundled project configuration declares it.
func HeartSchema() *dataset.Schema {
	f := func(v float64) *float64 { return &v }
	lv := func(pairs ...any) []dataset.Level {
		var out []dataset.Level
		for i := 0; i < len(pairs); i += 2 {
			out = append(out, dataset.Level{Value: float64(pairs[i].(int)), Label: pairs[i+1].(string)})
		}
		return out
	}
	return &dataset.Schema{
		Columns: []dataset.Column{
			{Name: "age", Kind: dataset.Numeric, Min: f(18), Max: f(100)},
			{Name: "sex", Kind: dataset.Binary, Levels: lv(0, "female", 1, "male")},
			{Name: "cp", Kind: dataset.Categorical, Levels: lv(1, "typical angina", 2, "atypical angina", 3, "non-anginal pain", 4, "asymptomatic")},
			{Name: "trestbps", Kind: dataset.Numeric, Min: f(80), Max: f(220)},
			{Name: "chol", Kind: dataset.Numeric, Min: f(100), Max: f(600)},
			{Name: "fbs", Kind: dataset.Binary, Levels: lv(0, "false", 1, "true")},
			{Name: "restecg", Kind: dataset.Categorical, Levels: lv(0, "normal", 1, "ST-T wave abnormality", 2, "left ventricular hypertrophy")},
			{Name: "thalach", Kind: dataset.Numeric, Min: f(60), Max: f(220)},
			{Name: "exang", Kind: dataset.Binary, Levels: lv(0, "no", 1, "yes")},
			{Name: "oldpeak", Kind: dataset.Numeric, Min: f(0), Max: f(7)},
			{Name: "slope", Kind: dataset.Categorical, Levels: lv(1, "upsloping", 2, "flat", 3, "downsloping")},
			{Name: "ca", Kind: dataset.Categorical, Levels: lv(0, "", 1, "", 2, "", 3, "")},
			{Name: "thal", Kind: dataset.Categorical, Levels: lv(3, "normal", 6, "fixed defect", 7, "reversible defect")},
			{Name: "num", Kind: dataset.Categorical, Levels: lv(0, "", 1, "", 2, "", 3, "", 4, "")},
		},
		Target: dataset.Target{Column: "num", Op: ">", Value: 0},
	}
}

// Row is one valid instance of the heart model, as JSON.
const Row = `{"age":63,"sex":1,"cp":1,"trestbps":145,"chol":233,"fbs":1,"restecg":2,"thalach":150,"exang":0,"oldpeak":2.3,"slope":3,"ca":0,"thal":6}`

// Spec says what to train.
type Spec struct {
	// DataPath is the Cleveland file (testdata/heart/processed.cleveland.data).
	DataPath string
	// Family is logreg, forest or gbdt; Params its one candidate's
	// parameters (nil means the family's defaults).
	Family string
	Params map[string]any
	// Alias is pointed at the new version; empty means champion.
	Alias string
	// Seed fixes the training.
	Seed int64
}

// Heart trains one candidate on the Cleveland data (2 folds, no repeats),
// stores its bundle in arts, registers it in the registry over rs and
// points the alias at it. It returns the new version number.
func Heart(ctx context.Context, arts store.ArtifactStore, rs store.RecordStore, spec Spec) (int, error) {
	s := HeartSchema()
	frame, raw, err := dataset.ReadFile(spec.DataPath, s, dataset.Options{Format: dataset.FormatRaw})
	if err != nil {
		return 0, fmt.Errorf("servingtest: %w", err)
	}
	params := spec.Params
	if params == nil {
		params = map[string]any{}
	}
	holdout := 0.2
	cfg := train.Config{Seed: spec.Seed, Folds: 2, Repeats: 1, Holdout: &holdout, Metric: "roc_auc",
		Families: []train.FamilySearch{{Family: spec.Family, Params: params}}}
	data := train.Data{Schema: s, Frame: frame, Digest: dataset.Digest(raw)}
	res, err := train.Run(ctx, data, cfg, train.Options{})
	if err != nil {
		return 0, fmt.Errorf("servingtest: train %s: %w", spec.Family, err)
	}
	b, err := res.Bundle("heart", data, nil, "test", bundle.Training{StartedAt: time.Now().UTC()})
	if err != nil {
		return 0, fmt.Errorf("servingtest: %w", err)
	}
	archive, err := b.Encode()
	if err != nil {
		return 0, fmt.Errorf("servingtest: %w", err)
	}
	digest, err := b.Digest()
	if err != nil {
		return 0, fmt.Errorf("servingtest: %w", err)
	}
	key := bundle.Key(digest)
	if _, err := arts.Put(ctx, key, archive, "application/x-tar"); err != nil {
		return 0, fmt.Errorf("servingtest: store bundle: %w", err)
	}
	reg := registry.New(rs)
	metrics := map[string]float64{}
	for k, st := range res.Best().CV {
		metrics["cv_"+k] = st.Mean
	}
	v, err := reg.Register(ctx, "heart", registry.NewVersion{BundleKey: key, BundleDigest: digest, DatasetDigest: data.Digest,
		Family: spec.Family, Metrics: metrics, CreatedBy: "servingtest"})
	if err != nil {
		return 0, fmt.Errorf("servingtest: register: %w", err)
	}
	alias := spec.Alias
	if alias == "" {
		alias = registry.Champion
	}
	cur, err := reg.Alias(ctx, "heart", alias)
	if err != nil {
		return 0, fmt.Errorf("servingtest: %w", err)
	}
	if _, err := reg.MoveAlias(ctx, "heart", alias, cur.Version, v.Number, "servingtest", "test model "+strings.ToLower(spec.Family)); err != nil {
		return 0, fmt.Errorf("servingtest: move %s: %w", alias, err)
	}
	return v.Number, nil
}
