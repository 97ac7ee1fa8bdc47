// Package storetest holds the contract suites for the storage ports in
// package store. Every adapter, local or AWS, runs the same suite from its
// own tests, so the behaviour the ports document is checked once and holds
// everywhere:
//
//	func TestContract(t *testing.T) {
//		storetest.RunRecordStore(t, func(t *testing.T) store.RecordStore { return open(t) })
//	}
//
// newStore must return an empty store each time it is called; the suites
// call it once per subtest and may run subtests in parallel.
package storetest
