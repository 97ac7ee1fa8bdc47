// Package dataset is Steward's view of tabular training data: a schema of
// typed columns (numeric, categorical, binary, with allowed ranges or sets,
// units and missing-value markers), a target definition such as "num > 0",
// loaders for the raw UCI format (no header) and for headered CSV that
// produce a columnar Frame, and content-addressed dataset versions.
//
// Every run, model version and validation result records the digest of the
// data it saw (Digest), and Store keeps the bytes under
// datasets/sha256/<digest> in the artifact store, so any of them can be
// reproduced from the store alone.
//
// Loaders are strict about syntax and lenient about meaning: a cell that is
// not a number, a line with the wrong number of fields or an over-long field
// is an error naming the row and column, while a number outside the schema's
// range is accepted here and reported by package validation.
package dataset
