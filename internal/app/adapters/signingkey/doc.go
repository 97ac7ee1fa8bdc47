// Package signingkey reads the signing key: locally signing.key in the
// data directory (created once, mode 0600), on AWS the Secrets Manager
// secret STEWARD_APPROVAL_SECRET names. The key signs approval links and,
// through a key derived from it, seals prediction ids. It is apart from
// package platform so that the predict function reads the key without
// linking the SDK clients only the whole application needs.
package signingkey
