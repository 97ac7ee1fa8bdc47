package driftfn

import (
	"errors"
	"os"
	"path/filepath"
	"testing"
)

// FuzzParse: any bytes give a scheduled event with a time, or an
// ErrInvalidEvent.
func FuzzParse(f *testing.F) {
	entries, err := os.ReadDir(events)
	if err != nil {
		f.Fatal(err)
	}
	for _, e := range entries {
		b, err := os.ReadFile(filepath.Join(events, e.Name()))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		ev, err := Parse(b)
		if err != nil {
			if !errors.Is(err, ErrInvalidEvent) {
				t.Fatalf("error does not wrap ErrInvalidEvent: %v", err)
			}
			return
		}
		if ev.Source != "aws.events" || ev.Time.IsZero() {
			t.Fatalf("accepted %+v", ev)
		}
	})
}
