package drift

import (
	"fmt"
	"math"
	"slices"
	"sort"
	"strings"
)

// TestName names a per-feature drift test, as Evidently names it.
type TestName string

// The tests Check can run. The first three return p-values, the others
// distances.
const (
	TestKS            TestName = "ks"
	TestChiSquare     TestName = "chisquare"
	TestZ             TestName = "z"
	TestWasserstein   TestName = "wasserstein"
	TestJensenShannon TestName = "jensenshannon"
	TestPSI           TestName = "psi"
)

// Test is one per-feature drift test as Check registers it: its name,
// the column kinds it applies to, its default threshold (Evidently's), and
// the function that scores a feature. Tests lists them all; Check, the
// validation of configured overrides and its error message read that list.
type Test struct {
	// Name is how configuration and reports name the test.
	Name TestName
	// Display is Evidently's name of the score.
	Display string
	// Kinds are the column kinds the test applies to.
	Kinds []Kind
	// Threshold is the default threshold: 0.05 for the p-value tests,
	// 0.1 for the distances.
	Threshold float64
	// op is the comparison that means drift: "<=" (KS), "<" (chi-square,
	// Z), ">=" (distances).
	op string
	// pvalue says the score is a p-value.
	pvalue bool
	// run scores a feature: the statistic and the drift score, or why the
	// data are insufficient for a verdict.
	run func(in testInput) (stat, score float64, insufficient string)
}

// testInput is what a test scores: the feature's reference profile and
// sorted values, the current sorted values, and the check's options.
type testInput struct {
	f        *FeatureProfile
	ref, cur Sorted
	opts     Options
}

var allKinds = []Kind{KindNumeric, KindCategorical, KindBinary}

// tests is the registry of drift tests; adding a test is one entry here.
var tests = []Test{
	{Name: TestKS, Display: "K-S p_value", Kinds: []Kind{KindNumeric}, Threshold: 0.05, op: "<=", pvalue: true, run: runKS},
	{Name: TestChiSquare, Display: "chi-square p_value", Kinds: allKinds, Threshold: 0.05, op: "<", pvalue: true, run: runChiSquare},
	{Name: TestZ, Display: "Z-test p_value", Kinds: allKinds, Threshold: 0.05, op: "<", pvalue: true, run: runZ},
	{Name: TestWasserstein, Display: "Wasserstein distance (normed)", Kinds: []Kind{KindNumeric}, Threshold: 0.1, op: ">=", run: runWasserstein},
	{Name: TestJensenShannon, Display: "Jensen-Shannon distance", Kinds: allKinds, Threshold: 0.1, op: ">=", run: runBinned(func(rp, cp []float64) float64 { return JensenShannon(rp, cp, 0) })},
	{Name: TestPSI, Display: "PSI", Kinds: allKinds, Threshold: 0.1, op: ">=", run: runBinned(PSI)},
}

// Tests returns the registered drift tests, in a fixed order.
func Tests() []Test { return append([]Test(nil), tests...) }

// TestNames returns the names of the registered drift tests, in the order
// of Tests.
func TestNames() []string {
	names := make([]string, len(tests))
	for i, t := range tests {
		names[i] = string(t.Name)
	}
	return names
}

// LookupTest returns the registered test of the given name.
func LookupTest(name TestName) (Test, bool) {
	for _, t := range tests {
		if t.Name == name {
			return t, true
		}
	}
	return Test{}, false
}

// Applies reports whether the test applies to columns of the given kind.
func (t Test) Applies(k Kind) bool { return slices.Contains(t.Kinds, k) }

// DefaultThreshold is the test's Evidently default threshold (0.05 for the
// p-value tests, 0.1 for the distances); ok is false for an unknown test.
func DefaultThreshold(t TestName) (threshold float64, ok bool) {
	s, ok := LookupTest(t)
	return s.Threshold, ok
}

// drifted applies the test's comparison operator.
func (t Test) drifted(score, threshold float64) bool {
	switch t.op {
	case "<=":
		return score <= threshold
	case "<":
		return score < threshold
	}
	return score >= threshold
}

// Verdict is the outcome of a check, for a feature or a whole window.
type Verdict string

// The verdicts.
const (
	VerdictDrift        Verdict = "drift"
	VerdictNoDrift      Verdict = "no_drift"
	VerdictInsufficient Verdict = "insufficient_data"
)

