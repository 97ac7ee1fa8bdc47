// Package jsonappend writes JSON numbers and strings by appending to a byte
// slice, without reflection or allocation: the prediction responses, the
// capture lines and the EMF metric lines are built this way on the request
// path. It is a leaf of its own because serving, capture and metrics all
// write these bytes and none of them should import another for it.
package jsonappend
