// Package drift holds Steward's drift statistics and its drift check.
//
// The statistics are pure functions over slices (or over a Sorted sample,
// a sample sorted once into distinct values and cumulative counts, which every
// rank statistic reads in one merge walk). They reproduce SciPy 1.10 and
// NumPy 1.24 to about 1e-12 relative, and are tested against both at 1e-9:
//
//   - KolmogorovSmirnov: scipy.stats.ks_2samp(method="auto"), exact p-values
//     up to 10000 values per sample, else kstwo.sf(D, round(n1·n2/(n1+n2)));
//     KSTwoSidedSF and SmirnovSF are kstwo.sf and special.smirnov;
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
// Check compares a current window of data with a reference Profile built
// at training time (BuildProfile). It chooses each feature's test exactly as
// Evidently does by default (KS, chi-square or Z-test up to 1000 reference
// rows; normed Wasserstein or Jensen-Shannon above), with Evidently's
// thresholds and comparison operators, and adds what Evidently lacks, each
// switchable in Options: a correction of the p-values across features
// (Benjamini-Hochberg by default), a minimum-sample guard that answers
// insufficient_data instead of drift, an effect size beside every p-value,
// prediction drift and realised performance with bootstrap intervals. The
// Report it returns is the JSON document a drift check stores.
package drift
