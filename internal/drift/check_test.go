package drift

import (
	"encoding/binary"
	"encoding/json"
	"errors"
	"math"
	"math/rand/v2"
	"strings"
	"testing"
)

func TestSelectTestFollowsEvidentlyTable(t *testing.T) {
	cases := []struct {
		kind    Kind
		nRef    int
		nUnique int
		want    TestName
	}{
		{KindNumeric, 1000, 6, TestKS},
		{KindNumeric, 1000, 5, TestChiSquare},
		{KindNumeric, 1000, 3, TestChiSquare},
		{KindNumeric, 1000, 2, TestZ},
		{KindNumeric, 1, 1, TestZ},
		{KindCategorical, 1000, 3, TestChiSquare},
		{KindCategorical, 1000, 2, TestZ},
		{KindBinary, 303, 2, TestZ},
		{KindBinary, 303, 3, TestChiSquare},
		{KindNumeric, 1001, 6, TestWasserstein},
		{KindNumeric, 1001, 5, TestJensenShannon},
		{KindCategorical, 1001, 50, TestJensenShannon},
		{KindBinary, 1001, 2, TestJensenShannon},
	}
	for _, c := range cases {
		if got := selectTest(c.kind, c.nRef, c.nUnique); got != c.want {
			t.Errorf("selectTest(%s, N_ref=%d, unique=%d) = %s, want %s", c.kind, c.nRef, c.nUnique, got, c.want)
		}
	}
}

func TestOperatorsDifferByTest(t *testing.T) {
	cases := []struct {
		test      TestName
		score     float64
		threshold float64
		want      bool
	}{
		{TestKS, 0.05, 0.05, true}, // p <= threshold
		{TestKS, 0.0500001, 0.05, false},
		{TestChiSquare, 0.05, 0.05, false}, // p < threshold
		{TestChiSquare, 0.0499999, 0.05, true},
		{TestZ, 0.05, 0.05, false},
		{TestWasserstein, 0.1, 0.1, true}, // distance >= threshold
		{TestJensenShannon, 0.0999999, 0.1, false},
		{TestPSI, 0.1, 0.1, true},
	}
	for _, c := range cases {
		spec, ok := LookupTest(c.test)
		if !ok {
			t.Fatalf("%s is not registered", c.test)
		}
		if got := spec.drifted(c.score, c.threshold); got != c.want {
			t.Errorf("%s: drifted(%v, %v) = %v, want %v", c.test, c.score, c.threshold, got, c.want)
		}
	}
	for name, want := range map[TestName]float64{TestKS: 0.05, TestChiSquare: 0.05, TestZ: 0.05, TestWasserstein: 0.1, TestJensenShannon: 0.1, TestPSI: 0.1} {
		if got, ok := DefaultThreshold(name); !ok || got != want {
			t.Errorf("DefaultThreshold(%s) = %v, %v; want %v", name, got, ok, want)
		}
	}
}

// synthetic builds a reference and a current window of the given sizes:
// x numeric (normal-ish, shifted by shift in the current window), c a
// categorical with 4 values, b binary.
func synthetic(t testing.TB, nRef, nCur int, shift float64) (*Profile, Window) {
	t.Helper()
	r := rand.New(rand.NewPCG(1, 2))
	gen := func(n int, s float64) (x, c, b []float64) {
		for i := 0; i < n; i++ {
			x = append(x, math.Round((r.NormFloat64()+s)*100)/100)
			c = append(c, float64(r.IntN(4)))
			b = append(b, float64(r.IntN(2)))
		}
		return
	}
	x, c, b := gen(nRef, 0)
	p, err := BuildProfile(ProfileInput{Features: []Column{
		{Name: "x", Kind: KindNumeric, Values: x},
		{Name: "c", Kind: KindCategorical, Values: c},
		{Name: "b", Kind: KindBinary, Values: b},
	}}, DefaultProfileOptions())
	if err != nil {
		t.Fatal(err)
	}
	x2, c2, b2 := gen(nCur, shift)
	return p, Window{Columns: map[string][]float64{"x": x2, "c": c2, "b": b2}}
}

func result(t testing.TB, r *Report, name string) FeatureResult {
	t.Helper()
	for _, f := range r.FeatureResults {
		if f.Name == name {
			return f
		}
	}
	t.Fatalf("no result for %s", name)
	return FeatureResult{}
}

