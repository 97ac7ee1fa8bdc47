// Package gbdt is Steward's gradient-boosted decision trees for binary
// classification: histogram-based (at most 255 quantile bins per feature,
// plus one bin for missing values), log-loss, Newton leaf values with L2
// regularisation (lambda) and shrinkage, row and column subsampling, and
// early stopping on a validation set.
//
// Trees grow best-first (leaf-wise, as LightGBM does): the leaf whose best
// split gains most is split next, until MaxLeaves leaves exist, no leaf
// within MaxDepth has a split of positive gain (above MinSplitGain) that
// respects MinChildWeight and MinSamplesLeaf, or both. With MaxLeaves = 0 the
// tree is limited by depth only and comes out the same as a depth-wise
// (XGBoost-style) tree.
//
// Histograms are built on the smaller child only; the larger child's is the
// parent's minus the smaller's. Large nodes are built in fixed-size row
// blocks on several goroutines and summed in block order, so results do not
// depend on the number of cores.
//
// Missing values (NaN) are their own bin. Each split learns where they go:
// both directions are scored and the better one is kept as the node's
// default direction (with no missing value in the node, the larger child is
// the default).
//
// A fitted model is stored as a LightGBM text model (version v3) that
// LightGBM itself and github.com/dmitryikh/leaves load: the initial score
// (log-odds of the base rate) is folded into the first tree, whose shrinkage
// is 1, every split is "x <= threshold goes left" with NaN as the missing
// type and a learned default direction. The package evaluates its trees
// itself (flat arrays, no interface calls), which gives the same sums as
// leaves; Contributions are TreeSHAP values with the per-node training row
// counts as cover, as LightGBM computes them.
package gbdt
