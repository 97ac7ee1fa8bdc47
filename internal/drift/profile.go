package drift

import (
	"encoding/json"
	"fmt"
	"math"
	"math/rand/v2"
	"runtime"
	"slices"
	"sync"
)

// Kind is how a feature is tested: numbers, or unordered categories.
type Kind string

// The feature kinds. Binary features are categorical features with two
// values; Evidently tests them (like any column with at most two distinct
// values) with the Z-test.
const (
	KindNumeric     Kind = "numeric"
	KindCategorical Kind = "categorical"
	KindBinary      Kind = "binary"
)

func (k Kind) valid() bool {
	return k == KindNumeric || k == KindCategorical || k == KindBinary
}

// ProfileVersion is the version of the Profile document this package writes
// and reads.
const ProfileVersion = 1

// Defaults of ProfileOptions.
const (
	// DefaultSampleCap bounds the reservoir sample kept for a column with
	// more than DefaultMaxDistinct distinct values. Its sampling error on the
	// normed Wasserstein distance is about 0.005 reference standard
	// deviations, twenty times below the 0.1 threshold.
	DefaultSampleCap = 20000
	// DefaultMaxDistinct is the largest number of distinct values a column
	// may have for the profile to keep its exact value counts.
	DefaultMaxDistinct = 5000
)

// Profile is the reference side of every drift check: what the tests need
// to know about the training data, so that a check never re-reads it. It is
// a JSON document stored in the model bundle; build it with BuildProfile and
// read it back with ParseProfile.
//
// Each feature keeps its exact value counts when it has at most MaxDistinct
// distinct values (every categorical column and most tabular numeric ones:
// then every statistic is exact), otherwise a seeded reservoir sample of at
// most SampleCap values plus exact moments, range and histogram.
type Profile struct {
	Version     int              `json:"version"`
	Rows        int              `json:"rows"`
	Seed        uint64           `json:"seed"`
	SampleCap   int              `json:"sample_cap"`
	MaxDistinct int              `json:"max_distinct"`
	Features    []FeatureProfile `json:"features"`
	// Prediction profiles the model's predicted probabilities on the
	// reference data (optional).
	Prediction *FeatureProfile `json:"prediction,omitempty"`
	// Training holds the metrics measured at training time (optional); a
	// check compares realised performance against them.
	Training *Metrics `json:"training,omitempty"`
}

// FeatureProfile is one column of the reference data.
type FeatureProfile struct {
	Name string `json:"name"`
	Kind Kind   `json:"kind"`
	// Count is the number of finite values: Evidently's N_ref, which picks
	// the test. Missing (NaN) and NonFinite (±Inf) values were dropped.
	Count     int     `json:"count"`
	Missing   int     `json:"missing"`
	NonFinite int     `json:"non_finite"`
	Mean      float64 `json:"mean"`
	// Std is the population standard deviation (ddof 0), the normaliser of
	// the normed Wasserstein distance.
	Std float64 `json:"std"`
	Min float64 `json:"min"`
	Max float64 `json:"max"`
	// Distinct is the number of distinct finite values.
	Distinct int `json:"distinct"`
	// Values (ascending) and Counts are the exact value counts, present
	// when Distinct <= the profile's MaxDistinct.
	Values []float64 `json:"values,omitempty"`
	Counts []int     `json:"counts,omitempty"`
	// Sample is a seeded reservoir sample of the finite values (ascending),
	// present instead of Values when there are too many distinct values.
	Sample []float64 `json:"sample,omitempty"`
	// Histogram holds exact counts over fixed edges for numeric columns
	// (Sturges bins over [Min, Max]); plots compare the current window on
	// the same edges.
	Histogram *Binned `json:"histogram,omitempty"`
}

// Binned is a set of counts over bin edges (len(Counts)+1 edges; NumPy's
// convention: half-open bins, the last one closed).
type Binned struct {
	Edges  []float64 `json:"edges"`
	Counts []int     `json:"counts"`
}

// Exact reports whether the profile holds the column's exact value counts.
func (f *FeatureProfile) Exact() bool { return len(f.Values) > 0 }

