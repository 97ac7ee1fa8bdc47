package approval

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stewardml/steward/internal/httpedge/apigw"

	"github.com/aws/aws-lambda-go/events"
	"github.com/stewardml/steward/internal/local/sqlite"
)

// callbacks records every SendTaskSuccess; fail makes the next calls fail.
type callbacks struct {
	mu    sync.Mutex
	calls []json.RawMessage
	fail  atomic.Bool
}

func (c *callbacks) SendTaskSuccess(ctx context.Context, token string, out json.RawMessage) error {
	if c.fail.Load() {
		return errors.New("runner unavailable")
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if token != "secret-task-token" {
		return fmt.Errorf("unexpected token %q", token)
	}
	c.calls = append(c.calls, out)
	return nil
}

func (c *callbacks) count() int { c.mu.Lock(); defer c.mu.Unlock(); return len(c.calls) }

type audits struct {
	mu      sync.Mutex
	actions []string
}

func (a *audits) RecordApproval(ctx context.Context, action string, r Request, actor, detail string) error {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.actions = append(a.actions, action+":"+actor)
	return nil
}

type fixture struct {
	svc   *Service
	h     *Handler
	cb    *callbacks
	audit *audits
	now   time.Time
	req   Request
	links []Link
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	db, err := sqlite.Open(filepath.Join(t.TempDir(), "steward.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	f := &fixture{cb: &callbacks{}, audit: &audits{}, now: time.Date(2026, 11, 25, 9, 0, 0, 0, time.UTC)}
	f.svc = &Service{Records: db, Signer: Signer{Key: []byte("0123456789abcdef0123456789abcdef")}, Callback: f.cb, Recorder: f.audit,
		Now: func() time.Time { return f.now }}
	f.h = &Handler{Service: f.svc}
	f.req, f.links, err = f.svc.Create(context.Background(), Request{
		Model: "heart", CandidateVersion: 2, ChampionVersion: 1,
		Candidate: map[string]float64{"roc_auc": 0.91}, Champion: map[string]float64{"roc_auc": 0.89},
		Trigger: "agent", Reason: "drift score 0.75", Approvers: []string{"ana@example.com", "bo@example.com"},
	}, "secret-task-token", 72*time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	return f
}

func (f *fixture) get(t *testing.T, l Link) events.APIGatewayProxyResponse {
	t.Helper()
	u, _ := url.Parse(l.URL("https://steward.example.com"))
	q := map[string]string{}
	for k, v := range u.Query() {
		q[k] = v[0]
	}
	resp, err := apigw.New(f.h).Handle(context.Background(), events.APIGatewayProxyRequest{HTTPMethod: "GET", Path: u.Path, QueryStringParameters: q})
	if err != nil {
		t.Fatal(err)
	}
	return resp
}

func (f *fixture) post(t *testing.T, l Link, decision string) events.APIGatewayProxyResponse {
	t.Helper()
	form := url.Values{"approver": {l.Approver}, "exp": {fmt.Sprint(l.Exp)}, "kid": {l.KeyID}, "sig": {l.Sig}, "decision": {decision}, "comment": {"looks good"}}
	resp, err := apigw.New(f.h).Handle(context.Background(), events.APIGatewayProxyRequest{
		HTTPMethod: "POST", Path: "/approvals/" + l.ID,
		Headers: map[string]string{"content-type": "application/x-www-form-urlencoded"}, Body: form.Encode(),
	})
	if err != nil {
		t.Fatal(err)
	}
	return resp
}

func TestGetShowsThePageAndChangesNothing(t *testing.T) {
	f := newFixture(t)
	for i := 0; i < 3; i++ { // a mail scanner, a preview, the person
		resp := f.get(t, f.links[0])
		// The form posts to a relative URL so a stage prefix survives.
		if resp.StatusCode != 200 || !strings.Contains(resp.Body, `value="approve"`) || !strings.Contains(resp.Body, `action="`+f.req.ID+`"`) {
			t.Fatalf("GET = %d, want 200 with the form; body %.200s", resp.StatusCode, resp.Body)
		}
	}
	r, _ := f.svc.Get(context.Background(), f.req.ID)
	if r.Status != Pending || f.cb.count() != 0 {
		t.Errorf("after GETs: status %s, callbacks %d; want pending and none", r.Status, f.cb.count())
	}
}

func TestApproveCallsBackOnceWithTheDecision(t *testing.T) {
	f := newFixture(t)
	resp := f.post(t, f.links[0], "approve")
	if resp.StatusCode != 200 {
		t.Fatalf("POST = %d: %.300s", resp.StatusCode, resp.Body)
	}
	if f.cb.count() != 1 {
		t.Fatalf("callbacks = %d, want 1", f.cb.count())
	}
	var out struct {
		Approved bool
		Approver string
		Comment  string
	}
	json.Unmarshal(f.cb.calls[0], &out)
	if !out.Approved || out.Approver != "ana@example.com" || out.Comment != "looks good" {
		t.Errorf("callback output = %s", f.cb.calls[0])
	}
	// A replayed POST, and the other approver, see the first decision and send nothing.
	for _, l := range f.links {
		resp = f.post(t, l, "reject")
		if resp.StatusCode != 409 || !strings.Contains(resp.Body, "approved by ana@example.com") {
			t.Errorf("second POST = %d, want 409 naming the first decision; body %.300s", resp.StatusCode, resp.Body)
		}
	}
	if f.cb.count() != 1 {
		t.Errorf("callbacks after replay = %d, want 1", f.cb.count())
	}
}

func TestRejectSendsApprovedFalse(t *testing.T) {
	f := newFixture(t)
	if resp := f.post(t, f.links[1], "reject"); resp.StatusCode != 200 {
		t.Fatalf("POST = %d", resp.StatusCode)
	}
	r, _ := f.svc.Get(context.Background(), f.req.ID)
	if r.Status != Rejected || r.Decision.By != "bo@example.com" || !strings.Contains(string(f.cb.calls[0]), `"approved":false`) {
		t.Errorf("status %s decision %+v callback %s", r.Status, r.Decision, f.cb.calls)
	}
}

func TestRefusedLinks(t *testing.T) {
	tests := []struct {
		name   string
		mutate func(f *fixture, l *Link)
		want   int
		audit  string
		says   string
	}{
		{"forged signature", func(f *fixture, l *Link) {
			l.Sig = Signer{Key: []byte("guess")}.Sign(l.ID, l.Approver, time.Unix(l.Exp, 0))
		}, 403, "approval.link_refused", "changed or not issued by Steward"},
		{"tampered approver", func(f *fixture, l *Link) { l.Approver = "mallory@example.com" }, 403, "approval.link_refused", "changed or not issued by Steward"},
		{"tampered expiry", func(f *fixture, l *Link) { l.Exp += 86400 }, 403, "approval.link_refused", "changed or not issued by Steward"},
		{"tampered key id", func(f *fixture, l *Link) { l.KeyID = "00000000"; l.Exp += 86400 }, 403, "approval.link_refused", "another Steward installation or data directory"},
		{"signed by another data directory", func(f *fixture, l *Link) {
			*l = Signer{Key: []byte("another data directory's key....")}.Link(l.ID, l.Approver, time.Unix(l.Exp, 0))
		}, 403, "approval.link_refused", "another Steward installation or data directory"},
		{"signed by another data directory before key ids", func(f *fixture, l *Link) {
			*l = Signer{Key: []byte("another data directory's key....")}.Link(l.ID, l.Approver, time.Unix(l.Exp, 0))
			l.KeyID = ""
		}, 403, "approval.link_refused", "changed or not issued by Steward"},
		{"expired", func(f *fixture, l *Link) { f.now = f.now.Add(73 * time.Hour) }, 410, "approval.link_refused", "expired"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t)
			l := f.links[0]
			tt.mutate(f, &l)
			if resp := f.get(t, l); resp.StatusCode != tt.want || !strings.Contains(resp.Body, tt.says) {
				t.Errorf("GET = %d, want %d saying %q:\n%s", resp.StatusCode, tt.want, tt.says, resp.Body)
			}
			if resp := f.post(t, l, "approve"); resp.StatusCode != tt.want || !strings.Contains(resp.Body, tt.says) {
				t.Errorf("POST = %d, want %d saying %q", resp.StatusCode, tt.want, tt.says)
			}
			if f.cb.count() != 0 {
				t.Errorf("a refused link called back %d times", f.cb.count())
			}
			if last := f.audit.actions[len(f.audit.actions)-1]; !strings.HasPrefix(last, tt.audit) {
				t.Errorf("last audit action = %q, want %s", last, tt.audit)
			}
		})
	}
}

func TestConcurrentPostsCallBackExactlyOnce(t *testing.T) {
	f := newFixture(t)
	var wg sync.WaitGroup
	var ok atomic.Int32
	for i := 0; i < 16; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			d := "approve"
			if i%2 == 1 {
				d = "reject"
			}
			if resp := f.post(t, f.links[i%2], d); resp.StatusCode == 200 {
				ok.Add(1)
			}
		}(i)
	}
	wg.Wait()
	if ok.Load() != 1 || f.cb.count() != 1 {
		t.Errorf("successful POSTs = %d, callbacks = %d; want exactly one of each", ok.Load(), f.cb.count())
	}
}

