package agentfn

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-lambda-go/lambda/messages"

	"github.com/stewardml/steward/internal/agent"
	"github.com/stewardml/steward/internal/audit"
	"github.com/stewardml/steward/internal/lambdaerr"
	"github.com/stewardml/steward/internal/local/files"
	"github.com/stewardml/steward/internal/local/sqlite"
	"github.com/stewardml/steward/internal/registry"
	"github.com/stewardml/steward/internal/release"
)

const events = "../../../testdata/events/agent"

type retrainer struct{ starts int }

func (r *retrainer) StartRetrain(_ context.Context, req agent.RetrainRequest) (agent.Execution, error) {
	r.starts++
	return agent.Execution{ID: "exec-" + req.ActionID, Status: "RUNNING"}, nil
}

func TestEventsThroughTheLambdaJSONPath(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	rs, err := sqlite.Open(filepath.Join(dir, "steward.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer rs.Close()
	arts, err := files.New(filepath.Join(dir, "artifacts"))
	if err != nil {
		t.Fatal(err)
	}
	now := func() time.Time { return time.Date(2026, 3, 14, 9, 1, 0, 0, time.UTC) }
	reg := registry.New(rs)
	log := audit.New(rs)
	if _, err := reg.Register(ctx, "heart", registry.NewVersion{BundleKey: "bundles/sha256/1", BundleDigest: "sha256:1", Family: "logreg", CreatedBy: "test"}); err != nil {
		t.Fatal(err)
	}
	if _, err := reg.MoveAlias(ctx, "heart", registry.Champion, 0, 1, "test", "first"); err != nil {
		t.Fatal(err)
	}
	rt := &retrainer{}
	h := &Handler{Agent: &agent.Agent{Model: "heart", Registry: reg, Records: rs, Artifacts: arts, Audit: log,
		Retrainer: rt, Releaser: &release.Service{Registry: reg, Audit: log}, Now: now}}
	lh := lambda.NewHandler(h)
	invoke := func(name string) (agent.Entry, error) {
		t.Helper()
		b, err := os.ReadFile(filepath.Join(events, name))
		if err != nil {
			t.Fatal(err)
		}
		out, err := lh.Invoke(ctx, b)
		var e agent.Entry
		if err == nil {
			if uerr := json.Unmarshal(out, &e); uerr != nil {
				t.Fatal(uerr)
			}
		}
		return e, err
	}

	e, err := invoke("drift-checked.json")
	if err != nil {
		t.Fatal(err)
	}
	if e.Decision.Rule != agent.BandRetrainAuto || e.Outcome.Status != agent.OutcomeStarted || e.AuditID == "" || rt.starts != 1 {
		t.Errorf("DriftChecked: %+v", e)
	}
	// EventBridge delivers again: recorded, not acted on.
	if e, err := invoke("drift-checked.json"); err != nil || e.Decision.Suppressed != agent.SuppressedDuplicate || rt.starts != 1 {
		t.Errorf("redelivery: %+v %v", e.Decision, err)
	}
	if e, err := invoke("alarm-throttles.json"); err != nil || e.Outcome.Status != agent.OutcomeNotApplicable {
		t.Errorf("throttles: %+v %v", e, err)
	}
	if e, err := invoke("drift-insufficient.json"); err != nil || e.Decision.Rule != agent.RuleInsufficientData || e.Outcome.Status != agent.OutcomeLogged {
		t.Errorf("insufficient data: %+v %v", e, err)
	}
	before, _ := log.List(ctx, audit.Filter{})
	for _, name := range []string{"malformed.json", "unknown-source.json", "drift-bad-score.json", "drift-other-model.json", "alarm-bad-state.json"} {
		_, err := invoke(name)
		var named messages.InvokeResponse_Error
		if !errors.As(err, &named) || named.Type != lambdaerr.InvalidInput || !strings.HasPrefix(named.Message, "agent: invalid event") {
			t.Errorf("%s: %v, want InvalidInput", name, err)
		}
	}
	after, _ := log.List(ctx, audit.Filter{})
	if len(after) != len(before) || rt.starts != 1 {
		t.Errorf("bad events acted: %d audit events (was %d), %d starts", len(after), len(before), rt.starts)
	}
}
