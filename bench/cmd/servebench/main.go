// Command servebench measures the serving path for `make bench`
// (bench/serve_compare.sh drives it):
//
//	servebench prepare -dir DIR -family forest -trees 100
//	    train the heart model and register it as champion in data dir DIR
//	servebench handler -family forest -trees 100 -n 20000
//	    in-process latency of one-row requests, JSON in to JSON out
//	servebench capture -workers 8 -seconds 5
//	    the time a request spends handing its predictions to the capture
//	    writer while batches are written to the directory store
//	servebench coldstart -reps 5
//	    the predict bootstrap under aws-lambda-rie: process start to the
//	    first successful prediction, and the bootstrap sizes
//
// Each prints one JSON line per measurement.
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"sort"
	"strings"
	"time"

	"github.com/stewardml/steward/internal/capture"
	"github.com/stewardml/steward/internal/httpedge"
	"github.com/stewardml/steward/internal/uuidv7"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-lambda-go/lambda"

	"github.com/stewardml/steward/internal/app"
	"github.com/stewardml/steward/internal/config"
	"github.com/stewardml/steward/internal/serving"
	"github.com/stewardml/steward/internal/serving/servingtest"
)

func main() {
	if len(os.Args) < 2 {
		fmt.Fprintln(os.Stderr, "usage: servebench prepare|handler|coldstart [flags]")
		os.Exit(2)
	}
	var err error
	switch os.Args[1] {
	case "prepare":
		err = prepareCmd(os.Args[2:])
	case "handler":
		err = handlerCmd(os.Args[2:])
	case "coldstart":
		err = coldstartCmd(os.Args[2:])
	case "capture":
		err = captureCmd(os.Args[2:])
	default:
		err = fmt.Errorf("unknown command %q", os.Args[1])
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "servebench:", err)
		os.Exit(1)
	}
}

func openApp(ctx context.Context, dir string) (*app.App, error) {
	rt, err := config.FromEnv(func(string) string { return "" })
	if err != nil {
		return nil, err
	}
	rt.DataDir, rt.ConfigPath = dir, ""
	return app.New(ctx, app.Options{Runtime: rt})
}

// depth is the max_depth of the tree families: 0 (unlimited) for the
// forest and 6 for boosting, as the Python baseline's random forest and
// XGBoost models have.
func params(family string, trees int) map[string]any {
	switch family {
	case "forest":
		return map[string]any{"n_trees": trees, "max_depth": 0}
	case "gbdt":
		return map[string]any{"n_trees": trees, "max_depth": 6, "learning_rate": 0.1}
	}
	return nil
}

// prepare trains and registers a champion in dir.
func prepare(ctx context.Context, dir, data, family string, trees int) error {
	a, err := openApp(ctx, dir)
	if err != nil {
		return err
	}
	defer a.Close()
	_, err = servingtest.Heart(ctx, a.Artifacts, a.Records, servingtest.Spec{DataPath: data, Family: family, Params: params(family, trees)})
	return err
}

func prepareCmd(args []string) error {
	fs := flag.NewFlagSet("prepare", flag.ExitOnError)
	dir := fs.String("dir", "", "data directory to create")
	data := fs.String("data", "testdata/heart/processed.cleveland.data", "training data")
	family := fs.String("family", "forest", "model family")
	trees := fs.Int("trees", 100, "trees of a forest or gbdt")
	fs.Parse(args)
	if *dir == "" {
		return fmt.Errorf("prepare: -dir is required")
	}
	return prepare(context.Background(), *dir, *data, *family, *trees)
}

type quantiles struct {
	Median, P90, P99 float64 // µs
}

func quantilesOf(d []time.Duration) quantiles {
	sort.Slice(d, func(i, j int) bool { return d[i] < d[j] })
	q := func(p float64) float64 { return float64(d[int(p*float64(len(d)-1))]) / 1e3 }
	return quantiles{q(0.5), q(0.9), q(0.99)}
}

func emit(v map[string]any) {
	b, _ := json.Marshal(v)
	fmt.Println(string(b))
}

