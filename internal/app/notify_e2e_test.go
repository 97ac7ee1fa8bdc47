package app_test

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/stewardml/steward/internal/app"
	"github.com/stewardml/steward/internal/audit"
	"github.com/stewardml/steward/internal/notify"
	"github.com/stewardml/steward/internal/notify/notifytest"
	"github.com/stewardml/steward/internal/registry"
	"github.com/stewardml/steward/internal/web"
)

// TestADriftTriggeredApprovalReachesSlackAndSMTP is the notifications'
// acceptance test: with notify.slack pointing at a local webhook endpoint
// and notify.email.smtp at a local SMTP server that requires auth, one
// drift-triggered approval end to end produces a Slack message with links
// (and opening each link changes nothing), an approval email with the
// candidate's training report attached, and after the approval a
// deployment-report email — all asserted on what the endpoints received.
func TestADriftTriggeredApprovalReachesSlackAndSMTP(t *testing.T) {
	if testing.Short() {
		t.Skip("trains two models and runs the retraining workflow")
	}
	hook := notifytest.StartWebhook(t)
	mail := notifytest.StartSMTP(t, notifytest.SMTPOptions{Security: notifytest.None, User: "steward", Pass: "mail-s3cret"})
	host, port, _ := strings.Cut(mail.Addr, ":")
	env := map[string]string{"STEWARD_SLACK_ML": hook.URL, "STEWARD_SMTP_PASSWORD": "mail-s3cret"}
	r := driftToApproval(t, func(k string) string { return env[k] }, fmt.Sprintf(`notify:
  from: steward@example.com
  to: [ml@example.com]
  subject_prefix: "[heart]"
  slack:
    ml: {webhook_env: STEWARD_SLACK_ML}
  routes:
    default: {email: [ml@example.com], slack: [ml]}
  email:
    smtp: {host: %s, port: %s, security: none, user: steward}
`, host, port))
	ctx, a := context.Background(), r.a

	// Slack heard of the drift and of the approval asked, with links.
	posts := hook.Posts()
	byText := map[string]map[string]any{}
	for _, p := range posts {
		byText[p["text"].(string)] = p
	}
	drift, asked := byText["heart: retraining started (rule retrain-approval)"], byText["Approve heart version 2?"]
	if drift == nil || asked == nil {
		t.Fatalf("Slack received %d posts, want the drift and the approval request: %v", len(posts), posts)
	}
	if drift["unfurl_links"] != false {
		t.Error("link unfurling is on")
	}
	driftLinks, askedLinks := notifytest.Links(drift), notifytest.Links(asked)
	wantLinks := map[string][]string{
		"drift":    {r.srv.URL + "/reports/drift/heart/" + r.check.CheckID, r.srv.URL + "/drift"},
		"approval": {r.srv.URL + "/approvals?request="},
	}
	if !hasPrefixes(driftLinks, wantLinks["drift"]) || !hasPrefixes(askedLinks, wantLinks["approval"]) {
		t.Errorf("links %v and %v, want %v", driftLinks, askedLinks, wantLinks)
	}
	if !anyHasPrefix(askedLinks, r.srv.URL+"/reports/training/") {
		t.Errorf("the approval request links %v, want the candidate's training report", askedLinks)
	}

	// The approval email, by SMTP with auth, carries the training report.
	approvalMail := receivedMail(t, mail, "approval_requested", "ana@example.com")
	if approvalMail.Subject != "[heart] Approve heart version 2?" || !strings.Contains(approvalMail.Text, "roc_auc") {
		t.Errorf("approval email %q:\n%s", approvalMail.Subject, approvalMail.Text)
	}
	if len(approvalMail.Attachments) != 1 || !strings.HasPrefix(approvalMail.Attachments[0].Name, "training-report-") ||
		!bytes.HasPrefix(approvalMail.Attachments[0].Data, []byte("%PDF")) {
		t.Errorf("approval email attachments %v, want the training report PDF", names(approvalMail.Attachments))
	}
	if got := mail.Authenticated(); len(got) == 0 || got[0] != "steward" {
		t.Errorf("SMTP sessions authenticated as %v", got)
	}

	// Opening every link, signed in, changes nothing.
	client := signIn(t, a, r.srv.URL)
	before := snapshot(t, ctx, r)
	for _, l := range append(driftLinks, askedLinks...) {
		resp, err := client.Get(l)
		if err != nil {
			t.Fatal(err)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			t.Errorf("GET %s = %d, want 200", l, resp.StatusCode)
		}
	}
	if after := snapshot(t, ctx, r); after != before {
		t.Errorf("opening the links changed the state:\nbefore %s\nafter  %s", before, after)
	}

	// The approver approves through the emailed link.
	link := regexp.MustCompile(`http://127\.0\.0\.1:\d+/approvals/[^\s"<>]+`).FindString(approvalMail.Text)
	u, err := url.Parse(link)
	if err != nil || link == "" {
		t.Fatalf("approval link %q: %v", link, err)
	}
	r.clock.Advance(30 * time.Minute)
	q := u.Query()
	form := url.Values{"approver": {q.Get("approver")}, "exp": {q.Get("exp")}, "sig": {q.Get("sig")}, "decision": {"approve"}}
	if code, body := post(t, r.srv.URL+u.Path, "application/x-www-form-urlencoded", []byte(form.Encode())); code != http.StatusOK {
		t.Fatalf("approve: %d %s", code, body)
	}

	// The promotion email carries the deployment report; Slack links it.
	promoted := receivedMail(t, mail, "promoted", "ml@example.com")
	if !strings.HasPrefix(promoted.Subject, "[heart] heart:2 is champion") || len(promoted.Attachments) != 1 ||
		!strings.HasPrefix(promoted.Attachments[0].Name, "deployment-report-heart-") || !bytes.HasPrefix(promoted.Attachments[0].Data, []byte("%PDF")) {
		t.Errorf("promotion email %q attaches %v, want the deployment report PDF", promoted.Subject, names(promoted.Attachments))
	}
	var slackPromoted map[string]any
	for _, p := range hook.Posts() {
		if strings.HasPrefix(p["text"].(string), "heart:2 is champion") {
			slackPromoted = p
		}
	}
	if slackPromoted == nil || !anyHasPrefix(notifytest.Links(slackPromoted), r.srv.URL+"/reports/deployment/heart:") {
		t.Errorf("Slack promotion %v, want a link to the deployment report", slackPromoted)
	}
}

