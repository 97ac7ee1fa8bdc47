// Package reporttest builds a local Steward platform in a temporary
// directory from the bundled heart-disease data, for the tests of the
// reports and the dashboard, their screenshots and their benchmarks: real
// training runs on the Cleveland data (registered, champion and
// challenger), the data's validation result, drift checks of the Hungarian
// data against the champion's reference profile, approval requests and
// captured predictions.
package reporttest

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/stewardml/steward/internal/app"
	"github.com/stewardml/steward/internal/bundle"
	"github.com/stewardml/steward/internal/capture"
	"github.com/stewardml/steward/internal/config"
	"github.com/stewardml/steward/internal/dataset"
	"github.com/stewardml/steward/internal/monitor"
	"github.com/stewardml/steward/internal/registry"
	"github.com/stewardml/steward/internal/report"
	"github.com/stewardml/steward/internal/serving"
	"github.com/stewardml/steward/internal/train"
	"github.com/stewardml/steward/internal/uuidv7"
	"github.com/stewardml/steward/internal/validation"
)

// Clock is a settable clock, safe for concurrent use.
type Clock struct {
	mu sync.Mutex
	t  time.Time
}

// Now returns the clock's time.
func (c *Clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

// Set moves the clock to t.
func (c *Clock) Set(t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = t
}

// Advance moves the clock by d.
func (c *Clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// Platform is a local platform over a temporary data directory.
type Platform struct {
	App     *app.App
	Project *config.Project
	Clock   *Clock
	// Root is the repository root (steward.yaml, testdata/heart).
	Root string
	// Dir is the data directory.
	Dir string
}

// Start is the fixture's clock start: 09:00 UTC two days ago. It follows
// the real date because the record stores expire records (approval task
// tokens, for example) against the real clock.
var Start = time.Now().UTC().Truncate(24 * time.Hour).Add(-48*time.Hour + 9*time.Hour)

// RepoRoot finds the repository root: the nearest directory above the
// working directory that holds go.mod.
func RepoRoot(tb testing.TB) string {
	tb.Helper()
	dir, err := os.Getwd()
	if err != nil {
		tb.Fatal(err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			tb.Fatal("reporttest: no go.mod above the working directory")
		}
		dir = parent
	}
}

// New builds a platform in a temporary directory with the repository's
// project configuration, its clock at Start.
func New(tb testing.TB) *Platform {
	tb.Helper()
	return NewIn(tb, tb.TempDir())
}

// NewIn builds a platform over the data directory dir.
func NewIn(tb testing.TB, dir string) *Platform {
	tb.Helper()
	root := RepoRoot(tb)
	p, err := config.Load(filepath.Join(root, "steward.yaml"))
	if err != nil {
		tb.Fatal(err)
	}
	clock := &Clock{t: Start}
	a, err := app.New(context.Background(), app.Options{Runtime: config.Runtime{DataDir: dir, Stage: "local"}, Project: p, Now: clock.Now})
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { a.Close() })
	return &Platform{App: a, Project: p, Clock: clock, Root: root, Dir: dir}
}

// SmallSearch is a quick search over two families: enough candidates for
// the reports to show a comparison, fast enough for unit tests.
func SmallSearch(seed int64) train.Config {
	hold := 0.25
	return train.Config{
		Seed: seed, Folds: 3, Repeats: 1, Holdout: &hold, Metric: "f1",
		Families: []train.FamilySearch{
			{Family: "logreg", Params: map[string]any{"C": []any{0.1, 1.0}}},
			{Family: "forest", Params: map[string]any{"n_trees": []any{40}, "max_depth": []any{4}}},
		},
	}
}

// Train trains on the project's data (the Cleveland file) with cfg,
// storing the dataset and its validation result first, and returns the
// run record: the first run becomes champion, later ones challenger.
func (p *Platform) Train(ctx context.Context, cfg train.Config) (train.RunRecord, error) {
	frame, raw, err := dataset.ReadFile(p.Project.DataPath(), p.Project.Schema(), dataset.Options{Format: p.Project.DataFormat()})
	if err != nil {
		return train.RunRecord{}, err
	}
	ref, err := dataset.Store(ctx, p.App.Artifacts, raw)
	if err != nil {
		return train.RunRecord{}, err
	}
	if err := p.validate(ctx, frame, ref); err != nil {
		return train.RunRecord{}, err
	}
	return p.App.TrainService("cli").Train(ctx, train.Request{
		Model:  p.Project.Model.Name,
		Data:   train.Data{Schema: p.Project.Schema(), Frame: frame, Digest: ref.Digest},
		Config: cfg,
	})
}

// validate runs the project's expectation suite on the data and stores
// the result where the validate function stores it.
func (p *Platform) validate(ctx context.Context, frame *dataset.Frame, ref dataset.Ref) error {
	b, err := os.ReadFile(p.Project.SuitePath())
	if err != nil {
		return err
	}
	suite, err := validation.ParseSuite(b)
	if err != nil {
		return err
	}
	at := p.Clock.Now().UTC()
	res := validation.Validate(suite, frame, validation.Options{
		Now:         func() time.Time { return at },
		BatchKwargs: validation.Object{{Key: "key", Value: ref.Key}, {Key: "dataset_sha256", Value: ref.Digest}, {Key: "rows", Value: frame.Rows}},
	})
	doc, err := res.MarshalIndent()
	if err != nil {
		return err
	}
	key := validation.ResultKey(ref.Digest, suite.Name, at)
	_, err = p.App.Artifacts.Put(ctx, key, doc, "application/json")
	return err
}

// Current is a scored window of rows: the feature columns, the model's
// probabilities and the true labels.
type Current struct {
	Columns map[string][]float64
	Rows    [][]float64 // in schema order, for captures
	Probs   []float64
	Labels  []float64
}

// Score reads a UCI heart file (relative to the repository root) and
// scores it with the bundle of version v.
func (p *Platform) Score(ctx context.Context, v int, file string) (*Current, *bundle.Bundle, error) {
	b, err := p.bundle(ctx, v)
	if err != nil {
		return nil, nil, err
	}
	pred, err := bundle.Load(b)
	if err != nil {
		return nil, nil, err
	}
	frame, _, err := dataset.ReadFile(filepath.Join(p.Root, file), p.Project.Schema(), dataset.Options{Format: p.Project.DataFormat()})
	if err != nil {
		return nil, nil, err
	}
	labels, err := p.Project.Schema().Target.Labels(frame)
	if err != nil {
		return nil, nil, err
	}
	cur := &Current{Columns: map[string][]float64{}}
	feats := pred.Features()
	flat := make([]float64, 0, frame.Rows*len(feats))
	for _, f := range feats {
		col, err := frame.Column(f.Name)
		if err != nil {
			return nil, nil, err
		}
		cur.Columns[f.Name] = col
	}
	for i := 0; i < frame.Rows; i++ {
		row := make([]float64, len(feats))
		for j, f := range feats {
			row[j] = cur.Columns[f.Name][i]
		}
		cur.Rows = append(cur.Rows, row)
		flat = append(flat, row...)
	}
	cur.Probs = make([]float64, frame.Rows)
	pred.PredictProba(flat, cur.Probs)
	for _, y := range labels {
		cur.Labels = append(cur.Labels, float64(y))
	}
	return cur, b, nil
}

func (p *Platform) bundle(ctx context.Context, v int) (*bundle.Bundle, error) {
	ver, err := p.App.Registry().Version(ctx, p.Project.Model.Name, v)
	if err != nil {
		return nil, err
	}
	data, _, err := p.App.Artifacts.Get(ctx, ver.BundleKey)
	if err != nil {
		return nil, err
	}
	return bundle.Decode(data)
}

// DriftCheck checks file (relative to the repository root) against the
// reference profile of version v with the application's drift monitor, as
// `steward drift --current FILE` does: the report is stored at
// reports/drift/{model}/{id}.json and its summary in the check history.
func (p *Platform) DriftCheck(ctx context.Context, v int, file string) (*report.Drift, error) {
	data, err := os.ReadFile(filepath.Join(p.Root, file))
	if err != nil {
		return nil, err
	}
	res, err := p.App.Monitor().Check(ctx, monitor.Request{
		Model: p.Project.Model.Name, Version: v, Current: &monitor.File{Name: filepath.Base(file), Data: data},
		Trigger: "test", Quiet: true,
	})
	if err != nil {
		return nil, err
	}
	s := res.Summary
	return &report.Drift{ID: s.CheckID, Model: s.Model, Version: s.Version, CheckedAt: s.At.UTC(), Key: s.ReportKey, Report: res.Report}, nil
}

// Capture writes one capture file per hour from..to (exclusive) with
// predictions of model version v drawn (with replacement, seeded) from
// cur: perHour on average, following a daily cycle (half as many at 03:00
// UTC, half as many again at 15:00), latencies log-normal around 3 ms. It
// returns how many it wrote.
func (p *Platform) Capture(ctx context.Context, v int, cur *Current, from, to time.Time, perHour int, seed uint64) (int, error) {
	model := p.Project.Model.Name
	b, err := p.bundle(ctx, v)
	if err != nil {
		return 0, err
	}
	pred, err := bundle.Load(b)
	if err != nil {
		return 0, err
	}
	fs, err := serving.NewFeatureSet(serving.FeaturesOf(pred.Features(), true))
	if err != nil {
		return 0, err
	}
	rng := rand.New(rand.NewPCG(seed, 7))
	var seedBytes [32]byte
	seedBytes[0], seedBytes[1] = byte(seed), byte(seed>>8)
	var idTime time.Time
	ids := uuidv7.NewGen(func() time.Time { return idTime }, rand.NewChaCha8(seedBytes))
	total := 0
	var buf []byte
	for h := from.UTC().Truncate(time.Hour); h.Before(to); h = h.Add(time.Hour) {
		c := &capture.Capture{Model: model, Version: v, Alias: registry.Champion, RequestID: fmt.Sprintf("req-%d", h.Unix()),
			Time: h.Add(30 * time.Minute), Keys: fs.JSONKeys(), Threshold: pred.Threshold()}
		buf = buf[:0]
		n := perHour + int(math.Round(float64(perHour)*0.5*math.Sin(2*math.Pi*float64(h.Hour()-9)/24)))
		for i := 0; i < n; i++ {
			k := rng.IntN(len(cur.Rows))
			c.Rows = append(c.Rows[:0], cur.Rows[k]...)
			c.Probs = append(c.Probs[:0], cur.Probs[k])
			idTime = h.Add(time.Duration(i) * time.Millisecond)
			c.IDs = append(c.IDs[:0], uuidv7.UUID{})
			if err := ids.Fill(c.IDs); err != nil {
				return total, err
			}
			c.Latency = time.Duration(math.Exp(rng.NormFloat64()*0.5+math.Log(3)) * float64(time.Millisecond))
			buf = capture.AppendLines(buf, c)
		}
		if _, err := p.App.Artifacts.Put(ctx, capture.Key(model, h, "fixture"), buf, "application/x-ndjson"); err != nil {
			return total, err
		}
		total += n
	}
	return total, nil
}
