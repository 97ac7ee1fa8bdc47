package cloudtwin

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"

	"github.com/stewardml/steward/internal/serving/servingtest"
)

// BuildVersion is the version stamped into the twin's bootstraps (the
// Makefile stamps the git revision); records written by them carry it.
const BuildVersion = "cloudtwin"

// BuildFlags are the Makefile's flags for a Lambda bootstrap: a static,
// stripped binary with the runtime API client only (lambda.norpc).
var BuildFlags = []string{"-tags", "lambda.norpc", "-trimpath", "-ldflags=-s -w -X github.com/stewardml/steward/internal/buildinfo.version=" + BuildVersion}

// Build builds functions/<name> of the module at root into
// <dir>/<name>/bootstrap, as the Makefile's pattern rule does but for
// this machine's architecture, with one `go build` for all of them.
func Build(ctx context.Context, root, dir string, names ...string) error {
	bin := filepath.Join(dir, ".bin")
	if err := os.MkdirAll(bin, 0o755); err != nil {
		return err
	}
	args := append([]string{"build"}, BuildFlags...)
	args = append(args, "-o", bin+string(filepath.Separator))
	for _, n := range names {
		args = append(args, "./functions/"+n)
	}
	cmd := exec.CommandContext(ctx, "go", args...)
	cmd.Dir = root
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0", "GOOS=linux")
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("cloudtwin: go %s: %w\n%s", strings.Join(args, " "), err, out)
	}
	for _, n := range names {
		if err := os.MkdirAll(filepath.Join(dir, n), 0o755); err != nil {
			return err
		}
		if err := os.Rename(filepath.Join(bin, n), filepath.Join(dir, n, "bootstrap")); err != nil {
			return fmt.Errorf("cloudtwin: %w", err)
		}
	}
	return os.Remove(bin)
}

// Lambda is one function's bootstrap running under aws-lambda-rie, the
// Lambda runtime API as AWS runs it.
type Lambda struct {
	Name string
	rie  *servingtest.RIE
}

// StartLambda runs bootstrap under the emulator rie with env as its whole
// environment (Deployment.Environment). The function initialises on its
// first invocation, as a cold start does.
func StartLambda(rie, name, bootstrap string, env []string) (*Lambda, error) {
	r, err := servingtest.StartRIE(rie, bootstrap, env)
	if err != nil {
		return nil, err
	}
	return &Lambda{Name: name, rie: r}, nil
}

// Result is an invocation's outcome: the function's payload, or the
// error it returned (named by its errorType).
type Result struct {
	Payload      json.RawMessage
	ErrorType    string
	ErrorMessage string
}

// Failed reports whether the function returned an error.
func (r Result) Failed() bool { return r.ErrorType != "" }

func (r Result) String() string {
	if r.Failed() {
		return r.ErrorType + ": " + r.ErrorMessage
	}
	return string(r.Payload)
}

// Invoke sends event (JSON bytes, or a value to encode) to the function
// and returns its result. An error means the invocation itself failed
// (the emulator answered other than 200, e.g. the bootstrap exited during
// init); its message carries the function's output.
func (l *Lambda) Invoke(ctx context.Context, event any) (Result, error) {
	payload, ok := event.([]byte)
	if !ok {
		var err error
		if payload, err = json.Marshal(event); err != nil {
			return Result{}, fmt.Errorf("cloudtwin: encode %s event: %w", l.Name, err)
		}
	}
	status, body, err := l.rie.Invoke(ctx, payload)
	if err != nil {
		return Result{}, fmt.Errorf("cloudtwin: invoke %s: %w\n%s", l.Name, err, l.Logs())
	}
	if status != 200 {
		return Result{}, fmt.Errorf("cloudtwin: invoke %s: status %d: %s\n%s", l.Name, status, body, l.Logs())
	}
	var fail struct {
		ErrorType    string `json:"errorType"`
		ErrorMessage string `json:"errorMessage"`
	}
	trimmed := bytes.TrimSpace(body)
	if bytes.HasPrefix(trimmed, []byte("{")) && json.Unmarshal(trimmed, &fail) == nil && fail.ErrorType != "" {
		return Result{ErrorType: fail.ErrorType, ErrorMessage: fail.ErrorMessage}, nil
	}
	return Result{Payload: json.RawMessage(trimmed)}, nil
}

// Logs returns what the emulator and the function wrote, its log stream.
func (l *Lambda) Logs() string { return l.rie.Output() }

// Stop ends the emulator and the function.
func (l *Lambda) Stop() error { return l.rie.Stop() }

// LogsSince returns what the function wrote after the first offset bytes
// of its log, and the log's length now, the offset of the next call.
func (l *Lambda) LogsSince(offset int) (string, int) {
	all := l.Logs()
	if offset > len(all) {
		offset = len(all)
	}
	return all[offset:], len(all)
}
