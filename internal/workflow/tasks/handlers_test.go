package tasks_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/lambda"

	"github.com/stewardml/steward/internal/app"
	"github.com/stewardml/steward/internal/approval"
	"github.com/stewardml/steward/internal/audit"
	"github.com/stewardml/steward/internal/config"
	"github.com/stewardml/steward/internal/dataset"
	"github.com/stewardml/steward/internal/lambdaerr"
	"github.com/stewardml/steward/internal/notify"
	"github.com/stewardml/steward/internal/report"
	"github.com/stewardml/steward/internal/train"
	"github.com/stewardml/steward/internal/workflow/tasks"
)

var update = flag.Bool("update", false, "rewrite the generated sample events in testdata/events and the golden notifications in testdata/golden")

const (
	events    = "../../../testdata/events"
	execution = "arn:aws:states:eu-west-1:123456789012:execution:steward-retrain:2f6c1e9a-7d3b-4c55-9f1e-3a0e8b1c2d4f"
)

// fixture is a local Steward with the Cleveland data stored and a weak
// champion (v1) registered; h are the workflow's handlers over it.
type fixture struct {
	t   testing.TB
	app *app.App
	h   *app.WorkflowHandlers
	ref dataset.Ref
	dir string
}

func newFixture(t testing.TB) *fixture {
	t.Helper()
	dir := t.TempDir()
	cfg := writeProject(t, dir)
	rt := config.Runtime{DataDir: dir, ConfigPath: cfg, Stage: "local", LogLevel: "info"}
	a, err := app.New(context.Background(), app.Options{Runtime: rt, Now: func() time.Time { return t0 }})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { a.Close() })
	h, err := a.WorkflowHandlers()
	if err != nil {
		t.Fatal(err)
	}
	h.Record.Notifier.(*report.Notifier).Next.(*notify.Dispatcher).Sleep = func(context.Context, time.Duration) error { return nil }
	p := a.Project
	f, raw, err := dataset.ReadFile(p.DataPath(), p.Schema(), dataset.Options{Format: p.DataFormat()})
	if err != nil {
		t.Fatal(err)
	}
	ref, err := dataset.Store(context.Background(), a.Artifacts, raw)
	if err != nil {
		t.Fatal(err)
	}
	fx := &fixture{t: t, app: a, h: h, ref: ref, dir: dir}
	if testing.Short() {
		return fx
	}
	rec, err := a.TrainService("test").Train(context.Background(), train.Request{
		Model: "heart", Data: train.Data{Schema: p.Schema(), Frame: f, Digest: ref.Digest}, Config: stumpTraining(p.Training),
	})
	if err != nil || rec.Version != 1 {
		t.Fatalf("champion: version %d, %v", rec.Version, err)
	}
	return fx
}

// invoke calls h through the Lambda JSON path and returns the result, or
// the name and message of the error.
func invoke(t testing.TB, h lambda.Handler, payload []byte) (out []byte, name, msg string) {
	t.Helper()
	out, err := lambda.NewHandler(h).Invoke(context.Background(), payload)
	if err != nil {
		name = lambdaerr.Name(err)
		if name == "" {
			t.Fatalf("error without a stable name: %T %v", err, err)
		}
		return nil, name, err.Error()
	}
	return out, "", ""
}

