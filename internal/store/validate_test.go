package store_test

import (
	"errors"
	"testing"
	"time"

	"github.com/stewardml/steward/internal/store"
)

func TestTTLSecondsRoundsUp(t *testing.T) {
	base := time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)
	cases := []struct {
		in   time.Time
		want int64
	}{
		{time.Time{}, 0},
		{base, base.Unix()},
		{base.Add(time.Nanosecond), base.Unix() + 1},
		{base.Add(999 * time.Millisecond), base.Unix() + 1},
		{time.Unix(0, 0), 1},
		{time.Unix(-5, 0), 1},
	}
	for _, c := range cases {
		if got := store.TTLSeconds(c.in); got != c.want {
			t.Errorf("TTLSeconds(%v) = %d, want %d", c.in, got, c.want)
		}
	}
}

func TestLiveAt(t *testing.T) {
	ttl := time.Date(2030, 1, 1, 0, 0, 10, 0, time.UTC).Unix()
	at := func(s int, ns int) time.Time { return time.Date(2030, 1, 1, 0, 0, s, ns, time.UTC) }
	cases := []struct {
		ttl  int64
		now  time.Time
		want bool
	}{
		{0, at(59, 0), true},
		{ttl, at(9, 999999999), true},
		{ttl, at(10, 0), false},
		{ttl, at(11, 0), false},
	}
	for _, c := range cases {
		if got := store.LiveAt(c.ttl, c.now); got != c.want {
			t.Errorf("LiveAt(%d, %v) = %v, want %v", c.ttl, c.now, got, c.want)
		}
	}
}

func TestValidateArtifactPrefix(t *testing.T) {
	for _, ok := range []string{"", "a", "a/", "a/b", "a/b.", "a/.", "models/heart/"} {
		if err := store.ValidateArtifactPrefix(ok); err != nil {
			t.Errorf("ValidateArtifactPrefix(%q) = %v, want nil", ok, err)
		}
	}
	for _, bad := range []string{"/a", "a//", "../", "a/../b", "a/./b", `a\b`, "a\x00"} {
		if err := store.ValidateArtifactPrefix(bad); !errors.Is(err, store.ErrInvalid) {
			t.Errorf("ValidateArtifactPrefix(%q) = %v, want ErrInvalid", bad, err)
		}
	}
}
