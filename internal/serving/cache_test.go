package serving

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stewardml/steward/internal/capture"
	"github.com/stewardml/steward/internal/httpedge"
)

// TestChampionSwapUnderLoad moves the champion alias back and forth while
// requests flow: no request may fail, and each response must name the
// version whose model produced its probability.
func TestChampionSwapUnderLoad(t *testing.T) {
	src := newFakeSource()
	const versions = 4
	for v := 1; v <= versions; v++ {
		src.add(newLinear("heart", v))
	}
	src.set("heart", "champion", 1)
	for _, inline := range []bool{true, false} {
		t.Run(fmt.Sprintf("inline=%v", inline), func(t *testing.T) {
			src.set("heart", "champion", 1)
			cache := NewCache(src, CacheConfig{RefreshInterval: time.Millisecond, Inline: inline})
			h := NewHandler(DefaultConfig(), Deps{Models: cache, Capturer: capture.NewLogCapturer(io.Discard)})
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			if !inline {
				go cache.Run(ctx)
			}
			row := []float64{63, 1, 3, 145, 233, 1, 0, 150, 0, 2.3, 0, 0, 1}
			wantProb := map[int]float64{}
			for v := 1; v <= versions; v++ {
				m := newLinear("heart", v)
				wantProb[v] = 1 / (1 + math.Exp(-m.margin(row)))
			}
			body := []byte(`{"instances":[` + heartRow + `]}`)
			var failed, served atomic.Int64
			seen := make([]atomic.Int64, versions+1)
			stop := make(chan struct{})
			var wg sync.WaitGroup
			for range 8 {
				wg.Add(1)
				go func() {
					defer wg.Done()
					for {
						select {
						case <-stop:
							return
						default:
						}
						r, _ := h.Serve(ctx, &httpedge.Request{Method: "POST", Path: "/v1/models/heart/predict", Header: jsonHeader, Body: body})
						var pr predictResponse
						if r.Status != 200 || json.Unmarshal(r.Body, &pr) != nil || len(pr.Predictions) != 1 {
							failed.Add(1)
							t.Errorf("status %d: %s", r.Status, r.Body)
							continue
						}
						v := pr.Model.Version
						if v < 1 || v > versions || math.Abs(pr.Predictions[0].Probability-wantProb[v]) > 1e-12 {
							failed.Add(1)
							t.Errorf("response names version %d but probability %v belongs to another", v, pr.Predictions[0].Probability)
							continue
						}
						seen[v].Add(1)
						served.Add(1)
					}
				}()
			}
			// Move the alias through every version, twice, waiting each time
			// until a response from the new version has been seen.
			for round := 0; round < 2; round++ {
				for v := 1; v <= versions; v++ {
					before := seen[v].Load()
					src.set("heart", "champion", v)
					deadline := time.Now().Add(5 * time.Second)
					for seen[v].Load() <= before+5 && time.Now().Before(deadline) {
						time.Sleep(time.Millisecond)
					}
					if seen[v].Load() <= before+5 {
						t.Fatalf("version %d never served after the alias moved", v)
					}
				}
			}
			close(stop)
			wg.Wait()
			if failed.Load() != 0 {
				t.Errorf("%d of %d requests failed", failed.Load(), served.Load()+failed.Load())
			}
			if cache.Swaps() < 2*versions-1 {
				t.Errorf("%d swaps, want at least %d", cache.Swaps(), 2*versions-1)
			}
			t.Logf("%d requests, %d swaps, per version %v", served.Load(), cache.Swaps(), []int64{seen[1].Load(), seen[2].Load(), seen[3].Load(), seen[4].Load()})
		})
	}
}

