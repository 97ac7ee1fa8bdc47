// Package asltest holds what tests of the asl package and of its users
// share: a manual Clock and the contract suite every asl.Store runs.
package asltest
