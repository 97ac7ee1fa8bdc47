// Package core holds the contract that every Steward model family implements:
// the dense feature Matrix, the fitted Model, the Trainer, the data errors,
// and the Family record by which a family registers itself.
//
// Package ml re-exports every name declared here (type aliases and shared
// sentinel values), and that is the package callers should import. The
// contract lives in this leaf package only so that the families
// (linear, forest, gbdt) can implement it while ml itself can still import
// them to decode stored payloads in ml.Unmarshal.
package core