func TestLargeReferenceUsesDistancesOnExactCounts(t *testing.T) {
	p, w := synthetic(t, 5000, 2000, 0.3)
	r, err := Check(p, w, DefaultOptions())
	if err != nil {
		t.Fatal(err)
	}
	x, c := result(t, r, "x"), result(t, r, "c")
	if x.Test != TestWasserstein || c.Test != TestJensenShannon || result(t, r, "b").Test != TestJensenShannon {
		t.Fatalf("tests %s, %s, %s; want wasserstein, jensenshannon, jensenshannon", x.Test, c.Test, result(t, r, "b").Test)
	}
	// The profile holds exact counts, so the statistic equals the direct
	// computation on the same values.
	ref := p.Features[0].sorted()
	want, err := WassersteinNormed(expand(ref), w.Columns["x"])
	if err != nil {
		t.Fatal(err)
	}
	checkClose(t, "normed wasserstein", float64(*x.Statistic), want)
	if x.Verdict != VerdictDrift || x.PValue != nil || x.AdjustedPValue != nil {
		t.Errorf("x: verdict %s with p-values %v %v; want drift, no p-value", x.Verdict, x.PValue, x.AdjustedPValue)
	}
	if x.Effect == nil || x.Effect.Measure != TestWasserstein || float64(x.Effect.Value) != want {
		t.Errorf("x effect %+v, want wasserstein %v", x.Effect, want)
	}
	if c.Effect == nil || c.Effect.Measure != TestPSI {
		t.Errorf("c effect %+v, want psi", c.Effect)
	}
}

func expand(s Sorted) []float64 {
	out := make([]float64, 0, s.N())
	for i, v := range s.Values {
		for k := 0; k < s.Count(i); k++ {
			out = append(out, v)
		}
	}
	return out
}

func TestSmallReferenceUsesPValueTestsWithCorrection(t *testing.T) {
	p, w := synthetic(t, 800, 500, 0.2)
	r, err := Check(p, w, DefaultOptions())
	if err != nil {
		t.Fatal(err)
	}
	var raw []float64
	for _, name := range []string{"x", "c", "b"} {
		f := result(t, r, name)
		if f.PValue == nil || f.AdjustedPValue == nil {
			t.Fatalf("%s (%s) has no p-value", name, f.Test)
		}
		raw = append(raw, float64(*f.PValue))
	}
	adj := AdjustBH(raw)
	for i, name := range []string{"x", "c", "b"} {
		if got := float64(*result(t, r, name).AdjustedPValue); got != adj[i] {
			t.Errorf("%s adjusted p %v, want %v", name, got, adj[i])
		}
	}
	if got := result(t, r, "x").Test; got != TestKS {
		t.Errorf("x test %s, want ks", got)
	}
	ks, err := KolmogorovSmirnov(expand(p.Features[0].sorted()), w.Columns["x"])
	if err != nil {
		t.Fatal(err)
	}
	if got := float64(*result(t, r, "x").PValue); got != ks.PValue {
		t.Errorf("x p-value %v, direct ks_2samp %v", got, ks.PValue)
	}
	if got := float64(*result(t, r, "x").DriftScore); got != ks.PValue {
		t.Errorf("x drift score %v, want the raw p-value %v", got, ks.PValue)
	}
}

func TestOverridesChangeTestAndThreshold(t *testing.T) {
	p, w := synthetic(t, 800, 500, 0.2)
	o := DefaultOptions()
	o.Overrides = map[string]Override{
		"x": {Test: TestPSI, Threshold: 0.02},
		"c": {Threshold: 0.5},
	}
	r, err := Check(p, w, o)
	if err != nil {
		t.Fatal(err)
	}
	x := result(t, r, "x")
	if x.Test != TestPSI || x.Threshold != 0.02 || !x.Overridden || x.Operator != ">=" {
		t.Fatalf("x: test %s threshold %v overridden %v operator %s; want psi 0.02 true >=", x.Test, x.Threshold, x.Overridden, x.Operator)
	}
	ref := p.Features[0].sorted()
	cur := mustSorted(t, w.Columns["x"])
	b, err := evidentlyBins(ref, cur, true)
	if err != nil {
		t.Fatal(err)
	}
	if b.Edges == nil {
		t.Fatal("PSI on a numeric feature with many values should use Sturges bins")
	}
	want := PSI(Proportions(b.Ref, ref.N()), Proportions(b.Cur, cur.N()))
	if float64(*x.Statistic) != want {
		t.Errorf("x psi %v, want %v", float64(*x.Statistic), want)
	}
	if got := (want >= 0.02); (x.Verdict == VerdictDrift) != got {
		t.Errorf("x verdict %s for psi %v at 0.02", x.Verdict, want)
	}
	if c := result(t, r, "c"); c.Test != TestChiSquare || c.Threshold != 0.5 {
		t.Errorf("c: %s at %v, want chisquare at 0.5", c.Test, c.Threshold)
	}

	o.Overrides = map[string]Override{"nope": {Threshold: 0.1}}
	if _, err := Check(p, w, o); !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), `"nope"`) {
		t.Errorf("override of an unknown feature: %v, want ErrInvalid naming it", err)
	}
	o.Overrides = map[string]Override{"x": {Test: "t_test"}}
	if _, err := Check(p, w, o); !errors.Is(err, ErrInvalid) {
		t.Errorf("unknown test: %v, want ErrInvalid", err)
	}
}

