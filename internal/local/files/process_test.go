package files_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"testing"

	"github.com/stewardml/steward/internal/local/files"
)

// TestHelperProcess is not a test: TestTwoProcessesShareADirectory runs the
// test binary again with STEWARD_FILES_HELPER set, and this function then
// puts and reads one key in a loop, exiting non-zero on any torn read.
func TestHelperProcess(t *testing.T) {
	dir := os.Getenv("STEWARD_FILES_HELPER")
	if dir == "" {
		t.Skip("helper process for TestTwoProcessesShareADirectory")
	}
	id, _ := strconv.Atoi(os.Getenv("STEWARD_FILES_ID"))
	if err := churn(dir, id); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	os.Exit(0)
}

func body(id int) []byte { return bytes.Repeat([]byte{byte('a' + id)}, 256<<10+id) }

func churn(dir string, id int) error {
	s, err := files.New(dir)
	if err != nil {
		return err
	}
	ctx := context.Background()
	valid := map[string]bool{}
	for i := range 3 {
		valid[string(body(i))] = true
	}
	for range 40 {
		if _, err := s.Put(ctx, "shared/model.bin", body(id), ""); err != nil {
			return fmt.Errorf("process %d: Put: %w", id, err)
		}
		got, info, err := s.Get(ctx, "shared/model.bin")
		if err != nil {
			return fmt.Errorf("process %d: Get: %w", id, err)
		}
		sum := sha256.Sum256(got)
		if !valid[string(got)] || info.SHA256 != hex.EncodeToString(sum[:]) {
			return fmt.Errorf("process %d: torn or mismatched read of %d bytes", id, len(got))
		}
	}
	return nil
}

func TestTwoProcessesShareADirectory(t *testing.T) {
	if testing.Short() {
		t.Skip("spawns processes")
	}
	dir := t.TempDir()
	var cmds []*exec.Cmd
	var outs []*bytes.Buffer
	for id := range 2 {
		cmd := exec.Command(os.Args[0], "-test.run=^TestHelperProcess$")
		cmd.Env = append(os.Environ(), "STEWARD_FILES_HELPER="+dir, "STEWARD_FILES_ID="+strconv.Itoa(id))
		out := new(bytes.Buffer)
		cmd.Stdout, cmd.Stderr = out, out
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		cmds, outs = append(cmds, cmd), append(outs, out)
	}
	// This process churns too, so three writers share the directory.
	if err := churn(dir, 2); err != nil {
		t.Error(err)
	}
	for i, cmd := range cmds {
		if err := cmd.Wait(); err != nil {
			t.Errorf("helper %d: %v\n%s", i, err, outs[i])
		}
	}
}
