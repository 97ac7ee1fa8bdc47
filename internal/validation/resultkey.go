package validation

import (
	"strings"
	"time"
)

// ResultKey is the artifact-store key of a validation result of the
// dataset with digest against suite, run at at:
// validations/{digest}/{suite}/{20060102T150405.000000Z}.json. The run time
// ends the key, so the newest result of a dataset and suite sorts last.
func ResultKey(digest, suite string, at time.Time) string {
	return "validations/" + digest + "/" + safeName(suite) + "/" + at.UTC().Format("20060102T150405.000000Z") + ".json"
}

// safeName keeps a suite name usable as one key segment.
func safeName(s string) string {
	var b strings.Builder
	for _, r := range s {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9', r == '-', r == '_', r == '.':
			b.WriteRune(r)
		default:
			b.WriteByte('_')
		}
	}
	if b.Len() == 0 || b.String() == "." || b.String() == ".." {
		return "suite"
	}
	return b.String()
}
