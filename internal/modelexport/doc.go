// Package modelexport gives a registered model back in another library's
// format, so that a model Steward trained is never locked in: a gbdt as an
// XGBoost JSON model whose predictions XGBoost computes within float32
// rounding of Steward's, and an imported XGBoost model as the file it was
// imported from.
package modelexport
