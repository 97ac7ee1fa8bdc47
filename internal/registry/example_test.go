package registry_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/stewardml/steward/internal/local/sqlite"
	"github.com/stewardml/steward/internal/registry"
)

func Example() {
	dir, _ := os.MkdirTemp("", "registry-example")
	defer os.RemoveAll(dir)
	rs, err := sqlite.Open(filepath.Join(dir, "records.db"))
	if err != nil {
		fmt.Println(err)
		return
	}
	defer rs.Close()

	reg := registry.New(rs)
	now := time.Date(2025, 1, 1, 9, 0, 0, 0, time.UTC)
	reg.Now = func() time.Time { now = now.Add(time.Hour); return now }
	ctx := context.Background()

	for i := 1; i <= 2; i++ {
		v, _ := reg.Register(ctx, "heart", registry.NewVersion{
			BundleKey: fmt.Sprintf("models/heart/%d/bundle.json", i), BundleDigest: "sha256:…", CreatedBy: "trainer",
		})
		fmt.Println("registered", v.Model, v.Number)
	}
	reg.MoveAlias(ctx, "heart", registry.Champion, 0, 1, "alice", "first model")
	promoted, _ := reg.MoveAlias(ctx, "heart", registry.Champion, 1, 2, "alice", "better AUC")
	// Someone holding a stale view loses the compare-and-set.
	_, err = reg.MoveAlias(ctx, "heart", registry.Champion, 1, 2, "bob", "stale")
	fmt.Println(err)

	ref, _ := registry.ParseRef("heart@champion")
	v, _ := reg.Resolve(ctx, ref)
	fmt.Println(ref, "is version", v.Number)
	was, _ := reg.ChampionAt(ctx, "heart", promoted.At.Add(-time.Minute))
	fmt.Println("champion just before the promotion:", was)

	back, _ := reg.Rollback(ctx, "heart", "oncall", "error rate up")
	fmt.Printf("rollback: v%d -> v%d (seq %d)\n", back.From, back.To, back.Seq)
	// Output:
	// registered heart 1
	// registered heart 2
	// registry: move heart@champion to v2: it points at v2, not the expected v1: registry: alias moved concurrently
	// heart@champion is version 2
	// champion just before the promotion: 1
	// rollback: v2 -> v1 (seq 3)
}
