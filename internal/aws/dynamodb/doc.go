// Package dynamodb is the RecordStore on Amazon DynamoDB, through
// aws-sdk-go-v2: one table for every kind of record (single-table design).
//
// Table layout:
//
//	pk      S  partition key (HASH)
//	sk      S  sort key (RANGE)
//	body    S  the record's JSON
//	version N  the caller's optimistic-concurrency counter
//	ttl     N  expiry in epoch seconds, absent when the record never
//	           expires; the table's TTL attribute, so DynamoDB deletes
//	           expired items eventually
//
// DynamoDB deletes expired items lazily (up to days later), so the adapter
// also filters them on every read and treats them as absent in conditions
// (`attribute_not_exists(pk) OR ttl <= :now`), using its own clock.
//
// A single write is a PutItem or DeleteItem with a ConditionExpression; a
// batch is one TransactWriteItems call, all or nothing. A failed condition
// (ConditionalCheckFailedException, or a TransactionCanceledException whose
// reasons are ConditionalCheckFailed or TransactionConflict) becomes
// store.ErrConflict; a ValidationException becomes store.ErrInvalid. Reads
// are strongly consistent.
//
// The adapter depends on a private interface naming only the SDK calls it
// makes, so tests may pass a fake and production the *dynamodb.Client.
package dynamodb
