// Package servingtest trains and registers a real heart-disease model for
// the tests and benchmarks of the serving path (the prediction handler,
// functions/predict under the Lambda emulator, `steward serve`).
package servingtest
