package cli

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"runtime/debug"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stewardml/steward/internal/app"
	"github.com/stewardml/steward/internal/capture"
	"github.com/stewardml/steward/internal/config"
	"github.com/stewardml/steward/internal/serving/servingtest"
)

// syncBuffer is a bytes.Buffer safe for a writer and a poller.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// openTestStores opens the stores of the data directory dir.
func openTestStores(t *testing.T, dir string) *app.App {
	t.Helper()
	rt, err := config.FromEnv(func(string) string { return "" })
	if err != nil {
		t.Fatal(err)
	}
	rt.DataDir, rt.ConfigPath = dir, ""
	a, err := app.New(context.Background(), app.Options{Runtime: rt})
	if err != nil {
		t.Fatal(err)
	}
	return a
}

// trainHeart registers a champion in the data directory dir.
func trainHeart(t *testing.T, dir string) {
	t.Helper()
	a := openTestStores(t, dir)
	defer a.Close()
	if _, err := servingtest.Heart(context.Background(), a.Artifacts, a.Records, servingtest.Spec{DataPath: "../../testdata/heart/processed.cleveland.data", Family: "logreg"}); err != nil {
		t.Fatal(err)
	}
}

// TestServeCapturesEveryAcknowledgedPrediction runs `steward serve`,
// checks the API key and the printed curl, makes N predictions, stops it
// the way SIGINT does (its context ends) and finds N captures.
func TestServeCapturesEveryAcknowledgedPrediction(t *testing.T) {
	if testing.Short() {
		t.Skip("trains a model and runs a server")
	}
	dir := t.TempDir()
	trainHeart(t, dir)
	var out, errb syncBuffer
	e := &Env{DataDir: dir, ConfigPath: "../../steward.yaml", Stdout: &out, Stderr: &errb, Getenv: func(string) string { return "" }}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan error, 1)
	go func() { done <- runServe(ctx, e, []string{"--addr", "127.0.0.1:0", "--flush", "50ms"}) }()

	var base, key, curlBody string
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) && (base == "" || curlBody == "") {
		time.Sleep(20 * time.Millisecond)
		s := out.String()
		if m := regexp.MustCompile(`listening on (http://\S+)`).FindStringSubmatch(s); m != nil {
			base = m[1]
		}
		if m := regexp.MustCompile(`-H 'x-api-key: (stw_\w+)'.* -d '(.*)'`).FindStringSubmatch(s); m != nil {
			key, curlBody = m[1], m[2]
		}
	}
	if base == "" || key == "" {
		t.Fatalf("no URL or key printed:\n%s\n%s", out.String(), errb.String())
	}
	if !strings.Contains(out.String(), "serving version 1 (champion)") {
		t.Errorf("banner does not name the champion:\n%s", out.String())
	}
	if b, err := os.ReadFile(filepath.Join(dir, devKeyFile)); err != nil || strings.TrimSpace(string(b)) != key {
		t.Errorf("dev key file: %q, %v", b, err)
	} else if fi, _ := os.Stat(filepath.Join(dir, devKeyFile)); fi.Mode().Perm() != 0o600 {
		t.Errorf("dev key file mode %v, want 0600", fi.Mode().Perm())
	}

	post := func(k, body string) (int, []byte) {
		req, _ := http.NewRequest("POST", base+"/v1/models/heart/predict", strings.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		if k != "" {
			req.Header.Set("x-api-key", k)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, b
	}
	if code, b := post("", curlBody); code != 403 || string(b) != `{"message":"Forbidden: send a valid API key in the x-api-key header"}` {
		t.Errorf("no key: %d %s", code, b)
	}
	if code, b := post("stw_wrong", curlBody); code != 403 {
		t.Errorf("wrong key: %d %s", code, b)
	}
	if code, b := post(key, `{"instances":[{"age":"old"}]}`); code != 422 {
		t.Errorf("bad input: %d %s", code, b)
	}
	// The printed curl body works as printed.
	acked := map[string]bool{}
	const n = 60
	var wg sync.WaitGroup
	var mu sync.Mutex
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			body := curlBody
			if i%2 == 1 {
				body = `{"instances":[` + servingtest.Row + `,` + servingtest.Row + `]}`
			}
			code, b := post(key, body)
			var pr struct{ Predictions []struct{ ID string } }
			if code != 200 || json.Unmarshal(b, &pr) != nil {
				t.Errorf("predict: %d %s", code, b)
				return
			}
			mu.Lock()
			for _, p := range pr.Predictions {
				acked[p.ID] = true
			}
			mu.Unlock()
		}()
	}
	wg.Wait()
	resp, err := http.Get(base + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	metrics, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if !strings.Contains(string(metrics), `steward_http_requests_total{route="/v1/models/{name}/predict",status="200"} 60`) {
		t.Errorf("metrics:\n%s", metrics)
	}

	cancel() // what SIGINT does through cmd/steward's signal context
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("serve returned %v\n%s", err, errb.String())
		}
	case <-time.After(30 * time.Second):
		t.Fatal("serve did not stop")
	}
	// Every acknowledged prediction is in the capture files.
	var captured []string
	a := openTestStores(t, dir)
	infos, err := a.Artifacts.List(context.Background(), "captures/heart/")
	if err != nil {
		t.Fatal(err)
	}
	for _, info := range infos {
		b, _, err := a.Artifacts.Get(context.Background(), info.Key)
		if err != nil {
			t.Fatal(err)
		}
		sc := bufio.NewScanner(bytes.NewReader(b))
		for sc.Scan() {
			var l capture.Line
			if err := json.Unmarshal(sc.Bytes(), &l); err != nil {
				t.Errorf("%s: %v", info.Key, err)
			}
			if !strings.HasPrefix(info.Key, capture.Prefix("heart", l.Time)) {
				t.Errorf("line of %v in %s", l.Time, info.Key)
			}
			captured = append(captured, l.ID)
		}
	}
	a.Close()
	got := map[string]bool{}
	for _, id := range captured {
		if !acked[id] || got[id] {
			t.Errorf("capture %s: acknowledged %v, seen before %v", id, acked[id], got[id])
		}
		got[id] = true
	}
	if len(acked) != n/2+n || len(got) != len(acked) {
		t.Errorf("%d predictions acknowledged, %d captured", len(acked), len(got))
	}
	if !strings.Contains(out.String(), "stopped; 90 predictions captured") {
		t.Errorf("closing line missing:\n%s", out.String())
	}

	// A second start reuses the kept key.
	var out2 syncBuffer
	e2 := &Env{DataDir: dir, ConfigPath: "../../steward.yaml", Stdout: &out2, Stderr: io.Discard, Getenv: func(string) string { return "" }}
	ctx2, cancel2 := context.WithCancel(context.Background())
	done2 := make(chan error, 1)
	go func() { done2 <- runServe(ctx2, e2, []string{"--addr", "127.0.0.1:0"}) }()
	for i := 0; i < 1000 && !strings.Contains(out2.String(), "stop: Ctrl-C"); i++ {
		time.Sleep(10 * time.Millisecond)
	}
	cancel2()
	<-done2
	if !strings.Contains(out2.String(), key) || strings.Contains(out2.String(), "created now") {
		t.Errorf("second start did not reuse the key:\n%s", out2.String())
	}
}