// sorted is the reference sample the tests read: exact counts, or the
// reservoir sample.
func (f *FeatureProfile) sorted() Sorted {
	if f.Exact() {
		cum := make([]int, len(f.Counts))
		total := 0
		for i, c := range f.Counts {
			total += c
			cum[i] = total
		}
		return Sorted{Values: f.Values, Cum: cum}
	}
	return compress(slices.Clone(f.Sample))
}

// Metrics are a classifier's scores at a decision threshold; the names match
// the training report's (accuracy, f1, roc_auc).
type Metrics struct {
	Accuracy  float64 `json:"accuracy"`
	F1        float64 `json:"f1"`
	ROCAUC    float64 `json:"roc_auc"`
	Threshold float64 `json:"threshold"`
}

// Column is one named column of data, NaN marking a missing value.
type Column struct {
	Name   string
	Kind   Kind
	Values []float64
}

// ProfileInput is the training data a profile is built from.
type ProfileInput struct {
	Features []Column
	// Predictions are the model's predicted probabilities on the same rows
	// (optional).
	Predictions []float64
	// Training are the training-time metrics (optional).
	Training *Metrics
}

// ProfileOptions bound the size of a profile and seed its sampling.
type ProfileOptions struct {
	// SampleCap is the reservoir size for columns with many distinct values.
	SampleCap int
	// MaxDistinct is the largest number of distinct values kept exactly.
	MaxDistinct int
	// Seed makes the reservoir samples reproducible.
	Seed uint64
}

// DefaultProfileOptions are the defaults documented on DefaultSampleCap and
// DefaultMaxDistinct, with seed 0.
func DefaultProfileOptions() ProfileOptions {
	return ProfileOptions{SampleCap: DefaultSampleCap, MaxDistinct: DefaultMaxDistinct}
}

// BuildProfile profiles the training columns. It is deterministic for a
// given input and seed. It returns an error for duplicate or empty names,
// an unknown kind, columns of different lengths, a column without any finite
// value, a binary column with more than two distinct values, and
// predictions that are not probabilities.
func BuildProfile(in ProfileInput, opts ProfileOptions) (*Profile, error) {
	if opts.SampleCap < 1 || opts.MaxDistinct < 1 {
		return nil, fmt.Errorf("%w: profile options need SampleCap and MaxDistinct >= 1 (got %d, %d)", ErrInvalid, opts.SampleCap, opts.MaxDistinct)
	}
	if len(in.Features) == 0 {
		return nil, fmt.Errorf("%w: no feature columns to profile", ErrInvalid)
	}
	rows := len(in.Features[0].Values)
	seen := map[string]bool{}
	for _, c := range in.Features {
		switch {
		case c.Name == "":
			return nil, fmt.Errorf("%w: a feature column has no name", ErrInvalid)
		case seen[c.Name]:
			return nil, fmt.Errorf("%w: feature %q appears twice", ErrInvalid, c.Name)
		case !c.Kind.valid():
			return nil, fmt.Errorf("%w: feature %q has kind %q, expected numeric, categorical or binary", ErrInvalid, c.Name, c.Kind)
		case len(c.Values) != rows:
			return nil, fmt.Errorf("%w: feature %q has %d rows, feature %q has %d", ErrInvalid, c.Name, len(c.Values), in.Features[0].Name, rows)
		}
		seen[c.Name] = true
	}
	if len(in.Predictions) > 0 {
		if len(in.Predictions) != rows {
			return nil, fmt.Errorf("%w: %d predictions for %d rows", ErrInvalid, len(in.Predictions), rows)
		}
		if err := checkProbabilities(in.Predictions); err != nil {
			return nil, err
		}
	}
	p := &Profile{
		Version: ProfileVersion, Rows: rows, Seed: opts.Seed,
		SampleCap: opts.SampleCap, MaxDistinct: opts.MaxDistinct,
		Features: make([]FeatureProfile, len(in.Features)),
		Training: in.Training,
	}
	errs := make([]error, len(in.Features))
	parallel(len(in.Features), func(i int) {
		c := in.Features[i]
		p.Features[i], errs[i] = profileColumn(c.Name, c.Kind, c.Values, opts, uint64(i)+1)
	})
	for _, err := range errs {
		if err != nil {
			return nil, err
		}
	}
	if len(in.Predictions) > 0 {
		fp, err := profileColumn("prediction", KindNumeric, in.Predictions, opts, 0)
		if err != nil {
			return nil, err
		}
		p.Prediction = &fp
	}
	// Values so large that the moments overflow make an unusable profile.
	if err := p.Validate(); err != nil {
		return nil, err
	}
	return p, nil
}

