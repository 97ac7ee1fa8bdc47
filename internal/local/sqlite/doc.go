// Package sqlite is the local RecordStore: the single-table record store of
// package store kept in one SQLite database file, through the pure-Go driver
// modernc.org/sqlite (no cgo, so the CLI and `steward serve` cross-compile).
//
// Why SQLite and not bbolt: users run CLI commands (promote, rollback,
// history) while `steward serve` is running on the same data directory, so
// several processes must read and write the store at once. bbolt takes an
// exclusive flock on its file for as long as a process has it open, so a
// second process would block or fail until the server stops. SQLite in WAL
// mode lets any number of processes read concurrently with one writer, and
// a busy timeout queues writers instead of failing them.
//
// Concurrency. The database runs in WAL mode with synchronous=NORMAL and a
// busy timeout. Every Write batch is one BEGIN IMMEDIATE transaction: it
// takes the write lock before it reads the records its conditions compare
// against, so a condition checked inside the transaction still holds when
// the writes commit, whichever process or goroutine races it. (A deferred
// transaction would read first and could fail with SQLITE_BUSY on upgrade,
// which the busy timeout does not retry.)
//
// Layout. One table, records(pk, sk, body, version, ttl), primary key
// (pk, sk), WITHOUT ROWID. Text compares with SQLite's BINARY collation,
// byte-wise over UTF-8, which is the order DynamoDB gives string sort keys,
// so queries order alike on both adapters. ttl is whole epoch seconds (0 for
// none); expired rows are skipped by reads and may be removed with
// DeleteExpired.
package sqlite
