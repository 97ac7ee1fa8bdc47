package app

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/stewardml/steward/internal/config"
	"github.com/stewardml/steward/internal/store"
)

func TestNewLocalSharesStateAcrossInstances(t *testing.T) {
	dir := t.TempDir()
	rt, err := config.FromEnv(func(k string) string {
		if k == "STEWARD_DATA_DIR" {
			return dir
		}
		return ""
	})
	if err != nil {
		t.Fatal(err)
	}
	rt.ConfigPath = filepath.Join(dir, "absent.yaml")
	ctx := context.Background()
	var console bytes.Buffer
	a, err := New(ctx, Options{Runtime: rt, Console: &console})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := a.Artifacts.Put(ctx, "datasets/x", []byte("1,2\n"), "text/csv"); err != nil {
		t.Fatal(err)
	}
	if err := a.Records.Write(ctx, store.Write{Record: store.Record{PK: "P", SK: "S", Body: []byte(`{}`), Version: 1}}); err != nil {
		t.Fatal(err)
	}
	key1 := a.SigningKey
	a.Close()

	b, err := New(ctx, Options{Runtime: rt})
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	if ok, _ := b.Artifacts.Exists(ctx, "datasets/x"); !ok {
		t.Error("artifact lost between instances")
	}
	if _, err := b.Records.Get(ctx, "P", "S"); err != nil {
		t.Errorf("record lost between instances: %v", err)
	}
	if !bytes.Equal(key1, b.SigningKey) || len(key1) < 32 {
		t.Error("signing key changed between instances or is short")
	}
	fi, err := os.Stat(filepath.Join(dir, "signing.key"))
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("signing key file mode = %v, %v; want 0600", fi.Mode().Perm(), err)
	}
}