func checkProbabilities(p []float64) error {
	for i, v := range p {
		if !math.IsNaN(v) && !(v >= 0 && v <= 1) {
			return &DataError{Column: "prediction", Row: i, Value: v, Expected: "a probability in [0, 1] or NaN", Err: ErrInvalid}
		}
	}
	return nil
}

func profileColumn(name string, kind Kind, x []float64, opts ProfileOptions, stream uint64) (FeatureProfile, error) {
	s, missing, nonFinite := sortedOf(x, true)
	if s.N() == 0 {
		return FeatureProfile{}, fmt.Errorf("%w: feature %q has no finite value in %d rows", ErrEmpty, name, len(x))
	}
	fp := FeatureProfile{
		Name: name, Kind: kind, Count: s.N(), Missing: missing, NonFinite: nonFinite,
		Min: s.Min(), Max: s.Max(), Distinct: len(s.Values), Std: PopulationStd(s),
	}
	var sum float64
	for i, v := range s.Values {
		sum += float64(v * float64(s.Count(i)))
	}
	fp.Mean = sum / float64(s.N())
	if kind == KindBinary && fp.Distinct > 2 {
		return FeatureProfile{}, fmt.Errorf("%w: binary feature %q has %d distinct values (%v, %v, ...)", ErrInvalid, name, fp.Distinct, s.Values[0], s.Values[1])
	}
	if fp.Distinct <= opts.MaxDistinct {
		fp.Values = s.Values
		fp.Counts = make([]int, len(s.Values))
		for i := range s.Values {
			fp.Counts[i] = s.Count(i)
		}
	} else {
		sample := reservoir(x, opts.SampleCap, rand.New(rand.NewPCG(opts.Seed, stream)))
		slices.Sort(sample)
		fp.Sample = sample
	}
	if kind == KindNumeric {
		edges, err := SturgesEdges(s.N(), s.Min(), s.Max())
		if err != nil {
			return FeatureProfile{}, err
		}
		fp.Histogram = &Binned{Edges: edges, Counts: HistogramSorted(s, edges)}
	}
	return fp, nil
}

// reservoir draws a uniform sample of at most k finite values of x (Vitter's
// algorithm R), in the order the rows come.
func reservoir(x []float64, k int, r *rand.Rand) []float64 {
	out := make([]float64, 0, k)
	seen := 0
	for _, v := range x {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			continue
		}
		seen++
		if len(out) < k {
			out = append(out, v)
			continue
		}
		if j := r.IntN(seen); j < k {
			out[j] = v
		}
	}
	return out
}

// ParseProfile decodes a profile document and validates it.
func ParseProfile(b []byte) (*Profile, error) {
	var p Profile
	if err := json.Unmarshal(b, &p); err != nil {
		return nil, fmt.Errorf("drift: parse profile: %w", err)
	}
	if err := p.Validate(); err != nil {
		return nil, err
	}
	return &p, nil
}