func readEvent(t testing.TB, fn, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(events, fn, name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func writeEvent(t testing.TB, fn, name string, v any) {
	t.Helper()
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Join(events, fn), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(events, fn, name), append(b, '\n'), 0o644); err != nil {
		t.Fatal(err)
	}
}

// trainCandidates runs the training function's plan and candidate actions
// through their JSON path, as the state machine's Map does, and returns
// the Map's output.
func (fx *fixture) trainCandidates() []json.RawMessage {
	fx.t.Helper()
	ds, _ := json.Marshal(map[string]string{"digest": fx.ref.Digest, "key": fx.ref.Key})
	plan, name, msg := invoke(fx.t, fx.h.Train, []byte(`{"action":"plan","model":"heart","dataset":`+string(ds)+`,"executionId":"`+execution+`"}`))
	if name != "" {
		fx.t.Fatalf("plan: %s %s", name, msg)
	}
	var p tasks.PlanResult
	if err := json.Unmarshal(plan, &p); err != nil {
		fx.t.Fatal(err)
	}
	var out []json.RawMessage
	for i, c := range p.Candidates {
		cb, _ := json.Marshal(c)
		ev := `{"action":"candidate","model":"heart","dataset":` + string(ds) + `,"candidate":` + string(cb) + `,"index":` + strconv.Itoa(i) + `,"executionId":"` + execution + `"}`
		res, name, msg := invoke(fx.t, fx.h.Train, []byte(ev))
		if name != "" {
			fx.t.Fatalf("candidate %s: %s %s", c.ID, name, msg)
		}
		out = append(out, res)
	}
	return out
}

// evaluateEvents writes the evaluate samples from a real Map output.
func (fx *fixture) writeEvaluateEvents(cands []json.RawMessage) {
	fx.t.Helper()
	base := map[string]any{
		"model": "heart", "dataset": map[string]string{"digest": fx.ref.Digest, "key": fx.ref.Key},
		"candidates": cands, "trigger": "agent", "reason": "drift on thal and ca",
		"requestedBy": "agent", "executionId": execution,
	}
	writeEvent(fx.t, "evaluate", "evaluate.json", base)
	with := func(name string, change func(m map[string]any)) {
		b, _ := json.Marshal(base)
		var m map[string]any
		json.Unmarshal(b, &m)
		change(m)
		writeEvent(fx.t, "evaluate", name, m)
	}
	with("unknown-model.json", func(m map[string]any) { m["model"] = "lungs" })
	with("no-candidates.json", func(m map[string]any) { m["candidates"] = []any{} })
	with("unknown-field.json", func(m map[string]any) { m["colour"] = "red" })
	with("no-execution.json", func(m map[string]any) { delete(m, "executionId") })
	with("failed-candidate.json", func(m map[string]any) {
		m["candidates"].([]any)[1].(map[string]any)["status"] = "failed"
	})
	with("mixed-metrics.json", func(m map[string]any) {
		m["candidates"].([]any)[1].(map[string]any)["config"].(map[string]any)["metric"] = "f1"
	})
	with("other-dataset.json", func(m map[string]any) {
		m["dataset"] = map[string]string{"digest": strings.Repeat("0", 64)}
	})
	with("dataset-not-stored.json", func(m map[string]any) {
		d := strings.Repeat("0", 64)
		m["dataset"] = map[string]string{"digest": d}
		for _, c := range m["candidates"].([]any) {
			c.(map[string]any)["dataset_digest"] = d
		}
	})
}

func TestEvaluateEvents(t *testing.T) {
	if testing.Short() {
		t.Skip("trains candidates")
	}
	fx := newFixture(t)
	cands := fx.trainCandidates()
	if *update {
		fx.writeEvaluateEvents(cands)
	}
	// The sample names the bundles this code trains: same data, same
	// configuration, same seed.
	var sample tasks.EvaluateEvent
	if err := json.Unmarshal(readEvent(t, "evaluate", "evaluate.json"), &sample); err != nil {
		t.Fatal(err)
	}
	for i, c := range cands {
		var got tasks.CandidateResult
		json.Unmarshal(c, &got)
		if got.BundleKey != sample.Candidates[i].BundleKey {
			t.Fatalf("candidate %d trains to %s, the sample names %s: regenerate with go test ./internal/workflow -run TestEvaluateEvents -update", i, got.BundleKey, sample.Candidates[i].BundleKey)
		}
	}

	for _, tc := range []struct {
		file, want string
	}{
		{"unknown-model.json", lambdaerr.ModelNotFound},
		{"no-candidates.json", lambdaerr.InvalidInput},
		{"unknown-field.json", lambdaerr.InvalidInput},
		{"no-execution.json", lambdaerr.InvalidInput},
		{"failed-candidate.json", lambdaerr.InvalidInput},
		{"mixed-metrics.json", lambdaerr.InvalidInput},
		{"other-dataset.json", lambdaerr.InvalidInput},
		{"dataset-not-stored.json", lambdaerr.InvalidInput},
	} {
		t.Run(strings.TrimSuffix(tc.file, ".json")+" is "+tc.want, func(t *testing.T) {
			_, name, msg := invoke(t, fx.h.Evaluate, readEvent(t, "evaluate", tc.file))
			if name != tc.want {
				t.Errorf("error %q (%s), want %s", name, msg, tc.want)
			}
		})
	}
	t.Run("malformed JSON is InvalidInput", func(t *testing.T) {
		if _, name, _ := invoke(t, fx.h.Evaluate, []byte(`{"model": "heart",`)); name != lambdaerr.InvalidInput {
			t.Errorf("error %q", name)
		}
	})
	if vs, _ := fx.app.Registry().Versions(context.Background(), "heart"); len(vs) != 1 {
		t.Fatalf("failed evaluations registered versions: %d", len(vs))
	}

	t.Run("the sample registers the best candidate and compares it on the hold-out", func(t *testing.T) {
		out, name, msg := invoke(t, fx.h.Evaluate, readEvent(t, "evaluate", "evaluate.json"))
		if name != "" {
			t.Fatalf("%s: %s", name, msg)
		}
		var ev tasks.Evaluation
		if err := json.Unmarshal(out, &ev); err != nil {
			t.Fatal(err)
		}
		if !ev.Better || ev.CandidateVersion != 2 || ev.ChampionVersion != 1 || ev.RegisteredAs != tasks.AsChallenger ||
			ev.Metric != "roc_auc" || ev.HoldoutRows != 61 || ev.Margin != 0.01 || len(ev.Evidence) != 4 {
			t.Errorf("evaluation %+v", ev)
		}
		// The best by cross-validation, as train.Select picks it.
		var best tasks.CandidateResult
		for _, c := range sample.Candidates {
			if c.Score > best.Score {
				best = c
			}
		}
		if ev.Candidate != best.Winner || ev.Run != best.ID {
			t.Errorf("chose %s (run %s), want %s (run %s), the best CV score", ev.Candidate, ev.Run, best.Winner, best.ID)
		}
		if got, want := ev.CandidateMetrics["roc_auc"], best.Metrics["holdout_roc_auc"]; got != want {
			t.Errorf("candidate hold-out roc_auc %v, its run recorded %v", got, want)
		}
		if d := ev.Improvement - (ev.CandidateMetrics["roc_auc"] - ev.ChampionMetrics["roc_auc"]); d != 0 {
			t.Errorf("improvement %v is not the difference of the scores", ev.Improvement)
		}
		// Again (a retried invocation): the same version, nothing new.
		out2, name, _ := invoke(t, fx.h.Evaluate, readEvent(t, "evaluate", "evaluate.json"))
		var ev2 tasks.Evaluation
		json.Unmarshal(out2, &ev2)
		if name != "" || ev2.CandidateVersion != 2 {
			t.Errorf("retry: %s, version %d", name, ev2.CandidateVersion)
		}
		if vs, _ := fx.app.Registry().Versions(context.Background(), "heart"); len(vs) != 2 {
			t.Errorf("%d versions after a retried evaluation, want 2", len(vs))
		}
		evs, _ := fx.app.Audit().List(context.Background(), audit.Filter{})
		var found bool
		for _, e := range evs {
			found = found || (e.Action == "retrain.evaluated" && e.CorrelationID == execution && e.Version == 2)
		}
		if !found {
			t.Error("no retrain.evaluated audit event correlated with the execution")
		}
	})

	t.Run("a margin larger than the improvement makes it not better", func(t *testing.T) {
		h := *fx.h.Evaluate
		p := *h.Project
		p.Approval.Margin = 0.5
		h.Project = &p
		out, name, _ := invoke(t, &h, readEvent(t, "evaluate", "evaluate.json"))
		var ev tasks.Evaluation
		json.Unmarshal(out, &ev)
		if name != "" || ev.Better || ev.Improvement <= 0 {
			t.Errorf("margin 0.5: %s %+v", name, ev)
		}
	})
}

// HoldoutRows finds exactly the rows a full training run holds out.
func TestHoldoutRowsMatchTrainRun(t *testing.T) {
	fx := newFixture(t)
	p := fx.app.Project
	f, raw, err := dataset.ReadFile(p.DataPath(), p.Schema(), dataset.Options{Format: p.DataFormat()})
	if err != nil {
		t.Fatal(err)
	}
	d := train.Data{Schema: p.Schema(), Frame: f, Digest: dataset.Digest(raw)}
	for _, h := range []float64{0.2, 0.33} {
		cfg := p.Training
		cfg.Holdout = &h
		cfg.Seed = 11
		cfg.Families = []train.FamilySearch{{Family: "gbdt", Params: map[string]any{"n_trees": 10, "max_depth": 2}}, {Family: "logreg", Params: map[string]any{"C": []any{0.5}}}}
		res, err := train.Run(context.Background(), d, cfg, train.Options{})
		if err != nil {
			t.Fatal(err)
		}
		rows, err := tasks.HoldoutRows(context.Background(), d, cfg)
		if err != nil {
			t.Fatal(err)
		}
		in := map[int]bool{}
		for _, i := range res.Train {
			in[i] = true
		}
		if len(rows) != res.HoldoutRows || len(rows)+len(res.Train) != f.Rows {
			t.Fatalf("holdout %v: %d rows, the run held out %d of %d", h, len(rows), res.HoldoutRows, f.Rows)
		}
		for _, i := range rows {
			if in[i] {
				t.Fatalf("holdout %v: row %d is a training row of the run", h, i)
			}
		}
	}
}

func TestRequestApprovalEvents(t *testing.T) {
	fx := newFixture(t)
	ctx := context.Background()
	for _, tc := range []struct {
		file, want string
	}{
		{"missing-token.json", lambdaerr.InvalidInput},
		{"unknown-model.json", lambdaerr.ModelNotFound},
		{"no-candidate.json", lambdaerr.InvalidInput},
		{"negative-timeout.json", lambdaerr.InvalidInput},
		{"unknown-field.json", lambdaerr.InvalidInput},
		{"malformed.json", lambdaerr.InvalidInput},
	} {
		t.Run(strings.TrimSuffix(tc.file, ".json")+" is "+tc.want, func(t *testing.T) {
			_, name, msg := invoke(t, fx.h.RequestApproval, readEvent(t, "requestapproval", tc.file))
			if name != tc.want {
				t.Errorf("error %q (%s), want %s", name, msg, tc.want)
			}
		})
	}
	if list, _ := fx.wfApprovals().List(ctx, false, 0); len(list) != 0 {
		t.Fatalf("refused events created %d requests", len(list))
	}

	sample := readEvent(t, "requestapproval", "request.json")
	var ev tasks.ApprovalEvent
	json.Unmarshal(sample, &ev)
	t.Run("the sample stores the request and mails each approver", func(t *testing.T) {
		out, name, msg := invoke(t, fx.h.RequestApproval, sample)
		if name != "" {
			t.Fatalf("%s: %s", name, msg)
		}
		if bytes.Contains(out, []byte(ev.TaskToken)) || strings.Contains(msg, ev.TaskToken) {
			t.Fatal("the result carries the task token")
		}
		var got tasks.ApprovalRequested
		json.Unmarshal(out, &got)
		if got.ApprovalID != tasks.ApprovalID(ev.TaskToken) || len(got.Sent) != 2 || len(got.Failed) != 0 {
			t.Errorf("result %+v", got)
		}
		// The links expire a minute before the task's 72 h timeout.
		if want := t0.Add(72*time.Hour - time.Minute); !got.ExpiresAt.Equal(want) {
			t.Errorf("expires %v, want %v", got.ExpiresAt, want)
		}
		r, err := fx.wfApprovals().Get(ctx, got.ApprovalID)
		if err != nil || r.Status != approval.Pending || r.ExecutionID != execution || r.CandidateVersion != 2 || r.ChampionVersion != 1 || r.Candidate["roc_auc"] != 0.8517 {
			t.Errorf("stored request %+v, %v", r, err)
		}
		mails := readOutbox(t, fx.dir)
		if len(mails) != 2 {
			t.Fatalf("%d emails, want 2", len(mails))
		}
		for _, m := range mails {
			if strings.Contains(m, ev.TaskToken) {
				t.Error("an email carries the task token")
			}
		}
	})
	t.Run("a repeated invocation sends the same links again and makes no second request", func(t *testing.T) {
		out, name, _ := invoke(t, fx.h.RequestApproval, sample)
		var got tasks.ApprovalRequested
		json.Unmarshal(out, &got)
		if name != "" || got.ApprovalID != tasks.ApprovalID(ev.TaskToken) {
			t.Errorf("repeat: %s %+v", name, got)
		}
		if list, _ := fx.wfApprovals().List(ctx, false, 0); len(list) != 1 {
			t.Errorf("%d requests after a repeat, want 1", len(list))
		}
		mails := readOutbox(t, fx.dir)
		if len(mails) != 4 || linkOf(mails[0]) != linkOf(mails[2]) && linkOf(mails[0]) != linkOf(mails[3]) {
			t.Errorf("%d emails; the repeated links differ from the first", len(mails))
		}
	})
	t.Run("no email delivered is NotificationFailed, one delivered is enough", func(t *testing.T) {
		h := *fx.h.RequestApproval
		h.Mailer = mailerFunc(func(ctx context.Context, m notify.Message) error {
			if m.To[0] == "ana@example.com" {
				return errors.New("smtp: 451 try again later")
			}
			return nil
		})
		other := bytes.Replace(sample, []byte("asl1."), []byte("asl1.x"), 1)
		out, name, msg := invoke(t, &h, other)
		var got tasks.ApprovalRequested
		json.Unmarshal(out, &got)
		if name != "" || len(got.Sent) != 1 || got.Sent[0] != "bo@example.com" || len(got.Failed) != 1 || got.Failed[0] != "ana@example.com" {
			t.Fatalf("one of two delivered: %s %s %+v", name, msg, got)
		}
		h.Mailer = mailerFunc(func(ctx context.Context, m notify.Message) error { return errors.New("smtp: 554 rejected") })
		third := bytes.Replace(sample, []byte("asl1."), []byte("asl1.y"), 1)
		if _, name, msg := invoke(t, &h, third); name != lambdaerr.NotificationFailed || strings.Contains(msg, "asl1.") {
			t.Errorf("none delivered: %s %s", name, msg)
		}
	})
	t.Run("without approvers or a signing key the request is refused", func(t *testing.T) {
		h := *fx.h.RequestApproval
		h.Approvers = nil
		if _, name, _ := invoke(t, &h, sample); name != lambdaerr.InvalidInput {
			t.Errorf("no approvers: %q", name)
		}
		h = *fx.h.RequestApproval
		h.Signer = approval.Signer{}
		if _, name, _ := invoke(t, &h, sample); name != lambdaerr.InvalidInput {
			t.Errorf("no key: %q", name)
		}
	})
}

func (fx *fixture) wfApprovals() *approval.Service { return fx.app.ApprovalService(nil) }

type mailerFunc func(ctx context.Context, m notify.Message) error

func (f mailerFunc) Send(ctx context.Context, m notify.Message) error { return f(ctx, m) }

func readOutbox(t *testing.T, dir string) []string {
	t.Helper()
	paths, _ := filepath.Glob(filepath.Join(dir, "outbox", "*.eml"))
	var out []string
	for _, p := range paths {
		b, _ := os.ReadFile(p)
		out = append(out, string(b))
	}
	return out
}

func linkOf(eml string) string {
	i := strings.Index(eml, "/approvals/")
	if i < 0 {
		return ""
	}
	return eml[i : i+40]
}
