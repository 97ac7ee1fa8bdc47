package drift

import (
	"encoding/json"
	"errors"
	"math"
	"math/rand/v2"
	"reflect"
	"strings"
	"testing"
)

func continuous(seed uint64, n int, shift float64) []float64 {
	r := rand.New(rand.NewPCG(seed, 99))
	out := make([]float64, n)
	for i := range out {
		out[i] = r.NormFloat64() + shift
	}
	return out
}

func TestBuildProfileIsDeterministicAndBounded(t *testing.T) {
	x := continuous(1, 30000, 0)
	x[5] = math.NaN()
	x[6] = math.Inf(1)
	in := ProfileInput{Features: []Column{
		{Name: "x", Kind: KindNumeric, Values: x},
		{Name: "k", Kind: KindCategorical, Values: func() []float64 {
			out := make([]float64, len(x))
			for i := range out {
				out[i] = float64(i % 7)
			}
			return out
		}()},
	}}
	opts := ProfileOptions{SampleCap: 1000, MaxDistinct: 100, Seed: 42}
	a, err := BuildProfile(in, opts)
	if err != nil {
		t.Fatal(err)
	}
	b, err := BuildProfile(in, opts)
	if err != nil {
		t.Fatal(err)
	}
	ja, _ := json.Marshal(a)
	jb, _ := json.Marshal(b)
	if string(ja) != string(jb) {
		t.Fatal("two profiles built with the same seed differ")
	}
	opts.Seed = 43
	c, err := BuildProfile(in, opts)
	if err != nil {
		t.Fatal(err)
	}
	if reflect.DeepEqual(a.Features[0].Sample, c.Features[0].Sample) {
		t.Error("a different seed drew the same reservoir sample")
	}

	f := a.Features[0]
	if f.Exact() || len(f.Sample) != 1000 || f.Count != 29998 || f.Missing != 1 || f.NonFinite != 1 {
		t.Errorf("x: exact %v, sample %d, count %d, missing %d, non-finite %d; want sampled 1000 of 29998, 1 and 1",
			f.Exact(), len(f.Sample), f.Count, f.Missing, f.NonFinite)
	}
	if f.Histogram == nil || sumInts(f.Histogram.Counts) != f.Count {
		t.Errorf("x histogram %+v does not count all %d values", f.Histogram, f.Count)
	}
	if k := a.Features[1]; !k.Exact() || len(k.Values) != 7 || k.Count != 30000 || k.Histogram != nil {
		t.Errorf("k: exact %v, %d values, count %d, histogram %v; want exact 7 values over 30000, no histogram", k.Exact(), len(k.Values), k.Count, k.Histogram)
	}
	// The sample is a uniform draw: its mean is near the column's.
	var m float64
	for _, v := range f.Sample {
		m += v
	}
	if m /= float64(len(f.Sample)); math.Abs(m-f.Mean) > 0.15 {
		t.Errorf("sample mean %.3f, column mean %.3f", m, f.Mean)
	}
	if err := a.Validate(); err != nil {
		t.Errorf("built profile does not validate: %v", err)
	}
}

