// Package uuidv7 issues and parses the prediction ids: RFC 9562 UUIDs of
// version 7, time-ordered, so that a feedback label finds the day of its
// prediction from the id alone. It is a leaf of its own because the
// prediction service issues the ids, the capture lines carry them and the
// drift monitor joins feedback by them.
package uuidv7
