package cli

import (
	"github.com/spf13/cobra"

	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"net"
	"os"
	"os/signal"
	"path/filepath"
	"runtime/debug"
	"strings"
	"syscall"
	"time"

	"github.com/stewardml/steward/internal/apikeys"
	"github.com/stewardml/steward/internal/app"
	"github.com/stewardml/steward/internal/serving"
)

// devKeyName names the API key `steward serve` creates for local use.
const devKeyName = "local-dev"

// devKeyFile holds the plaintext of the local dev key in the data
// directory (mode 0600), so every start can print a working curl. Other
// keys (`steward keys create`) are shown once and stored hashed only.
const devKeyFile = "local-api-key"

func newServeCmd(e *Env) *cobra.Command {
	c := &cobra.Command{Use: "serve", Short: "run the prediction API, approval links and the dashboard locally behind an API-key gateway", GroupID: "serve", Args: noArgs,
		Example: "  steward serve\n  steward serve --addr 127.0.0.1:9090 --detail summary"}
	fs := c.Flags()
	addr := fs.String("addr", "", "listen address (default: the project's serving.addr, 127.0.0.1:8080)")
	refresh := fs.Duration("refresh", 10*time.Second, "how often to check the model aliases for a move")
	detail := fs.String("detail", "full", "how much error bodies say: full, no-values or summary")
	grace := fs.Duration("grace", 30*time.Second, "how long a shutdown waits for requests in flight and capture writes")
	flush := fs.Duration("flush", time.Second, "longest time a capture waits before it is written")
	c.RunE = func(cmd *cobra.Command, _ []string) error {
		ctx := cmd.Context()
		d, err := serving.ParseDetail(*detail)
		if err != nil {
			return Usagef("--detail: %v", err)
		}
		if *refresh <= 0 || *grace <= 0 || *flush <= 0 {
			return Usagef("--refresh, --grace and --flush must be positive")
		}
		a, err := e.AppCreating(ctx)
		if err != nil {
			return err
		}
		defer a.Close()
		if *addr == "" {
			*addr = "127.0.0.1:8080"
			if a.Project != nil && a.Project.Serving.Addr != "" {
				*addr = a.Project.Serving.Addr
			}
		}
		ln, err := net.Listen("tcp", *addr)
		if err != nil {
			return WithCode(ExitUsage, fmt.Errorf("listen on %s: %w", *addr, err))
		}
		defer ln.Close() // closed by the gateway on shutdown; this covers the early returns
		logger := slog.New(slog.NewTextHandler(e.Stderr, &slog.HandlerOptions{Level: slog.LevelInfo}))
		srv, err := a.NewServer(ctx, app.ServerOptions{
			Listener: ln, RefreshInterval: *refresh, Detail: d, FlushInterval: *flush, Log: e.Stdout, Logger: logger,
		})
		if cerr := (*app.ConfigError)(nil); errors.As(err, &cerr) {
			return WithCode(ExitUsage, err)
		} else if err != nil {
			return err
		}
		defer srv.Close()
		base, s := srv.Base, srv.Serving
		devKey, created, err := localDevKey(ctx, srv.Keys, e.DataDir)
		if err != nil {
			return err
		}
		if a.Project != nil {
			fmt.Fprintf(e.Stdout, "  approvals: links point at %s/approvals/ (STEWARD_PUBLIC_URL changes it)\n", a.LinkBase())
			for _, r := range srv.DriftRuns {
				fmt.Fprintf(e.Stdout, "  %s: %s, next at %s; the agent acts on each check\n", r.Name, a.Project.Drift.Schedule, r.At.Format(time.RFC3339))
			}
			if c := a.Project.Alarms; srv.AlarmsRunning {
				fmt.Fprintf(e.Stdout, "  alarms: 5xx share > %g, p99 latency > %s, %d of %d periods of %s; the agent acts on each change\n",
					c.ErrorRate, c.LatencyP99, c.Datapoints, c.Periods, c.Every)
			} else {
				fmt.Fprintln(e.Stdout, "  alarms: off (alarms.disabled)")
			}
		}
		fmt.Fprintf(e.Stdout, "steward serve: listening on %s\n", base)
		if srv.Operators == 0 {
			fmt.Fprintf(e.Stdout, "  dashboard: %s/ (no operator yet: steward operators create NAME)\n", base)
		} else {
			fmt.Fprintf(e.Stdout, "  dashboard: %s/ (%d operators)\n", base, srv.Operators)
		}

		model, alias := "", "champion"
		var features []serving.Feature
		if a.Project != nil {
			model, alias = a.Project.Model.Name, a.Project.Serving.DefaultAlias
			features = serving.FeaturesOf(a.Project.Schema().Features(), false)
			if m, err := s.Models.Alias(ctx, model, alias); err != nil {
				fmt.Fprintf(e.Stdout, "  model %s: no %s yet (%v); train one with: steward train\n", model, alias, err)
			} else {
				fmt.Fprintf(e.Stdout, "  model %s: serving version %d (%s)\n", model, m.Version(), alias)
				features = m.Features.Features
			}
		}
		if created {
			fmt.Fprintf(e.Stdout, "  API key %s (created now; kept in %s, mode 0600):\n    %s\n", devKeyName, filepath.Join(e.DataDir, devKeyFile), devKey)
		} else {
			fmt.Fprintf(e.Stdout, "  API key %s (from %s):\n    %s\n", devKeyName, filepath.Join(e.DataDir, devKeyFile), devKey)
		}
		fmt.Fprintln(e.Stdout, "  more keys: steward keys create NAME")
		if model != "" {
			fmt.Fprintf(e.Stdout, "  try:\n    curl -s %s/v1/models/%s/predict -H 'x-api-key: %s' -H 'content-type: application/json' -d '%s'\n",
				base, model, devKey, exampleBody(features))
		}
		fmt.Fprintln(e.Stdout, "  metrics: "+base+"/metrics    health: "+base+"/health    stop: Ctrl-C")

		defer tuneGC(e.Getenv)()
		served := make(chan struct{})
		go func() {
			select {
			case <-ctx.Done():
			case <-served:
				return
			}
			fmt.Fprintf(e.Stdout, "steward serve: stopping; finishing the requests in flight (up to %s; Ctrl-C again to stop waiting)\n", *grace)
			again := make(chan os.Signal, 1)
			signal.Notify(again, os.Interrupt, syscall.SIGTERM)
			defer signal.Stop(again)
			select {
			case <-again:
				srv.StopWaiting()
			case <-served:
			}
		}()
		serveErr := srv.Serve(ctx, *grace)
		close(served)
		capErr := srv.WriteCaptures(*grace)
		st := s.Captures.Stats()
		fmt.Fprintf(e.Stdout, "steward serve: stopped; %d predictions captured in %d files\n", st.Written, st.Files)
		return errors.Join(serveErr, capErr)
	}
	return c
}

