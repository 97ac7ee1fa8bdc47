// Package ml is the entry point to Steward's model families: the contract
// (Matrix, Model, Trainer, the data errors) and Unmarshal, which turns a
// stored payload back into a Model.
//
// The families live in sub-packages, each pure numerical code in the style
// of gonum (functions over slices, an explicit *rand.Rand, no global state):
//
//   - linear: L2-regularised logistic regression fitted by L-BFGS;
//   - forest: random forest of CART (Gini) trees on histogram splits;
//   - gbdt:   histogram gradient boosting, stored as a LightGBM text model.
//
// Bad training data (NaN or Inf labels or weights, a single class, no rows,
// ±Inf features, NaN where a family does not handle it) is a returned error
// wrapping ErrBadData, usually a *DataError naming the row and column.
// A mismatch between the shapes of X, y and w is a programmer error and
// panics, as in gonum.
package ml
