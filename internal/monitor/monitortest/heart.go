package monitortest

import (
	"bufio"
	"context"
	"fmt"
	"math"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/stewardml/steward/internal/bundle"
	"github.com/stewardml/steward/internal/dataset"
	"github.com/stewardml/steward/internal/registry"
	"github.com/stewardml/steward/internal/serving/servingtest"
	"github.com/stewardml/steward/internal/store"
	"github.com/stewardml/steward/internal/train"
)

// Spec says what to train.
type Spec struct {
	// DataPath is a UCI heart file (processed.cleveland.data).
	DataPath string
	// Family is logreg, forest or gbdt (default logreg); Params its one
	// candidate's parameters.
	Family string
	Params map[string]any
	// Flip trains on the opposite labels: a deliberately bad model whose
	// training metrics look fine.
	Flip bool
	// Alias is moved to the new version: "" means champion, "-" none.
	Alias string
	Seed  int64
	// Actor moves the alias (default "monitortest").
	Actor string
}

// Heart trains one candidate (2 folds, 20% hold-out) on the file, stores
// its bundle with the reference profile drift checks read, registers it
// as a version of "heart" and moves the alias. It returns the version.
func Heart(ctx context.Context, arts store.ArtifactStore, rs store.RecordStore, spec Spec) (int, error) {
	s := servingtest.HeartSchema()
	raw, err := os.ReadFile(spec.DataPath)
	if err != nil {
		return 0, fmt.Errorf("monitortest: %w", err)
	}
	if spec.Flip {
		raw = flip(raw)
	}
	frame, err := dataset.Parse(raw, s, dataset.Options{Format: dataset.FormatRaw})
	if err != nil {
		return 0, fmt.Errorf("monitortest: %w", err)
	}
	ref, err := dataset.Store(ctx, arts, raw)
	if err != nil {
		return 0, fmt.Errorf("monitortest: %w", err)
	}
	family := spec.Family
	if family == "" {
		family = "logreg"
	}
	params := spec.Params
	if params == nil {
		params = map[string]any{}
	}
	holdout := 0.2
	cfg := train.Config{Seed: spec.Seed, Folds: 2, Repeats: 1, Holdout: &holdout, Metric: "roc_auc",
		Families: []train.FamilySearch{{Family: family, Params: params}}}
	data := train.Data{Schema: s, Frame: frame, Digest: ref.Digest}
	res, err := train.Run(ctx, data, cfg, train.Options{})
	if err != nil {
		return 0, fmt.Errorf("monitortest: train %s: %w", family, err)
	}
	rows := make([]int, res.Rows)
	for i := range rows {
		rows[i] = i
	}
	profile, err := train.DriftProfile(train.ProfileInput{Data: data, Rows: rows, Prob: res.HonestProb,
		CV: res.Best().CV, Threshold: res.Config.Threshold, Seed: res.Config.Seed})
	if err != nil {
		return 0, fmt.Errorf("monitortest: %w", err)
	}
	b, err := res.Bundle("heart", data, profile, "test", bundle.Training{StartedAt: time.Unix(0, 0).UTC()})
	if err != nil {
		return 0, fmt.Errorf("monitortest: %w", err)
	}
	archive, err := b.Encode()
	if err != nil {
		return 0, fmt.Errorf("monitortest: %w", err)
	}
	digest, err := b.Digest()
	if err != nil {
		return 0, fmt.Errorf("monitortest: %w", err)
	}
	key := bundle.Key(digest)
	if _, err := arts.Put(ctx, key, archive, "application/x-tar"); err != nil {
		return 0, fmt.Errorf("monitortest: store bundle: %w", err)
	}
	reg := registry.New(rs)
	metrics := map[string]float64{}
	for k, st := range res.Best().CV {
		metrics["cv_"+k] = st.Mean
	}
	v, err := reg.Register(ctx, "heart", registry.NewVersion{BundleKey: key, BundleDigest: digest, DatasetDigest: data.Digest,
		Family: family, Metrics: metrics, CreatedBy: "monitortest"})
	if err != nil {
		return 0, fmt.Errorf("monitortest: register: %w", err)
	}
	alias := spec.Alias
	if alias == "-" {
		return v.Number, nil
	}
	if alias == "" {
		alias = registry.Champion
	}
	cur, err := reg.Alias(ctx, "heart", alias)
	if err != nil {
		return 0, fmt.Errorf("monitortest: %w", err)
	}
	actor := spec.Actor
	if actor == "" {
		actor = "monitortest"
	}
	if _, err := reg.MoveAlias(ctx, "heart", alias, cur.Version, v.Number, actor, "test model "+family); err != nil {
		return 0, fmt.Errorf("monitortest: move %s: %w", alias, err)
	}
	return v.Number, nil
}

// flip swaps the diagnosis of every row: num 0 becomes 1, num > 0 becomes 0.
func flip(raw []byte) []byte {
	var b strings.Builder
	for _, line := range strings.Split(strings.TrimRight(string(raw), "\n"), "\n") {
		i := strings.LastIndexByte(line, ',')
		num := strings.TrimSpace(line[i+1:])
		v, err := strconv.ParseFloat(num, 64)
		switch {
		case err != nil || math.IsNaN(v):
		case v > 0:
			num = "0"
		default:
			num = "1"
		}
		b.WriteString(line[:i+1] + num + "\n")
	}
	return []byte(b.String())
}

// Rows reads a UCI heart file as rows of the 13 features (NaN for "?") and
// the 0/1 label (num > 0), for sending traffic and feedback.
func Rows(path string) (features []map[string]float64, labels []int, err error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, nil, fmt.Errorf("monitortest: %w", err)
	}
	defer f.Close()
	names := servingtest.HeartSchema().Names()
	sc := bufio.NewScanner(f)
	line := 0
	for sc.Scan() {
		line++
		fields := strings.Split(strings.TrimSpace(sc.Text()), ",")
		if len(fields) != len(names) {
			return nil, nil, fmt.Errorf("monitortest: %s:%d: %d fields, want %d", path, line, len(fields), len(names))
		}
		row := map[string]float64{}
		for j, s := range fields {
			v := math.NaN()
			if s != "?" {
				if v, err = strconv.ParseFloat(s, 64); err != nil {
					return nil, nil, fmt.Errorf("monitortest: %s:%d: %w", path, line, err)
				}
			}
			if j == len(names)-1 {
				l := 0
				if v > 0 {
					l = 1
				}
				labels = append(labels, l)
				continue
			}
			row[names[j]] = v
		}
		features = append(features, row)
	}
	return features, labels, sc.Err()
}