// Override replaces a feature's default test or threshold.
type Override struct {
	// Test is the test to run; empty keeps Evidently's choice.
	Test TestName `json:"test,omitempty"`
	// Threshold replaces the test's default threshold when > 0.
	Threshold float64 `json:"threshold,omitempty"`
}

// Options configure Check. Start from DefaultOptions (Steward) or
// EvidentlyOptions (Evidently's plain defaults) and change fields.
type Options struct {
	// Correction is applied across the features' p-value tests (KS,
	// chi-square, Z) before comparing with their thresholds.
	Correction Correction `json:"correction"`
	// MinRows is the minimum number of finite current (and reference)
	// values a feature needs for a verdict; below it the verdict is
	// insufficient_data. 0 disables the guard.
	MinRows int `json:"min_rows"`
	// MinExpected is the minimum expected count of every cell of a
	// chi-square or Z-test (the reference proportion times the current
	// count); below it the verdict is insufficient_data. 0 disables it.
	MinExpected float64 `json:"min_expected"`
	// DriftShare: the dataset drifts when the share of drifted features
	// among those tested is >= DriftShare.
	DriftShare float64 `json:"drift_share"`
	// EffectSize adds an effect size to every feature: the normed
	// Wasserstein distance for numeric features, CategoricalEffect for the
	// others.
	EffectSize bool `json:"effect_size"`
	// CategoricalEffect is TestPSI or TestJensenShannon.
	CategoricalEffect TestName `json:"categorical_effect"`
	// Overrides replace the test or threshold of named features.
	Overrides map[string]Override `json:"overrides,omitempty"`
	// Performance configures realised performance when labels are given.
	Performance PerformanceOptions `json:"performance"`
}

// DefaultOptions are Steward's defaults: Evidently's tests and thresholds,
// Benjamini-Hochberg across p-values, at least 30 values per feature and 5
// expected per category, effect sizes (PSI for categories).
func DefaultOptions() Options {
	return Options{
		Correction:        CorrectionBH,
		MinRows:           30,
		MinExpected:       5,
		DriftShare:        0.5,
		EffectSize:        true,
		CategoricalEffect: TestPSI,
		Performance:       DefaultPerformanceOptions(),
	}
}

// EvidentlyOptions reproduce Evidently's data drift preset: no correction,
// no sample-size guard; effect sizes are still reported.
func EvidentlyOptions() Options {
	o := DefaultOptions()
	o.Correction = CorrectionNone
	o.MinRows = 0
	o.MinExpected = 0
	return o
}

func (o Options) validate() error {
	switch o.Correction {
	case CorrectionBH, CorrectionBonferroni, CorrectionNone:
	default:
		return fmt.Errorf("%w: correction %q, expected bh, bonferroni or none", ErrInvalid, o.Correction)
	}
	if o.MinRows < 0 || o.MinExpected < 0 {
		return fmt.Errorf("%w: MinRows and MinExpected must be >= 0", ErrInvalid)
	}
	if !(o.DriftShare > 0 && o.DriftShare <= 1) {
		return fmt.Errorf("%w: drift share %v, expected a share in (0, 1]", ErrInvalid, o.DriftShare)
	}
	if o.EffectSize && o.CategoricalEffect != TestPSI && o.CategoricalEffect != TestJensenShannon {
		return fmt.Errorf("%w: categorical effect size %q, expected psi or jensenshannon", ErrInvalid, o.CategoricalEffect)
	}
	for name, ov := range o.Overrides {
		if _, ok := LookupTest(ov.Test); ov.Test != "" && !ok {
			return fmt.Errorf("%w: override of %q: unknown test %q", ErrInvalid, name, ov.Test)
		}
		if ov.Threshold < 0 || math.IsNaN(ov.Threshold) {
			return fmt.Errorf("%w: override of %q: threshold %v", ErrInvalid, name, ov.Threshold)
		}
	}
	return o.Performance.validate()
}

// Window is the current data of a check: one column per profiled feature
// (NaN for a missing value), and optionally the model's predicted
// probabilities for the same rows and feedback labels (0 or 1, NaN where no
// label arrived).
type Window struct {
	Columns     map[string][]float64
	Predictions []float64
	Labels      []float64
}

