// Package drift holds Steward's drift statistics and its drift check: the
// domain code behind the scheduled drift function, the `steward drift`
// command and the DriftChecked event the agent acts on. It imports no
// adapter; callers load the reference profile from the model bundle and the
// current window from captures or a file, and store the Report.
//
// # Statistics
//
// The statistics are pure functions over slices, or over a Sorted sample: a
// sample reduced once to its distinct values and cumulative counts (by a hash
// count for columns with few distinct values, else a radix sort), which every
// rank statistic reads in one merge walk. They reproduce SciPy 1.10 and
// NumPy 1.24 to about 1e-12 relative and are tested against both at 1e-9:
//
//   - KolmogorovSmirnov: scipy.stats.ks_2samp(method="auto"): exact p-values
//     up to 10000 values per sample (falling back to asymptotic if the exact
//     computation fails), else kstwo.sf(D, round(n1·n2/(n1+n2))). KSTwoSidedSF
//     and SmirnovSF are kstwo.sf and special.smirnov. Like SciPy's, they
//     take about a second for n ≈ 10^6 when 2.2 <= n·D² < 370, where an
//     exact sum over up to n terms is needed;
//   - Wasserstein: scipy.stats.wasserstein_distance; WassersteinNormed is
//     Evidently's, divided by the reference's population std (floor 0.001);
//   - ChiSquare and ChiSquareContingency: scipy.stats.chisquare and
//     chi2_contingency (with or without Yates' correction);
//   - ZTest: Evidently's two-proportion Z-test;
//   - JensenShannon: scipy.spatial.distance.jensenshannon (a distance, the
//     square root of the divergence); PSI with Evidently's zero fill;
//   - SturgesEdges, HistogramSorted, Quantile, DecileEdges, CountsRight:
//     NumPy's histogram_bin_edges(bins="sturges"), histogram, quantile and
//     searchsorted binning;
//   - AdjustBH and AdjustBonferroni: multiple-testing corrections.
//
// # Checks
//
// BuildProfile condenses the training columns into a Profile (exact value
// counts per feature, or a seeded reservoir sample for columns with many
// distinct values, plus moments and a histogram); Check compares a current
// Window with it.
//
// Each feature's test is chosen exactly as Evidently chooses it by default:
// with N_ref (the reference's finite values) <= 1000, KS for numeric
// features with more than 5 distinct values in reference ∪ current,
// chi-square for more than 2, the Z-test otherwise; above 1000, the normed
// Wasserstein distance for numeric features with more than 5 distinct
// values, Jensen-Shannon otherwise. Thresholds are 0.05 for p-values and 0.1
// for distances, with Evidently's operators (KS p <= t, chi-square and Z
// p < t, distances >= t). Options.Overrides replace a feature's test (PSI
// included) or threshold. The dataset drifts when the share of drifted
// features among those tested is >= 0.5.
//
// Before testing, NaN and ±Inf are dropped from each current column, as
// Evidently drops them, and counted in the feature's result. A feature with
// no finite current value gets insufficient_data with a reason; a window
// whose columns differ from the profile's features is an ErrSchema error.
//
// What Check adds to Evidently, each switchable in Options (EvidentlyOptions
// turns the first two off):
//
//   - a correction across the p-value tests, Benjamini-Hochberg by default
//     (Bonferroni or none on request); the adjusted p-value is the one
//     compared with the threshold. Distances are not corrected;
//   - a minimum-sample guard: fewer than MinRows (30) finite values, or a
//     chi-square or Z-test cell whose expected count (reference share times
//     current count) is below MinExpected (5), give insufficient_data, never
//     drift. Such features are left out of the drift score; the window is
//     insufficient_data when no feature could be tested. A value that never
//     occurs in the reference has expected count 0 and so trips the guard;
//     its effect size still shows the change;
//   - an effect size next to every result: the normed Wasserstein distance
//     for numeric features, PSI (or Jensen-Shannon) for the others;
//   - prediction drift, the predicted probabilities tested like a numeric
//     feature (reported apart, outside the drift score and the correction);
//   - realised performance over the labelled rows: accuracy, F1 and ROC AUC
//     with seeded percentile-bootstrap intervals, flagged when an interval
//     lies wholly below the training value.
package drift
