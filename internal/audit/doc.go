// Package audit is Steward's append-only audit log: who did what to which
// model, version or execution, when, why, and on what evidence. Every
// component that changes something (promotion, rollback, retraining, the
// agent's decisions, approvals) appends an Event; people read them back in
// time order per model or across all models.
//
// Consumers depend on the small Log interface; Store implements it on a
// store.RecordStore.
//
// # Key layout
//
// Each event is written twice, in one atomic batch, both with CondAbsent so
// an event is never overwritten:
//
//	pk                   sk
//	AUDIT#MODEL#<model>  <time>#<id>   the model's partition (when the event names a model)
//	AUDIT#ALL            <time>#<id>   the global partition, for "all models" queries
//
// <time> is the event time in UTC as 2006-01-02T15:04:05.000000000Z (fixed
// width, so byte order is time order) and <id> a UUIDv7, which breaks ties.
// A time range is therefore a sort-key range. The global partition takes
// every write; at Steward's rate of audit events (a few per model per day)
// that stays far below one DynamoDB partition's throughput.
package audit
