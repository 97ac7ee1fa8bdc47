package store

import (
	"encoding/json"
	"fmt"
	"math"
	"strings"
	"time"
	"unicode/utf8"
)

// Limits shared by every adapter, chosen so that a record or artifact
// accepted locally is also accepted by S3 and DynamoDB.
const (
	// MaxKeyLen is the longest artifact key, partition key or sort key, in bytes.
	MaxKeyLen = 1024
	// MaxBodyLen is the largest record body in bytes (a DynamoDB item,
	// keys and attributes included, must stay under 400 KB).
	MaxBodyLen = 350 * 1024
)

// ValidateArtifactKey reports whether key is a valid artifact key: non-empty,
// valid UTF-8, at most MaxKeyLen bytes, slash-separated segments that are
// neither empty, "." nor "..", with no leading or trailing slash, no
// backslash and no control character. The error wraps ErrInvalid.
func ValidateArtifactKey(key string) error {
	if key == "" {
		return fmt.Errorf("%w: artifact key is empty", ErrInvalid)
	}
	if err := checkText("artifact key", key); err != nil {
		return err
	}
	if strings.ContainsRune(key, '\\') {
		return fmt.Errorf("%w: artifact key %q contains a backslash", ErrInvalid, key)
	}
	for _, seg := range strings.Split(key, "/") {
		switch seg {
		case "":
			return fmt.Errorf("%w: artifact key %q has an empty segment (leading, trailing or double slash)", ErrInvalid, key)
		case ".", "..":
			return fmt.Errorf("%w: artifact key %q has a %q segment", ErrInvalid, key, seg)
		}
	}
	return nil
}

// ValidateArtifactPrefix reports whether prefix may be passed to
// ArtifactStore.List: empty (everything), or text that could begin a valid
// key (no leading slash, no ".." segment). The error wraps ErrInvalid.
func ValidateArtifactPrefix(prefix string) error {
	if prefix == "" {
		return nil
	}
	if err := checkText("artifact prefix", prefix); err != nil {
		return err
	}
	if strings.HasPrefix(prefix, "/") || strings.ContainsRune(prefix, '\\') {
		return fmt.Errorf("%w: artifact prefix %q starts with a slash or contains a backslash", ErrInvalid, prefix)
	}
	segs := strings.Split(prefix, "/")
	for i, seg := range segs {
		last := i == len(segs)-1
		if seg == ".." || (!last && (seg == "" || seg == ".")) {
			return fmt.Errorf("%w: artifact prefix %q has an empty, \".\" or \"..\" segment", ErrInvalid, prefix)
		}
	}
	return nil
}

// ValidateRecordKey reports whether pk and sk form a valid record key: both
// non-empty, valid UTF-8 without control characters, at most MaxKeyLen
// bytes. The error wraps ErrInvalid.
func ValidateRecordKey(pk, sk string) error {
	if pk == "" {
		return fmt.Errorf("%w: partition key is empty", ErrInvalid)
	}
	if sk == "" {
		return fmt.Errorf("%w: sort key is empty (partition %q)", ErrInvalid, pk)
	}
	if err := checkText("partition key", pk); err != nil {
		return err
	}
	return checkText("sort key", sk)
}

// ValidateWrites checks a batch before an adapter touches storage: at most
// MaxBatch writes, valid keys, no key written twice, a known condition kind,
// and for puts a body that is valid JSON of at most MaxBodyLen bytes. The
// error names the offending write and wraps ErrInvalid.
func ValidateWrites(writes []Write) error {
	if len(writes) > MaxBatch {
		return fmt.Errorf("%w: batch of %d writes exceeds the limit of %d", ErrInvalid, len(writes), MaxBatch)
	}
	seen := make(map[[2]string]int, len(writes))
	for i, w := range writes {
		r := w.Record
		if err := ValidateRecordKey(r.PK, r.SK); err != nil {
			return fmt.Errorf("write %d: %w", i, err)
		}
		k := [2]string{r.PK, r.SK}
		if j, dup := seen[k]; dup {
			return fmt.Errorf("%w: writes %d and %d both target %s/%s", ErrInvalid, j, i, r.PK, r.SK)
		}
		seen[k] = i
		if w.Cond.Kind < CondNone || w.Cond.Kind > CondExists {
			return fmt.Errorf("%w: write %d: unknown condition kind %d", ErrInvalid, i, w.Cond.Kind)
		}
		if w.Delete {
			continue
		}
		if len(r.Body) == 0 {
			return fmt.Errorf("%w: write %d (%s/%s): body is empty, want JSON", ErrInvalid, i, r.PK, r.SK)
		}
		if len(r.Body) > MaxBodyLen {
			return fmt.Errorf("%w: write %d (%s/%s): body is %d bytes, limit %d", ErrInvalid, i, r.PK, r.SK, len(r.Body), MaxBodyLen)
		}
		if !json.Valid(r.Body) {
			return fmt.Errorf("%w: write %d (%s/%s): body is not valid JSON", ErrInvalid, i, r.PK, r.SK)
		}
	}
	return nil
}

// ValidateQuery checks a query: a valid partition key, a non-negative limit,
// and From not after To when both are set. The error wraps ErrInvalid.
func ValidateQuery(pk string, q Query) error {
	if pk == "" {
		return fmt.Errorf("%w: partition key is empty", ErrInvalid)
	}
	if err := checkText("partition key", pk); err != nil {
		return err
	}
	if q.Limit < 0 {
		return fmt.Errorf("%w: query limit %d is negative", ErrInvalid, q.Limit)
	}
	if q.From != "" && q.To != "" && q.From > q.To {
		return fmt.Errorf("%w: query range from %q is after to %q", ErrInvalid, q.From, q.To)
	}
	return nil
}

// TTLSeconds converts an ExpiresAt to the whole epoch seconds adapters
// store, rounding up so a record never expires before it was asked to.
// Zero means no expiry; an expiry at or before the epoch becomes 1 (long
// expired).
func TTLSeconds(expiresAt time.Time) int64 {
	if expiresAt.IsZero() {
		return 0
	}
	s := expiresAt.Unix()
	if expiresAt.Nanosecond() > 0 && s < math.MaxInt64 {
		s++
	}
	if s < 1 {
		return 1
	}
	return s
}

// ExpiresAtFromTTL is the inverse of TTLSeconds.
func ExpiresAtFromTTL(ttl int64) time.Time {
	if ttl == 0 {
		return time.Time{}
	}
	return time.Unix(ttl, 0).UTC()
}

// LiveAt reports whether a record stored with ttl (epoch seconds, 0 for
// none) is still live at now: records expire at the start of their TTL second.
func LiveAt(ttl int64, now time.Time) bool {
	return ttl == 0 || now.Unix() < ttl
}

func checkText(what, s string) error {
	if len(s) > MaxKeyLen {
		return fmt.Errorf("%w: %s is %d bytes, limit %d", ErrInvalid, what, len(s), MaxKeyLen)
	}
	if !utf8.ValidString(s) {
		return fmt.Errorf("%w: %s %q is not valid UTF-8", ErrInvalid, what, s)
	}
	for _, r := range s {
		if r < 0x20 || r == 0x7f {
			return fmt.Errorf("%w: %s %q contains control character %U", ErrInvalid, what, s, r)
		}
	}
	return nil
}
