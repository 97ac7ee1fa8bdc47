package tasks_test

import (
	"context"
	"encoding/json"
	"errors"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stewardml/steward/internal/approval"
	"github.com/stewardml/steward/internal/audit"
	"github.com/stewardml/steward/internal/lambdaerr"
	"github.com/stewardml/steward/internal/notify"
	"github.com/stewardml/steward/internal/notify/notifytest"
	"github.com/stewardml/steward/internal/report"
	"github.com/stewardml/steward/internal/train"
	"github.com/stewardml/steward/internal/workflow/tasks"
)

// registerChallenger registers a second version (challenger).
func (fx *fixture) registerChallenger() int {
	fx.t.Helper()
	d, _ := (&env{t: fx.t, app: fx.app}).loadData()
	rec, err := fx.app.TrainService("test").Train(context.Background(), train.Request{Model: "heart", Data: d, Config: fx.app.Project.Training})
	if err != nil || rec.Alias != "challenger" {
		fx.t.Fatalf("challenger: %v, alias %q", err, rec.Alias)
	}
	return rec.Version
}

func (fx *fixture) champion() int {
	fx.t.Helper()
	a, err := fx.app.Registry().Alias(context.Background(), "heart", "champion")
	if err != nil {
		fx.t.Fatal(err)
	}
	return a.Version
}

func (fx *fixture) auditActions() []audit.Event {
	fx.t.Helper()
	evs, err := fx.app.Audit().List(context.Background(), audit.Filter{})
	if err != nil {
		fx.t.Fatal(err)
	}
	return evs
}

