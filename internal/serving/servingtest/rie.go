package servingtest

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
)

// The Lambda Runtime Interface Emulator: the real Lambda runtime API, built
// from its Go module.
const (
	RIEModule  = "github.com/aws/aws-lambda-runtime-interface-emulator"
	RIEVersion = "v0.0.0-20261030222936-bef5c4ba774d"
)

// BuildRIE returns the path of aws-lambda-rie, building it into cacheDir
// on first use: `go mod download` fetches the module through the Go module
// proxy and `go build` compiles its cmd/aws-lambda-rie.
func BuildRIE(ctx context.Context, cacheDir string) (string, error) {
	out := filepath.Join(cacheDir, "aws-lambda-rie-"+RIEVersion)
	if fi, err := os.Stat(out); err == nil && fi.Mode().IsRegular() {
		return out, nil
	}
	if err := os.MkdirAll(cacheDir, 0o755); err != nil {
		return "", err
	}
	dl := exec.CommandContext(ctx, "go", "mod", "download", "-json", RIEModule+"@"+RIEVersion)
	dl.Env = append(os.Environ(), "GOFLAGS=-mod=mod", "GOWORK=off")
	var stderr bytes.Buffer
	dl.Stderr = &stderr
	js, err := dl.Output()
	if err != nil {
		return "", fmt.Errorf("servingtest: go mod download %s: %w\n%s", RIEModule, err, stderr.String())
	}
	var mod struct{ Dir, Error string }
	if err := json.Unmarshal(js, &mod); err != nil || mod.Dir == "" {
		return "", fmt.Errorf("servingtest: go mod download %s: %s %v", RIEModule, mod.Error, err)
	}
	tmp := out + ".tmp" + strconv.Itoa(os.Getpid())
	b := exec.CommandContext(ctx, "go", "build", "-trimpath", "-o", tmp, "./cmd/aws-lambda-rie")
	b.Dir = mod.Dir
	b.Env = append(os.Environ(), "CGO_ENABLED=0", "GOWORK=off", "GOFLAGS=-mod=mod -buildvcs=false")
	if msg, err := b.CombinedOutput(); err != nil {
		return "", fmt.Errorf("servingtest: build aws-lambda-rie: %w\n%s", err, msg)
	}
	return out, os.Rename(tmp, out)
}

// BuildBootstrap builds the Lambda main in pkgDir for this machine, as the
// Makefile builds it for Lambda (lambda.norpc, static, stripped).
func BuildBootstrap(ctx context.Context, pkgDir, out string) error {
	b := exec.CommandContext(ctx, "go", "build", "-tags", "lambda.norpc", "-trimpath", "-ldflags=-s -w", "-o", out, ".")
	b.Dir = pkgDir
	b.Env = append(os.Environ(), "CGO_ENABLED=0")
	if msg, err := b.CombinedOutput(); err != nil {
		return fmt.Errorf("servingtest: build %s: %w\n%s", pkgDir, err, msg)
	}
	return nil
}

// RIE is a running emulator with one function.
type RIE struct {
	cmd *exec.Cmd
	// URL is the invoke endpoint.
	URL    string
	out    lockedBuffer
	exited chan struct{} // closed when the emulator has exited
}