func TestFailedCallbackKeepsTheDecisionAndRetries(t *testing.T) {
	f := newFixture(t)
	f.cb.fail.Store(true)
	if resp := f.post(t, f.links[0], "approve"); resp.StatusCode != 202 {
		t.Fatalf("POST with failing callback = %d, want 202", resp.StatusCode)
	}
	f.cb.fail.Store(false)
	r, err := f.svc.Retry(context.Background(), f.req.ID)
	if err != nil || !r.CallbackDone || f.cb.count() != 1 {
		t.Errorf("Retry = %+v, %v; callbacks %d", r.CallbackDone, err, f.cb.count())
	}
}

func TestEmailsCarryLinksNotTokens(t *testing.T) {
	f := newFixture(t)
	msgs, err := Emails(f.req, f.links, "https://steward.example.com", "steward@example.com", "[heart]")
	if err != nil {
		t.Fatal(err)
	}
	if len(msgs) != 2 {
		t.Fatalf("got %d emails, want one per approver", len(msgs))
	}
	for i, m := range msgs {
		if strings.Contains(m.Text+m.HTML+m.Link, "secret-task-token") {
			t.Errorf("email %d contains the task token", i)
		}
		if !strings.Contains(m.Text, m.Link) || m.To[0] != f.links[i].Approver {
			t.Errorf("email %d: link or recipient wrong", i)
		}
		if want := fmt.Sprintf("[heart] Approve %s version %d?", f.req.Model, f.req.CandidateVersion); m.Subject != want {
			t.Errorf("email %d subject %q, want %q", i, m.Subject, want)
		}
		if resp := f.get(t, linkFromURL(t, m.Link)); resp.StatusCode != 200 {
			t.Errorf("email %d link GET = %d", i, resp.StatusCode)
		}
	}
}

