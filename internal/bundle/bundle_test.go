package bundle_test

import (
	"archive/tar"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"math"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stewardml/steward/internal/bundle"
	"github.com/stewardml/steward/internal/dataset"
	"github.com/stewardml/steward/internal/ml"
	"github.com/stewardml/steward/internal/train"
)

var update = flag.Bool("update", false, "rewrite golden files")

var heartNames = strings.Fields("age sex cp trestbps chol fbs restecg thalach exang oldpeak slope ca thal num")

func heartSchema() *dataset.Schema {
	kinds := map[string]dataset.Kind{
		"sex": dataset.Binary, "fbs": dataset.Binary, "exang": dataset.Binary,
		"cp": dataset.Categorical, "restecg": dataset.Categorical, "slope": dataset.Categorical, "thal": dataset.Categorical,
	}
	levels := map[string][]float64{"cp": {1, 2, 3, 4}, "restecg": {0, 1, 2}, "slope": {1, 2, 3}, "thal": {3, 6, 7}}
	lo, hi := 0.0, 120.0
	s := &dataset.Schema{Target: dataset.Target{Column: "num", Op: ">", Value: 0}}
	for _, n := range heartNames {
		c := dataset.Column{Name: n, Kind: dataset.Numeric}
		if k, ok := kinds[n]; ok {
			c.Kind = k
		}
		if n == "age" {
			c.Min, c.Max = &lo, &hi
		}
		for _, v := range levels[n] {
			c.Levels = append(c.Levels, dataset.Level{Value: v})
		}
		s.Columns = append(s.Columns, c)
	}
	return s
}

type trained struct {
	res  *train.Result
	data train.Data
	b    *bundle.Bundle
	X    ml.Matrix
}

var (
	cacheMu sync.Mutex
	cache   = map[string]*trained{}
)

// fixture trains one small bundle per family (3-fold CV, one repeat) on
// Cleveland, once per test binary.
func fixture(t testing.TB, family string, seed int64) *trained {
	t.Helper()
	cacheMu.Lock()
	defer cacheMu.Unlock()
	key := family + string(rune('0'+seed))
	if tr, ok := cache[key]; ok {
		return tr
	}
	s := heartSchema()
	f, raw, err := dataset.ReadFile("../../testdata/heart/processed.cleveland.data", s, dataset.Options{Format: dataset.FormatRaw})
	if err != nil {
		t.Fatal(err)
	}
	d := train.Data{Schema: s, Frame: f, Digest: dataset.Digest(raw)}
	params := map[string]map[string]any{
		"logreg": {"C": 1.0},
		"forest": {"n_trees": 50},
		"gbdt":   {"n_trees": 50, "max_depth": 3},
	}[family]
	cfg := train.Config{Seed: seed, Folds: 3, Repeats: 1, Families: []train.FamilySearch{{Family: family, Params: params}}}
	res, err := train.Run(context.Background(), d, cfg, train.Options{})
	if err != nil {
		t.Fatal(err)
	}
	b, err := res.Bundle("heart", d, []byte(`{"profile":"stand-in"}`), "test", bundle.Training{StartedAt: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC), Seconds: 1.5})
	if err != nil {
		t.Fatal(err)
	}
	m, err := f.Matrix(s.FeatureNames())
	if err != nil {
		t.Fatal(err)
	}
	tr := &trained{res: res, data: d, b: b, X: ml.Matrix(m)}
	cache[key] = tr
	return tr
}

var families = []string{"logreg", "forest", "gbdt"}

func TestRoundTripScoresLikeTheTrainedModel(t *testing.T) {
	for _, fam := range families {
		t.Run(fam, func(t *testing.T) {
			tr := fixture(t, fam, 1)
			data, err := tr.b.Encode()
			if err != nil {
				t.Fatal(err)
			}
			p, err := bundle.Open(data)
			if err != nil {
				t.Fatal(err)
			}
			want := make([]float64, tr.X.Rows)
			tr.res.Model.PredictProba(tr.res.Pipeline.Transform(tr.X), want)
			got := make([]float64, tr.X.Rows)
			if err := p.PredictBatch(tr.X, got); err != nil {
				t.Fatal(err)
			}
			for i := range want {
				if got[i] != want[i] {
					t.Fatalf("row %d: batch %v, trained model %v", i, got[i], want[i])
				}
				if one := p.Prob(tr.X.Row(i)); math.Abs(one-want[i]) > 1e-12 {
					t.Fatalf("row %d: Prob %v, trained model %v", i, one, want[i])
				}
			}
			if p.Family() != fam || p.Threshold() != 0.5 || len(p.Features()) != 13 {
				t.Errorf("family %s threshold %v features %d", p.Family(), p.Threshold(), len(p.Features()))
			}
		})
	}
}