type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// freePort returns a loopback address whose port is free now. Ports come
// at random from below Linux's ephemeral range, so that other tests asking
// the kernel for any port (":0") meanwhile are not handed the same one.
func freePort() (string, error) {
	for range 100 {
		ln, err := net.Listen("tcp", "127.0.0.1:"+strconv.Itoa(20000+rand.IntN(12000)))
		if err != nil {
			continue
		}
		addr := ln.Addr().String()
		ln.Close()
		return addr, nil
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	defer ln.Close()
	return ln.Addr().String(), nil
}

// StartRIE starts the emulator on loopback ports with bootstrap as the
// function, its environment being env (plus PATH), and waits until it
// listens. A port is free when chosen but may be taken before the emulator
// binds it (other tests run meanwhile): when the emulator then exits
// because an address is in use, it is started again on other ports.
func StartRIE(rie, bootstrap string, env []string) (*RIE, error) {
	const attempts = 5
	for i := 1; ; i++ {
		r, err := startRIE(rie, bootstrap, env)
		if err != nil {
			return nil, err
		}
		err = r.waitListening(10 * time.Second)
		if err == nil {
			return r, nil
		}
		_ = r.Stop()
		if i == attempts || !strings.Contains(r.Output(), "address already in use") {
			return nil, err
		}
	}
}

func startRIE(rie, bootstrap string, env []string) (*RIE, error) {
	invoke, err := freePort()
	if err != nil {
		return nil, err
	}
	runtime, err := freePort()
	if err != nil {
		return nil, err
	}
	r := &RIE{URL: "http://" + invoke + "/2015-03-31/functions/function/invocations", exited: make(chan struct{})}
	r.cmd = exec.Command(rie, "--runtime-interface-emulator-address", invoke, "--runtime-api-address", runtime, bootstrap)
	r.cmd.Dir = filepath.Dir(bootstrap)
	r.cmd.Env = append([]string{"PATH=" + os.Getenv("PATH"), "LOG_LEVEL=warn"}, env...)
	r.cmd.Stdout = &r.out
	r.cmd.Stderr = &r.out
	r.cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true} // its own group, with the bootstrap it starts
	if err := r.cmd.Start(); err != nil {
		return nil, fmt.Errorf("servingtest: start %s: %w", rie, err)
	}
	go func() {
		_ = r.cmd.Wait()
		close(r.exited)
	}()
	return r, nil
}

// waitListening waits until the invoke address accepts connections, or
// fails when the emulator exits first.
func (r *RIE) waitListening(limit time.Duration) error {
	addr := strings.TrimPrefix(r.URL, "http://")
	addr = addr[:strings.IndexByte(addr, '/')]
	deadline := time.Now().Add(limit)
	for {
		select {
		case <-r.exited:
			return fmt.Errorf("servingtest: the emulator exited before listening:\n%s", r.Output())
		default:
		}
		if c, err := net.DialTimeout("tcp", addr, 100*time.Millisecond); err == nil {
			c.Close()
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("servingtest: the emulator did not listen on %s within %v:\n%s", addr, limit, r.Output())
		}
		time.Sleep(2 * time.Millisecond)
	}
}

// Output returns what the emulator and the function printed so far.
func (r *RIE) Output() string { return r.out.String() }

// Invoke sends payload to the function, retrying while the emulator is not
// yet listening, and returns the invocation's HTTP status and body.
func (r *RIE) Invoke(ctx context.Context, payload []byte) (int, []byte, error) {
	for {
		req, err := http.NewRequestWithContext(ctx, "POST", r.URL, bytes.NewReader(payload))
		if err != nil {
			return 0, nil, err
		}
		resp, err := http.DefaultClient.Do(req)
		if err == nil {
			defer resp.Body.Close()
			b, err := io.ReadAll(resp.Body)
			return resp.StatusCode, b, err
		}
		var op *net.OpError
		if !errors.As(err, &op) {
			return 0, nil, err
		}
		select {
		case <-ctx.Done():
			return 0, nil, fmt.Errorf("servingtest: emulator not reachable: %w", err)
		case <-r.exited:
			return 0, nil, fmt.Errorf("servingtest: the emulator has exited: %w\n%s", err, r.Output())
		case <-time.After(2 * time.Millisecond):
		}
	}
}

// Stop ends the emulator and the function it started (its process group).
func (r *RIE) Stop() error {
	pid := r.cmd.Process.Pid
	_ = syscall.Kill(-pid, syscall.SIGTERM)
	select {
	case <-r.exited:
	case <-time.After(3 * time.Second):
		_ = syscall.Kill(-pid, syscall.SIGKILL)
		<-r.exited
	}
	return nil
}
