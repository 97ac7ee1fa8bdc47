// Package tracking records training runs: what a run was given (model,
// parameters, dataset digest, code version), what it produced (metrics,
// artifact keys), how long it took and how it ended. The registry's
// versions point back at the run that made them.
//
// # Key layout
//
// A run is kept twice, written together in one atomic batch:
//
//	pk             sk     record version
//	RUN#<id>       RUN    updates so far (compare-and-set)
//	RUNS#<model>   <id>   the same body, for listing a model's runs
//
// Run ids are UUIDv7, whose text sorts by creation time, so a descending
// query of RUNS#<model> lists the newest runs first.
package tracking