// handlerCmd times one-row requests in-process through three layers: the
// serving handler (request body JSON to response body JSON), the API
// Gateway adapter (event struct to response struct), and the Lambda
// handler (event JSON to response JSON, what the runtime hands over).
func handlerCmd(args []string) error {
	fs := flag.NewFlagSet("handler", flag.ExitOnError)
	data := fs.String("data", "testdata/heart/processed.cleveland.data", "training data")
	family := fs.String("family", "forest", "model family")
	trees := fs.Int("trees", 100, "trees of a forest or gbdt")
	n := fs.Int("n", 20000, "requests per layer")
	capture := fs.Bool("capture", true, "capture every prediction (to a batch writer over the directory store)")
	fs.Parse(args)
	ctx := context.Background()
	dir, err := os.MkdirTemp("", "servebench")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	if err := prepare(ctx, dir, *data, *family, *trees); err != nil {
		return err
	}
	a, err := openApp(ctx, dir)
	if err != nil {
		return err
	}
	defer a.Close()
	s := a.Serving(app.ServingOptions{})
	defer s.Captures.Close(ctx)
	h := s.Handler
	if !*capture {
		h = serving.NewHandler(withoutCapture(), serving.Deps{Models: s.Models})
	}
	body := []byte(`{"instances":[` + servingtest.Row + `]}`)
	req := httpedge.Request{Method: "POST", Path: "/v1/models/heart/predict", Header: httpedge.Header{"Content-Type": {"application/json"}}, Body: body, RequestID: "bench"}
	ev := events.APIGatewayProxyRequest{HTTPMethod: "POST", Path: "/v1/models/heart/predict", Resource: "/{proxy+}",
		Headers: map[string]string{"Content-Type": "application/json"}, Body: string(body),
		RequestContext: events.APIGatewayProxyRequestContext{RequestID: "bench"}}
	payload, err := json.Marshal(ev)
	if err != nil {
		return err
	}
	lh := lambda.NewHandler(s.APIGateway.Handle)

	layers := []struct {
		name string
		call func() (int, error)
	}{
		{"serving.Handler", func() (int, error) { r, err := h.Serve(ctx, &req); return r.Status, err }},
		{"apigw.Handler", func() (int, error) { r, err := s.APIGateway.Handle(ctx, ev); return r.StatusCode, err }},
		{"lambda.Handler (event JSON in, response JSON out)", func() (int, error) {
			out, err := lh.Invoke(ctx, payload)
			if err != nil {
				return 0, err
			}
			var r events.APIGatewayProxyResponse
			if err := json.Unmarshal(out, &r); err != nil {
				return 0, err
			}
			return r.StatusCode, nil
		}},
	}
	for _, l := range layers {
		if !*capture && l.name != "serving.Handler" {
			continue
		}
		for range 2000 { // warm-up
			if code, err := l.call(); err != nil || code != 200 {
				return fmt.Errorf("%s: status %d, %v", l.name, code, err)
			}
		}
		d := make([]time.Duration, *n)
		for i := range d {
			t0 := time.Now()
			code, err := l.call()
			d[i] = time.Since(t0)
			if err != nil || code != 200 {
				return fmt.Errorf("%s: status %d, %v", l.name, code, err)
			}
		}
		q := quantilesOf(d)
		emit(map[string]any{"kind": "handler", "layer": l.name, "family": *family, "trees": *trees, "capture": *capture,
			"n": *n, "median_us": q.Median, "p90_us": q.P90, "p99_us": q.P99, "gomaxprocs": runtime.GOMAXPROCS(0)})
	}
	return nil
}

// captureCmd times BatchWriter.Capture, the only capture work on the
// request path, from concurrent goroutines while the writer flushes
// batches to the directory store.
func captureCmd(args []string) error {
	fs := flag.NewFlagSet("capture", flag.ExitOnError)
	workers := fs.Int("workers", 8, "concurrent callers")
	seconds := fs.Float64("seconds", 5, "duration")
	rows := fs.Int("rows", 1, "predictions per request")
	fs.Parse(args)
	ctx := context.Background()
	dir, err := os.MkdirTemp("", "servebench")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	a, err := openApp(ctx, dir)
	if err != nil {
		return err
	}
	defer a.Close()
	w := capture.NewBatchWriter(a.Artifacts, capture.BatchWriterConfig{})
	feats, err := serving.NewFeatureSet(serving.FeaturesOf(servingtest.HeartSchema().Features(), true))
	if err != nil {
		return err
	}
	nf := feats.Len()
	ids := uuidv7.NewGen(nil, nil)
	deadline := time.Now().Add(time.Duration(*seconds * float64(time.Second)))
	results := make(chan []time.Duration, *workers)
	for range *workers {
		go func() {
			var d []time.Duration
			for time.Now().Before(deadline) {
				c := &capture.Capture{Model: "heart", Version: 1, Alias: "champion", RequestID: "bench", Time: time.Now(),
					Keys: feats.JSONKeys(), Threshold: 0.5, Rows: make([]float64, *rows*nf), IDs: make([]uuidv7.UUID, *rows), Probs: make([]float64, *rows)}
				ids.Fill(c.IDs)
				t0 := time.Now()
				if err := w.Capture(c); err != nil {
					panic(err)
				}
				d = append(d, time.Since(t0))
			}
			results <- d
		}()
	}
	var all []time.Duration
	for range *workers {
		all = append(all, <-results...)
	}
	t0 := time.Now()
	if err := w.Close(ctx); err != nil {
		return err
	}
	closeMs := float64(time.Since(t0).Microseconds()) / 1000
	st := w.Stats()
	sort.Slice(all, func(i, j int) bool { return all[i] < all[j] })
	q := func(p float64) float64 { return float64(all[int(p*float64(len(all)-1))]) / 1e3 }
	emit(map[string]any{"kind": "capture", "calls": len(all), "rows_per_call": *rows, "workers": *workers,
		"median_us": q(0.5), "p99_us": q(0.99), "p999_us": q(0.999), "max_us": q(1),
		"written": st.Written, "files": st.Files, "close_ms": closeMs})
	if st.Written != uint64(len(all)**rows) {
		return fmt.Errorf("captured %d predictions, wrote %d", len(all)**rows, st.Written)
	}
	return nil
}

