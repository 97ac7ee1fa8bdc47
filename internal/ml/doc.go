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
// Each family package declares a Family (name, payload decoder, search
// grid and parameter parser). The registry in ml.go lists them, simplest
// first, in one line; Unmarshal, Families, the training search and the
// validation of configured family names all read that list, so adding a
// family is its own package plus that line. The list is an explicit
// variable rather than registration from init functions, so that which
// families a binary knows is read in one place and no import has side
// effects. A test can build its own Registry with an extra family.
//
// Bad training data (NaN or Inf labels or weights, a single class, no rows,
// ±Inf features, NaN where a family does not handle it) is a returned error
// wrapping ErrBadData, usually a *DataError naming the row and column.
// A mismatch between the shapes of X, y and w is a programmer error and
// panics, as in gonum.
package ml