// Check tests a current window against the reference profile. It returns
// an error (wrapping ErrSchema) when the window's columns differ from the
// profile's features or from each other in length, ErrInvalid for bad
// options or labels and predictions that are not 0/1 and probabilities.
// Missing and infinite values are dropped per feature and counted in the
// report; a feature left without values gets insufficient_data.
func Check(p *Profile, w Window, opts Options) (*Report, error) {
	if err := opts.validate(); err != nil {
		return nil, err
	}
	if p == nil {
		return nil, fmt.Errorf("%w: no reference profile", ErrInvalid)
	}
	if err := p.Validate(); err != nil {
		return nil, err
	}
	rows, err := checkWindow(p, w, opts)
	if err != nil {
		return nil, err
	}
	r := &Report{
		Correction: opts.Correction, DriftShare: opts.DriftShare,
		CurrentRows: rows, ReferenceRows: p.Rows, Features: len(p.Features),
		FeatureResults: make([]FeatureResult, len(p.Features)), DriftedFeatures: []string{},
	}
	states := make([]featureState, len(p.Features))
	parallel(len(p.Features), func(i int) {
		f := &p.Features[i]
		states[i] = testFeature(f, w.Columns[f.Name], opts.Overrides[f.Name], opts)
	})

	// Correct the p-values of the features that were tested.
	var idx []int
	var ps []float64
	for i, s := range states {
		if s.pending && s.spec.pvalue {
			idx = append(idx, i)
			ps = append(ps, s.score)
		}
	}
	adj := Adjust(ps, opts.Correction)
	for k, i := range idx {
		states[i].adjusted = adj[k]
	}
	for i := range states {
		s := &states[i]
		s.decide()
		r.FeatureResults[i] = s.res
		switch s.res.Verdict {
		case VerdictDrift:
			r.Drifted++
			r.Tested++
			r.DriftedFeatures = append(r.DriftedFeatures, s.res.Name)
		case VerdictNoDrift:
			r.Tested++
		default:
			r.Insufficient++
		}
	}
	switch {
	case r.Tested == 0:
		r.Verdict = VerdictInsufficient
		r.Reason = fmt.Sprintf("none of the %d features could be tested (%d current rows)", r.Features, rows)
	default:
		r.DriftScore = float64(r.Drifted) / float64(r.Tested)
		r.DatasetDrift = r.DriftScore >= opts.DriftShare
		r.Verdict = VerdictNoDrift
		if r.DatasetDrift {
			r.Verdict = VerdictDrift
		}
	}

	if p.Prediction != nil && len(w.Predictions) > 0 {
		s := testFeature(p.Prediction, w.Predictions, opts.Overrides[p.Prediction.Name], opts)
		s.adjusted = s.score
		s.decide()
		r.Prediction = &s.res
	}
	if len(w.Labels) > 0 {
		perf, err := Performance(w.Labels, w.Predictions, p.Training, opts.Performance)
		if err != nil {
			return nil, err
		}
		r.Performance = perf
	}
	return r, nil
}

// checkWindow verifies the window's shape against the profile and returns
// its row count.
func checkWindow(p *Profile, w Window, opts Options) (int, error) {
	var missing, unexpected []string
	known := map[string]bool{}
	for _, f := range p.Features {
		known[f.Name] = true
		if _, ok := w.Columns[f.Name]; !ok {
			missing = append(missing, f.Name)
		}
	}
	for name := range w.Columns {
		if !known[name] {
			unexpected = append(unexpected, name)
		}
	}
	if len(missing) > 0 || len(unexpected) > 0 {
		sort.Strings(unexpected)
		var parts []string
		if len(missing) > 0 {
			parts = append(parts, "missing "+quoteAll(missing))
		}
		if len(unexpected) > 0 {
			parts = append(parts, "unexpected "+quoteAll(unexpected))
		}
		return 0, fmt.Errorf("%w: %s", ErrSchema, strings.Join(parts, "; "))
	}
	first := p.Features[0].Name
	rows := len(w.Columns[first])
	for _, f := range p.Features {
		if n := len(w.Columns[f.Name]); n != rows {
			return 0, fmt.Errorf("%w: column %q has %d rows, column %q has %d", ErrSchema, f.Name, n, first, rows)
		}
	}
	for name := range opts.Overrides {
		if !known[name] && (p.Prediction == nil || name != p.Prediction.Name) {
			return 0, fmt.Errorf("%w: override for %q, which the profile does not have", ErrInvalid, name)
		}
	}
	if len(w.Predictions) > 0 {
		if len(w.Predictions) != rows {
			return 0, fmt.Errorf("%w: %d predictions for %d rows", ErrSchema, len(w.Predictions), rows)
		}
		if err := checkProbabilities(w.Predictions); err != nil {
			return 0, err
		}
	}
	if len(w.Labels) > 0 {
		if len(w.Labels) != len(w.Predictions) {
			return 0, fmt.Errorf("%w: %d labels for %d predictions", ErrSchema, len(w.Labels), len(w.Predictions))
		}
		for i, v := range w.Labels {
			if !math.IsNaN(v) && v != 0 && v != 1 {
				return 0, &DataError{Column: "label", Row: i, Value: v, Expected: "0, 1 or NaN", Err: ErrInvalid}
			}
		}
	}
	return rows, nil
}