func withoutCapture() serving.Config {
	c := serving.DefaultConfig()
	c.CaptureRate = 0
	return c
}

// coldstartCmd starts the bootstrap under the emulator reps times and times
// process start to the first 200 answer to the predict event.
func coldstartCmd(args []string) error {
	fs := flag.NewFlagSet("coldstart", flag.ExitOnError)
	data := fs.String("data", "testdata/heart/processed.cleveland.data", "training data")
	family := fs.String("family", "forest", "model family")
	trees := fs.Int("trees", 100, "trees of a forest or gbdt")
	reps := fs.Int("reps", 5, "cold starts")
	event := fs.String("event", "testdata/events/predict/predict.json", "API Gateway event to send")
	fs.Parse(args)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	dir, err := os.MkdirTemp("", "servebench")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	cache, err := os.UserCacheDir()
	if err != nil {
		cache = os.TempDir()
	}
	rie, err := servingtest.BuildRIE(ctx, filepath.Join(cache, "steward-test"))
	if err != nil {
		return err
	}
	bootstrap := filepath.Join(dir, "bootstrap")
	if err := servingtest.BuildBootstrap(ctx, "functions/predict", bootstrap); err != nil {
		return err
	}
	for _, arch := range []string{"arm64", "amd64"} {
		out := filepath.Join(dir, "bootstrap-"+arch)
		b := exec.CommandContext(ctx, "go", "build", "-tags", "lambda.norpc", "-trimpath", "-ldflags=-s -w", "-o", out, "./functions/predict")
		b.Env = append(os.Environ(), "CGO_ENABLED=0", "GOOS=linux", "GOARCH="+arch)
		if msg, err := b.CombinedOutput(); err != nil {
			return fmt.Errorf("build %s: %v\n%s", arch, err, msg)
		}
		fi, err := os.Stat(out)
		if err != nil {
			return err
		}
		emit(map[string]any{"kind": "bootstrap_size", "arch": arch, "bytes": fi.Size(), "mib": float64(fi.Size()) / (1 << 20)})
	}
	data2 := filepath.Join(dir, "data")
	if err := prepare(ctx, data2, *data, *family, *trees); err != nil {
		return err
	}
	payload, err := os.ReadFile(*event)
	if err != nil {
		return err
	}
	cfgPath, _ := filepath.Abs("steward.yaml")
	var ds []time.Duration
	for i := range *reps {
		t0 := time.Now()
		proc, err := servingtest.StartRIE(rie, bootstrap, []string{"STEWARD_DATA_DIR=" + data2, "STEWARD_CONFIG=" + cfgPath, "AWS_LAMBDA_FUNCTION_NAME=predict"})
		if err != nil {
			return err
		}
		code, body, err := proc.Invoke(ctx, payload)
		d := time.Since(t0)
		out := proc.Output()
		proc.Stop()
		var resp events.APIGatewayProxyResponse
		if err != nil || code != 200 || json.Unmarshal(body, &resp) != nil || resp.StatusCode != 200 {
			return fmt.Errorf("cold start %d: %d %s %v\n%s", i, code, body, err, out)
		}
		// The bootstrap logs its own init time (package init to ready,
		// bundle loaded), which excludes the emulator's start.
		var ready struct{ InitMs float64 }
		for _, line := range strings.Split(out, "\n") {
			if strings.Contains(line, `"predict: ready"`) {
				json.Unmarshal([]byte(line), &ready)
			}
		}
		ds = append(ds, d)
		emit(map[string]any{"kind": "coldstart", "rep": i, "ms": float64(d.Microseconds()) / 1000, "bootstrap_init_ms": ready.InitMs, "family": *family, "trees": *trees})
	}
	q := quantilesOf(ds)
	emit(map[string]any{"kind": "coldstart_summary", "reps": *reps, "median_ms": q.Median / 1000, "max_ms": float64(ds[len(ds)-1].Microseconds()) / 1000})
	return nil
}
