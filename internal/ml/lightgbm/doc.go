// Package lightgbm reads models saved by LightGBM in its text format and
// predicts with them, through github.com/dmitryikh/leaves.
//
// leaves reads gbdt, rf and dart models with binary, multiclass and
// regression objectives (poisson, gamma and tweedie with their exp link)
// and numerical and categorical splits, and predicts in float64 as
// LightGBM does. What it cannot read is refused before it is tried, in one
// line that names the feature: format version v4 (LightGBM 4), linear
// trees, and objectives other than those above. The fixtures in
// testdata/interop/lightgbm were written by LightGBM with its own
// predictions.
package lightgbm