// Validate checks that a profile (typically read from a bundle) is one this
// package can test against: known version and kinds, unique names, value
// counts ascending and positive and summing to Count, a sample when the
// counts are absent, a histogram that fits its edges.
func (p *Profile) Validate() error {
	if p.Version != ProfileVersion {
		return fmt.Errorf("%w: profile version %d, expected %d", ErrInvalid, p.Version, ProfileVersion)
	}
	if len(p.Features) == 0 {
		return fmt.Errorf("%w: profile has no features", ErrInvalid)
	}
	seen := map[string]bool{}
	for i := range p.Features {
		f := &p.Features[i]
		if f.Name == "" || seen[f.Name] {
			return fmt.Errorf("%w: profile feature %d has an empty or repeated name %q", ErrInvalid, i, f.Name)
		}
		seen[f.Name] = true
		if err := f.validate(); err != nil {
			return err
		}
	}
	if p.Prediction != nil {
		if err := p.Prediction.validate(); err != nil {
			return err
		}
	}
	if m := p.Training; m != nil {
		for _, v := range []float64{m.Accuracy, m.F1, m.ROCAUC, m.Threshold} {
			if !(v >= 0 && v <= 1) {
				return fmt.Errorf("%w: training metrics must lie in [0, 1], got %+v", ErrInvalid, *m)
			}
		}
	}
	return nil
}

func (f *FeatureProfile) validate() error {
	bad := func(format string, args ...any) error {
		return fmt.Errorf("%w: profile feature %q: %s", ErrInvalid, f.Name, fmt.Sprintf(format, args...))
	}
	if !f.Kind.valid() {
		return bad("kind %q, expected numeric, categorical or binary", f.Kind)
	}
	if f.Count < 1 || f.Missing < 0 || f.NonFinite < 0 {
		return bad("count %d, missing %d, non-finite %d", f.Count, f.Missing, f.NonFinite)
	}
	for _, v := range []float64{f.Mean, f.Std, f.Min, f.Max} {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return bad("mean, std, min and max must be finite")
		}
	}
	if f.Std < 0 || f.Min > f.Max {
		return bad("std %v, min %v, max %v", f.Std, f.Min, f.Max)
	}
	switch {
	case len(f.Values) > 0:
		if len(f.Counts) != len(f.Values) || len(f.Sample) != 0 {
			return bad("%d values but %d counts and %d sample values", len(f.Values), len(f.Counts), len(f.Sample))
		}
		if len(f.Values) != f.Distinct {
			return bad("%d values, distinct %d", len(f.Values), f.Distinct)
		}
		total := 0
		for i, v := range f.Values {
			if math.IsNaN(v) || math.IsInf(v, 0) || (i > 0 && !(v > f.Values[i-1])) {
				return bad("values must be finite and strictly ascending (value %d is %v)", i, v)
			}
			if f.Counts[i] < 1 {
				return bad("count %d of value %v", f.Counts[i], v)
			}
			total += f.Counts[i]
		}
		if total != f.Count {
			return bad("value counts sum to %d, count is %d", total, f.Count)
		}
	case len(f.Sample) > 0:
		if len(f.Counts) != 0 {
			return bad("counts without values")
		}
		for i, v := range f.Sample {
			if math.IsNaN(v) || math.IsInf(v, 0) || (i > 0 && v < f.Sample[i-1]) {
				return bad("sample must be finite and ascending (value %d is %v)", i, v)
			}
		}
		if len(f.Sample) > f.Count {
			return bad("sample of %d values from %d", len(f.Sample), f.Count)
		}
	default:
		return bad("neither value counts nor a sample")
	}
	if h := f.Histogram; h != nil {
		if len(h.Edges) != len(h.Counts)+1 || len(h.Counts) == 0 {
			return bad("histogram has %d edges for %d counts", len(h.Edges), len(h.Counts))
		}
		for i, e := range h.Edges {
			if math.IsNaN(e) || math.IsInf(e, 0) || (i > 0 && e < h.Edges[i-1]) {
				return bad("histogram edges must be finite and ascending")
			}
		}
		for _, c := range h.Counts {
			if c < 0 {
				return bad("negative histogram count")
			}
		}
	}
	return nil
}

// parallel runs f(0..n-1) on up to GOMAXPROCS goroutines.
func parallel(n int, f func(i int)) {
	workers := min(runtime.GOMAXPROCS(0), n)
	if workers <= 1 {
		for i := 0; i < n; i++ {
			f(i)
		}
		return
	}
	var wg sync.WaitGroup
	next := make(chan int)
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				f(i)
			}
		}()
	}
	for i := 0; i < n; i++ {
		next <- i
	}
	close(next)
	wg.Wait()
}
