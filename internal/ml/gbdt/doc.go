// Package gbdt is Steward's gradient-boosted decision trees for binary
// classification: histogram-based (at most 255 quantile bins per feature,
// plus one bin for missing values), log-loss, Newton leaf values with L2
// regularisation (lambda) and shrinkage, row and column subsampling, and
// early stopping on a validation set.
//
// Without MaxLeaves, trees grow level by level (as XGBoost's depth-wise
// policy does): in each round every leaf within MaxDepth that has a split of
// positive gain (above MinSplitGain, respecting MinChildWeight and
// MinSamplesLeaf) is split, and the leaves of a round are partitioned,
// histogrammed and searched together on all goroutines. With MaxLeaves set
// they grow best-first (leaf-wise, as LightGBM does): the leaf whose best
// split gains most is split next, until MaxLeaves leaves exist.
//
// Histograms are built on the smaller child only; the larger child's is the
// parent's minus the smaller's. A histogram task sums one feature over one
// leaf's rows in row order, from column-major bins and gradient pairs
// gathered in that order. By default gradient pairs are quantized per tree
// (gradient and hessian scaled, rounded and packed into one int64, with
// scales that keep any sum in range), so a bin update is one integer
// addition, sums are exact in any order and the result does not depend on
// the number of cores. Features with few bins are then histogrammed
// jointly: a group whose bins multiply to at most 256 gets one column of
// joint bins, one update per row for the whole group, and each member's
// histogram is the sum of the joint bins with its digit, exactly its own. When a split must count rows (MinSamplesLeaf > 1 or
// MinChildWeight = 0) histograms hold float sums and counts instead.
//
// Missing values (NaN) are their own bin. Each split learns where they go:
// both directions are scored and the better one is kept as the node's
// default direction (with no missing value in the node, the child with the
// larger hessian sum is the default).
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