func TestDigestIsStable(t *testing.T) {
	a := fixture(t, "gbdt", 1)
	// A second, independent run with the same data, configuration and seed.
	cacheMu.Lock()
	delete(cache, "gbdt"+string(rune('0'+1)))
	cacheMu.Unlock()
	b := fixture(t, "gbdt", 1)
	da, err := a.b.Digest()
	if err != nil {
		t.Fatal(err)
	}
	db, _ := b.b.Digest()
	if da != db {
		t.Errorf("same data, config and seed: digests %s and %s", da, db)
	}
	// The wall-clock section is not digested.
	c := *b.b
	c.Manifest.Training = bundle.Training{StartedAt: time.Now(), Seconds: 99}
	if dc, _ := c.Digest(); dc != da {
		t.Errorf("training time changed the digest: %s vs %s", dc, da)
	}
	ea, _ := a.b.Encode()
	ec, _ := c.Encode()
	if bytes.Equal(ea, ec) {
		t.Error("the archive does not record the training time")
	}
	// A different seed is a different model.
	other := fixture(t, "gbdt", 2)
	if do, _ := other.b.Digest(); do == da {
		t.Error("seeds 1 and 2 gave the same digest")
	}
	if !strings.HasPrefix(da, "sha256:") || bundle.Key(da) != "bundles/sha256/"+strings.TrimPrefix(da, "sha256:")+".tar" {
		t.Errorf("digest %s, key %s", da, bundle.Key(da))
	}
}

// TestManifestGolden pins the manifest's layout (numbers rounded to six
// significant digits, so that the file does not depend on the last bits of
// floating-point arithmetic). Rerun with -update after a deliberate change.
func TestManifestGolden(t *testing.T) {
	tr := fixture(t, "logreg", 1)
	data, err := tr.b.Encode()
	if err != nil {
		t.Fatal(err)
	}
	b, err := bundle.Decode(data)
	if err != nil {
		t.Fatal(err)
	}
	raw, err := json.Marshal(b.Manifest)
	if err != nil {
		t.Fatal(err)
	}
	var v any
	if err := json.Unmarshal(raw, &v); err != nil {
		t.Fatal(err)
	}
	// The model payload's checksum depends on every bit; keep its presence.
	files := v.(map[string]any)["files"].(map[string]any)
	for name := range files {
		files[name] = "(sha256 of the member)"
	}
	got, _ := json.MarshalIndent(round(v), "", "  ")
	got = append(got, '\n')
	const path = "testdata/manifest.golden.json"
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("manifest differs from %s (rerun with -update if deliberate):\n%s", path, got)
	}
}

func round(v any) any {
	switch x := v.(type) {
	case float64:
		if x == 0 {
			return x
		}
		p := math.Pow(10, 5-math.Floor(math.Log10(math.Abs(x))))
		return math.Round(x*p) / p
	case []any:
		for i := range x {
			x[i] = round(x[i])
		}
	case map[string]any:
		for k := range x {
			x[k] = round(x[k])
		}
	}
	return v
}