func TestSampledReferenceStillDetectsShift(t *testing.T) {
	p, err := BuildProfile(ProfileInput{Features: []Column{{Name: "x", Kind: KindNumeric, Values: continuous(1, 50000, 0)}}},
		ProfileOptions{SampleCap: 5000, MaxDistinct: 1000, Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	same, err := Check(p, Window{Columns: map[string][]float64{"x": continuous(2, 20000, 0)}}, DefaultOptions())
	if err != nil {
		t.Fatal(err)
	}
	shifted, err := Check(p, Window{Columns: map[string][]float64{"x": continuous(3, 20000, 0.3)}}, DefaultOptions())
	if err != nil {
		t.Fatal(err)
	}
	s, d := same.FeatureResults[0], shifted.FeatureResults[0]
	if !s.ReferenceSampled || s.Test != TestWasserstein || s.Verdict != VerdictNoDrift || d.Verdict != VerdictDrift {
		t.Errorf("sampled %v, test %s, same %s (%.3f), shifted %s (%.3f); want sampled wasserstein, no_drift, drift",
			s.ReferenceSampled, s.Test, s.Verdict, float64(*s.Statistic), d.Verdict, float64(*d.Statistic))
	}
	if got := float64(*d.Statistic); math.Abs(got-0.3) > 0.03 {
		t.Errorf("normed Wasserstein of a 0.3 sd shift = %.4f", got)
	}
}

func TestBuildProfileRejectsBadColumns(t *testing.T) {
	ok := []float64{1, 2, 3}
	cases := map[string]struct {
		in   ProfileInput
		want string
	}{
		"no features":    {ProfileInput{}, "no feature columns"},
		"empty name":     {ProfileInput{Features: []Column{{Kind: KindNumeric, Values: ok}}}, "no name"},
		"duplicate":      {ProfileInput{Features: []Column{{Name: "a", Kind: KindNumeric, Values: ok}, {Name: "a", Kind: KindNumeric, Values: ok}}}, `"a" appears twice`},
		"unknown kind":   {ProfileInput{Features: []Column{{Name: "a", Kind: "text", Values: ok}}}, `kind "text"`},
		"ragged":         {ProfileInput{Features: []Column{{Name: "a", Kind: KindNumeric, Values: ok}, {Name: "b", Kind: KindNumeric, Values: ok[:2]}}}, `"b" has 2 rows`},
		"all missing":    {ProfileInput{Features: []Column{{Name: "a", Kind: KindNumeric, Values: []float64{math.NaN(), math.Inf(1)}}}}, `"a" has no finite value`},
		"binary of 3":    {ProfileInput{Features: []Column{{Name: "a", Kind: KindBinary, Values: ok}}}, "3 distinct values"},
		"bad prediction": {ProfileInput{Features: []Column{{Name: "a", Kind: KindNumeric, Values: ok}}, Predictions: []float64{0, 2, 0.5}}, "row 1"},
	}
	for name, c := range cases {
		_, err := BuildProfile(c.in, DefaultProfileOptions())
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: err = %v, want it to say %q", name, err, c.want)
		}
	}
}

func TestParseProfileRejectsInconsistentDocuments(t *testing.T) {
	cle := readUCI(t, "processed.cleveland.data")
	good, err := json.Marshal(heartProfile(t, cle, nil))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := ParseProfile(good); err != nil {
		t.Fatalf("a built profile does not parse back: %v", err)
	}
	for name, edit := range map[string]func(p *Profile){
		"version":           func(p *Profile) { p.Version = 9 },
		"counts do not sum": func(p *Profile) { p.Features[0].Counts[0]++ },
		"unsorted values":   func(p *Profile) { v := p.Features[0].Values; v[0], v[1] = v[1], v[0] },
		"no data":           func(p *Profile) { p.Features[1].Values, p.Features[1].Counts = nil, nil },
		"bad kind":          func(p *Profile) { p.Features[2].Kind = "ordinal" },
		"repeated name":     func(p *Profile) { p.Features[3].Name = p.Features[0].Name },
		"histogram shape":   func(p *Profile) { p.Features[0].Histogram.Edges = p.Features[0].Histogram.Edges[1:] },
		"training metric":   func(p *Profile) { p.Training = &Metrics{Accuracy: 1.2} },
	} {
		p, err := ParseProfile(good)
		if err != nil {
			t.Fatal(err)
		}
		edit(p)
		b, _ := json.Marshal(p)
		if _, err := ParseProfile(b); !errors.Is(err, ErrInvalid) {
			t.Errorf("%s: err = %v, want ErrInvalid", name, err)
		}
	}
	if _, err := ParseProfile([]byte(`{"version":1,`)); err == nil || !strings.HasPrefix(err.Error(), "drift: parse profile") {
		t.Errorf("truncated JSON: %v", err)
	}
}

// FuzzParseProfile feeds arbitrary documents to ParseProfile and, when one
// is accepted, to Check: neither may panic. The seed corpus is in
// testdata/fuzz/FuzzParseProfile.
func FuzzParseProfile(f *testing.F) {
	f.Fuzz(func(t *testing.T, b []byte) {
		p, err := ParseProfile(b)
		if err != nil {
			return
		}
		w := Window{Columns: map[string][]float64{}}
		for i, ft := range p.Features {
			w.Columns[ft.Name] = []float64{float64(i), 1, 2, math.NaN(), 3, 4, 5, 6}
		}
		if _, err := Check(p, w, EvidentlyOptions()); err != nil && !errors.Is(err, ErrInvalid) && !errors.Is(err, ErrSchema) {
			t.Errorf("Check on a valid profile: %v", err)
		}
	})
}
