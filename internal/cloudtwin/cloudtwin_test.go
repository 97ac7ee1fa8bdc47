package cloudtwin_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stewardml/steward/internal/approval"
	"github.com/stewardml/steward/internal/cloudtwin"
	"github.com/stewardml/steward/internal/dataset"
	"github.com/stewardml/steward/internal/registry"
	"github.com/stewardml/steward/internal/serving/servingtest"
	"github.com/stewardml/steward/internal/train"
	"github.com/stewardml/steward/internal/validation/validatefn"
	"github.com/stewardml/steward/internal/workflow"
)

// functions are the bootstraps the twin runs.
var functions = []string{"validate", "train", "predict", "requestapproval", "approval"}

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
	// the suite it names, under the key STEWARD_CONFIG points at.
	for key, file := range map[string]string{
		"config/steward.yaml":               "steward.yaml",
		"config/testdata/suites/heart.json": "testdata/suites/heart.json",
	} {
		b, err := os.ReadFile(filepath.Join(opts.Root, file))
		if err != nil {
			t.Fatal(err)
		}
		if _, err := tw.Artifacts.Put(ctx, key, b, "text/plain"); err != nil {
			t.Fatal(err)
		}
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
			validatefn.Output
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

	var champion, challenger train.RunRecord
	trainEvent := func(families string) map[string]any {
		var fam []any
		if err := json.Unmarshal([]byte(families), &fam); err != nil {
			t.Fatal(err)
		}
		return map[string]any{
			"model": "heart", "dataset": map[string]string{"digest": data.Digest},
			"config": map[string]any{"seed": 7, "folds": 3, "repeats": 1, "holdout": 0.2, "metric": "f1", "families": fam},
		}
	}
	if !t.Run("train", func(t *testing.T) {
		res := invoke(t, "train", trainEvent(`[{"family":"gbdt","params":{"n_trees":30,"max_depth":2}}]`))
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

	if !t.Run("train a challenger", func(t *testing.T) {
		res := invoke(t, "train", trainEvent(`[{"family":"logreg","params":{"C":[1.0]}}]`))
		if res.Failed() {
			t.Fatalf("train failed: %s", res)
		}
		if err := json.Unmarshal(res.Payload, &challenger); err != nil {
			t.Fatal(err)
		}
		if challenger.Version != 2 || challenger.Alias != "challenger" {
			t.Errorf("second run: version %d alias %q, want 2 challenger", challenger.Version, challenger.Alias)
		}
	}) {
		t.FailNow()
	}

	token := "AQCEAAAAKgAAAAMAAAAAAAAAAcloudtwin" + fmt.Sprint(time.Now().UnixNano())
	tw.SFN.Wait(token)
	var requested workflow.ApprovalRequested
	var link string
	if !t.Run("request approval", func(t *testing.T) {
		ev := map[string]any{
			"taskToken":   token,
			"executionId": strings.Replace(d.StateMachineARN(), ":stateMachine:", ":execution:", 1) + ":cloudtwin-1",
			"model":       "heart",
			"evaluation": map[string]any{
				"better": true, "model": "heart", "metric": "f1", "candidateVersion": 2, "championVersion": 1,
				"candidateMetrics": challenger.Metrics, "championMetrics": champion.Metrics,
				"summary": "candidate heart:2 against champion heart:1",
			},
			"trigger": "manual", "reason": "cloud twin", "requestedBy": "cloudtwin", "timeoutSeconds": 3600,
		}
		res := invoke(t, "requestapproval", ev)
		if res.Failed() {
			t.Fatalf("requestapproval failed: %s\n%s", res, fn["requestapproval"].Logs())
		}
		if err := json.Unmarshal(res.Payload, &requested); err != nil {
			t.Fatal(err)
		}
		// The approvers of steward.yaml, read from S3 through STEWARD_CONFIG.
		want := "cardiology-ml@example.com"
		if len(requested.Sent) != 1 || requested.Sent[0] != want {
			t.Errorf("sent to %v, want [%s] (approval.approvers of steward.yaml)", requested.Sent, want)
		}
		r, err := (&approval.Service{Records: tw.Records}).Get(ctx, requested.ApprovalID)
		if err != nil {
			t.Fatalf("approval request not in DynamoDB: %v", err)
		}
		if r.Status != approval.Pending || r.CandidateVersion != 2 || r.ExecutionID != ev["executionId"] {
			t.Errorf("stored request %+v", r)
		}
		sent := tw.SES.Sent()
		if len(sent) != 1 {
			t.Fatalf("%d emails sent, want 1", len(sent))
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

	t.Run("approval", func(t *testing.T) {
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
			decision.Approver != "cardiology-ml@example.com" || decision.Comment != "looks good" || decision.ApprovalID != requested.ApprovalID {
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
	})

	if denied := tw.IAM.Denied(); len(denied) > 0 {
		t.Errorf("calls the stack's grants refuse (they would fail on AWS):\n%s", cloudtwin.Describe(denied))
	}
	t.Logf("twin run (functions cold-started, every step) in %s", time.Since(start).Round(time.Millisecond))
}
