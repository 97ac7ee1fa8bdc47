// Package files is the local ArtifactStore: artifacts as plain files in a
// directory tree, so a person can open a stored report or dataset directly.
//
// Layout under the root directory:
//
//	objects/<key>              the artifact's bytes, exactly as put
//	meta/<sha256 of key>.json  its SHA-256, size, content type and time
//	tmp/                       files being written
//	lock                       the lock file that orders writers and readers
//
// Metadata files are named by a digest of the key rather than by the key
// itself so that no key can collide with another key's metadata.
//
// Atomicity. Put writes the bytes to a temporary file in tmp/, syncs it and
// renames it over objects/<key>, then does the same for the metadata, so a
// reader never sees a partial file. Puts take an exclusive flock on the lock
// file and reads a shared one, so within and across processes a Get never
// pairs new bytes with old metadata. If a process dies between the two
// renames, Get reports store.ErrChecksum for that key until it is put again:
// the mismatch is reported, never hidden.
//
// On systems without flock (anything but Unix) the lock only orders the
// goroutines of one process.
package files