func quoteAll(names []string) string {
	q := make([]string, len(names))
	for i, n := range names {
		q[i] = fmt.Sprintf("%q", n)
	}
	return strings.Join(q, ", ")
}

// featureState carries a feature from its test to its verdict, which waits
// for the correction across features.
type featureState struct {
	res       FeatureResult
	spec      Test
	pending   bool    // tested; verdict depends on score and threshold
	score     float64 // p-value or distance
	adjusted  float64
	threshold float64
}

func (s *featureState) decide() {
	if !s.pending {
		return
	}
	score := s.score
	if s.spec.pvalue {
		s.res.AdjustedPValue = fptr(s.adjusted)
		score = s.adjusted
	}
	if math.IsNaN(score) {
		s.res.Verdict = VerdictInsufficient
		s.res.Reason = "the test is undefined for these values"
		return
	}
	s.res.Verdict = VerdictNoDrift
	if s.spec.drifted(score, s.threshold) {
		s.res.Verdict = VerdictDrift
	}
}

func fptr(v float64) *Float {
	f := Float(v)
	return &f
}

// selectTest is Evidently's _get_default_stattest.
func selectTest(kind Kind, nRef, nUnique int) TestName {
	numeric := kind == KindNumeric
	if nRef <= 1000 {
		switch {
		case numeric && nUnique > 5:
			return TestKS
		case nUnique > 2:
			return TestChiSquare
		default:
			return TestZ
		}
	}
	if numeric && nUnique > 5 {
		return TestWasserstein
	}
	return TestJensenShannon
}

func testFeature(f *FeatureProfile, col []float64, ov Override, opts Options) featureState {
	cur, missing, nonFinite := sortedOf(col, true)
	ref := f.sorted()

	nUnique := len(mergeSorted(ref, cur).values)
	if !f.Exact() {
		nUnique = max(nUnique, f.Distinct)
	}
	test := selectTest(f.Kind, f.Count, nUnique)
	res := FeatureResult{
		Name: f.Name, Kind: f.Kind, ReferenceRows: f.Count, ReferenceSampled: !f.Exact(),
		CurrentRows: cur.N(), CurrentMissing: missing, CurrentNonFinite: nonFinite, Unique: nUnique,
	}
	if ov.Test != "" {
		test, res.Overridden = ov.Test, true
	}
	spec, _ := LookupTest(test)
	threshold := spec.Threshold
	if ov.Threshold > 0 {
		threshold, res.Overridden = ov.Threshold, true
	}
	res.Test, res.TestDisplay, res.Threshold, res.Operator = test, spec.Display, threshold, spec.op
	res.Histogram = histogramFor(f, ref, cur)
	s := featureState{spec: spec, threshold: threshold}

	insufficient := func(format string, args ...any) featureState {
		res.Verdict = VerdictInsufficient
		res.Reason = fmt.Sprintf(format, args...)
		s.res = res
		return s
	}
	if cur.N() == 0 {
		return insufficient("no finite current values (%d missing, %d infinite)", missing, nonFinite)
	}
	if opts.EffectSize {
		res.Effect = effectSize(f, ref, cur, opts.CategoricalEffect)
	}
	if opts.MinRows > 0 && (cur.N() < opts.MinRows || f.Count < opts.MinRows) {
		return insufficient("%d current and %d reference values, fewer than the minimum %d", cur.N(), f.Count, opts.MinRows)
	}

	stat, score, reason := spec.run(testInput{f: f, ref: ref, cur: cur, opts: opts})
	if reason != "" {
		return insufficient("%s", reason)
	}
	res.Statistic = fptr(stat)
	res.DriftScore = fptr(score)
	if spec.pvalue {
		res.PValue = fptr(score)
	}
	s.res, s.score, s.pending = res, score, true
	return s
}

func runKS(in testInput) (stat, score float64, insufficient string) {
	ks, err := KolmogorovSmirnovSorted(in.ref, in.cur, KSAuto)
	if err != nil {
		return 0, 0, err.Error()
	}
	return ks.Statistic, ks.PValue, ""
}

