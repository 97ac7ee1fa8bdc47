// Package xgboost reads boosters saved by XGBoost (1.x to 3.x) in its two
// document formats, JSON and UBJSON, and predicts exactly as XGBoost does.
//
// Exactly means bit for bit as float32: a row's values are rounded to
// float32, a node sends a value left when it is below the split condition
// (a missing value follows the node's default direction, a categorical node
// sends the categories it lists right), the leaf values of a row are added
// in float32 in tree order starting from the base margin, and the sigmoid
// and softmax are XGBoost's float32 formulas on a float32 exp that matches
// glibc's. The fixtures in testdata/interop/xgboost were written by XGBoost
// itself, with its own outputs for every row, and the tests compare bit
// patterns.
//
// Only the gbtree booster is read (gblinear and dart are refused by name),
// with the objectives XGBoost's classifiers and regressors use most:
// binary:logistic, binary:logitraw, reg:logistic, reg:squarederror,
// multi:softprob and multi:softmax. The legacy binary format is refused
// with the one line of Python that saves the model as JSON.
//
// A Model is immutable and safe for concurrent use. Compile turns its trees
// into a Scorer, a flat array of nodes walked without branches, for serving;
// Contributions gives TreeSHAP values in XGBoost's pred_contribs layout.
package xgboost