func TestDecodeRejectsDamagedArchives(t *testing.T) {
	tr := fixture(t, "logreg", 1)
	good, err := tr.b.Encode()
	if err != nil {
		t.Fatal(err)
	}
	retar := func(edit func(name string, data []byte) (string, []byte, bool)) []byte {
		var buf bytes.Buffer
		tw := tar.NewWriter(&buf)
		r := tar.NewReader(bytes.NewReader(good))
		for {
			h, err := r.Next()
			if err != nil {
				break
			}
			var body bytes.Buffer
			body.ReadFrom(r)
			name, data, keep := edit(h.Name, body.Bytes())
			if !keep {
				continue
			}
			tw.WriteHeader(&tar.Header{Name: name, Mode: 0o644, Size: int64(len(data)), Typeflag: tar.TypeReg})
			tw.Write(data)
		}
		tw.Close()
		return buf.Bytes()
	}
	cases := map[string][]byte{
		"empty":     {},
		"not a tar": []byte("hello, world"),
		"truncated": good[:len(good)/2],
		"flipped model byte": retar(func(n string, d []byte) (string, []byte, bool) {
			if n == bundle.ModelFile {
				d = append([]byte(nil), d...)
				d[len(d)/2] ^= 1
			}
			return n, d, true
		}),
		"no manifest": retar(func(n string, d []byte) (string, []byte, bool) { return n, d, n != bundle.ManifestFile }),
		"no model":    retar(func(n string, d []byte) (string, []byte, bool) { return n, d, n != bundle.ModelFile }),
		"extra member": retar(func(n string, d []byte) (string, []byte, bool) {
			if n == bundle.ProfileFile {
				return "../etc/passwd", d, true
			}
			return n, d, true
		}),
		"other format": retar(func(n string, d []byte) (string, []byte, bool) {
			if n == bundle.ManifestFile {
				d = bytes.Replace(d, []byte(bundle.Format), []byte("steward.bundle/v0"), 1)
			}
			return n, d, true
		}),
	}
	for name, data := range cases {
		t.Run(name, func(t *testing.T) {
			if _, err := bundle.Open(data); !errors.Is(err, bundle.ErrCorrupt) {
				t.Errorf("Open = %v, want ErrCorrupt", err)
			}
		})
	}
}

func TestPredictorChecksRows(t *testing.T) {
	tr := fixture(t, "forest", 1)
	data, _ := tr.b.Encode()
	p, err := bundle.Open(data)
	if err != nil {
		t.Fatal(err)
	}
	good := append([]float64(nil), tr.X.Row(0)...)
	with := func(j int, v float64) []float64 {
		r := append([]float64(nil), good...)
		r[j] = v
		return r
	}
	tests := []struct {
		name      string
		row       []float64
		field     string
		expecting string
	}{
		{"too few values", good[:12], "", "13 values"},
		{"age out of range", with(0, 250), "age", "a number in [0, 120], or missing"},
		{"infinite chol", with(4, math.Inf(1)), "chol", "a finite number, or missing"},
		{"unknown cp level", with(2, 5), "cp", "one of 1, 2, 3, 4, or missing"},
		{"binary sex", with(1, 2), "sex", "0 or 1, or missing"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := p.Predict(tc.row)
			var fe *bundle.FieldError
			if !errors.As(err, &fe) || !errors.Is(err, bundle.ErrInvalidInput) {
				t.Fatalf("err = %v, want a *FieldError", err)
			}
			if fe.Field != tc.field || !strings.Contains(fe.Expected, tc.expecting) {
				t.Errorf("field %q expected %q, want %q and %q", fe.Field, fe.Expected, tc.field, tc.expecting)
			}
		})
	}
	// A missing value is imputed, not refused.
	if _, err := p.Predict(with(11, math.NaN())); err != nil {
		t.Errorf("missing ca: %v", err)
	}
	// Batches name the row.
	X := ml.Matrix{Rows: 3, Cols: 13, Data: append(append(append([]float64(nil), good...), good...), with(6, 9)...)}
	err = p.PredictBatch(X, make([]float64, 3))
	var fe *bundle.FieldError
	if !errors.As(err, &fe) || fe.Index != 2 || fe.Field != "restecg" {
		t.Errorf("batch err = %v, want row 2 field restecg", err)
	}
	if !strings.Contains(err.Error(), `row 2, field "restecg": expected one of 0, 1, 2, or missing, got 9`) {
		t.Errorf("message %q", err)
	}
}

func TestPredictMap(t *testing.T) {
	tr := fixture(t, "logreg", 1)
	data, _ := tr.b.Encode()
	p, err := bundle.Open(data)
	if err != nil {
		t.Fatal(err)
	}
	m := map[string]float64{}
	for j, n := range heartNames[:13] {
		m[n] = tr.X.Row(5)[j]
	}
	got, err := p.PredictMap(m)
	if err != nil {
		t.Fatal(err)
	}
	if want := p.Prob(tr.X.Row(5)); got.Probability != want {
		t.Errorf("map %v, row %v", got.Probability, want)
	}
	if (got.Probability >= 0.5) != (got.Label == 1) {
		t.Errorf("label %d for probability %v", got.Label, got.Probability)
	}
	m["colour"] = 1
	var fe *bundle.FieldError
	if _, err := p.PredictMap(m); !errors.As(err, &fe) || fe.Field != "colour" {
		t.Errorf("unknown key: %v", err)
	}
	delete(m, "colour")
	delete(m, "thal")
	if _, err := p.PredictMap(m); !errors.As(err, &fe) || fe.Field != "thal" {
		t.Errorf("absent key: %v", err)
	}
}

