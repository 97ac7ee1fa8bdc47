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

func TestSignerTellsIssuedIDsFromMadeUpOnes(t *testing.T) {
	s := NewSigner([]byte("a data directory's signing key.."))
	other := NewSigner([]byte("another data directory's key...."))
	ids := make([]UUID, 64)
	if err := NewGen(nil, nil).Fill(ids); err != nil {
		t.Fatal(err)
	}
	for i := range ids {
		s.Seal(&ids[i])
	}
	for _, u := range ids {
		if !s.Valid(u) {
			t.Fatalf("sealed id %s is not valid", u)
		}
		if u.Version() != 7 || u[8]&0xc0 != 0x80 {
			t.Errorf("sealed id %s is not a UUIDv7", u)
		}
		if other.Valid(u) {
			t.Errorf("id %s is valid under another key", u)
		}
		changed := u
		changed[3]++ // another millisecond
		if s.Valid(changed) {
			t.Errorf("id %s with its time changed is still valid", changed)
		}
	}
	made := ids[0]
	made[15] ^= 1
	if s.Valid(made) {
		t.Errorf("made-up id %s is valid", made)
	}
}

func BenchmarkSeal(b *testing.B) {
	s := NewSigner([]byte("key"))
	var u UUID
	for b.Loop() {
		s.Seal(&u)
	}
}
