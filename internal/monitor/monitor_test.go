package monitor_test

import (
	"context"
	"encoding/json"
	"errors"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stewardml/steward/internal/bundle"
	"github.com/stewardml/steward/internal/bus"
	"github.com/stewardml/steward/internal/dataset"
	"github.com/stewardml/steward/internal/drift"
	"github.com/stewardml/steward/internal/local/files"
	"github.com/stewardml/steward/internal/local/sqlite"
	"github.com/stewardml/steward/internal/monitor"
	"github.com/stewardml/steward/internal/monitor/monitortest"
	"github.com/stewardml/steward/internal/registry"
	"github.com/stewardml/steward/internal/serving/servingtest"
)

const (
	cleveland = "../../testdata/heart/processed.cleveland.data"
	hungarian = "../../testdata/heart/processed.hungarian.data"
)

var t0 = time.Date(2026, 3, 14, 9, 0, 0, 0, time.UTC)

// env is a local platform with a champion trained on Cleveland.
type env struct {
	arts    *files.Store
	recs    *sqlite.Store
	pred    *bundle.Predictor
	version int
	events  []bus.Event
	mu      sync.Mutex
	svc     *monitor.Service
}

// The champion is trained once and its data directory copied per test.
var (
	trainOnce sync.Once
	trainDir  string
	trainErr  error
)