func linkFromURL(t *testing.T, s string) Link {
	u, err := url.Parse(s)
	if err != nil {
		t.Fatal(err)
	}
	id, _ := approvalID(u.Path)
	return linkFrom(id, u.Query())
}

func TestMarkExpiredLeavesDecidedRequests(t *testing.T) {
	f := newFixture(t)
	r, err := f.svc.MarkExpired(context.Background(), f.req.ID)
	if err != nil || r.Status != Expired {
		t.Fatalf("MarkExpired = %s, %v", r.Status, err)
	}
	if _, err := f.svc.Decide(context.Background(), f.req.ID, "ana@example.com", true, ""); !errors.Is(err, ErrAlreadyDecided) {
		t.Errorf("Decide after expiry = %v, want ErrAlreadyDecided", err)
	}
	pending, _ := f.svc.List(context.Background(), true, 0)
	if len(pending) != 0 {
		t.Errorf("pending after expiry = %d", len(pending))
	}
}

func TestRefusedLinksAreCountedNotAuditedOneByOne(t *testing.T) {
	f := newFixture(t)
	l := f.links[0]
	l.Sig = "forged"
	before := len(f.audit.actions)
	const n = 3000
	for i := range n {
		l.Approver = strings.Repeat("x", 4000) + strconv.Itoa(i)
		if resp := f.get(t, l); resp.StatusCode != 403 {
			t.Fatalf("GET %d = %d, want 403", i, resp.StatusCode)
		}
	}
	if got := len(f.audit.actions) - before; got != 1 {
		t.Errorf("%d refusals of one link in one minute wrote %d audit events, want 1", n, got)
	}
	if got := f.svc.Refused(); got != n {
		t.Errorf("Refused() = %d, want %d", got, n)
	}
	// Many link ids: at most maxRefusalIDs a minute are audited.
	for i := range 2 * maxRefusalIDs {
		other := l
		other.ID = "id-" + strconv.Itoa(i)
		f.get(t, other)
	}
	if got := len(f.audit.actions) - before; got != maxRefusalIDs {
		t.Errorf("refusals of %d ids wrote %d audit events, want %d", 2*maxRefusalIDs, got, maxRefusalIDs)
	}
	// The next minute's first refusal writes the summary of the last.
	f.now = f.now.Add(time.Minute)
	f.get(t, l)
	if got := f.audit.actions[len(f.audit.actions)-2]; got != "approval.links_refused:approval-links" {
		t.Errorf("summary = %q, want approval.links_refused", got)
	}
}