// localDevKey returns the plaintext of the local dev key, creating it when
// there is none (or the kept one no longer works).
func localDevKey(ctx context.Context, keys *apikeys.Store, dataDir string) (string, bool, error) {
	path := filepath.Join(dataDir, devKeyFile)
	if b, err := os.ReadFile(path); err == nil {
		plain := strings.TrimSpace(string(b))
		if _, err := keys.Check(ctx, plain); err == nil {
			return plain, false, nil
		} else if !errors.Is(err, apikeys.ErrInvalid) {
			return "", false, err
		}
	}
	plain, _, err := keys.Create(ctx, devKeyName)
	if errors.Is(err, apikeys.ErrExists) {
		// Its plaintext is lost (the file was removed): replace it.
		if _, err := keys.Revoke(ctx, devKeyName); err != nil {
			return "", false, err
		}
		plain, _, err = keys.Create(ctx, devKeyName)
	}
	if err != nil {
		return "", false, err
	}
	if err := os.MkdirAll(dataDir, 0o755); err != nil {
		return "", false, err
	}
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, []byte(plain+"\n"), 0o600); err != nil {
		return "", false, fmt.Errorf("serve: keep the dev key: %w", err)
	}
	if err := os.Rename(tmp, path); err != nil {
		return "", false, fmt.Errorf("serve: keep the dev key: %w", err)
	}
	return plain, true, nil
}

// exampleBody builds a valid one-instance request from the features: the
// middle of each numeric range, the first level of each category.
func exampleBody(features []serving.Feature) string {
	inst := make(map[string]float64, len(features))
	keys := make([]string, 0, len(features))
	for _, f := range features {
		v := 0.0
		switch {
		case len(f.Levels) > 0:
			v = f.Levels[0].Value
		case f.Min != nil && f.Max != nil:
			v = math.Round((*f.Min + *f.Max) / 2)
		case f.Min != nil:
			v = *f.Min
		case f.Max != nil:
			v = *f.Max
		}
		inst[f.Name] = v
		keys = append(keys, f.Name)
	}
	// Keep the schema's order in the printed JSON.
	var b strings.Builder
	b.WriteString(`{"instances":[{`)
	for i, k := range keys {
		if i > 0 {
			b.WriteByte(',')
		}
		kb, _ := json.Marshal(k)
		vb, _ := json.Marshal(inst[k])
		b.Write(kb)
		b.WriteByte(':')
		b.Write(vb)
	}
	b.WriteString(`}]}`)
	return b.String()
}

// Garbage-collector settings of `steward serve`, unless GOGC or GOMEMLIMIT
// say otherwise. The server keeps a small live heap (the models, a second
// of capture lines), so with the default GOGC=100 it collected three to
// four times a second under wrk -t2 -c32; in execution traces 28-45% of
// the slowest 1% of requests overlapped a collection's mark phase, against
// 3-6% of all requests. With 400% it collects about a third as often, and
// the slowest 1% overlap a collection 5-10% of the time. The soft memory
// limit keeps the heap within the serving memory budget (100 MB RSS)
// whatever the traffic, collecting earlier when it must.
const (
	serveGCPercent   = 400
	serveMemoryLimit = 48 << 20
)

// tuneGC applies the serving GC settings and returns a function that
// restores the previous ones.
func tuneGC(getenv func(string) string) (restore func()) {
	var undo []func()
	if getenv("GOGC") == "" {
		old := debug.SetGCPercent(serveGCPercent)
		undo = append(undo, func() { debug.SetGCPercent(old) })
	}
	if getenv("GOMEMLIMIT") == "" {
		old := debug.SetMemoryLimit(serveMemoryLimit)
		undo = append(undo, func() { debug.SetMemoryLimit(old) })
	}
	return func() {
		for _, f := range undo {
			f()
		}
	}
}
