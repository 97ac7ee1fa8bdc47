// Package registry is Steward's model registry: models by name, their
// immutable numbered versions, and named aliases (champion, challenger, or
// any valid name) that point at versions and move only by compare-and-set,
// with an append-only, gap-free history of every move.
//
// It is a domain package: it needs only a store.RecordStore, so the same
// code runs on SQLite locally and DynamoDB on AWS.
//
// # Key layout
//
// All records of a model share one partition, so a model's versions,
// aliases and history are read with one query each:
//
//	pk              sk                          body            record version
//	MODELS          <model>                     ModelEntry      1
//	MODEL#<model>   MODEL                       Model           latest version number
//	MODEL#<model>   VERSION#<%010d number>      Version         1
//	MODEL#<model>   ALIAS#<alias>               Alias           its move count (seq)
//	MODEL#<model>   HISTORY#<alias>#<%010d seq> AliasMove       1
//
// Version numbers are assigned by compare-and-set on the MODEL record's
// version: the new version record (CondAbsent), the MODEL record
// (CondVersion, or CondAbsent for a new model) and, for a new model, its
// MODELS entry are one atomic batch, retried when another writer took the
// number first.
//
// An alias record's store version is the number of times it has moved. A
// move writes the alias record (CondVersion on the seq it read, or
// CondAbsent for the first move) and the history entry HISTORY#<alias>#<seq+1>
// (CondAbsent) in one batch, so exactly one of several concurrent movers
// wins, the history gets exactly one entry per move, and its sequence has
// neither gaps nor duplicates.
//
// # References
//
// ParseRef reads "heart" (the champion), "heart@challenger" (an alias) and
// "heart:3" (a version number); Resolve turns a reference into a Version.
package registry