func newEnv(t *testing.T) *env {
	t.Helper()
	trainOnce.Do(func() {
		trainDir, trainErr = os.MkdirTemp("", "monitor-test-")
		if trainErr != nil {
			return
		}
		arts, err := files.New(filepath.Join(trainDir, "artifacts"))
		if err != nil {
			trainErr = err
			return
		}
		recs, err := sqlite.Open(filepath.Join(trainDir, "steward.db"))
		if err != nil {
			trainErr = err
			return
		}
		defer recs.Close()
		_, trainErr = monitortest.Heart(context.Background(), arts, recs, monitortest.Spec{DataPath: cleveland, Seed: 1})
	})
	if trainErr != nil {
		t.Fatal(trainErr)
	}
	dir := t.TempDir()
	if err := os.CopyFS(dir, os.DirFS(trainDir)); err != nil {
		t.Fatal(err)
	}
	arts, err := files.New(filepath.Join(dir, "artifacts"))
	if err != nil {
		t.Fatal(err)
	}
	recs, err := sqlite.Open(filepath.Join(dir, "steward.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { recs.Close() })
	e := &env{arts: arts, recs: recs, version: 1}
	e.pred, err = monitortest.Predictor(context.Background(), arts, recs, 1)
	if err != nil {
		t.Fatal(err)
	}
	local := &bus.Local{}
	local.Subscribe(bus.DriftChecked, func(_ context.Context, ev bus.Event) error {
		e.mu.Lock()
		defer e.mu.Unlock()
		e.events = append(e.events, ev)
		return nil
	})
	reg := registry.New(recs)
	e.svc = &monitor.Service{Artifacts: arts, Records: recs, Registry: reg, Events: local, Now: func() time.Time { return t0 }}
	return e
}

func rows(t *testing.T, path string) ([]map[string]float64, []int) {
	t.Helper()
	f, l, err := monitortest.Rows(path)
	if err != nil {
		t.Fatal(err)
	}
	return f, l
}

// capture writes rows as predictions of version at time at and their labels.
func (e *env) capture(t *testing.T, at time.Time, version int, rs []map[string]float64, labels []int) []string {
	t.Helper()
	pred := e.pred
	if version != e.version {
		var err error
		if pred, err = monitortest.Predictor(context.Background(), e.arts, e.recs, version); err != nil {
			t.Fatal(err)
		}
	}
	ids, kept, err := monitortest.Captures(context.Background(), e.arts, pred, version, at, rs)
	if err != nil {
		t.Fatal(err)
	}
	if labels != nil {
		ls := make([]int, len(kept))
		for k, i := range kept {
			ls[k] = labels[i]
		}
		if err := monitortest.Feedback(context.Background(), e.recs, ids, ls, at); err != nil {
			t.Fatal(err)
		}
	}
	return ids
}

// TestHungarianTrafficDrifts is the acceptance test of issue 7: Cleveland
// as reference, Hungarian patients as captured traffic, through the
// service: dataset drift, with the drifted features named in the stored
// report, the history record and the DriftChecked event.
func TestHungarianTrafficDrifts(t *testing.T) {
	e := newEnv(t)
	hf, hl := rows(t, hungarian)
	ids := e.capture(t, t0.Add(-2*time.Hour), 1, hf, hl)
	res, err := e.svc.Check(context.Background(), monitor.Request{Model: "heart", Window: 24 * time.Hour, Trigger: "test"})
	if err != nil {
		t.Fatal(err)
	}
	s := res.Summary
	if s.Verdict != drift.VerdictDrift || !s.DatasetDrift {
		t.Fatalf("verdict %s (score %.3f), want drift", s.Verdict, s.DriftScore)
	}
	if s.Rows != len(ids) || s.VersionRows != len(ids) || s.Labelled != len(ids) {
		t.Errorf("rows %d, version rows %d, labelled %d; want %d of each", s.Rows, s.VersionRows, s.Labelled, len(ids))
	}
	if len(ids) < 250 || len(ids) >= len(hf) {
		t.Errorf("%d of %d Hungarian rows captured; serving refuses the few out of the schema's ranges", len(ids), len(hf))
	}
	if s.DriftScore < 0.5 || s.Drifted != len(s.DriftedFeatures) || s.Tested == 0 {
		t.Errorf("score %.3f, drifted %d %v of %d tested", s.DriftScore, s.Drifted, s.DriftedFeatures, s.Tested)
	}
	// ca is almost always missing in the Hungarian data: no verdict.
	for _, fv := range s.FeatureVerdicts {
		if fv.Name == "ca" && fv.Verdict != drift.VerdictInsufficient {
			t.Errorf("ca: %s, want insufficient_data (3 values)", fv.Verdict)
		}
	}
	if s.Prediction == nil || s.Performance == nil || s.Performance.Rows != len(ids) {
		t.Errorf("prediction drift %v, performance %+v", s.Prediction, s.Performance)
	}

	stored, err := monitor.ReadReport(context.Background(), e.arts, s.ReportKey)
	if err != nil {
		t.Fatal(err)
	}
	if want := "reports/drift/heart/" + s.CheckID + ".json"; s.ReportKey != want {
		t.Errorf("report key %s, want %s", s.ReportKey, want)
	}
	var named []string
	for _, f := range stored.Report.FeatureResults {
		if f.Verdict == drift.VerdictDrift {
			named = append(named, f.Name)
			if f.Effect == nil || f.Histogram == nil {
				t.Errorf("%s: drifted without effect size or histogram", f.Name)
			}
		}
	}
	if !slices.Equal(named, s.DriftedFeatures) || !slices.Equal(stored.Report.DriftedFeatures, s.DriftedFeatures) {
		t.Errorf("report names %v / %v, summary %v", named, stored.Report.DriftedFeatures, s.DriftedFeatures)
	}
	if stored.Check.CheckID != s.CheckID || stored.Check.Version != 1 {
		t.Errorf("stored check context %+v", stored.Check)
	}

	hist, err := monitor.History(context.Background(), e.recs, monitor.HistoryFilter{Model: "heart"})
	if err != nil || len(hist) != 1 || hist[0].CheckID != s.CheckID || hist[0].DriftScore != s.DriftScore {
		t.Errorf("history %+v, %v", hist, err)
	}
	if len(e.events) != 1 {
		t.Fatalf("%d DriftChecked events, want 1", len(e.events))
	}
	var detail monitor.Summary
	if err := json.Unmarshal(e.events[0].Detail, &detail); err != nil {
		t.Fatal(err)
	}
	if e.events[0].Source != bus.Source || e.events[0].ID != s.CheckID || detail.ReportKey != s.ReportKey || detail.Verdict != drift.VerdictDrift {
		t.Errorf("event %s/%s id %s, detail %+v", e.events[0].Source, e.events[0].DetailType, e.events[0].ID, detail)
	}
	t.Logf("Hungarian: %d rows, drift score %.3f, drifted %v", s.Rows, s.DriftScore, s.DriftedFeatures)
}

func TestClevelandTrafficDoesNotDrift(t *testing.T) {
	e := newEnv(t)
	cf, cl := rows(t, cleveland)
	e.capture(t, t0.Add(-time.Hour), 1, cf, cl)
	res, err := e.svc.Check(context.Background(), monitor.Request{Model: "heart", Window: 24 * time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	if s := res.Summary; s.Verdict != drift.VerdictNoDrift || s.DriftScore > 0.1 {
		t.Errorf("the training data as traffic: %s, score %.3f %v", s.Verdict, s.DriftScore, s.DriftedFeatures)
	}
	if p := res.Summary.Performance; p == nil || p.Verdict == drift.VerdictDrift {
		t.Errorf("realised performance on the training data %+v", p)
	}
}

func TestEightRowsAreInsufficientData(t *testing.T) {
	e := newEnv(t)
	hf, _ := rows(t, hungarian)
	e.capture(t, t0.Add(-time.Hour), 1, hf[:8], nil)
	res, err := e.svc.Check(context.Background(), monitor.Request{Model: "heart", Window: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	if s := res.Summary; s.Verdict != drift.VerdictInsufficient || s.Rows != 8 || s.DatasetDrift || s.Reason == "" {
		t.Errorf("eight rows: %s rows %d reason %q", s.Verdict, s.Rows, s.Reason)
	}
	if len(e.events) != 1 {
		t.Errorf("insufficient data still reports: %d events", len(e.events))
	}
}

func TestEmptyWindowIsInsufficientData(t *testing.T) {
	e := newEnv(t)
	res, err := e.svc.Check(context.Background(), monitor.Request{Model: "heart", Window: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	if res.Summary.Verdict != drift.VerdictInsufficient || res.Summary.Rows != 0 {
		t.Errorf("no traffic: %+v", res.Summary)
	}
}

func TestWindowBoundsAndVersions(t *testing.T) {
	e := newEnv(t)
	cf, cl := rows(t, cleveland)
	// Version 2 (a forest) becomes champion; version 1 served earlier.
	v2, err := monitortest.Heart(context.Background(), e.arts, e.recs, monitortest.Spec{DataPath: cleveland, Family: "forest", Params: map[string]any{"n_trees": 20}, Seed: 2})
	if err != nil {
		t.Fatal(err)
	}
	e.capture(t, t0.Add(-25*time.Hour), 1, cf[:50], cl[:50])       // before the window
	e.capture(t, t0.Add(-23*time.Hour), 1, cf[50:150], cl[50:150]) // in, other version
	e.capture(t, t0.Add(-time.Minute), v2, cf[150:], cl[150:])     // in, champion
	e.capture(t, t0, v2, cf[:10], nil)                             // at the end: out
	res, err := e.svc.Check(context.Background(), monitor.Request{Model: "heart", Window: 24 * time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	s := res.Summary
	if s.Version != v2 || s.Rows != 100+len(cf)-150 || s.VersionRows != len(cf)-150 || s.Labelled != len(cf)-150 {
		t.Errorf("version %d rows %d version rows %d labelled %d", s.Version, s.Rows, s.VersionRows, s.Labelled)
	}
	if !s.WindowFrom.Equal(t0.Add(-24*time.Hour)) || !s.WindowTo.Equal(t0) {
		t.Errorf("window [%s, %s)", s.WindowFrom, s.WindowTo)
	}
	// An explicit version reads that version's rows and profile.
	res, err = e.svc.Check(context.Background(), monitor.Request{Model: "heart", Version: 1, Window: 24 * time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	if res.Summary.Version != 1 || res.Summary.VersionRows != 100 {
		t.Errorf("v1: %+v", res.Summary)
	}
	hist, err := monitor.History(context.Background(), e.recs, monitor.HistoryFilter{Model: "heart", Newest: true, Limit: 1})
	if err != nil || len(hist) != 1 || hist[0].CheckID != res.Summary.CheckID {
		t.Errorf("newest check: %+v %v", hist, err)
	}
	hist, err = monitor.History(context.Background(), e.recs, monitor.HistoryFilter{Model: "heart", From: t0.Add(time.Second)})
	if err != nil || len(hist) != 0 {
		t.Errorf("checks after t0: %d, %v", len(hist), err)
	}
}

func TestCaptureProblems(t *testing.T) {
	e := newEnv(t)
	hf, _ := rows(t, hungarian)
	ids := e.capture(t, t0.Add(-time.Hour), 1, hf[:100], nil)
	ctx := context.Background()
	key := "captures/heart/dt=2026-03-14/hour=08/broken.jsonl"
	good, err := e.arts.List(ctx, "captures/heart/dt=2026-03-14/hour=08/")
	if err != nil || len(good) != 1 {
		t.Fatal(good, err)
	}
	body, _, _ := e.arts.Get(ctx, good[0].Key)
	first := strings.SplitN(string(body), "\n", 2)[0]
	broken := "{not json\n" + first + "\n" + `{"id":"x","time":"2026-03-14T08:00:00Z","inputs":{"age":1e999}}` + "\n"
	if _, err := e.arts.Put(ctx, key, []byte(broken), "application/x-ndjson"); err != nil {
		t.Fatal(err)
	}
	res, err := e.svc.Check(ctx, monitor.Request{Model: "heart", Window: 2 * time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	s := res.Summary
	if s.Rows != len(ids) || s.Duplicates != 1 || s.Skipped != 2 || !strings.Contains(s.SkippedFirst, key+":1:") {
		t.Errorf("rows %d duplicates %d skipped %d first %q", s.Rows, s.Duplicates, s.Skipped, s.SkippedFirst)
	}

	// Inputs that are not the profile's features are a schema error that
	// says where and what.
	alien := strings.Replace(first, `"thal":`, `"thallium":`, 1)
	alien = strings.Replace(alien, `"id":"`, `"id":"1`, 1)
	if _, err := e.arts.Put(ctx, key, []byte(alien+"\n"), "application/x-ndjson"); err != nil {
		t.Fatal(err)
	}
	_, err = e.svc.Check(ctx, monitor.Request{Model: "heart", Window: 2 * time.Hour})
	if !errors.Is(err, drift.ErrSchema) || !strings.Contains(err.Error(), key+":1") ||
		!strings.Contains(err.Error(), `missing "thal"`) || !strings.Contains(err.Error(), `unexpected inputs "thallium"`) {
		t.Errorf("alien inputs: %v", err)
	}
}

func TestCurrentFile(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	raw, err := os.ReadFile(hungarian)
	if err != nil {
		t.Fatal(err)
	}
	names := servingtest.HeartSchema().Names()
	header := strings.Join(names, ",")
	check := func(name string, data string) (*monitor.Result, error) {
		return e.svc.Check(ctx, monitor.Request{Model: "heart", Current: &monitor.File{Name: name, Data: []byte(data)}})
	}

	t.Run("headerless with the target: drift, predictions and labels", func(t *testing.T) {
		res, err := check("hungarian.data", string(raw))
		if err != nil {
			t.Fatal(err)
		}
		s := res.Summary
		if s.Verdict != drift.VerdictDrift || s.Source != "file:hungarian.data" || s.Rows != 294 || s.Labelled == 0 || s.Performance == nil {
			t.Errorf("%+v", s)
		}
	})
	t.Run("header without the target", func(t *testing.T) {
		var b strings.Builder
		b.WriteString(strings.Join(names[:13], ",") + "\n")
		for _, line := range strings.Split(strings.TrimSpace(string(raw)), "\n") {
			b.WriteString(line[:strings.LastIndexByte(line, ',')] + "\n")
		}
		res, err := check("features.csv", b.String())
		if err != nil {
			t.Fatal(err)
		}
		if s := res.Summary; s.Verdict != drift.VerdictDrift || s.Labelled != 0 || s.Performance != nil || s.Prediction == nil {
			t.Errorf("%+v", s)
		}
	})
	t.Run("columns that do not match the schema", func(t *testing.T) {
		data := strings.Replace(header, ",thal,", ",thallium,", 1) + "\n" + string(raw)
		_, err := check("renamed.csv", data)
		if !errors.Is(err, drift.ErrSchema) || !strings.Contains(err.Error(), `missing "thal"`) || !strings.Contains(err.Error(), `unexpected "thallium"`) {
			t.Errorf("renamed column: %v", err)
		}
		_, err = check("short.data", "63,1,1,145\n")
		if !errors.Is(err, drift.ErrSchema) || !strings.Contains(err.Error(), "4 fields per line; expected 14") {
			t.Errorf("four fields: %v", err)
		}
	})
	t.Run("an all-missing column is insufficient data, the rest is tested", func(t *testing.T) {
		var b strings.Builder
		b.WriteString(header + "\n")
		for _, line := range strings.Split(strings.TrimSpace(string(raw)), "\n") {
			f := strings.Split(line, ",")
			f[4] = "?" // chol
			b.WriteString(strings.Join(f, ",") + "\n")
		}
		res, err := check("nochol.csv", b.String())
		if err != nil {
			t.Fatal(err)
		}
		for _, fv := range res.Summary.FeatureVerdicts {
			if fv.Name == "chol" && (fv.Verdict != drift.VerdictInsufficient || fv.Reason == "") {
				t.Errorf("chol all missing: %+v", fv)
			}
		}
		if res.Summary.Verdict != drift.VerdictDrift {
			t.Errorf("verdict %s", res.Summary.Verdict)
		}
	})
	t.Run("NaN and Inf are refused with row and column", func(t *testing.T) {
		for _, bad := range []string{"NaN", "Inf", "-Infinity", "1e999"} {
			lines := strings.Split(strings.TrimSpace(string(raw)), "\n")
			f := strings.Split(lines[2], ",")
			f[3] = bad
			lines[2] = strings.Join(f, ",")
			_, err := check("bad.data", strings.Join(lines, "\n"))
			var pe *dataset.ParseError
			if !errors.As(err, &pe) || pe.Row != 3 || pe.Column != "trestbps" {
				t.Errorf("%s: %v", bad, err)
			}
		}
	})
	t.Run("eight rows", func(t *testing.T) {
		lines := strings.Split(strings.TrimSpace(string(raw)), "\n")
		res, err := check("eight.data", strings.Join(lines[:8], "\n"))
		if err != nil {
			t.Fatal(err)
		}
		if res.Summary.Verdict != drift.VerdictInsufficient {
			t.Errorf("eight rows: %s", res.Summary.Verdict)
		}
	})
	t.Run("an empty file", func(t *testing.T) {
		if _, err := check("empty.csv", "\n\n"); !errors.Is(err, dataset.ErrEmpty) {
			t.Errorf("empty: %v", err)
		}
	})
}

func TestRequestErrors(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	if _, err := e.svc.Check(ctx, monitor.Request{}); !errors.Is(err, monitor.ErrInvalid) {
		t.Errorf("no model: %v", err)
	}
	if _, err := e.svc.Check(ctx, monitor.Request{Model: "heart", Window: -time.Hour}); !errors.Is(err, monitor.ErrInvalid) {
		t.Errorf("negative window: %v", err)
	}
	if _, err := e.svc.Check(ctx, monitor.Request{Model: "lungs"}); !errors.Is(err, monitor.ErrNoModel) {
		t.Errorf("unknown model: %v", err)
	}
	if _, err := e.svc.Check(ctx, monitor.Request{Model: "heart", Version: 9}); !errors.Is(err, monitor.ErrNoModel) || !errors.Is(err, registry.ErrNotFound) {
		t.Errorf("unknown version: %v", err)
	}
	svc := *e.svc
	svc.Features = []string{"age", "pulse"}
	if _, err := svc.Check(ctx, monitor.Request{Model: "heart"}); !errors.Is(err, monitor.ErrInvalid) || !strings.Contains(err.Error(), "pulse") {
		t.Errorf("unknown feature: %v", err)
	}
	// A bundle without a profile (trained before profiles existed).
	if _, err := servingtest.Heart(ctx, e.arts, e.recs, servingtest.Spec{DataPath: cleveland, Family: "logreg"}); err != nil {
		t.Fatal(err)
	}
	if _, err := e.svc.Check(ctx, monitor.Request{Model: "heart"}); !errors.Is(err, monitor.ErrNoProfile) {
		t.Errorf("no profile: %v", err)
	}
	if _, err := monitor.History(ctx, e.recs, monitor.HistoryFilter{}); !errors.Is(err, monitor.ErrInvalid) {
		t.Errorf("history without model: %v", err)
	}
}

func TestFeatureSubset(t *testing.T) {
	e := newEnv(t)
	hf, _ := rows(t, hungarian)
	e.capture(t, t0.Add(-time.Hour), 1, hf, nil)
	svc := *e.svc
	svc.Features = []string{"age", "chol", "thalach"}
	res, err := svc.Check(context.Background(), monitor.Request{Model: "heart", Window: 2 * time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	if res.Summary.Features != 3 || len(res.Summary.FeatureVerdicts) != 3 {
		t.Errorf("%d features checked, want 3", res.Summary.Features)
	}
}

func TestAppendLabelled(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	hf, hl := rows(t, hungarian)
	ids := e.capture(t, t0.Add(-time.Hour), 1, hf[:40], hl[:40])
	e.capture(t, t0.Add(-time.Hour), 1, hf[40:60], nil) // no labels: not appended
	base, err := os.ReadFile(cleveland)
	if err != nil {
		t.Fatal(err)
	}
	s := servingtest.HeartSchema()
	out, n, err := monitor.AppendLabelled(ctx, e.arts, e.recs, "heart", s, base, t0.Add(-2*time.Hour), t0)
	if err != nil {
		t.Fatal(err)
	}
	if n != len(ids) {
		t.Errorf("appended %d rows, want %d", n, len(ids))
	}
	f, err := dataset.Parse(out, s, dataset.Options{Format: dataset.FormatRaw})
	if err != nil {
		t.Fatal(err)
	}
	if f.Rows != 303+n {
		t.Errorf("%d rows", f.Rows)
	}
	labels, err := s.Target.Labels(f)
	if err != nil {
		t.Fatal(err)
	}
	pos := 0
	for _, l := range labels[303:] {
		pos += int(l)
	}
	want := 0
	for _, l := range hl[:40] {
		want += l
	}
	if pos != want {
		t.Errorf("%d positive labels appended, want %d", pos, want)
	}
	ca, _ := f.Column("ca")
	if !math.IsNaN(ca[303]) {
		t.Errorf("a missing input is written as %v, want missing", ca[303])
	}
}
