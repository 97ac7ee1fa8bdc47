// Package s3 is the ArtifactStore on Amazon S3, through aws-sdk-go-v2.
//
// Each object is put with its SHA-256 as the S3 additional checksum
// (ChecksumSHA256), so S3 rejects bytes damaged in transit, and with the
// same digest in hex as user metadata (x-amz-meta-sha256), which Get checks
// the downloaded bytes against and reports as store.ErrChecksum on a
// mismatch. List comes from ListObjectsV2, which carries neither checksum
// nor content type; those fields are left empty there.
//
// The adapter depends on a private interface naming only the four SDK calls
// it makes, so a *s3.Client from the SDK or a test fake both fit; SDK errors
// become store errors (NoSuchKey and 404 become store.ErrNotFound).
package s3
