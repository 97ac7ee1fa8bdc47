package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"
)

// retrainProject writes a project whose training is quick, with two
// approvers and absolute data and suite paths; stump is the same project
// training one depth-1 tree, for a weak champion.
func retrainProject(t *testing.T) (cfg, stump string) {
	t.Helper()
	b, err := os.ReadFile("../../steward.yaml")
	if err != nil {
		t.Fatal(err)
	}
	root, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	s := string(b)
	s = strings.Replace(s, "source: testdata/", "source: "+root+"/testdata/", 1)
	s = strings.Replace(s, "suite: testdata/", "suite: "+root+"/testdata/", 1)
	s = strings.Replace(s, "approvers: [cardiology-ml@example.com]", "approvers: [ana@example.com, bo@example.com]\n  margin: 0.01", 1)
	i, j := strings.Index(s, "\ntraining:"), strings.Index(s, "\nserving:")
	if i < 0 || j < i || !strings.Contains(s, "ana@example.com") {
		t.Fatal("steward.yaml does not have the expected training and approval sections")
	}
	dir := t.TempDir()
	write := func(name, training string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(s[:i+1]+training+s[j:]), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	cfg = write("steward.yaml", "training:\n  seed: 7\n  folds: 3\n  repeats: 1\n  metric: roc_auc\n  families:\n    - family: logreg\n      params: {C: [0.1, 1.0]}\n")
	stump = write("stump.yaml", "training:\n  seed: 7\n  folds: 3\n  repeats: 1\n  metric: roc_auc\n  families:\n    - family: forest\n      params: {n_trees: 1, max_depth: 1}\n")
	return cfg, stump
}

var approvalIDRE = regexp.MustCompile(`approval ([0-9a-f]{32}):`)

func TestRetrainApproveFromTheCLI(t *testing.T) {
	if testing.Short() {
		t.Skip("trains models")
	}
	cfg, stump := retrainProject(t)
	dir := t.TempDir()
	if code, out, errs := steward(t, dir, "--config", stump, "train"); code != ExitOK {
		t.Fatalf("train exit %d\n%s%s", code, out, errs)
	}

	code, out, errs := steward(t, dir, "--config", cfg, "retrain", "--require-approval", "--reason", "new referrals", "--as", "ops@example.com")
	if code != ExitOK {
		t.Fatalf("retrain exit %d\n%s%s", code, out, errs)
	}
	for _, want := range []string{"status: RUNNING", "waiting: RequestApproval (callback) until ", "asked of ana@example.com, bo@example.com", "steward approve "} {
		if !strings.Contains(out, want) {
			t.Errorf("retrain output lacks %q:\n%s", want, out)
		}
	}
	if !strings.Contains(errs, "outbox: \"[steward heart] Approve heart version 2?\" to ana@example.com → http://127.0.0.1:8080/approvals/") {
		t.Errorf("the console does not show the approval links:\n%s", errs)
	}
	m := approvalIDRE.FindStringSubmatch(out)
	if m == nil {
		t.Fatalf("no approval id in:\n%s", out)
	}
	id := m[1]
	name := regexp.MustCompile(`execution (heart-\S+)`).FindStringSubmatch(out)[1]

	code, out, _ = steward(t, dir, "--config", cfg, "approvals")
	if code != ExitOK || !strings.Contains(out, id) || !strings.Contains(out, "pending") || !strings.Contains(out, "v2") {
		t.Errorf("approvals exit %d:\n%s", code, out)
	}
	code, out, _ = steward(t, dir, "--config", cfg, "executions")
	if code != ExitOK || !strings.Contains(out, name) || !strings.Contains(out, "waiting: RequestApproval (callback)") {
		t.Errorf("executions exit %d:\n%s", code, out)
	}

	if code, _, errs := steward(t, dir, "--config", cfg, "approve", id, "--as", "mallory@example.com"); code != ExitFailed || !strings.Contains(errs, "mallory@example.com is not an approver") {
		t.Errorf("approve by a stranger: exit %d: %s", code, errs)
	}
	if code, _, errs := steward(t, dir, "--config", cfg, "approve", id); code != ExitUsage || !strings.Contains(errs, `required flag(s) "as" not set`) {
		t.Errorf("approve without --as: exit %d: %s", code, errs)
	}

	code, out, errs = steward(t, dir, "--config", cfg, "approve", id, "--as", "ana@example.com", "--comment", "looks right")
	if code != ExitOK {
		t.Fatalf("approve exit %d\n%s%s", code, out, errs)
	}
	for _, want := range []string{"approved by ana@example.com", "status: SUCCEEDED", "promoted: heart champion v1 -> v2", "decision: approved by ana@example.com"} {
		if !strings.Contains(out, want) {
			t.Errorf("approve output lacks %q:\n%s", want, out)
		}
	}
	if code, _, errs := steward(t, dir, "--config", cfg, "reject", id, "--as", "bo@example.com"); code != ExitFailed || !strings.Contains(errs, "already decided: approved by ana@example.com") {
		t.Errorf("a second decision: exit %d: %s", code, errs)
	}
	if code, out, _ := steward(t, dir, "--config", cfg, "--json", "models", "show", "heart"); code != ExitOK || !strings.Contains(out, `"champion": 2`) {
		t.Errorf("models after approval (exit %d):\n%s", code, out)
	}

	code, out, _ = steward(t, dir, "--config", cfg, "execution", name)
	if code != ExitOK {
		t.Fatalf("execution exit %d:\n%s", code, out)
	}
	for _, want := range []string{"status: SUCCEEDED", "RequestApproval", "TaskSubmitted", "Promote", "RecordPromoted", "TrainCandidates[1]/TrainCandidate", "exited"} {
		if !strings.Contains(out, want) {
			t.Errorf("execution history lacks %q:\n%s", want, out)
		}
	}
	_, jsonOut, _ := steward(t, dir, "--config", cfg, "--json", "execution", name)
	for _, o := range []string{out, jsonOut} {
		if strings.Contains(o, "asl1.") {
			t.Error("a task token is printed")
		}
	}
	if !strings.Contains(jsonOut, "[task token]") {
		t.Error("--json history shows no redacted token where the token was")
	}
	var hist struct {
		Events []json.RawMessage `json:"events"`
	}
	if err := json.Unmarshal([]byte(jsonOut), &hist); err != nil || len(hist.Events) < 20 {
		t.Errorf("--json history: %d events, %v", len(hist.Events), err)
	}

	// Audit: the chain of the execution.
	code, out, _ = steward(t, dir, "--config", cfg, "audit", "--correlation", "arn:aws:states:local:000000000000:execution:steward-retrain:"+name)
	for _, want := range []string{"ops@example.com  retrain.start", "retrain.evaluated", "approval.requested", "ana@example.com  approval.approved", "ana@example.com  model.promote", "retrain.promoted"} {
		if !strings.Contains(out, want) {
			t.Errorf("audit lacks %q:\n%s", want, out)
		}
	}
}

func TestRetrainWithoutApprovalWaits(t *testing.T) {
	if testing.Short() {
		t.Skip("trains models")
	}
	cfg, stump := retrainProject(t)
	dir := t.TempDir()
	if code, _, errs := steward(t, dir, "--config", stump, "train"); code != ExitOK {
		t.Fatalf("train: %s", errs)
	}
	code, out, errs := steward(t, dir, "--config", cfg, "retrain", "--wait")
	if code != ExitOK || !strings.Contains(out, "status: SUCCEEDED") || !strings.Contains(out, "promoted: heart champion v1 -> v2") {
		t.Fatalf("retrain --wait exit %d\n%s%s", code, out, errs)
	}
	if code, out, _ := steward(t, dir, "--config", cfg, "approvals", "--all"); code != ExitOK || !strings.Contains(out, "no approval requests") {
		t.Errorf("approvals after a retraining without approval:\n%s", out)
	}
	if code, _, errs := steward(t, dir, "--config", cfg, "retrain", "--model", "other"); code != ExitFailed || !strings.Contains(errs, `no model named "other"`) {
		t.Errorf("retrain of an unknown model: exit %d %s", code, errs)
	}
	// Bad usage.
	for _, args := range [][]string{
		{"retrain", "--data", filepath.Join(dir, "absent.csv")},
		{"retrain", "--approval-timeout", "10s"},
		{"execution"},
		{"executions", "--status", "DONE"},
		{"approvals", "retry"},
	} {
		if code, _, errs := steward(t, dir, append([]string{"--config", cfg}, args...)...); code != ExitUsage {
			t.Errorf("%v: exit %d, want %d: %s", args, code, ExitUsage, errs)
		}
	}
	if code, _, errs := steward(t, dir, "--config", cfg, "execution", "heart-none"); code != ExitFailed || !strings.Contains(errs, `no execution "heart-none"`) {
		t.Errorf("unknown execution: exit %d %s", code, errs)
	}
	if code, _, errs := steward(t, dir, "--config", cfg, "approve", "0123", "--as", "ana@example.com"); code != ExitFailed || !strings.Contains(errs, "no such request") {
		t.Errorf("unknown approval: exit %d %s", code, errs)
	}
}

// lockedBuffer is a writer safe to read while a command writes to it.
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

// An execution started by `steward retrain` continues in `steward serve`
// when the approver posts the emailed link's form there.
func TestServeResumesAnExecutionTheCLIStarted(t *testing.T) {
	if testing.Short() {
		t.Skip("trains models")
	}
	cfg, stump := retrainProject(t)
	dir := t.TempDir()
	if code, _, errs := steward(t, dir, "--config", stump, "train"); code != ExitOK {
		t.Fatalf("train: %s", errs)
	}
	code, out, errs := steward(t, dir, "--config", cfg, "retrain", "--require-approval")
	if code != ExitOK {
		t.Fatalf("retrain exit %d\n%s%s", code, out, errs)
	}
	name := regexp.MustCompile(`execution (heart-\S+)`).FindStringSubmatch(out)[1]
	link := regexp.MustCompile(`to bo@example.com → (\S+)`).FindStringSubmatch(errs)
	if link == nil {
		t.Fatalf("no link for bo in:\n%s", errs)
	}
	u, err := url.Parse(link[1])
	if err != nil {
		t.Fatal(err)
	}

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var sout, serr lockedBuffer
	done := make(chan int, 1)
	go func() {
		done <- Main(ctx, []string{"--data-dir", dir, "--config", cfg, "serve", "--addr", "127.0.0.1:0", "--grace", "2s"}, strings.NewReader(""), &sout, &serr, func(string) string { return "" })
	}()
	var base string
	for deadline := time.Now().Add(20 * time.Second); base == "" && time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		if m := regexp.MustCompile(`listening on (http://\S+)`).FindStringSubmatch(sout.String()); m != nil {
			base = m[1]
		}
	}
	if base == "" {
		t.Fatalf("serve did not start:\n%s%s", sout.String(), serr.String())
	}
	if !strings.Contains(sout.String(), "approvals: links point at "+base+"/approvals/") {
		t.Errorf("serve does not say where approval links point:\n%s", sout.String())
	}
	resp, err := http.Get(base + u.RequestURI())
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET of the link through serve: %d", resp.StatusCode)
	}
	q := u.Query()
	form := url.Values{"approver": {q.Get("approver")}, "exp": {q.Get("exp")}, "sig": {q.Get("sig")}, "decision": {"approve"}}
	resp, err = http.PostForm(base+u.Path, form)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("POST through serve: %d", resp.StatusCode)
	}
	cancel()
	select {
	case code := <-done:
		if code != ExitOK {
			t.Errorf("serve exit %d:\n%s", code, serr.String())
		}
	case <-time.After(10 * time.Second):
		t.Fatal("serve did not stop")
	}
	code, out, _ = steward(t, dir, "--config", cfg, "execution", name)
	if code != ExitOK || !strings.Contains(out, "status: SUCCEEDED") || !strings.Contains(out, "decision: approved by bo@example.com") {
		t.Errorf("execution after the POST to serve (exit %d):\n%s", code, out)
	}
}