// TestExplainAddsUpToTheMargin checks base + sum = margin in the original
// feature space for every family (logreg's one-hot columns summed back).
func TestExplainAddsUpToTheMargin(t *testing.T) {
	for _, fam := range families {
		t.Run(fam, func(t *testing.T) {
			tr := fixture(t, fam, 1)
			data, _ := tr.b.Encode()
			p, err := bundle.Open(data)
			if err != nil {
				t.Fatal(err)
			}
			for i := 0; i < tr.X.Rows; i += 17 {
				e, err := p.Explain(tr.X.Row(i))
				if err != nil {
					t.Fatal(err)
				}
				if len(e.Contributions) != 13 {
					t.Fatalf("%d contributions, want 13", len(e.Contributions))
				}
				sum := e.Base
				for _, c := range e.Contributions {
					sum += c.Contribution
				}
				if math.Abs(sum-e.Margin) > 1e-9 {
					t.Errorf("row %d: base + contributions = %v, margin %v", i, sum, e.Margin)
				}
				if math.Abs(ml.Sigmoid(e.Margin)-e.Probability) > 1e-6 && fam != "forest" {
					t.Errorf("row %d: sigmoid(margin) %v, probability %v", i, ml.Sigmoid(e.Margin), e.Probability)
				}
			}
			if _, err := json.Marshal(mustExplain(t, p, tr.X.Row(166))); err != nil {
				t.Errorf("an explanation with a missing value does not marshal: %v", err)
			}
		})
	}
}

func mustExplain(t *testing.T, p *bundle.Predictor, row []float64) bundle.Explanation {
	t.Helper()
	e, err := p.Explain(row)
	if err != nil {
		t.Fatal(err)
	}
	return e
}

func TestScoringOneRowDoesNotAllocate(t *testing.T) {
	for _, fam := range families {
		t.Run(fam, func(t *testing.T) {
			tr := fixture(t, fam, 1)
			data, _ := tr.b.Encode()
			p, err := bundle.Open(data)
			if err != nil {
				t.Fatal(err)
			}
			row := tr.X.Row(3)
			out := make([]float64, 13)
			p.Prob(row)
			if n := testing.AllocsPerRun(200, func() { p.Prob(row) }); n != 0 {
				t.Errorf("Prob allocates %v times per row", n)
			}
			// The tree families' TreeSHAP allocates scratch of its own; the
			// predictor must add nothing to it.
			in := tr.res.Pipeline.Transform(ml.Matrix{Rows: 1, Cols: 13, Data: row})
			mout := make([]float64, in.Cols)
			model := testing.AllocsPerRun(200, func() { p.Model().Contributions(in.Data, mout) })
			if n := testing.AllocsPerRun(200, func() { p.Contributions(row, out) }); n > model {
				t.Errorf("Contributions allocates %v times per row, the model alone %v", n, model)
			}
			if n := testing.AllocsPerRun(200, func() { p.Predict(row) }); n != 0 {
				t.Errorf("Predict allocates %v times per row", n)
			}
		})
	}
}

func BenchmarkPredictorProb(b *testing.B) {
	for _, fam := range families {
		b.Run(fam, func(b *testing.B) {
			tr := fixture(b, fam, 1)
			data, _ := tr.b.Encode()
			p, err := bundle.Open(data)
			if err != nil {
				b.Fatal(err)
			}
			row := tr.X.Row(3)
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				p.Prob(row)
			}
		})
	}
}

func BenchmarkPredictorExplain(b *testing.B) {
	for _, fam := range families {
		b.Run(fam, func(b *testing.B) {
			tr := fixture(b, fam, 1)
			data, _ := tr.b.Encode()
			p, err := bundle.Open(data)
			if err != nil {
				b.Fatal(err)
			}
			row := tr.X.Row(3)
			out := make([]float64, 13)
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				p.Contributions(row, out)
			}
		})
	}
}
