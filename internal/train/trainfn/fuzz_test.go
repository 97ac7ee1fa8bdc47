package trainfn

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/stewardml/steward/internal/config"
	"github.com/stewardml/steward/internal/lambdaerr"
	"github.com/stewardml/steward/internal/local/files"
	"github.com/stewardml/steward/internal/train"
)

// FuzzHandle feeds arbitrary events to the handler: whatever arrives, the
// answer is a result or a named error, never a panic. The artifact store is
// empty, so train and candidate actions stop at the dataset; plan runs in
// full. Seeds: the sample events and testdata/fuzz/FuzzHandle.
func FuzzHandle(f *testing.F) {
	paths, _ := filepath.Glob(filepath.Join(events, "*.json"))
	for _, p := range paths {
		b, err := os.ReadFile(p)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	p, err := config.Load("../../../steward.yaml")
	if err != nil {
		f.Fatal(err)
	}
	arts, err := files.New(f.TempDir())
	if err != nil {
		f.Fatal(err)
	}
	h := &Handler{
		Project:   ProjectOf(p),
		Artifacts: arts,
		Service:   &train.Service{Artifacts: arts, Registry: &registry{aliases: map[string]int{}}, Runs: &runs{status: map[string]string{}}, Audit: &audit{}, Actor: "fuzz"},
	}
	f.Fuzz(func(t *testing.T, payload []byte) {
		out, err := h.Invoke(context.Background(), payload)
		if err == nil && out == nil {
			t.Fatal("no result and no error")
		}
		if err != nil && lambdaerr.Name(err) == "" {
			t.Fatalf("unnamed error %v", err)
		}
	})
}
