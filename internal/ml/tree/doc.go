// Package tree holds what the tree families (forest and gbdt) share: the flat
// binary decision tree they both produce, its evaluation with LightGBM's
// numerical decision rule (x <= threshold goes left, NaN takes the node's
// default direction), path-dependent TreeSHAP (Lundberg et al. 2018,
// algorithm 2) and the Explainer that computes the same values from tables
// built once per ensemble (Fast TreeSHAP v2, Yang 2021), and the quantile
// feature binning both trainers search splits on.
package tree