func TestKeysCommands(t *testing.T) {
	dir := t.TempDir()
	run := func(args ...string) (string, string, int) {
		var out, errb bytes.Buffer
		code := Main(context.Background(), append([]string{"--data-dir", dir, "--config", "none.yaml"}, args...), nil, &out, &errb, func(string) string { return "" })
		return out.String(), errb.String(), code
	}
	key, stderr, code := run("keys", "create", "ci")
	if code != 0 || !regexp.MustCompile(`^stw_\w{43}\n$`).MatchString(key) || !strings.Contains(stderr, "shown only this once") {
		t.Fatalf("create: %d %q %q", code, key, stderr)
	}
	if _, _, code := run("keys", "create", "ci"); code != ExitFailed {
		t.Errorf("duplicate name exit %d, want %d", code, ExitFailed)
	}
	list, _, code := run("keys", "list")
	if code != 0 || !strings.Contains(list, "ci") || !strings.Contains(list, key[:8]+"…") || strings.Contains(list, strings.TrimSpace(key)) {
		t.Errorf("list: %d\n%s", code, list)
	}
	if out, _, code := run("keys", "revoke", "ci"); code != 0 || !strings.Contains(out, "revoked") {
		t.Errorf("revoke: %d %s", code, out)
	}
	if _, _, code := run("keys", "revoke", "ci"); code != ExitFailed {
		t.Errorf("second revoke exit %d, want %d", code, ExitFailed)
	}
	js, _, code := run("--json", "keys", "list")
	var rows []map[string]any
	if code != 0 || json.Unmarshal([]byte(js), &rows) != nil || len(rows) != 1 || rows[0]["revokedAt"] == nil {
		t.Errorf("json list: %d %s", code, js)
	}
	for _, args := range [][]string{{"keys", "rotate"}, {"keys", "create"}, {"keys", "list", "x"}} {
		if _, _, code := run(args...); code != ExitUsage {
			t.Errorf("%v exit %d, want %d", args, code, ExitUsage)
		}
	}
}

func TestTuneGCLeavesSettingsTheEnvironmentGives(t *testing.T) {
	before := debug.SetGCPercent(100)
	defer debug.SetGCPercent(before)
	restore := tuneGC(func(string) string { return "" })
	if got := debug.SetGCPercent(serveGCPercent); got != serveGCPercent {
		t.Errorf("GC percent while serving = %d, want %d", got, serveGCPercent)
	}
	if got := debug.SetMemoryLimit(-1); got != serveMemoryLimit {
		t.Errorf("memory limit while serving = %d, want %d", got, serveMemoryLimit)
	}
	restore()
	if got := debug.SetGCPercent(100); got != 100 {
		t.Errorf("GC percent after serving = %d, want 100 restored", got)
	}
	restore = tuneGC(func(k string) string { return map[string]string{"GOGC": "50", "GOMEMLIMIT": "1GiB"}[k] })
	defer restore()
	if got := debug.SetGCPercent(100); got != 100 {
		t.Errorf("GC percent with GOGC set = %d, want it untouched (100)", got)
	}
}
