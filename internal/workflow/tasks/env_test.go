package tasks_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stewardml/steward/internal/app"
	"github.com/stewardml/steward/internal/asl"
	"github.com/stewardml/steward/internal/asl/asltest"
	"github.com/stewardml/steward/internal/audit"
	"github.com/stewardml/steward/internal/config"
	"github.com/stewardml/steward/internal/dataset"
	"github.com/stewardml/steward/internal/local/gateway"
	"github.com/stewardml/steward/internal/notify/notifytest"
	"github.com/stewardml/steward/internal/train"
	"github.com/stewardml/steward/internal/workflow"
)

// t0 starts the injected clock. It is the real time because the SQLite
// record store expires records (the approval's task token) by the real
// clock.
var t0 = time.Now().UTC().Truncate(time.Second)

// quickTraining keeps each retraining to a few seconds: two logistic
// regressions, three folds, one repeat.
const quickTraining = `training:
  seed: 7
  folds: 3
  repeats: 1
  holdout: 0.2
  metric: roc_auc
  families:
    - family: logreg
      params: {C: [0.1, 1.0]}
`

// approvalSection names two approvers and an escalation list.
const approvalSection = `approval:
  approvers: [ana@example.com, bo@example.com]
  expiry: 72h
  margin: 0.01
  escalate_to: [oncall@example.com]
`

// writeProject writes a copy of the repository's steward.yaml with a quick
// training section, two approvers and absolute data and suite paths, and
// returns its path.
func writeProject(t testing.TB, dir string) string {
	t.Helper()
	b, err := os.ReadFile("../../../steward.yaml")
	if err != nil {
		t.Fatal(err)
	}
	s := string(b)
	s = replaceSection(t, s, "training:", quickTraining)
	s = replaceSection(t, s, "approval:", approvalSection)
	root, err := filepath.Abs("../../..")
	if err != nil {
		t.Fatal(err)
	}
	s = strings.Replace(s, "source: testdata/", "source: "+root+"/testdata/", 1)
	s = strings.Replace(s, "suite: testdata/", "suite: "+root+"/testdata/", 1)
	path := filepath.Join(dir, "steward.yaml")
	if err := os.WriteFile(path, []byte(s), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// replaceSection replaces the top-level YAML section starting with key.
func replaceSection(t testing.TB, s, key, with string) string {
	t.Helper()
	i := strings.Index(s, "\n"+key)
	if i < 0 {
		t.Fatalf("steward.yaml has no %s section", key)
	}
	j := i + 1 + len(key)
	for j < len(s) {
		k := strings.IndexByte(s[j:], '\n')
		if k < 0 {
			j = len(s)
			break
		}
		j += k + 1
		if j < len(s) && s[j] != ' ' && s[j] != '#' && s[j] != '\n' {
			break
		}
	}
	return s[:i+1] + with + s[j:]
}

// env is one local Steward: a data directory, an App with an injected
// clock, the workflow with its runner, and the local gateway serving the
// approval links over real HTTP.
type env struct {
	t       testing.TB
	dir     string
	cfg     string
	clock   *asltest.Clock
	app     *app.App
	wf      *app.Workflow
	srv     *httptest.Server
	console *syncBuffer
	gw      http.Handler
	mu      sync.Mutex
}

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

// newEnv makes a data directory and opens Steward on it.
func newEnv(t *testing.T) *env {
	t.Helper()
	if testing.Short() {
		t.Skip("end-to-end retraining trains models (a few seconds each)")
	}
	dir := t.TempDir()
	e := &env{t: t, dir: dir, cfg: writeProject(t, dir), clock: asltest.NewClock(t0), console: &syncBuffer{}}
	e.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		e.mu.Lock()
		h := e.gw
		e.mu.Unlock()
		h.ServeHTTP(w, r)
	}))
	t.Cleanup(e.srv.Close)
	e.open("first")
	return e
}