func TestWindowMustMatchProfile(t *testing.T) {
	p, w := synthetic(t, 200, 100, 0)
	cases := map[string]struct {
		mutate func(w Window) Window
		want   error
		names  []string
	}{
		"missing column": {func(w Window) Window {
			delete(w.Columns, "c")
			return w
		}, ErrSchema, []string{`missing "c"`}},
		"unexpected column": {func(w Window) Window {
			w.Columns["target"] = make([]float64, 100)
			return w
		}, ErrSchema, []string{`unexpected "target"`}},
		"ragged columns": {func(w Window) Window {
			w.Columns["b"] = w.Columns["b"][:50]
			return w
		}, ErrSchema, []string{`"b" has 50 rows`}},
		"predictions of the wrong length": {func(w Window) Window {
			w.Predictions = []float64{0.5}
			return w
		}, ErrSchema, []string{"1 predictions for 100 rows"}},
		"probability above 1": {func(w Window) Window {
			w.Predictions = make([]float64, 100)
			w.Predictions[7] = 1.5
			return w
		}, ErrInvalid, []string{"row 7", "1.5"}},
		"label that is not 0 or 1": {func(w Window) Window {
			w.Predictions = make([]float64, 100)
			w.Labels = make([]float64, 100)
			w.Labels[3] = 2
			return w
		}, ErrInvalid, []string{"row 3", `"label"`}},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			cp := Window{Columns: map[string][]float64{}}
			for k, v := range w.Columns {
				cp.Columns[k] = v
			}
			_, err := Check(p, c.mutate(cp), DefaultOptions())
			if !errors.Is(err, c.want) {
				t.Fatalf("err = %v, want %v", err, c.want)
			}
			for _, s := range c.names {
				if !strings.Contains(err.Error(), s) {
					t.Errorf("error %q does not say %q", err, s)
				}
			}
		})
	}
}

func TestMissingAndInfiniteValuesAreDroppedAndCounted(t *testing.T) {
	p, w := synthetic(t, 300, 200, 0)
	clean, err := Check(p, w, DefaultOptions())
	if err != nil {
		t.Fatal(err)
	}
	dirty := Window{Columns: map[string][]float64{}}
	for k, v := range w.Columns {
		dirty.Columns[k] = append(append([]float64{}, v...), math.NaN(), math.Inf(1), math.Inf(-1), math.NaN())
	}
	got, err := Check(p, dirty, DefaultOptions())
	if err != nil {
		t.Fatal(err)
	}
	for i, f := range got.FeatureResults {
		c := clean.FeatureResults[i]
		if f.CurrentMissing != 2 || f.CurrentNonFinite != 2 || f.CurrentRows != c.CurrentRows {
			t.Errorf("%s: missing %d, non-finite %d, rows %d; want 2, 2, %d", f.Name, f.CurrentMissing, f.CurrentNonFinite, f.CurrentRows, c.CurrentRows)
		}
		if *f.Statistic != *c.Statistic || *f.PValue != *c.PValue {
			t.Errorf("%s: dropping NaN/Inf changed the test: %v/%v vs %v/%v", f.Name, *f.Statistic, *f.PValue, *c.Statistic, *c.PValue)
		}
	}
	if got.CurrentRows != 204 {
		t.Errorf("current rows %d, want 204", got.CurrentRows)
	}
}

