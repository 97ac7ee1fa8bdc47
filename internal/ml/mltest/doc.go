// Package mltest helps test and benchmark the model families: the UCI
// Cleveland heart-disease table (embedded), a synthetic generator of
// heart-shaped rows at any size, stratified k-fold splits, fold-local
// median imputation and standardisation, and ROC AUC.
//
// It is imported by tests and benchmarks only.
package mltest
