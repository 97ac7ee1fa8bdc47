// Package prior is a toy model family that exists only in its tests: a
// classifier that predicts the training share of the positive class for
// every row. It shows what a new family needs (a core.Family and one
// registration line) and checks that the registry, not a switch, carries a
// family through fitting, storing, decoding and prediction.
package prior
