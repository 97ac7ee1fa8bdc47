package cloudtwin_test

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stewardml/steward/internal/approval"
	"github.com/stewardml/steward/internal/capture"
	"github.com/stewardml/steward/internal/cloudtwin"
	"github.com/stewardml/steward/internal/dataset"
	"github.com/stewardml/steward/internal/monitor/monitortest"
	"github.com/stewardml/steward/internal/registry"
	"github.com/stewardml/steward/internal/serving/capturefn"
	"github.com/stewardml/steward/internal/serving/servingtest"
	"github.com/stewardml/steward/internal/train"
	"github.com/stewardml/steward/internal/workflow"
	"github.com/stewardml/steward/internal/workflow/tasks"
)

// functions are the bootstraps the twin runs: every function of the
// stack (TestEveryStackFunctionRunsOnTheTwin), so that each one's calls
// meet the grants the stack gives it.
var functions = []string{"validate", "train", "evaluate", "requestapproval", "approval", "promote", "record", "report",
	"predict", "capture", "drift", "agent", "dashboard"}

func TestEveryStackFunctionRunsOnTheTwin(t *testing.T) {
	stack, err := cloudtwin.ReadStack("../..")
	if err != nil {
		t.Fatal(err)
	}
	run := map[string]bool{}
	for _, name := range functions {
		run[name] = true
		if _, ok := stack.Functions[name]; !ok {
			t.Errorf("the twin runs %s, which the stack does not deploy", name)
		}
	}
	for name := range stack.Functions {
		if !run[name] {
			t.Errorf("the stack deploys %s, which TestCloudTwin never runs: its grants are untested", name)
		}
	}
}

var (
	buildDir  string // removed by TestMain
	buildOnce sync.Once
	built     cloudtwin.Options
	buildErr  error
	buildTime time.Duration
)

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "cloudtwin-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	buildDir = dir
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// bootstraps builds the functions and aws-lambda-rie once per test binary
// (the emulator once per machine, in the user cache).
func bootstraps(t *testing.T) cloudtwin.Options {
	t.Helper()
	if testing.Short() {
		t.Skip("builds and runs the Lambda bootstraps")
	}
	buildOnce.Do(func() {
		start := time.Now()
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
		defer cancel()
		root, err := filepath.Abs("../..")
		if err != nil {
			buildErr = err
			return
		}
		cache, err := os.UserCacheDir()
		if err != nil {
			cache = os.TempDir()
		}
		rie, err := servingtest.BuildRIE(ctx, filepath.Join(cache, "steward-test"))
		if err != nil {
			buildErr = err
			return
		}
		buildErr = cloudtwin.Build(ctx, root, buildDir, functions...)
		built = cloudtwin.Options{Root: root, Bootstraps: buildDir, RIE: rie}
		buildTime = time.Since(start)
	})
	if buildErr != nil {
		t.Fatal(buildErr)
	}
	t.Logf("bootstraps of %s built in %s", strings.Join(functions, ", "), buildTime.Round(time.Millisecond))
	return built
}