// receivedMail returns the message of event kind to whom that the SMTP
// server received.
func receivedMail(t *testing.T, s *notifytest.SMTPServer, kind, whom string) notifytest.Mail {
	t.Helper()
	var seen []string
	for _, r := range s.Received() {
		m, err := notifytest.ParseMail(r.Data)
		if err != nil {
			t.Fatal(err)
		}
		seen = append(seen, m.Header.Get("X-Steward-Event")+" to "+m.Header.Get("To"))
		if m.Header.Get("X-Steward-Event") == kind && m.Header.Get("To") == whom {
			return m
		}
	}
	t.Fatalf("no %s email to %s among %v", kind, whom, seen)
	return notifytest.Mail{}
}

// signIn creates an operator and returns a client signed in to the
// dashboard at base.
func signIn(t *testing.T, a *app.App, base string) *http.Client {
	t.Helper()
	ctx := context.Background()
	if _, err := (&web.Operators{Records: a.Records}).Create(ctx, "ops", "ops@example.com", "correct horse battery staple"); err != nil {
		t.Fatal(err)
	}
	jar, _ := cookiejar.New(nil)
	c := &http.Client{Jar: jar}
	resp, err := c.Get(base + "/signin")
	if err != nil {
		t.Fatal(err)
	}
	page, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	m := regexp.MustCompile(`name="csrf" value="([^"]+)"`).FindSubmatch(page)
	if m == nil {
		t.Fatalf("sign-in page has no CSRF token:\n%s", page)
	}
	resp, err = c.PostForm(base+"/signin", url.Values{"csrf": {string(m[1])}, "name": {"ops"}, "password": {"correct horse battery staple"}})
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("sign in: %d", resp.StatusCode)
	}
	return c
}

// snapshot says what a link must not change: the champion, the approval
// requests, the execution and the audit log.
func snapshot(t *testing.T, ctx context.Context, r *driftRun) string {
	t.Helper()
	champ, err := r.a.Registry().Alias(ctx, "heart", registry.Champion)
	if err != nil {
		t.Fatal(err)
	}
	ex, err := r.wf.Runner.DescribeExecution(ctx, r.execID)
	if err != nil {
		t.Fatal(err)
	}
	reqs, err := r.wf.Approvals.List(ctx, false, 0)
	if err != nil {
		t.Fatal(err)
	}
	var statuses []string
	for _, q := range reqs {
		statuses = append(statuses, q.ID+"="+string(q.Status))
	}
	evs, err := r.a.Audit().List(ctx, audit.Filter{Model: "heart"})
	if err != nil {
		t.Fatal(err)
	}
	return fmt.Sprintf("champion v%d (seq %d), execution %s, approvals %v, %d audit events", champ.Version, champ.Seq, ex.Status, statuses, len(evs))
}

func names(as []notify.Attachment) []string {
	out := make([]string, len(as))
	for i, a := range as {
		out[i] = a.Name
	}
	return out
}

func hasPrefixes(got, prefixes []string) bool {
	for _, p := range prefixes {
		if !anyHasPrefix(got, p) {
			return false
		}
	}
	return true
}

func anyHasPrefix(got []string, prefix string) bool {
	for _, g := range got {
		if strings.HasPrefix(g, prefix) {
			return true
		}
	}
	return false
}
