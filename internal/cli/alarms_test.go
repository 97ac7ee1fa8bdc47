package cli

import (
	"context"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/stewardml/steward/internal/registry"
	"github.com/stewardml/steward/internal/serving/servingtest"
)

// TestServeRaisesTheLocalAlarmForTheAgent runs `steward serve` with a
// one-second alarm period over a champion whose bundle cannot be opened:
// the 503s it answers raise the 5xx alarm, which reaches the agent, whose
// decision is printed.
func TestServeRaisesTheLocalAlarmForTheAgent(t *testing.T) {
	dir := t.TempDir()
	root, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(filepath.Join(root, "steward.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	cfg := strings.Replace(string(b), "source: testdata/", "source: "+root+"/testdata/", 1)
	cfg = strings.Replace(cfg, "suite: testdata/", "suite: "+root+"/testdata/", 1)
	// Replace the shipped alarms section with one that fires within a second.
	cfg = regexp.MustCompile(`(?m)^alarms:.*\n(?:[ #].*\n)*`).ReplaceAllString(cfg, "")
	cfg += "\nalarms:\n  every: 1s\n  datapoints: 1\n  periods: 1\n  min_requests: 5\n"
	cfgPath := filepath.Join(dir, "steward.yaml")
	if err := os.WriteFile(cfgPath, []byte(cfg), 0o644); err != nil {
		t.Fatal(err)
	}
	a := openTestStores(t, dir)
	ctx := context.Background()
	if _, err := a.Artifacts.Put(ctx, "bundles/sha256/broken.tar", []byte("not a bundle"), "application/x-tar"); err != nil {
		t.Fatal(err)
	}
	reg := a.Registry()
	if _, err := reg.Register(ctx, "heart", registry.NewVersion{BundleKey: "bundles/sha256/broken.tar", BundleDigest: "sha256:broken", Family: "logreg", CreatedBy: "test"}); err != nil {
		t.Fatal(err)
	}
	if _, err := reg.MoveAlias(ctx, "heart", registry.Champion, 0, 1, "ops@example.com", "test"); err != nil {
		t.Fatal(err)
	}
	a.Close()

	var out, errb syncBuffer
	e := &Env{DataDir: dir, ConfigPath: cfgPath, Stdout: &out, Stderr: &errb, Getenv: func(string) string { return "" }}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	done := make(chan error, 1)
	go func() { done <- runServe(ctx, e, []string{"--addr", "127.0.0.1:0"}) }()
	var base, key string
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) && (base == "" || key == "") {
		time.Sleep(20 * time.Millisecond)
		s := out.String()
		if m := regexp.MustCompile(`listening on (http://\S+)`).FindStringSubmatch(s); m != nil {
			base = m[1]
		}
		if m := regexp.MustCompile(`-H 'x-api-key: (stw_\w+)'`).FindStringSubmatch(s); m != nil {
			key = m[1]
		}
	}
	if base == "" || key == "" {
		t.Fatalf("no URL or key printed:\n%s\n%s", out.String(), errb.String())
	}
	if !strings.Contains(out.String(), "alarms: 5xx share > 0.01, p99 latency > 1s, 1 of 1 periods of 1s; the agent acts on each change") {
		t.Errorf("the banner does not show the alarms:\n%s", out.String())
	}
	for range 10 {
		req, _ := http.NewRequest("POST", base+"/v1/models/heart/predict", strings.NewReader(`{"instances":[`+servingtest.Row+`]}`))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("x-api-key", key)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusServiceUnavailable {
			t.Fatalf("predict with a broken champion: %d", resp.StatusCode)
		}
	}
	const want = "agent: alarm steward-local-predict-5xx ALARM → rule `alarm` →"
	for deadline := time.Now().Add(10 * time.Second); !strings.Contains(errb.String(), want); {
		if time.Now().After(deadline) {
			t.Fatalf("no alarm decision in 10 s:\n%s", errb.String())
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Logf("%s", regexp.MustCompile(`agent: alarm .*`).FindString(errb.String()))
	cancel()
	if err := <-done; err != nil {
		t.Errorf("serve: %v", err)
	}
}
