package dataset

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"strings"

	"github.com/stewardml/steward/internal/store"
)

// KeyPrefix is where Store keeps dataset versions in the artifact store.
const KeyPrefix = "datasets/sha256/"

// ContentType is the media type recorded for stored datasets.
const ContentType = "text/csv"

// Ref identifies one stored dataset version.
type Ref struct {
	Digest string `json:"digest"` // lowercase hex SHA-256 of the canonical bytes
	Key    string `json:"key"`    // artifact-store key, KeyPrefix + Digest
	Size   int64  `json:"size"`   // canonical size in bytes
}

// Canonical returns the bytes a dataset version is identified by: the input
// without a UTF-8 byte-order mark, with CRLF line ends turned into LF, and
// ending in exactly one final LF when non-empty. Files that differ only in
// those ways are one version. The input is not modified.
func Canonical(raw []byte) []byte {
	b := bytes.TrimPrefix(raw, utf8BOM)
	if bytes.Contains(b, []byte("\r\n")) {
		b = bytes.ReplaceAll(b, []byte("\r\n"), []byte("\n"))
	}
	if len(b) > 0 && b[len(b)-1] != '\n' {
		out := make([]byte, len(b)+1)
		copy(out, b)
		out[len(b)] = '\n'
		return out
	}
	return b
}

// Digest returns the dataset version of raw: the lowercase hex SHA-256 of
// Canonical(raw).
func Digest(raw []byte) string {
	sum := sha256.Sum256(Canonical(raw))
	return hex.EncodeToString(sum[:])
}

// KeyFor returns the artifact-store key of a dataset version.
func KeyFor(digest string) string { return KeyPrefix + digest }

// ValidDigest reports whether d looks like a digest: 64 lowercase hex digits.
func ValidDigest(d string) bool {
	if len(d) != 64 {
		return false
	}
	return strings.Trim(d, "0123456789abcdef") == ""
}

// Store keeps the canonical bytes of raw in artifacts under
// KeyFor(Digest(raw)) and returns their Ref. Storing the same content twice
// writes once: the key is the content.
func Store(ctx context.Context, artifacts store.ArtifactStore, raw []byte) (Ref, error) {
	canon := Canonical(raw)
	sum := sha256.Sum256(canon)
	ref := Ref{Digest: hex.EncodeToString(sum[:]), Size: int64(len(canon))}
	ref.Key = KeyFor(ref.Digest)
	ok, err := artifacts.Exists(ctx, ref.Key)
	if err != nil {
		return Ref{}, fmt.Errorf("dataset: store %s: %w", ref.Digest, err)
	}
	if ok {
		return ref, nil
	}
	info, err := artifacts.Put(ctx, ref.Key, canon, ContentType)
	if err != nil {
		return Ref{}, fmt.Errorf("dataset: store %s: %w", ref.Digest, err)
	}
	if info.SHA256 != "" && info.SHA256 != ref.Digest {
		return Ref{}, fmt.Errorf("%w: store %s: the artifact store recorded %s", ErrDigest, ref.Digest, info.SHA256)
	}
	return ref, nil
}

// Fetch returns the bytes of the dataset version digest, checking that they
// still hash to it. A malformed digest gives ErrDigest; an absent one the
// store's ErrNotFound.
func Fetch(ctx context.Context, artifacts store.ArtifactStore, digest string) ([]byte, error) {
	if !ValidDigest(digest) {
		return nil, fmt.Errorf("%w: %q is not a sha256 hex digest", ErrDigest, digest)
	}
	body, _, err := artifacts.Get(ctx, KeyFor(digest))
	if err != nil {
		return nil, fmt.Errorf("dataset: fetch %s: %w", digest, err)
	}
	sum := sha256.Sum256(body)
	if got := hex.EncodeToString(sum[:]); got != digest {
		return nil, fmt.Errorf("%w: %s holds bytes hashing to %s", ErrDigest, KeyFor(digest), got)
	}
	return body, nil
}
