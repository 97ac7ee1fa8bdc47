// Package cost is the monthly cost model of Steward's AWS deployment:
// every line item of docs/cost.md as a formula over the traffic and the
// deployment's settings, with the us-east-1 list prices the document
// names. `steward cost` prints Estimate's lines; docs/cost.md shows the
// same formulas and figures, and a test keeps the document's worked
// example equal to Estimate's.
//
// The model prices what the stack creates today (the REST API front
// door) and, for comparison, an HTTP API front door with a Lambda
// authorizer that Steward does not yet build.
package cost
