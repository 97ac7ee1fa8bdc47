package tasks

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

// FuzzTrain feeds arbitrary trainEvents to the handler: whatever arrives, the
// answer is a result or a named error, never a panic. The artifact store is
// empty, so train and candidate actions stop at the dataset; plan runs in
// full. Seeds: the sample trainEvents and testdata/fuzz/FuzzTrain.
func FuzzTrain(f *testing.F) {
	paths, _ := filepath.Glob(filepath.Join(trainEvents, "*.json"))
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
	h := &Train{
		Project:   p,
		Artifacts: arts,
		Service:   &train.Service{Artifacts: arts, Registry: &fakeRegistry{aliases: map[string]int{}}, Runs: &runs{status: map[string]string{}}, Audit: &fakeAudit{}, Actor: "fuzz"},
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