func TestAllMissingColumnIsInsufficientForThatFeature(t *testing.T) {
	p, w := synthetic(t, 300, 200, 0)
	nan := make([]float64, 200)
	for i := range nan {
		nan[i] = math.NaN()
	}
	w.Columns["c"] = nan
	r, err := Check(p, w, DefaultOptions())
	if err != nil {
		t.Fatal(err)
	}
	c := result(t, r, "c")
	if c.Verdict != VerdictInsufficient || !strings.Contains(c.Reason, "no finite current values") || c.CurrentMissing != 200 {
		t.Errorf("c: %s %q missing %d; want insufficient_data, a reason, 200 missing", c.Verdict, c.Reason, c.CurrentMissing)
	}
	if r.Tested != 2 || r.Insufficient != 1 {
		t.Errorf("tested %d, insufficient %d; want 2 and 1", r.Tested, r.Insufficient)
	}
	// Evidently raises on an empty column; Steward answers for it too.
	if _, err := Check(p, w, EvidentlyOptions()); err != nil {
		t.Errorf("Evidently options: %v", err)
	}
}

func TestExpectedCountGuard(t *testing.T) {
	// A category with 1% of the reference and 100 current rows: expected 1.
	ref := make([]float64, 0, 1000)
	for i := 0; i < 1000; i++ {
		v := float64(i % 3)
		if i%100 == 0 {
			v = 9
		}
		ref = append(ref, v)
	}
	p, err := BuildProfile(ProfileInput{Features: []Column{{Name: "c", Kind: KindCategorical, Values: ref}}}, DefaultProfileOptions())
	if err != nil {
		t.Fatal(err)
	}
	w := Window{Columns: map[string][]float64{"c": ref[:100]}}
	r, err := Check(p, w, DefaultOptions())
	if err != nil {
		t.Fatal(err)
	}
	c := result(t, r, "c")
	if c.Verdict != VerdictInsufficient || !strings.Contains(c.Reason, "expected count below 5 for value 9") {
		t.Errorf("verdict %s, reason %q; want insufficient_data naming value 9", c.Verdict, c.Reason)
	}
	o := DefaultOptions()
	o.MinExpected = 0
	if r, err = Check(p, w, o); err != nil {
		t.Fatal(err)
	}
	if c := result(t, r, "c"); c.Verdict == VerdictInsufficient {
		t.Errorf("with the guard off the test runs, got %s", c.Verdict)
	}
}

func TestReportJSONRoundTrips(t *testing.T) {
	// A new category makes the chi-square statistic infinite (Evidently
	// options, no guard): the report must still encode.
	p, w := synthetic(t, 300, 200, 0)
	w.Columns["c"][0] = 17
	r, err := Check(p, w, EvidentlyOptions())
	if err != nil {
		t.Fatal(err)
	}
	c := result(t, r, "c")
	if !math.IsInf(float64(*c.Statistic), 1) || *c.PValue != 0 || c.Verdict != VerdictDrift {
		t.Fatalf("c: statistic %v p %v verdict %s; want +Inf, 0, drift", *c.Statistic, *c.PValue, c.Verdict)
	}
	b, err := r.JSON()
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(b), `"statistic": "+Inf"`) || !strings.Contains(string(b), `"operator": "<="`) {
		t.Errorf("report JSON lacks the encoded infinity or readable operator:\n%s", b)
	}
	var back Report
	if err := json.Unmarshal(b, &back); err != nil {
		t.Fatal(err)
	}
	b2, err := back.JSON()
	if err != nil {
		t.Fatal(err)
	}
	if string(b) != string(b2) {
		t.Error("report changed in a JSON round trip")
	}
}

func TestOptionsAreValidated(t *testing.T) {
	p, w := synthetic(t, 100, 100, 0)
	for name, mutate := range map[string]func(*Options){
		"no correction named":  func(o *Options) { o.Correction = "" },
		"drift share above 1":  func(o *Options) { o.DriftShare = 1.5 },
		"drift share zero":     func(o *Options) { o.DriftShare = 0 },
		"negative min rows":    func(o *Options) { o.MinRows = -1 },
		"effect by chi-square": func(o *Options) { o.CategoricalEffect = TestChiSquare },
		"no bootstrap":         func(o *Options) { o.Performance.Bootstrap = 0 },
	} {
		o := DefaultOptions()
		mutate(&o)
		if _, err := Check(p, w, o); !errors.Is(err, ErrInvalid) {
			t.Errorf("%s: err = %v, want ErrInvalid", name, err)
		}
	}
}