// open (re)opens the App, the workflow and the gateway on the data
// directory, as a new process would.
func (e *env) open(owner string) {
	e.t.Helper()
	rt := config.Runtime{DataDir: e.dir, ConfigPath: e.cfg, Stage: "local", LogLevel: "info", PublicURL: e.srv.URL}
	a, err := app.New(context.Background(), app.Options{Runtime: rt, Console: e.console, Now: e.clock.Now})
	if err != nil {
		e.t.Fatal(err)
	}
	e.t.Cleanup(func() { a.Close() })
	wf, err := a.WorkflowWith(app.WorkflowOptions{Clock: e.clock, Owner: owner})
	if err != nil {
		e.t.Fatal(err)
	}
	gw := gateway.New(gateway.Config{Now: e.clock.Now})
	wf.Mount(gw)
	e.mu.Lock()
	e.app, e.wf, e.gw = a, wf, gw
	e.mu.Unlock()
}

// close closes the App, as a process exits.
func (e *env) close() {
	e.t.Helper()
	if err := e.app.Close(); err != nil {
		e.t.Fatal(err)
	}
}

// loadData reads the bundled Cleveland data with the project's schema.
func (e *env) loadData() (train.Data, []byte) {
	e.t.Helper()
	p := e.app.Project
	f, raw, err := dataset.ReadFile(p.DataPath(), p.Schema(), dataset.Options{Format: p.DataFormat()})
	if err != nil {
		e.t.Fatal(err)
	}
	return train.Data{Schema: p.Schema(), Frame: f, Digest: dataset.Digest(raw)}, raw
}

// stumpTraining trains a deliberately weak model: one depth-1 tree.
func stumpTraining(base train.Config) train.Config {
	base.Families = []train.FamilySearch{{Family: "forest", Params: map[string]any{"n_trees": 1, "max_depth": 1}}}
	return base
}

// trainChampion registers a first version (champion) trained with cfg.
func (e *env) trainChampion(cfg train.Config) train.RunRecord {
	e.t.Helper()
	d, _ := e.loadData()
	rec, err := e.app.TrainService("test").Train(context.Background(), train.Request{Model: "heart", Data: d, Config: cfg})
	if err != nil {
		e.t.Fatal(err)
	}
	if rec.Alias != "champion" {
		e.t.Fatalf("first version registered as %q, want champion", rec.Alias)
	}
	return rec
}

// start stores the data and starts a retraining.
func (e *env) start(requireApproval bool) workflow.Started {
	e.t.Helper()
	_, raw := e.loadData()
	ref, err := dataset.Store(context.Background(), e.app.Artifacts, raw)
	if err != nil {
		e.t.Fatal(err)
	}
	st, err := e.wf.Start(context.Background(), workflow.RetrainInput{
		Dataset: workflow.RefOf(ref), Trigger: workflow.TriggerManual, Reason: "quarterly refresh",
		RequestedBy: "ops@example.com", RequireApproval: requireApproval,
	})
	if err != nil {
		e.t.Fatal(err)
	}
	return st
}

func (e *env) describe(id string) asl.Execution {
	e.t.Helper()
	ex, err := e.wf.Runner.DescribeExecution(context.Background(), id)
	if err != nil {
		e.t.Fatal(err)
	}
	return ex
}

func (e *env) history(id string) []asl.Event {
	e.t.Helper()
	h, err := e.wf.Runner.History(context.Background(), id)
	if err != nil {
		e.t.Fatal(err)
	}
	return h
}

func (e *env) champion() int {
	e.t.Helper()
	a, err := e.app.Registry().Alias(context.Background(), "heart", "champion")
	if err != nil {
		e.t.Fatal(err)
	}
	return a.Version
}

func (e *env) auditChain(executionID string) []audit.Event {
	e.t.Helper()
	all, err := e.app.Audit().List(context.Background(), audit.Filter{})
	if err != nil {
		e.t.Fatal(err)
	}
	var out []audit.Event
	for _, ev := range all {
		if ev.CorrelationID == executionID {
			out = append(out, ev)
		}
	}
	return out
}