func TestPromoteEvents(t *testing.T) {
	if testing.Short() {
		t.Skip("trains two versions")
	}
	fx := newFixture(t)
	if v := fx.registerChallenger(); v != 2 {
		t.Fatalf("challenger is v%d, the samples promote v2", v)
	}
	ctx := context.Background()
	for _, tc := range []struct {
		file, want string
	}{
		{"approval-unknown.json", lambdaerr.InvalidInput},
		{"rejected-decision.json", lambdaerr.InvalidInput},
		{"stale-champion.json", lambdaerr.Conflict},
		{"not-better.json", lambdaerr.InvalidInput},
		{"unknown-version.json", lambdaerr.ModelNotFound},
		{"unknown-model.json", lambdaerr.ModelNotFound},
		{"unknown-field.json", lambdaerr.InvalidInput},
		// Approved by ana in the event, but nobody decided it in the store.
		{"approved.json", lambdaerr.InvalidInput},
	} {
		t.Run(strings.TrimSuffix(tc.file, ".json")+" is "+tc.want, func(t *testing.T) {
			_, name, msg := invoke(t, fx.h.Promote, readEvent(t, "promote", tc.file))
			if name != tc.want {
				t.Errorf("error %q (%s), want %s", name, msg, tc.want)
			}
			if got := fx.champion(); got != 1 {
				t.Fatalf("a refused promotion moved champion to %d", got)
			}
		})
	}

	// The approval the sample claims, recorded as the decision page does.
	var ev tasks.PromoteEvent
	json.Unmarshal(readEvent(t, "promote", "approved.json"), &ev)
	svc := fx.app.ApprovalService(callbackFunc(func(ctx context.Context, token string, out json.RawMessage) error { return nil }))
	_, _, err := svc.Create(ctx, approval.Request{ID: ev.Approval.ApprovalID, ExecutionID: execution, Model: "heart", CandidateVersion: 2, ChampionVersion: 1, Approvers: []string{"ana@example.com", "bo@example.com"}}, "token", time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	t.Run("a decision by someone else than the event says is refused", func(t *testing.T) {
		if _, err := svc.Decide(ctx, ev.Approval.ApprovalID, "bo@example.com", true, ""); err != nil {
			t.Fatal(err)
		}
		if _, name, _ := invoke(t, fx.h.Promote, readEvent(t, "promote", "approved.json")); name != lambdaerr.InvalidInput {
			t.Errorf("error %q, want InvalidInput", name)
		}
	})
	// ana's own request, decided by ana.
	ev.Approval.ApprovalID = "4c2e1f7d3a0b59c8b6d5f4e3a2b1c0d9"
	if _, _, err := svc.Create(ctx, approval.Request{ID: ev.Approval.ApprovalID, ExecutionID: execution, Model: "heart", CandidateVersion: 2, ChampionVersion: 1, Approvers: []string{"ana@example.com"}}, "token2", time.Hour); err != nil {
		t.Fatal(err)
	}
	if _, err := svc.Decide(ctx, ev.Approval.ApprovalID, "ana@example.com", true, "holds up"); err != nil {
		t.Fatal(err)
	}
	payload, _ := json.Marshal(ev)
	t.Run("an approved promotion moves champion and names the approver", func(t *testing.T) {
		out, name, msg := invoke(t, fx.h.Promote, payload)
		if name != "" {
			t.Fatalf("%s: %s", name, msg)
		}
		var p tasks.Promotion
		json.Unmarshal(out, &p)
		if p.From != 1 || p.To != 2 || p.Actor != "ana@example.com" || p.AlreadyChampion {
			t.Errorf("promotion %+v", p)
		}
		if got := fx.champion(); got != 2 {
			t.Errorf("champion %d, want 2", got)
		}
		evs := fx.auditActions()
		last := evs[len(evs)-1]
		if last.Action != "model.promote" || last.Actor != "ana@example.com" || last.CorrelationID != execution || !strings.Contains(last.Reason, "approved by ana@example.com (holds up on the hold-out)") {
			t.Errorf("audit %+v", last)
		}
	})
	t.Run("a repeated promotion changes nothing", func(t *testing.T) {
		n := len(fx.auditActions())
		for _, p := range [][]byte{payload, readEvent(t, "promote", "promote.json")} {
			out, name, _ := invoke(t, fx.h.Promote, p)
			var got tasks.Promotion
			json.Unmarshal(out, &got)
			if name != "" || !got.AlreadyChampion || got.To != 2 {
				t.Errorf("repeat: %s %+v", name, got)
			}
		}
		if len(fx.auditActions()) != n {
			t.Error("a repeated promotion was audited again")
		}
	})
}

type callbackFunc func(ctx context.Context, token string, out json.RawMessage) error

func (f callbackFunc) SendTaskSuccess(ctx context.Context, token string, out json.RawMessage) error {
	return f(ctx, token, out)
}

func TestPromoteWithoutApprovalEvent(t *testing.T) {
	if testing.Short() {
		t.Skip("trains two versions")
	}
	fx := newFixture(t)
	fx.registerChallenger()
	out, name, msg := invoke(t, fx.h.Promote, readEvent(t, "promote", "promote.json"))
	if name != "" {
		t.Fatalf("%s: %s", name, msg)
	}
	var p tasks.Promotion
	json.Unmarshal(out, &p)
	if p.From != 1 || p.To != 2 || p.Actor != tasks.Actor || fx.champion() != 2 {
		t.Errorf("promotion %+v, champion %d", p, fx.champion())
	}
}

func TestRecordEvents(t *testing.T) {
	fx := newFixture(t)
	ctx := context.Background()
	// Pending requests: one of the sample execution, one of another.
	svc := fx.wfApprovals()
	for _, r := range []approval.Request{
		{ID: "aaaa0000000000000000000000000001", ExecutionID: execution, Model: "heart", CandidateVersion: 2, Approvers: []string{"ana@example.com"}},
		{ID: "bbbb0000000000000000000000000002", ExecutionID: execution + "-other", Model: "heart", CandidateVersion: 3, Approvers: []string{"ana@example.com"}},
	} {
		if _, _, err := svc.Create(ctx, r, "token-"+r.ID, 72*time.Hour); err != nil {
			t.Fatal(err)
		}
	}
	for _, tc := range []struct {
		file, want string
		action     string // the audit action written
		actor      string
		kind       string // the notification sent ("" none)
		to         string
		reason     string
		closes     int // approval requests expired (each audited)
	}{
		{file: "started.json", action: "retrain.start", actor: "agent", reason: "agent retraining of heart requested by agent: drift on thal and ca (approval required)"},
		{file: "promoted.json", action: "retrain.promoted", actor: "ana@example.com", kind: "promoted", to: "ml-platform@example.com", reason: "heart:2 is champion (was v1)"},
		{file: "not-better.json", action: "retrain.not_better", actor: "workflow", kind: "rejected", to: "ml-platform@example.com", reason: "not promoted: candidate heart:2"},
		{file: "rejected.json", action: "retrain.rejected", actor: "bo@example.com", kind: "rejected", to: "ml-platform@example.com", reason: "rejected by bo@example.com: too few women"},
		{file: "escalated.json", action: "retrain.escalated", actor: "workflow", kind: "escalated", to: "oncall@example.com", reason: "nobody decided on heart:2 in time", closes: 1},
		{file: "failed.json", action: "retrain.failed", actor: "workflow", kind: "failure", to: "ml-platform@example.com", reason: "retraining failed: DataValidationFailed: tasks: validate: data failed validation"},
		{file: "failed-unreadable.json", action: "retrain.failed", actor: "workflow", kind: "failure", to: "ml-platform@example.com", reason: "the execution state could not be read"},
		{file: "started-no-dataset.json", want: lambdaerr.InvalidInput},
		{file: "started-unknown-model.json", want: lambdaerr.ModelNotFound},
		{file: "rejected-no-approval.json", want: lambdaerr.InvalidInput},
		{file: "unknown-event.json", want: lambdaerr.InvalidInput},
		{file: "malformed.json", want: lambdaerr.InvalidInput},
	} {
		name := strings.TrimSuffix(tc.file, ".json") + " is recorded"
		if tc.want != "" {
			name = strings.TrimSuffix(tc.file, ".json") + " is " + tc.want
		}
		t.Run(name, func(t *testing.T) {
			before := len(fx.auditActions())
			mailsBefore := len(readOutbox(t, fx.dir))
			out, errName, msg := invoke(t, fx.h.Record, readEvent(t, "record", tc.file))
			if errName != tc.want {
				t.Fatalf("error %q (%s), want %q", errName, msg, tc.want)
			}
			evs := fx.auditActions()
			if tc.want != "" {
				if len(evs) != before {
					t.Error("a refused event was audited")
				}
				return
			}
			var res tasks.Recorded
			json.Unmarshal(out, &res)
			if len(evs) != before+1+tc.closes || len(res.Closed) != tc.closes {
				t.Fatalf("%d audit events written and %d requests closed, want %d and %d", len(evs)-before, len(res.Closed), 1+tc.closes, tc.closes)
			}
			if tc.closes > 0 && (evs[before].Action != "approval.expired" || evs[before].CorrelationID != execution) {
				t.Errorf("closing audited as %+v", evs[before])
			}
			last := evs[len(evs)-1]
			if last.Action != tc.action || last.Actor != tc.actor || last.CorrelationID != execution || last.Execution != execution || !strings.Contains(last.Reason, tc.reason) || last.ID != res.AuditID {
				t.Errorf("audit event %+v\nwant action %s actor %s reason containing %q", last, tc.action, tc.actor, tc.reason)
			}
			mails := readOutbox(t, fx.dir)[mailsBefore:]
			if tc.kind == "" {
				if len(mails) != 0 || res.Notified {
					t.Errorf("%d notifications for %s, want none", len(mails), tc.file)
				}
				return
			}
			if !res.Notified || len(mails) != 1 || !strings.Contains(mails[0], "X-Steward-Event: "+tc.kind) || !strings.Contains(mails[0], "To: "+tc.to) {
				t.Fatalf("notified %v, mails %d:\n%s", res.Notified, len(mails), strings.Join(mails, "\n---\n"))
			}
			m, err := notifytest.ParseMail([]byte(mails[0]))
			if err != nil {
				t.Fatal(err)
			}
			notifytest.Golden(t, filepath.Join("testdata", "golden", "record-"+strings.TrimSuffix(tc.file, ".json")+".txt"), m.Summary(), *update)
		})
	}
	// The escalation and the failure closed the sample execution's pending
	// request and left the other execution's alone.
	r1, _ := svc.Get(ctx, "aaaa0000000000000000000000000001")
	r2, _ := svc.Get(ctx, "bbbb0000000000000000000000000002")
	if r1.Status != approval.Expired || r2.Status != approval.Pending {
		t.Errorf("statuses %s and %s, want expired and pending", r1.Status, r2.Status)
	}

	t.Run("an undeliverable notification is reported, not a failure", func(t *testing.T) {
		h := *fx.h.Record
		d := *h.Notifier.(*report.Notifier).Next.(*notify.Dispatcher)
		d.Channels = []notify.ChannelKind{notify.Email(mailerFunc(func(context.Context, notify.Message) error { return errors.New("smtp: connection refused") }))}
		d.Attempts = 2
		h.Notifier = &d
		out, name, msg := invoke(t, &h, readEvent(t, "record", "promoted.json"))
		var res tasks.Recorded
		json.Unmarshal(out, &res)
		if name != "" || res.Notified || !strings.Contains(res.NotifyError, "connection refused") || res.AuditID == "" {
			t.Errorf("%s %s %+v", name, msg, res)
		}
		failed, err := notify.ListFailed(ctx, fx.app.Records, 10)
		if err != nil || len(failed) != 1 || failed[0].Event.Kind != notify.Promoted {
			t.Errorf("failed deliveries %+v, %v; want the promotion kept", failed, err)
		}
	})
}