func TestDriftShareIsInclusive(t *testing.T) {
	// Two features, one shifted: share 0.5 drifts at 0.5, not at 0.51.
	r := rand.New(rand.NewPCG(3, 4))
	col := func(n int, s float64) []float64 {
		out := make([]float64, n)
		for i := range out {
			out[i] = r.NormFloat64() + s
		}
		return out
	}
	p, err := BuildProfile(ProfileInput{Features: []Column{
		{Name: "a", Kind: KindNumeric, Values: col(500, 0)},
		{Name: "b", Kind: KindNumeric, Values: col(500, 0)},
	}}, DefaultProfileOptions())
	if err != nil {
		t.Fatal(err)
	}
	w := Window{Columns: map[string][]float64{"a": col(500, 2), "b": col(500, 0)}}
	o := DefaultOptions()
	rep, err := Check(p, w, o)
	if err != nil {
		t.Fatal(err)
	}
	if rep.DriftScore != 0.5 || !rep.DatasetDrift || rep.Verdict != VerdictDrift {
		t.Fatalf("score %v dataset drift %v verdict %s; want 0.5, true, drift", rep.DriftScore, rep.DatasetDrift, rep.Verdict)
	}
	o.DriftShare = 0.51
	if rep, err = Check(p, w, o); err != nil || rep.DatasetDrift {
		t.Errorf("share 0.5 with threshold 0.51: dataset drift %v (%v)", rep.DatasetDrift, err)
	}
}

// FuzzCheckWindow feeds arbitrary float64 values (extremes, NaN, ±Inf, -0,
// subnormals) as the current window of a small profile: Check must answer
// without panicking, and every verdict must be one of the three.
func FuzzCheckWindow(f *testing.F) {
	f.Add([]byte{0, 0, 0, 0, 0, 0, 240, 63, 0, 0, 0, 0, 0, 0, 0, 64})
	f.Add([]byte{255, 255, 255, 255, 255, 255, 239, 127, 1, 0, 0, 0, 0, 0, 0, 128, 0, 0, 0, 0, 0, 0, 248, 127})
	p, _ := synthetic(f, 300, 10, 0)
	wide, err := BuildProfile(ProfileInput{Features: []Column{
		{Name: "x", Kind: KindNumeric, Values: []float64{-1e150, 0, 1e150}},
		{Name: "c", Kind: KindCategorical, Values: []float64{1, 2, 3}},
		{Name: "b", Kind: KindBinary, Values: []float64{0, 1, 1}},
	}}, DefaultProfileOptions())
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		vals := make([]float64, len(b)/8)
		for i := range vals {
			vals[i] = math.Float64frombits(binary.LittleEndian.Uint64(b[8*i:]))
		}
		n := len(vals)
		w := Window{Columns: map[string][]float64{"x": vals, "c": make([]float64, n), "b": make([]float64, n)}}
		for i, v := range vals {
			w.Columns["c"][n-1-i] = v
			w.Columns["b"][i] = math.Mod(math.Abs(v), 2)
		}
		for _, prof := range []*Profile{p, wide} {
			for _, o := range []Options{DefaultOptions(), EvidentlyOptions()} {
				r, err := Check(prof, w, o)
				if err != nil {
					t.Fatalf("Check: %v", err)
				}
				for _, fr := range r.FeatureResults {
					switch fr.Verdict {
					case VerdictDrift, VerdictNoDrift, VerdictInsufficient:
					default:
						t.Fatalf("%s: verdict %q", fr.Name, fr.Verdict)
					}
				}
				if _, err := r.JSON(); err != nil {
					t.Fatal(err)
				}
			}
		}
	})
}

func TestOptionsDecodeFromConfig(t *testing.T) {
	o := DefaultOptions()
	cfg := `{"correction": "bonferroni", "min_rows": 50, "overrides": {"x": {"test": "psi", "threshold": 0.2}}}`
	if err := json.Unmarshal([]byte(cfg), &o); err != nil {
		t.Fatal(err)
	}
	if o.Correction != CorrectionBonferroni || o.MinRows != 50 || o.MinExpected != 5 || o.Overrides["x"] != (Override{Test: TestPSI, Threshold: 0.2}) {
		t.Fatalf("decoded options %+v", o)
	}
	p, w := synthetic(t, 300, 100, 0)
	r, err := Check(p, w, o)
	if err != nil {
		t.Fatal(err)
	}
	if x := result(t, r, "x"); x.Test != TestPSI || x.Threshold != 0.2 || r.Correction != CorrectionBonferroni {
		t.Errorf("x: %s at %v, correction %s", x.Test, x.Threshold, r.Correction)
	}
}