func actions(evs []audit.Event) []string {
	out := make([]string, len(evs))
	for i, ev := range evs {
		out[i] = ev.Action
	}
	return out
}

// email is one message of the outbox.
type email struct {
	To, Subject, Kind, Text, HTML string
	// Attachments are the attached files' names.
	Attachments []string
	// Summary is the message as golden files keep it.
	Summary string
}

// outbox reads every .eml file of the data directory's outbox.
func (e *env) outbox() []email {
	e.t.Helper()
	paths, err := filepath.Glob(filepath.Join(e.dir, "outbox", "*.eml"))
	if err != nil {
		e.t.Fatal(err)
	}
	sort.Strings(paths)
	var out []email
	for _, p := range paths {
		raw, err := os.ReadFile(p)
		if err != nil {
			e.t.Fatal(err)
		}
		m, err := notifytest.ParseMail(raw)
		if err != nil {
			e.t.Fatalf("%s: %v", p, err)
		}
		em := email{To: m.Header.Get("To"), Subject: m.Subject, Kind: m.Header.Get("X-Steward-Event"), Text: m.Text, HTML: m.HTML, Summary: m.Summary()}
		for _, a := range m.Attachments {
			em.Attachments = append(em.Attachments, a.Name)
		}
		out = append(out, em)
	}
	return out
}

var linkRE = regexp.MustCompile(`http://127\.0\.0\.1:\d+/approvals/[^\s"<>]+`)

// approvalLink returns the link of the approval email sent to whom.
func (e *env) approvalLink(whom string) *url.URL {
	e.t.Helper()
	for _, m := range e.outbox() {
		if m.Kind == "approval_requested" && m.To == whom {
			l := linkRE.FindString(m.Text)
			if l == "" {
				e.t.Fatalf("approval email to %s has no link:\n%s", whom, m.Text)
			}
			u, err := url.Parse(l)
			if err != nil {
				e.t.Fatal(err)
			}
			return u
		}
	}
	e.t.Fatalf("no approval email to %s in the outbox", whom)
	return nil
}

// get fetches a link over HTTP.
func (e *env) get(u *url.URL) (int, string) {
	e.t.Helper()
	resp, err := http.Get(u.String())
	if err != nil {
		e.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// post submits the decision form of a link, as the page's buttons do.
func (e *env) post(u *url.URL, decision, comment string, tamper func(url.Values)) (int, string) {
	e.t.Helper()
	q := u.Query()
	form := url.Values{"approver": {q.Get("approver")}, "exp": {q.Get("exp")}, "sig": {q.Get("sig")}, "decision": {decision}, "comment": {comment}}
	if tamper != nil {
		tamper(form)
	}
	target := e.srv.URL + u.Path
	resp, err := http.Post(target, "application/x-www-form-urlencoded", strings.NewReader(form.Encode()))
	if err != nil {
		e.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// state is a snapshot of everything a GET must leave alone.
type state struct {
	Approval json.RawMessage
	Status   asl.Status
	Events   int
	Audit    int
	Champion int
}

func (e *env) snapshot(approvalID, executionID string) state {
	e.t.Helper()
	r, err := e.wf.Approvals.Get(context.Background(), approvalID)
	if err != nil {
		e.t.Fatal(err)
	}
	b, _ := json.Marshal(r)
	all, err := e.app.Audit().List(context.Background(), audit.Filter{})
	if err != nil {
		e.t.Fatal(err)
	}
	return state{Approval: b, Status: e.describe(executionID).Status, Events: len(e.history(executionID)), Audit: len(all), Champion: e.champion()}
}

func approvalID(u *url.URL) string { return strings.TrimPrefix(u.Path, "/approvals/") }

// failures describes the failed steps of an execution, for test messages.
func (e *env) failures(id string) string {
	e.t.Helper()
	var b strings.Builder
	for _, ev := range e.history(id) {
		if ev.Error != "" {
			b.WriteString(string(ev.Type) + " " + ev.State + ": " + ev.Error + ": " + ev.Cause + "\n")
		}
	}
	return b.String()
}
