package uuidv7

import (
	"bytes"
	"strings"
	"testing"
	"time"
)

func TestGenIssuesIncreasingVersion7IDs(t *testing.T) {
	now := time.UnixMilli(1764000000000)
	g := NewGen(func() time.Time { return now }, nil)
	ids := make([]UUID, 5000) // more than the 12-bit counter holds
	if err := g.Fill(ids[:3000]); err != nil {
		t.Fatal(err)
	}
	if err := g.Fill(ids[3000:]); err != nil {
		t.Fatal(err)
	}
	for i, u := range ids {
		if u.Version() != 7 || u[8]>>6 != 2 {
			t.Fatalf("id %d = %s: version %d, variant %b", i, u, u.Version(), u[8]>>6)
		}
		if i > 0 && bytes.Compare(ids[i-1][:], u[:]) >= 0 {
			t.Fatalf("id %d %s not after %s", i, u, ids[i-1])
		}
		p, err := Parse(strings.ToUpper(u.String()))
		if err != nil || p != u {
			t.Fatalf("Parse(%s) = %s, %v", u, p, err)
		}
	}
	if d := ids[len(ids)-1].Time().Sub(now); d < 0 || d > 5*time.Millisecond {
		t.Errorf("last id time is %v after the clock, want within a few ms", d)
	}
	for _, bad := range []string{"", "019abc00-0000-7000-8000-00000000000", "019abc00x0000-7000-8000-000000000000", "019abc00-0000-7000-8000-00000000000g"} {
		if _, err := Parse(bad); err == nil {
			t.Errorf("Parse(%q) accepted it", bad)
		}
	}
}