func runChiSquare(in testInput) (stat, score float64, insufficient string) {
	_, rc, cc := CategoryCounts(in.ref, in.cur)
	obs, exp := chiFrequencies(rc, cc, in.ref.N(), in.cur.N())
	if reason := expectedTooSmall(in.ref, in.cur, exp, in.opts.MinExpected); reason != "" {
		return 0, 0, reason
	}
	st, p, err := ChiSquare(obs, exp)
	if err != nil {
		return 0, 0, err.Error()
	}
	return st, p, ""
}

func runZ(in testInput) (stat, score float64, insufficient string) {
	if in.opts.MinExpected > 0 {
		vals, rc, _ := CategoryCounts(in.ref, in.cur)
		first := float64(rc[0]) / float64(in.ref.N()) * float64(in.cur.N())
		exp := []float64{first, float64(in.cur.N()) - first}
		if e := min(exp[0], exp[1]); e < in.opts.MinExpected {
			return 0, 0, fmt.Sprintf("expected count %.3g of value %v versus the rest is below %v (Z-test)", e, vals[0], in.opts.MinExpected)
		}
	}
	z, err := ZTestSorted(in.ref, in.cur)
	if err != nil {
		return 0, 0, err.Error()
	}
	return z.Z, z.PValue, ""
}

func runWasserstein(in testInput) (stat, score float64, insufficient string) {
	w, err := WassersteinSorted(in.ref, in.cur)
	if err != nil {
		return 0, 0, err.Error()
	}
	stat = w / math.Max(in.f.Std, WassersteinNormedFloor)
	return stat, stat, ""
}

// runBinned scores a distance between the binned reference and current
// proportions (Evidently's bins).
func runBinned(distance func(rp, cp []float64) float64) func(testInput) (float64, float64, string) {
	return func(in testInput) (stat, score float64, insufficient string) {
		b, err := evidentlyBins(in.ref, in.cur, in.f.Kind == KindNumeric)
		if err != nil {
			return 0, 0, err.Error()
		}
		stat = distance(Proportions(b.Ref, in.ref.N()), Proportions(b.Cur, in.cur.N()))
		return stat, stat, ""
	}
}

// expectedTooSmall explains the chi-square cells whose expected count (the
// reference share times the current count) is below min; "" when none is.
func expectedTooSmall(ref, cur Sorted, exp []float64, min float64) string {
	if min <= 0 {
		return ""
	}
	vals, _, cc := CategoryCounts(ref, cur)
	var bad []string
	for i, e := range exp {
		if e < min {
			if e == 0 {
				bad = append(bad, fmt.Sprintf("%v (absent from the reference, %d current)", vals[i], cc[i]))
			} else {
				bad = append(bad, fmt.Sprintf("%v (%.3g)", vals[i], e))
			}
		}
	}
	if len(bad) == 0 {
		return ""
	}
	return fmt.Sprintf("expected count below %v for value %s (chi-square)", min, strings.Join(bad, ", "))
}

func effectSize(f *FeatureProfile, ref, cur Sorted, categorical TestName) *Effect {
	if f.Kind == KindNumeric {
		w, err := WassersteinSorted(ref, cur)
		if err != nil {
			return nil
		}
		return &Effect{Measure: TestWasserstein, Value: Float(w / math.Max(f.Std, WassersteinNormedFloor))}
	}
	_, rc, cc := CategoryCounts(ref, cur)
	rp, cp := Proportions(rc, ref.N()), Proportions(cc, cur.N())
	if categorical == TestJensenShannon {
		return &Effect{Measure: TestJensenShannon, Value: Float(JensenShannon(rp, cp, 0))}
	}
	return &Effect{Measure: TestPSI, Value: Float(PSI(rp, cp))}
}

func histogramFor(f *FeatureProfile, ref, cur Sorted) *FeatureHistogram {
	if f.Kind == KindNumeric && f.Histogram != nil {
		e := f.Histogram.Edges
		h := &FeatureHistogram{
			Edges:     e,
			Reference: slices.Clone(f.Histogram.Counts),
			Current:   HistogramSorted(cur, e),
		}
		h.CurrentBelow = cur.CountLT(e[0])
		h.CurrentAbove = cur.N() - cur.CountLE(e[len(e)-1])
		return h
	}
	vals, rc, cc := CategoryCounts(ref, cur)
	return &FeatureHistogram{Values: vals, Reference: rc, Current: cc}
}
