package readmetest

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// block is one ```sh block of the README.
type block struct {
	line       int // where it starts in README.md
	skip       bool
	background bool
	ready      string // URL polled after a background start
	commands   []command
}

// command is one shell command of a block (continuation lines joined).
type command struct {
	text string
	exit int // the exit status the README shows for it
}

var (
	directive = regexp.MustCompile(`^<!--\s*tour:\s*(.*?)\s*-->$`)
	exitNote  = regexp.MustCompile(`\bexits?\s+(\d)\b`)
)

// parse returns the README's sh blocks with their directives.
func parse(readme []byte) ([]block, error) {
	var (
		out     []block
		pending string
		cur     *block
		cont    strings.Builder
	)
	sc := bufio.NewScanner(bytes.NewReader(readme))
	for n := 1; sc.Scan(); n++ {
		line := sc.Text()
		trim := strings.TrimSpace(line)
		if cur == nil {
			if m := directive.FindStringSubmatch(trim); m != nil {
				pending = m[1]
				continue
			}
			if trim == "```sh" {
				cur = &block{line: n}
				for _, f := range strings.Fields(pending) {
					switch {
					case f == "skip":
						cur.skip = true
					case f == "background":
						cur.background = true
					case strings.HasPrefix(f, "ready="):
						cur.ready = strings.TrimPrefix(f, "ready=")
					default:
						return nil, fmt.Errorf("README.md:%d: unknown tour directive %q", n, f)
					}
				}
				pending = ""
				continue
			}
			if trim != "" {
				pending = ""
			}
			continue
		}
		if trim == "```" {
			if cont.Len() > 0 {
				return nil, fmt.Errorf("README.md:%d: the block ends inside a continued line", n)
			}
			out = append(out, *cur)
			cur = nil
			continue
		}
		if strings.HasSuffix(line, `\`) {
			cont.WriteString(strings.TrimSuffix(line, `\`))
			cont.WriteString(" ")
			continue
		}
		cont.WriteString(line)
		text := cont.String()
		cont.Reset()
		if strings.TrimSpace(text) == "" {
			continue
		}
		c := command{text: text}
		if i := commentStart(text); i >= 0 {
			if m := exitNote.FindStringSubmatch(text[i:]); m != nil {
				c.exit, _ = strconv.Atoi(m[1])
			}
		}
		cur.commands = append(cur.commands, c)
	}
	if cur != nil {
		return nil, fmt.Errorf("README.md:%d: a ```sh block is not closed", cur.line)
	}
	return out, sc.Err()
}

// commentStart returns where a shell comment starts in s (a # outside
// quotes after a blank), or -1.
func commentStart(s string) int {
	var quote rune
	for i, r := range s {
		switch {
		case quote != 0:
			if r == quote {
				quote = 0
			}
		case r == '\'' || r == '"':
			quote = r
		case r == '#' && (i == 0 || s[i-1] == ' ' || s[i-1] == '\t'):
			return i
		}
	}
	return -1
}

func TestParse(t *testing.T) {
	readme := "intro\n\n<!-- tour: skip -->\n```sh\nmake test\n```\n\n" +
		"<!-- tour: background ready=http://x/health -->\n```sh\nmake run\n```\n" +
		"```sh\ncurl -s x \\\n  -d '{\"a\":1}'   # one line\nsteward drift   # exit 3: not enough data\necho '# exits 1'\n```\n"
	got, err := parse([]byte(readme))
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 3 || !got[0].skip || !got[1].background || got[1].ready != "http://x/health" {
		t.Fatalf("blocks %+v", got)
	}
	cmds := got[2].commands
	if len(cmds) != 3 || !strings.Contains(cmds[0].text, `-d '{"a":1}'`) || cmds[0].exit != 0 || cmds[1].exit != 3 || cmds[2].exit != 0 {
		t.Errorf("commands %+v", cmds)
	}
	if _, err := parse([]byte("<!-- tour: sometimes -->\n```sh\nx\n```\n")); err == nil {
		t.Error("an unknown directive was accepted")
	}
}

// TestREADMETour copies the repository into a fresh folder and runs the
// README's blocks there in order.
func TestREADMETour(t *testing.T) {
	if testing.Short() {
		t.Skip("builds Steward and runs the README's tour")
	}
	root, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	readme, err := os.ReadFile(filepath.Join(root, "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	blocks, err := parse(readme)
	if err != nil {
		t.Fatal(err)
	}
	tmp := t.TempDir()
	src := filepath.Join(tmp, "steward")
	copyRepo(t, root, src)
	bin := filepath.Join(tmp, "bin")
	env := append(os.Environ(), "GOBIN="+bin, "PATH="+bin+string(os.PathListSeparator)+os.Getenv("PATH"), "STEWARD_DATA_DIR=")

	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	var background []*exec.Cmd
	defer func() {
		for _, c := range background {
			stop(c)
		}
	}()
	for _, b := range blocks {
		if b.skip {
			continue
		}
		if b.background {
			script := joinCommands(b.commands)
			c := exec.Command("bash", "-c", script)
			c.Dir, c.Env = src, env
			c.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
			var log bytes.Buffer
			c.Stdout, c.Stderr = &log, &log
			if err := c.Start(); err != nil {
				t.Fatal(err)
			}
			background = append(background, c)
			if b.ready != "" && !waitReady(ctx, b.ready, 3*time.Minute) {
				stop(c)
				t.Fatalf("README.md:%d: %s did not answer %s in time\n%s", b.line, script, b.ready, log.String())
			}
			continue
		}
		script, results := checkedScript(b, filepath.Join(tmp, "rc"))
		c := exec.CommandContext(ctx, "bash", "-c", script)
		c.Dir, c.Env = src, env
		out, _ := c.CombinedOutput()
		rcs, _ := os.ReadFile(results)
		got := strings.Fields(string(rcs))
		for i, cmd := range b.commands {
			if i >= len(got) {
				break // an earlier command failed the block
			}
			if code, _ := strconv.Atoi(got[i]); code != cmd.exit {
				t.Errorf("README.md:%d: %s\nexit %d, the README shows %d\n%s", b.line, cmd.text, code, cmd.exit, out)
			}
		}
		if len(got) == 0 && len(b.commands) > 0 {
			t.Errorf("README.md:%d: the block did not run\n%s", b.line, out)
		}
	}
}

// checkedScript makes one bash script of a block (so variables set by one
// command reach the next) that appends each command's exit status to the
// file results and stops at the first status the README does not show.
func checkedScript(b block, results string) (script, path string) {
	var sb strings.Builder
	fmt.Fprintf(&sb, "set -o pipefail\n: > %q\n", results)
	for _, c := range b.commands {
		fmt.Fprintf(&sb, "%s\n__rc=$?\necho $__rc >> %q\n[ $__rc -eq %d ] || exit 99\n", c.text, results, c.exit)
	}
	return sb.String(), results
}

// joinCommands makes one script of a block's commands.
func joinCommands(cmds []command) string {
	parts := make([]string, len(cmds))
	for i, c := range cmds {
		parts[i] = c.text
	}
	return strings.Join(parts, "\n")
}

// copyRepo copies the files git knows of (tracked, and untracked ones not
// ignored) from root to dst, so the copy is what a fresh clone of the
// working tree would hold.
func copyRepo(t *testing.T, root, dst string) {
	t.Helper()
	c := exec.Command("git", "ls-files", "-z", "--cached", "--others", "--exclude-standard")
	c.Dir = root
	out, err := c.Output()
	if err != nil {
		t.Fatalf("git ls-files: %v", err)
	}
	for _, name := range strings.Split(strings.TrimRight(string(out), "\x00"), "\x00") {
		from := filepath.Join(root, name)
		st, err := os.Lstat(from)
		if err != nil || !st.Mode().IsRegular() {
			continue // deleted in the working tree, or a symlink
		}
		to := filepath.Join(dst, name)
		if err := os.MkdirAll(filepath.Dir(to), 0o755); err != nil {
			t.Fatal(err)
		}
		b, err := os.ReadFile(from)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(to, b, st.Mode().Perm()); err != nil {
			t.Fatal(err)
		}
	}
}

// waitReady polls url until it answers 200 or d passes.
func waitReady(ctx context.Context, url string, d time.Duration) bool {
	deadline := time.Now().Add(d)
	for time.Now().Before(deadline) && ctx.Err() == nil {
		resp, err := http.Get(url)
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return true
			}
		}
		time.Sleep(200 * time.Millisecond)
	}
	return false
}

// stop interrupts a background block's process group as Ctrl-C would,
// then kills what is left.
func stop(c *exec.Cmd) {
	if c.Process == nil {
		return
	}
	_ = syscall.Kill(-c.Process.Pid, syscall.SIGINT)
	done := make(chan struct{})
	go func() { _ = c.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(20 * time.Second):
		_ = syscall.Kill(-c.Process.Pid, syscall.SIGKILL)
		<-done
	}
}