func TestCacheKeepsServingWhenTheNewVersionFailsToLoad(t *testing.T) {
	src := newFakeSource()
	src.add(newLinear("heart", 1))
	src.set("heart", "champion", 1)
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	cache := NewCache(src, CacheConfig{RefreshInterval: 10 * time.Second, Inline: true, Now: func() time.Time { return now }})
	ctx := context.Background()
	if m, err := cache.Alias(ctx, "heart", "champion"); err != nil || m.Version() != 1 {
		t.Fatalf("first load = %v, %v", m, err)
	}
	src.set("heart", "champion", 2) // version 2 does not exist
	now = now.Add(11 * time.Second)
	m, err := cache.Alias(ctx, "heart", "champion")
	if err != nil || m.Version() != 1 {
		t.Fatalf("after a failed move got %v, %v; want version 1", m, err)
	}
	// The next check is one interval later, not on every request.
	loads := src.loads
	cache.Alias(ctx, "heart", "champion")
	if src.loads != loads {
		t.Errorf("retried the load before the interval passed")
	}
	src.add(newLinear("heart", 2))
	now = now.Add(11 * time.Second)
	if m, _ := cache.Alias(ctx, "heart", "champion"); m.Version() != 2 {
		t.Errorf("after version 2 appeared, serving %d", m.Version())
	}
}

func TestCacheChecksAtMostEveryInterval(t *testing.T) {
	src := newFakeSource()
	src.add(newLinear("heart", 1))
	src.set("heart", "champion", 1)
	var resolves atomic.Int64
	src.resolve = func(name, alias string) (int, error) { resolves.Add(1); return 1, nil }
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	cache := NewCache(src, CacheConfig{RefreshInterval: 30 * time.Second, Inline: true, Now: func() time.Time { return now }})
	for i := range 100 {
		now = now.Add(time.Second)
		if _, err := cache.Alias(context.Background(), "heart", "champion"); err != nil {
			t.Fatal(err)
		}
		_ = i
	}
	// 1 initial resolve + one per 30 s of the 100 s.
	if got := resolves.Load(); got != 4 {
		t.Errorf("%d resolves over 100 s with a 30 s interval, want 4", got)
	}
}

func TestCacheReportsUnknownModels(t *testing.T) {
	cache := NewCache(newFakeSource(), CacheConfig{})
	_, err := cache.Alias(context.Background(), "nope", "champion")
	if !errors.Is(err, ErrNotFound) {
		t.Errorf("Alias(nope) = %v, want ErrNotFound", err)
	}
	_, err = cache.Version(context.Background(), "nope", 3)
	if !errors.Is(err, ErrNotFound) {
		t.Errorf("Version(nope, 3) = %v, want ErrNotFound", err)
	}
}

func TestCacheRefusesAModelWithAMismatchedIdentity(t *testing.T) {
	src := newFakeSource()
	src.load = func(name string, v int) (Model, error) { return newLinear(name, v+1), nil }
	_, err := NewCache(src, CacheConfig{}).Version(context.Background(), "heart", 1)
	if !errors.Is(err, ErrUnavailable) {
		t.Errorf("loading a bundle that says it is another version = %v, want ErrUnavailable", err)
	}
}

func TestCacheRemembersMissingModelsForAnInterval(t *testing.T) {
	src := newFakeSource()
	var resolves atomic.Int64
	src.resolve = func(name, alias string) (int, error) {
		resolves.Add(1)
		src.mu.Lock()
		defer src.mu.Unlock()
		if v, ok := src.aliases[name+"@"+alias]; ok {
			return v, nil
		}
		return 0, notFoundf("no alias")
	}
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	cache := NewCache(src, CacheConfig{RefreshInterval: 10 * time.Second, Now: func() time.Time { return now }})
	ctx := context.Background()
	for range 50 {
		if _, err := cache.Alias(ctx, "heart", "champion"); !errors.Is(err, ErrNotFound) {
			t.Fatalf("err = %v, want ErrNotFound", err)
		}
		if _, err := cache.Version(ctx, "heart", 7); !errors.Is(err, ErrNotFound) {
			t.Fatalf("err = %v, want ErrNotFound", err)
		}
	}
	if resolves.Load() != 1 || src.loads != 1 {
		t.Errorf("%d resolves and %d loads for 50 requests each, want 1 and 1", resolves.Load(), src.loads)
	}
	// Once trained, the model is found after the interval.
	src.add(newLinear("heart", 1))
	src.set("heart", "champion", 1)
	now = now.Add(11 * time.Second)
	if m, err := cache.Alias(ctx, "heart", "champion"); err != nil || m.Version() != 1 {
		t.Errorf("after training: %v, %v", m, err)
	}
}