// TestCloudTwin deploys the stack on the twin and runs a model's life
// through the real bootstraps: validate and train on a dataset in S3,
// predict through the API, request an approval and approve it.
func TestCloudTwin(t *testing.T) {
	opts := bootstraps(t)
	start := time.Now()
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	defer cancel()
	tw := cloudtwin.Start(t, opts)
	d := tw.D

	// What the deployment uploads beside the functions: steward.yaml and
	// the suite it names, where STEWARD_CONFIG points.
	keys, err := tw.DeployProject(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := strings.Join(keys, " "), "config/steward.yaml config/testdata/suites/heart.json"; got != want {
		t.Errorf("project upload wrote %s, want %s", got, want)
	}
	raw, err := os.ReadFile(filepath.Join(opts.Root, "testdata/heart/processed.cleveland.data"))
	if err != nil {
		t.Fatal(err)
	}
	data, err := dataset.Store(ctx, tw.Artifacts, raw)
	if err != nil {
		t.Fatal(err)
	}

	fn := map[string]*cloudtwin.Lambda{}
	for _, name := range functions {
		fn[name] = tw.StartFunction(t, name)
	}
	invoke := func(t *testing.T, name string, event any) cloudtwin.Result {
		t.Helper()
		res, err := fn[name].Invoke(ctx, event)
		if err != nil {
			t.Fatal(err)
		}
		return res
	}

	t.Run("validate", func(t *testing.T) {
		res := invoke(t, "validate", map[string]any{"dataset": map[string]string{"digest": data.Digest}, "executionId": "cloudtwin-1"})
		if res.Failed() {
			t.Fatalf("validate failed: %s\n%s", res, fn["validate"].Logs())
		}
		var out struct {
			tasks.ValidateOutput
			Result json.RawMessage `json:"result"`
		}
		if err := json.Unmarshal(res.Payload, &out); err != nil {
			t.Fatal(err)
		}
		if !out.Success || out.Rows != 303 || out.Dataset.Digest != data.Digest || len(out.Result) == 0 {
			t.Errorf("validate: success %v, %d rows, dataset %s; want the 303 Cleveland rows valid", out.Success, out.Rows, out.Dataset.Digest)
		}
		// The project's suite, from config/ in S3: its name and every expectation.
		if out.Summary.Evaluated < 20 || out.Summary.Suite != "heart" {
			t.Errorf("validated against %q with %d expectations, want the project's heart suite", out.Summary.Suite, out.Summary.Evaluated)
		}
		stored, _, err := tw.Artifacts.Get(ctx, out.ResultKey)
		if err != nil {
			t.Fatalf("the full result is not in S3 at %s: %v", out.ResultKey, err)
		}
		if !strings.Contains(string(stored), `"success": true`) {
			t.Errorf("stored result is not a successful validation result: %.200s", stored)
		}
	})

	t.Run("validate refuses bad data with a named error", func(t *testing.T) {
		bad := []byte("250" + strings.TrimPrefix(string(raw), strings.SplitN(string(raw), ",", 2)[0]))
		ref, err := dataset.Store(ctx, tw.Artifacts, bad)
		if err != nil {
			t.Fatal(err)
		}
		res := invoke(t, "validate", map[string]any{"dataset": map[string]string{"digest": ref.Digest}})
		if res.ErrorType != "DataValidationFailed" || !strings.Contains(res.ErrorMessage, "age") {
			t.Errorf("got %s, want DataValidationFailed naming age", res)
		}
	})

	var champion train.RunRecord
	executionID := strings.Replace(d.StateMachineARN(), ":stateMachine:", ":execution:", 1) + ":cloudtwin-1"
	trainEvent := func(families string) map[string]any {
		var fam []any
		if err := json.Unmarshal([]byte(families), &fam); err != nil {
			t.Fatal(err)
		}
		return map[string]any{
			"model": "heart", "dataset": map[string]string{"digest": data.Digest},
			// the project's seed and hold-out (steward.yaml), so that the
			// champion and the candidate trained later share the hold-out
			// the evaluation compares them on
			"config": map[string]any{"seed": 42, "folds": 3, "repeats": 1, "holdout": 0.2, "metric": "f1", "families": fam},
		}
	}
	if !t.Run("train", func(t *testing.T) {
		// A weak champion (one stump), so that the candidate trained later
		// is better and the approval leads to a promotion.
		res := invoke(t, "train", trainEvent(`[{"family":"gbdt","params":{"n_trees":1,"max_depth":1}}]`))
		if res.Failed() {
			t.Fatalf("train failed: %s\n%s", res, fn["train"].Logs())
		}
		if err := json.Unmarshal(res.Payload, &champion); err != nil {
			t.Fatal(err)
		}
		if champion.Version != 1 || champion.Alias != "champion" || champion.CodeVersion != cloudtwin.BuildVersion || champion.Actor != "lambda:train" {
			t.Errorf("run: version %d alias %q code %q actor %q; want version 1 champion, built by the twin, by lambda:train",
				champion.Version, champion.Alias, champion.CodeVersion, champion.Actor)
		}
		reg := registry.New(tw.Records)
		v, err := reg.Version(ctx, "heart", champion.Version)
		if err != nil {
			t.Fatalf("version not in DynamoDB: %v", err)
		}
		if v.BundleKey != champion.BundleKey || v.DatasetDigest != data.Digest || v.Family != "gbdt" {
			t.Errorf("registered %+v, want the run's bundle, dataset and family", v.NewVersion)
		}
		if a, err := reg.Alias(ctx, "heart", registry.Champion); err != nil || a.Version != 1 {
			t.Errorf("champion alias %+v, %v; want version 1", a, err)
		}
		if ok, err := tw.Artifacts.Exists(ctx, champion.BundleKey); err != nil || !ok {
			t.Errorf("bundle %s not in S3 (%v)", champion.BundleKey, err)
		}
	}) {
		t.FailNow()
	}

	t.Run("predict through the API", func(t *testing.T) {
		api := d.PublicURL()
		key := http.Header{"X-Api-Key": {tw.Gateway.APIKey}, "Content-Type": {"application/json"}, "User-Agent": {"cloudtwin"}}
		resp, err := tw.Gateway.Do(ctx, "POST", api+"v1/models/heart/predict", key, `{"instances":[`+servingtest.Row+`]}`)
		if err != nil {
			t.Fatal(err)
		}
		if resp.Status != 200 {
			t.Fatalf("predict: %d %s\n%s", resp.Status, resp.Body, fn["predict"].Logs())
		}
		var out struct {
			Model struct {
				Name    string
				Version int
				Alias   string
			}
			Predictions []struct{ ID string }
		}
		if err := json.Unmarshal([]byte(resp.Body), &out); err != nil {
			t.Fatalf("predict body %s: %v", resp.Body, err)
		}
		if out.Model.Name != "heart" || out.Model.Version != 1 || out.Model.Alias != "champion" || len(out.Predictions) != 1 {
			t.Fatalf("predict answered %s, want one prediction of heart version 1 (champion)", resp.Body)
		}
		id := out.Predictions[0].ID
		// On Lambda the capture goes to the log stream before the response.
		if logs := fn["predict"].Logs(); !strings.Contains(logs, `{"kind":"capture"`) || !strings.Contains(logs, id) {
			t.Errorf("no capture line with prediction %s in predict's log:\n%s", id, logs)
		}

		resp, err = tw.Gateway.Do(ctx, "POST", api+"v1/feedback", key, `{"id":"`+id+`","label":1}`)
		if err != nil || resp.Status != 200 || !strings.Contains(resp.Body, `"recorded":true`) {
			t.Errorf("feedback: %v %+v", err, resp)
		}
		resp, err = tw.Gateway.Do(ctx, "GET", api+"health", nil, "")
		if err != nil || resp.Status != 200 || !strings.Contains(resp.Body, `"version":1`) {
			t.Errorf("health: %v %+v", err, resp)
		}
		resp, err = tw.Gateway.Do(ctx, "POST", api+"v1/models/heart/predict", http.Header{"Content-Type": {"application/json"}}, `{"instances":[`+servingtest.Row+`]}`)
		if err != nil || resp.Status != 403 {
			t.Errorf("without an API key: %v %+v, want API Gateway's 403", err, resp)
		}
	})

	t.Run("captures reach the bucket through the log subscription", func(t *testing.T) {
		sub, err := tw.CaptureSubscription()
		if err != nil {
			t.Fatal(err)
		}
		del, err := tw.Deliver(ctx, sub)
		if err != nil {
			t.Fatal(err)
		}
		if len(del.Data.LogEvents) != 1 || del.Result.Failed() {
			t.Fatalf("delivered %d capture lines: %s\n%s", len(del.Data.LogEvents), del.Result, fn["capture"].Logs())
		}
		var out capturefn.Output
		if err := json.Unmarshal(del.Result.Payload, &out); err != nil {
			t.Fatal(err)
		}
		prefix := capture.Prefix("heart", time.Now())
		if out.Captured != 1 || len(out.Files) != 1 || !strings.HasPrefix(out.Files[0], prefix) {
			t.Fatalf("capture wrote %+v, want one file under %s", out, prefix)
		}
		body, _, err := tw.Artifacts.Get(ctx, out.Files[0])
		if err != nil || string(body) != del.Data.LogEvents[0].Message+"\n" {
			t.Errorf("%s holds %q (%v), want the logged line", out.Files[0], body, err)
		}
		// Lambda retries an asynchronous invocation with the same event.
		again, err := fn["capture"].Invoke(ctx, del.Event)
		if err != nil || again.Failed() {
			t.Fatalf("redelivery: %v %s", err, again)
		}
		objs, err := tw.Artifacts.List(ctx, "captures/")
		if err != nil || len(objs) != 1 {
			t.Errorf("after a redelivery %d capture files (%v), want still 1", len(objs), err)
		}
	})

	served := 0
	t.Run("Hungarian traffic, captured and labelled", func(t *testing.T) {
		feats, labels, err := monitortest.Rows(filepath.Join(opts.Root, "testdata/heart/processed.hungarian.data"))
		if err != nil {
			t.Fatal(err)
		}
		api := d.PublicURL()
		key := http.Header{"X-Api-Key": {tw.Gateway.APIKey}, "Content-Type": {"application/json"}}
		refused := 0
		for i, f := range feats {
			inst := map[string]any{}
			for k, v := range f {
				if !math.IsNaN(v) {
					inst[k] = v
				} else {
					inst[k] = nil
				}
			}
			body, _ := json.Marshal(map[string]any{"instances": []any{inst}})
			resp, err := tw.Gateway.Do(ctx, "POST", api+"v1/models/heart/predict", key, string(body))
			if err != nil {
				t.Fatal(err)
			}
			if resp.Status == http.StatusUnprocessableEntity {
				refused++ // outside the schema's ranges
				continue
			}
			var out struct{ Predictions []struct{ ID string } }
			if resp.Status != 200 || json.Unmarshal([]byte(resp.Body), &out) != nil || len(out.Predictions) != 1 {
				t.Fatalf("row %d: %d %s", i, resp.Status, resp.Body)
			}
			fb := fmt.Sprintf(`{"id":%q,"label":%d}`, out.Predictions[0].ID, labels[i])
			if resp, err := tw.Gateway.Do(ctx, "POST", api+"v1/feedback", key, fb); err != nil || resp.Status != 200 {
				t.Fatalf("feedback %d: %v %+v", i, err, resp)
			}
			served++
		}
		sub, err := tw.CaptureSubscription()
		if err != nil {
			t.Fatal(err)
		}
		del, err := tw.Deliver(ctx, sub)
		if err != nil {
			t.Fatal(err)
		}
		var out capturefn.Output
		if del.Result.Failed() || json.Unmarshal(del.Result.Payload, &out) != nil || out.Captured != served || len(out.Skipped) != 0 {
			t.Fatalf("served %d (refused %d); the capture function wrote %+v: %s", served, refused, out, del.Result)
		}
		if served < 250 {
			t.Errorf("served %d Hungarian rows, want most of the 294", served)
		}
	})

	var driftEvent cloudtwin.Event
	if !t.Run("drift check on its schedule", func(t *testing.T) {
		at := time.Now().UTC().Add(time.Minute).Truncate(time.Second)
		res := invoke(t, "drift", map[string]any{
			"version": "0", "id": "cloudtwin-drift-1", "detail-type": "Scheduled Event", "source": "aws.events",
			"account": d.Account, "time": at.Format(time.RFC3339), "region": d.Region,
			"resources": []string{"arn:aws:events:" + d.Region + ":" + d.Account + ":rule/" + d.Prefix() + "-drift-schedule"}, "detail": map[string]any{},
		})
		if res.Failed() {
			t.Fatalf("drift failed: %s\n%s", res, fn["drift"].Logs())
		}
		var sum struct {
			Verdict   string `json:"verdict"`
			Rows      int    `json:"rows"`
			Labelled  int    `json:"labelled"`
			ReportKey string `json:"reportKey"`
		}
		if err := json.Unmarshal(res.Payload, &sum); err != nil {
			t.Fatal(err)
		}
		// Every captured row reached the check: the first prediction and
		// the Hungarian traffic, labelled but for the first.
		if sum.Rows != served+1 || sum.Labelled != served+1 || sum.Verdict != "drift" {
			t.Errorf("check: %d rows, %d labelled, verdict %s; want the %d captured rows and drift", sum.Rows, sum.Labelled, sum.Verdict, served+1)
		}
		if ok, err := tw.Artifacts.Exists(ctx, sum.ReportKey); err != nil || !ok {
			t.Errorf("drift report %s not in S3 (%v)", sum.ReportKey, err)
		}
		for _, e := range tw.Events.Events() {
			if e.DetailType == "DriftChecked" && e.Caller == "drift" {
				driftEvent = e
			}
		}
		if driftEvent.Detail == "" {
			t.Fatalf("no DriftChecked on the bus: %+v", tw.Events.Events())
		}
	}) {
		t.FailNow()
	}

	t.Run("agent acts on the verdict", func(t *testing.T) {
		// As the stack's rule delivers it from Steward's bus.
		ev := map[string]any{
			"version": "0", "id": "cloudtwin-event-1", "detail-type": driftEvent.DetailType, "source": driftEvent.Source,
			"account": d.Account, "time": time.Now().UTC().Format(time.RFC3339), "region": d.Region, "resources": []string{},
			"detail": json.RawMessage(driftEvent.Detail),
		}
		res := invoke(t, "agent", ev)
		if res.Failed() {
			t.Fatalf("agent failed: %s\n%s", res, fn["agent"].Logs())
		}
		var entry struct {
			Decision  struct{ Rule, Action string }
			Diagnosis struct{ Key string }
			Outcome   struct{ Status, Execution string }
		}
		if err := json.Unmarshal(res.Payload, &entry); err != nil {
			t.Fatal(err)
		}
		execs := tw.SFN.Executions()
		if entry.Decision.Action != "retrain" || entry.Outcome.Status != "started" || len(execs) != 1 || execs[0].Caller != "agent" {
			t.Fatalf("agent decided %+v, outcome %+v; executions %+v", entry.Decision, entry.Outcome, execs)
		}
		var in workflow.RetrainInput
		if err := json.Unmarshal(execs[0].Input, &in); err != nil {
			t.Fatal(err)
		}
		if in.Model != "heart" || in.Trigger != "agent" || in.Dataset.Digest == "" {
			t.Errorf("retraining input %s", execs[0].Input)
		}
		// The training data the agent assembled (the champion's plus the
		// labelled captures) and its diagnosis are in S3.
		for _, key := range []string{"datasets/sha256/" + in.Dataset.Digest, entry.Diagnosis.Key} {
			if ok, err := tw.Artifacts.Exists(ctx, key); err != nil || !ok {
				t.Errorf("%s not in S3 (%v)", key, err)
			}
		}
	})

	var candidate train.RunRecord
	if !t.Run("train a candidate", func(t *testing.T) {
		res := invoke(t, "train", map[string]any{
			"action": "candidate", "model": "heart", "dataset": map[string]string{"digest": data.Digest},
			"candidate":   map[string]any{"id": "logreg-1", "family": "logreg", "params": map[string]any{"C": 1.0}},
			"executionId": executionID,
		})
		if res.Failed() {
			t.Fatalf("train failed: %s", res)
		}
		if err := json.Unmarshal(res.Payload, &candidate); err != nil {
			t.Fatal(err)
		}
		if candidate.Version != 0 || candidate.BundleKey == "" {
			t.Errorf("candidate run: version %d, bundle %q; want an unregistered run with its bundle", candidate.Version, candidate.BundleKey)
		}
	}) {
		t.FailNow()
	}

	var evaluation tasks.Evaluation
	if !t.Run("evaluate", func(t *testing.T) {
		res := invoke(t, "evaluate", map[string]any{
			"candidates": []train.RunRecord{candidate}, "dataset": map[string]string{"digest": data.Digest},
			"executionId": executionID, "model": "heart", "trigger": "manual", "reason": "cloud twin", "requestedBy": "cloudtwin",
		})
		if res.Failed() {
			t.Fatalf("evaluate failed: %s\n%s", res, fn["evaluate"].Logs())
		}
		if err := json.Unmarshal(res.Payload, &evaluation); err != nil {
			t.Fatal(err)
		}
		if evaluation.CandidateVersion != 2 || evaluation.ChampionVersion != 1 || evaluation.RegisteredAs != "challenger" || evaluation.Run != candidate.ID {
			t.Errorf("evaluation %+v, want run %s registered as challenger version 2 against champion 1", evaluation, candidate.ID)
		}
	}) {
		t.FailNow()
	}

	token := "AQCEAAAAKgAAAAMAAAAAAAAAAcloudtwin" + fmt.Sprint(time.Now().UnixNano())
	tw.SFN.Wait(token)
	var requested tasks.ApprovalRequested
	var link string
	if !t.Run("request approval", func(t *testing.T) {
		ev := map[string]any{
			"taskToken":   token,
			"executionId": executionID,
			"model":       "heart",
			"evaluation":  evaluation,
			"trigger":     "manual", "reason": "cloud twin", "requestedBy": "cloudtwin", "timeoutSeconds": 3600,
		}
		res := invoke(t, "requestapproval", ev)
		if res.Failed() {
			t.Fatalf("requestapproval failed: %s\n%s", res, fn["requestapproval"].Logs())
		}
		if err := json.Unmarshal(res.Payload, &requested); err != nil {
			t.Fatal(err)
		}
		// The deployment's approvers (cdk.json's approverEmails, through
		// STEWARD_APPROVERS) replace steward.yaml's.
		want := d.Approvers[0]
		if len(requested.Sent) != 1 || requested.Sent[0] != want {
			t.Errorf("sent to %v, want [%s] (approverEmails of cdk.json)", requested.Sent, want)
		}
		r, err := (&approval.Service{Records: tw.Records}).Get(ctx, requested.ApprovalID)
		if err != nil {
			t.Fatalf("approval request not in DynamoDB: %v", err)
		}
		if r.Status != approval.Pending || r.CandidateVersion != 2 || r.ExecutionID != ev["executionId"] {
			t.Errorf("stored request %+v", r)
		}
		var sent []cloudtwin.Email
		for _, m := range tw.SES.Sent() {
			if m.Sender == "requestapproval" {
				sent = append(sent, m)
			}
		}
		if len(sent) != 1 {
			t.Fatalf("%d emails sent by requestapproval, want 1", len(sent))
		}
		m := sent[0]
		if m.Sender != "requestapproval" || m.From != d.SenderAddress || len(m.To) != 1 || m.To[0] != want {
			t.Errorf("email from %s (%s) to %v", m.From, m.Sender, m.To)
		}
		if strings.Contains(m.Text+m.HTML+m.Subject, token) {
			t.Error("the task token is in the email")
		}
		link = regexp.MustCompile(regexp.QuoteMeta(d.PublicURL()+"approvals/") + `[^\s"<>]+`).FindString(m.Text)
		if link == "" {
			t.Fatalf("no approval link under %s in the email:\n%s", d.PublicURL(), m.Text)
		}
	}) {
		t.FailNow()
	}

	var decided json.RawMessage // the approval's callback output
	if !t.Run("approval", func(t *testing.T) {
		page, err := tw.Gateway.Do(ctx, "GET", link, http.Header{"User-Agent": {"cloudtwin"}}, "")
		if err != nil {
			t.Fatal(err)
		}
		if page.Status != 200 || !strings.Contains(page.Body, "Approve heart version 2?") {
			t.Fatalf("GET %s: %d\n%s\n%s", link, page.Status, page.Body, fn["approval"].Logs())
		}
		if n := len(tw.SFN.Results()); n != 0 {
			t.Fatalf("GET called the workflow back (%d results)", n)
		}
		u, _ := url.Parse(link)
		q := u.Query()
		tampered := *u
		tq := u.Query()
		tq.Set("approver", "someone@example.com")
		tampered.RawQuery = tq.Encode()
		if resp, err := tw.Gateway.Do(ctx, "GET", tampered.String(), nil, ""); err != nil || resp.Status != 403 {
			t.Errorf("a link for another approver: %v %+v, want 403", err, resp)
		}

		// A browser posts the page's form to its action, resolved against
		// the page's URL.
		action := regexp.MustCompile(`<form[^>]*action="([^"]*)"`).FindStringSubmatch(page.Body)
		if action == nil {
			t.Fatalf("no form on the page:\n%s", page.Body)
		}
		ref, err := url.Parse(strings.ReplaceAll(action[1], "&amp;", "&"))
		if err != nil {
			t.Fatal(err)
		}
		target := u.ResolveReference(ref).String()
		if !strings.HasPrefix(target, d.PublicURL()) {
			t.Errorf("the page's form posts to %s, outside the API's stage %s: API Gateway would refuse the decision", target, d.PublicURL())
			target = d.PublicURL() + "approvals/" + requested.ApprovalID // where a working form posts
		}
		form := url.Values{"approver": {q.Get("approver")}, "exp": {q.Get("exp")}, "sig": {q.Get("sig")}, "decision": {"approve"}, "comment": {"looks good"}}
		formHeader := http.Header{"Content-Type": {"application/x-www-form-urlencoded"}}
		resp, err := tw.Gateway.Do(ctx, "POST", target, formHeader, form.Encode())
		if err != nil {
			t.Fatal(err)
		}
		if resp.Status != 200 || !strings.Contains(resp.Body, "Thank you") {
			t.Fatalf("POST %s: %d\n%s\n%s", target, resp.Status, resp.Body, fn["approval"].Logs())
		}
		results := tw.SFN.Results()
		if len(results) != 1 {
			t.Fatalf("%d callbacks reached Step Functions, want 1", len(results))
		}
		cb := results[0]
		decided = cb.Output
		var decision struct {
			Approved   bool
			Approver   string
			Comment    string
			ApprovalID string
		}
		if err := json.Unmarshal(cb.Output, &decision); err != nil {
			t.Fatal(err)
		}
		if !cb.Success || cb.Caller != "approval" || cb.Token != token || !decision.Approved ||
			decision.Approver != d.Approvers[0] || decision.Comment != "looks good" || decision.ApprovalID != requested.ApprovalID {
			t.Errorf("SendTaskSuccess from %s, token ok %v, output %s", cb.Caller, cb.Token == token, cb.Output)
		}
		r, err := (&approval.Service{Records: tw.Records}).Get(ctx, requested.ApprovalID)
		if err != nil || r.Status != approval.Approved || !r.CallbackDone {
			t.Errorf("stored request after the decision: %+v, %v", r, err)
		}

		again, err := tw.Gateway.Do(ctx, "POST", target, formHeader, form.Encode())
		if err != nil || again.Status != 409 {
			t.Errorf("a second decision: %v %d, want 409", err, again.Status)
		}
		if n := len(tw.SFN.Results()); n != 1 {
			t.Errorf("%d callbacks after a second decision, want 1", n)
		}
	}) {
		t.FailNow()
	}

	if !t.Run("promote", func(t *testing.T) {
		res := invoke(t, "promote", map[string]any{
			"model": "heart", "evaluation": evaluation, "approval": decided,
			"trigger": "manual", "reason": "cloud twin", "requestedBy": "cloudtwin", "executionId": executionID,
		})
		if res.Failed() {
			t.Fatalf("promote failed: %s\n%s", res, fn["promote"].Logs())
		}
		a, err := registry.New(tw.Records).Alias(ctx, "heart", registry.Champion)
		if err != nil || a.Version != 2 {
			t.Errorf("champion after promotion: %+v %v, want version 2\n%s", a, err, res)
		}
	}) {
		t.FailNow()
	}

	t.Run("record", func(t *testing.T) {
		before := len(tw.SES.Sent())
		res := invoke(t, "record", map[string]any{
			"event": "promoted", "executionId": executionID,
			"input": map[string]any{
				"model": "heart", "dataset": map[string]string{"digest": data.Digest},
				"trigger": "manual", "reason": "cloud twin", "requestedBy": "cloudtwin", "requireApproval": true,
				"approval": decided, "evaluation": map[string]any{"result": evaluation},
				"promotion": map[string]any{"result": map[string]any{"model": "heart", "from": 1, "to": 2}},
			},
		})
		if res.Failed() {
			t.Fatalf("record failed: %s\n%s", res, fn["record"].Logs())
		}
		if sent := tw.SES.Sent(); len(sent) <= before || sent[len(sent)-1].Sender != "record" {
			t.Errorf("record sent no email (%d before, %d after)", before, len(sent))
		}
	})

	t.Run("report", func(t *testing.T) {
		res := invoke(t, "report", map[string]any{"kind": "training", "id": candidate.ID, "formats": []string{"html"}})
		if res.Failed() {
			t.Fatalf("report failed: %s\n%s", res, fn["report"].Logs())
		}
		var out struct {
			Reports []struct{ Key, URL string }
		}
		if err := json.Unmarshal(res.Payload, &out); err != nil || len(out.Reports) != 1 {
			t.Fatalf("report output %s (%v)", res.Payload, err)
		}
		r := out.Reports[0]
		if !strings.HasPrefix(r.Key, "reports/rendered/training/") || !strings.HasPrefix(r.URL, d.Endpoints.S3) {
			t.Errorf("report %+v, want it under reports/rendered/training/ with a presigned link", r)
		}
		if ok, err := tw.Artifacts.Exists(ctx, r.Key); err != nil || !ok {
			t.Errorf("%s not in S3 (%v)", r.Key, err)
		}
	})

	t.Run("dashboard", func(t *testing.T) {
		resp, err := tw.Gateway.Do(ctx, "GET", d.PublicURL(), http.Header{"User-Agent": {"cloudtwin"}}, "")
		if err != nil {
			t.Fatal(err)
		}
		// Anonymous: the sign-in page, or a redirect to it.
		if (resp.Status != 200 && resp.Status != 302 && resp.Status != 303) || (resp.Status == 200 && !strings.Contains(strings.ToLower(resp.Body), "sign in")) {
			t.Errorf("GET /: %d %.300s\n%s", resp.Status, resp.Body, fn["dashboard"].Logs())
		}
	})

	// What each function did, against what the stack grants it.
	for _, name := range functions {
		var actions []string
		seen := map[string]bool{}
		for _, c := range tw.IAM.CallsBy(name, "") {
			if !seen[c.Action] {
				seen[c.Action] = true
				actions = append(actions, c.Action)
			}
		}
		sort.Strings(actions)
		if len(actions) == 0 && name != "dashboard" {
			t.Errorf("%s made no AWS call: the run did not exercise it", name)
		}
		t.Logf("%-16s %s", name, strings.Join(actions, " "))
	}
	if denied := tw.IAM.Denied(); len(denied) > 0 {
		t.Errorf("calls the stack's grants refuse (they would fail on AWS):\n%s", cloudtwin.Describe(denied))
	}
	t.Logf("twin run (functions cold-started, every step) in %s", time.Since(start).Round(time.Millisecond))
}