func TestOnlyCanonicalSignaturesAndExpiriesAreAccepted(t *testing.T) {
	f := newFixture(t)
	l := f.links[0]
	exp := strconv.FormatInt(l.Exp, 10)
	// A signature of 32 bytes ends in a character carrying 2 unused bits.
	last := l.Sig[len(l.Sig)-1]
	alias := strings.IndexByte("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_", last) ^ 1
	nonCanonical := l.Sig[:len(l.Sig)-1] + string("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"[alias])
	tests := []struct {
		name, path string
		query      map[string]string
		want       int
	}{
		{"the link as issued", "/approvals/" + l.ID, map[string]string{"approver": l.Approver, "exp": exp, "sig": l.Sig}, 200},
		{"padded signature", "/approvals/" + l.ID, map[string]string{"approver": l.Approver, "exp": exp, "sig": l.Sig + "="}, 403},
		{"signature with other unused bits", "/approvals/" + l.ID, map[string]string{"approver": l.Approver, "exp": exp, "sig": nonCanonical}, 403},
		{"expiry with a plus sign", "/approvals/" + l.ID, map[string]string{"approver": l.Approver, "exp": "+" + exp, "sig": l.Sig}, 403},
		{"expiry with a leading zero", "/approvals/" + l.ID, map[string]string{"approver": l.Approver, "exp": "0" + exp, "sig": l.Sig}, 403},
		{"an id with a control character", "/approvals/%00", map[string]string{"approver": l.Approver, "exp": exp, "sig": l.Sig}, 403},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp, err := apigw.New(f.h).Handle(context.Background(), events.APIGatewayProxyRequest{HTTPMethod: "GET", Path: tt.path, QueryStringParameters: tt.query})
			if err != nil {
				t.Fatal(err)
			}
			if resp.StatusCode != tt.want {
				t.Errorf("GET = %d, want %d:\n%s", resp.StatusCode, tt.want, resp.Body)
			}
		})
	}
	if _, err := f.svc.Get(context.Background(), "\x00"); !errors.Is(err, ErrNotFound) {
		t.Errorf("Get of an id with a control character = %v, want ErrNotFound", err)
	}
}
