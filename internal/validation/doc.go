// Package validation checks datasets against expectation suites written in
// the Great Expectations (classic 0.x) JSON format and reports in its
// ExpectationSuiteValidationResult format, so suites and results move
// between Steward and tools that speak that format.
//
// ParseSuite reads a suite strictly: an unknown expectation type, an unknown
// or mistyped keyword argument, or an evaluation parameter is an error
// naming the expectation's index, never a silently skipped check. Validate
// runs a suite over a dataset.Frame. Map expectations follow Great
// Expectations' rules exactly: nulls are left out, `mostly` is compared with
// >= against the share of non-null values that pass, unexpected_percent is
// relative to the non-null count (to the row count for the null checks),
// and every copy of a duplicated value is unexpected. Aggregate expectations
// report an observed_value. The suite succeeds when every expectation does.
//
// Columns are numeric. Text expectations (regular expressions, value
// lengths, string members of a value_set) see each value as pandas prints
// it in a column of the observed dtype: "12" in an int64 column, "12.0" or
// "0.7" in a float64 one, so a suite written against pandas judges the
// same texts here.
//
// The CLI (steward validate) and the validate Lambda handler are thin
// layers over ParseSuite and Validate.
package validation
