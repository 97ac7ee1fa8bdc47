// Package forest is Steward's random forest classifier: bootstrap-aggregated
// CART trees grown on the Gini criterion, with a random subset of features
// tried at each split (scikit-learn's RandomForestClassifier semantics:
// constant features do not count toward max_features, the bootstrap becomes
// per-row weights, a node is split while it is impure and its limits allow).
//
// Split search is histogram based: every feature is cut into at most 255
// bins once (one bin per distinct value when there are no more than that,
// equal-count quantile bins otherwise), and each node scans bin totals. For
// small nodes only the bins that occur are visited, and the smallest nodes
// sort their few rows instead, so fully grown trees stay cheap. Without
// sample weights (the usual case) a row weighs its integer bootstrap count,
// a histogram bin is a pair of integer counts updated by one add, and the
// features a node tries are histogrammed together in one pass over its rows.
// Thresholds are stored as raw values (x <= threshold goes left), so a
// fitted tree needs no binning at prediction time.
//
// Batch prediction still bins: the thresholds of a forest are few per
// feature, so each row is mapped to one byte per feature and the trees,
// compiled to eight bytes a node, are walked on the bytes, a block of rows
// at a time and several rows in step, which gives the same sums as walking
// the raw values.
//
// Trees are trained in parallel on up to GOMAXPROCS goroutines. Each tree
// draws from its own generator seeded from the caller's *rand.Rand before any
// tree starts, so a seed gives the same forest bit for bit whatever the
// number of cores.
//
// Missing values: Fit rejects NaN (impute first). At prediction time a NaN
// goes to the child that received more training weight.
//
// The margin of the forest is the logit of the mean tree probability, clamped
// to [1e-6, 1-1e-6]. Contributions are TreeSHAP values of the mean
// probability, rescaled by (margin − base margin)/(p − base p) so that they
// add up to the margin exactly.
package forest
