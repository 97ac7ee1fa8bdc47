// Package monitor is Steward's drift check service: the code behind the
// scheduled drift function (functions/drift), the local scheduler of
// `steward serve` and `steward drift`. It joins the parts a check needs and
// leaves the statistics to package drift:
//
//  1. the model version to check (champion by default) and its bundle's
//     reference profile, from the registry and the artifact store;
//  2. the current window: the predictions captured under
//     captures/{model}/dt=YYYY-MM-DD/hour=HH/*.jsonl whose time falls in
//     [End-Window, End), joined with the feedback labels stored by
//     prediction id (FEEDBACK#day partitions) — or a data file given by the
//     caller;
//  3. drift.Check with the project's options: per-feature tests as Evidently
//     chooses them, the multiple-testing correction, the sample-size guard,
//     effect sizes, prediction drift and realised performance;
//  4. the outputs: the JSON report under reports/drift/{model}/{check}.json,
//     a Summary record in the record store (partition DRIFT#{model}, sorted
//     by time, the history behind trend charts and the agent's diagnosis),
//     and a DriftChecked event whose detail is the Summary.
//
// # The window
//
// Feature drift reads every captured row of the window, whatever version
// served it (inputs do not depend on the model). Prediction drift and
// realised performance read only the rows the checked version scored: the
// others carry NaN predictions and labels, which package drift leaves out.
//
// Documented handling of bad data, never a panic:
//
//   - a capture line that is not valid JSON or not a capture (a number
//     out of float64 range, a missing id) is skipped and counted; the
//     Summary names the first such line (file and line number);
//   - a capture line whose inputs are not exactly the profile's features
//     is an error wrapping drift.ErrSchema that names the file, the line
//     and the missing or unexpected fields;
//   - the same prediction id captured twice counts once;
//   - a missing input (null) is NaN: package drift drops it per feature
//     and counts it; a feature with no value at all gets insufficient_data
//     with its reason, and the rest of the check goes on;
//   - a data file (--current) is parsed strictly: a cell that is not a
//     finite number ("NaN", "Inf", "abc") is a dataset.ParseError naming
//     its row and column; its columns must be the profile's features,
//     optionally with the target column (then labels give realised
//     performance), else the error wraps drift.ErrSchema and names the
//     missing and unexpected columns.
package monitor
