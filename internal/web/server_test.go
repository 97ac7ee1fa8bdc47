package web_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"regexp"
	"strings"
	"sync"
	"testing"

	"github.com/stewardml/steward/internal/httpedge/apigw"

	"github.com/aws/aws-lambda-go/events"

	"github.com/stewardml/steward/internal/approval"
	"github.com/stewardml/steward/internal/ml/eval"
	"github.com/stewardml/steward/internal/registry"
	"github.com/stewardml/steward/internal/web"
)

func newJar() http.CookieJar {
	j, _ := cookiejar.New(nil)
	return j
}

var (
	sharedOnce sync.Once
	shared     *site
)

// sharedSite is one site for the read-only tests of this file; tests that
// decide approvals build their own.
func sharedSite(t testing.TB) *site {
	t.Helper()
	sharedOnce.Do(func() { shared = newSite(&keepAlive{TB: t}, true) })
	if shared == nil {
		t.Fatal("the shared site could not be built")
	}
	return shared
}

// keepAlive keeps the shared site's directory and server for the whole
// run: the process exit removes them.
type keepAlive struct{ testing.TB }

func (k *keepAlive) Cleanup(func()) {}
func (k *keepAlive) TempDir() string {
	dir, err := mkdirTemp()
	if err != nil {
		k.TB.Fatal(err)
	}
	cleanupMu.Lock()
	cleanups = append(cleanups, func() { os.RemoveAll(dir) })
	cleanupMu.Unlock()
	return dir
}

func get(t *testing.T, c *http.Client, u string) (*http.Response, string) {
	t.Helper()
	resp, err := c.Get(u)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp, string(b)
}

func post(t *testing.T, c *http.Client, u string, form url.Values) (*http.Response, string) {
	t.Helper()
	resp, err := c.PostForm(u, form)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp, string(b)
}

var csrfRE = regexp.MustCompile(`name="csrf" value="([^"]+)"`)

func csrfOf(t *testing.T, body string) string {
	t.Helper()
	m := csrfRE.FindStringSubmatch(body)
	if m == nil {
		t.Fatalf("no csrf field in page:\n%.400s", body)
	}
	return m[1]
}

// signIn signs in through the form and returns the session's client.
func (s *site) signIn(t *testing.T, name, pw string) (*http.Client, *http.Response) {
	t.Helper()
	c := s.client(t)
	_, body := get(t, c, s.srv.URL+"/signin?next=%2Fapprovals")
	resp, _ := post(t, c, s.srv.URL+"/signin", url.Values{"csrf": {csrfOf(t, body)}, "name": {name}, "password": {pw}, "next": {"/approvals"}})
	return c, resp
}

func TestPagesWithoutSessionRedirectToSignIn(t *testing.T) {
	s := sharedSite(t)
	c := s.client(t)
	for _, p := range []string{"/", "/models", "/drift?range=7d", "/approvals", "/trends", "/agent", "/view/reports/rendered/x.html", "/reports/training/x"} {
		resp, _ := get(t, c, s.srv.URL+p)
		loc := resp.Header.Get("Location")
		if resp.StatusCode != http.StatusSeeOther || !strings.HasPrefix(loc, "/signin?next=") {
			t.Errorf("GET %s: %d Location %q, want 303 to /signin?next=…", p, resp.StatusCode, loc)
		}
	}
	resp, _ := post(t, c, s.srv.URL+"/approvals?request="+s.approvalID, url.Values{"decision": {"approve"}})
	if resp.StatusCode != http.StatusForbidden {
		t.Errorf("POST without a session: %d, want 403", resp.StatusCode)
	}
}

func TestSignInSetsAHardenedSessionCookie(t *testing.T) {
	s := sharedSite(t)
	_, resp := s.signIn(t, operator, password)
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/approvals" {
		t.Fatalf("sign-in: %d to %q, want 303 to /approvals", resp.StatusCode, resp.Header.Get("Location"))
	}
	var session string
	for _, c := range resp.Header.Values("Set-Cookie") {
		if strings.HasPrefix(c, "steward_session=") {
			session = c
		}
	}
	for _, want := range []string{"HttpOnly", "SameSite=Strict", "Path=/", "Max-Age=43200"} {
		if !strings.Contains(session, want) {
			t.Errorf("session cookie %q lacks %s", session, want)
		}
	}
	// Over plain http to 127.0.0.1 with InsecureLoopback, Secure is dropped.
	if strings.Contains(session, "Secure") {
		t.Errorf("session cookie %q is Secure on plain-http loopback", session)
	}
}

func TestCookiesAreSecureUnlessLoopbackIsAllowed(t *testing.T) {
	s := sharedSite(t)
	h, err := web.New(web.Config{Records: s.p.App.Records, Artifacts: s.p.App.Artifacts, Registry: s.p.App.Registry(),
		Audit: s.p.App.Audit(), Approvals: s.approvals, SigningKey: s.p.App.SigningKey, Now: s.p.Clock.Now})
	if err != nil {
		t.Fatal(err)
	}
	resp, err := apigw.New(h).Handle(context.Background(), proxyGet("/signin", "127.0.0.1:8080"))
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range resp.MultiValueHeaders["Set-Cookie"] {
		if !strings.Contains(c, "; Secure") || !strings.Contains(c, "HttpOnly") || !strings.Contains(c, "SameSite=Strict") {
			t.Errorf("cookie %q: want Secure, HttpOnly, SameSite=Strict", c)
		}
	}
}

func TestWrongPasswordIsRefusedAndThrottled(t *testing.T) {
	s := sharedSite(t)
	for i := 0; i < 5; i++ {
		_, resp := s.signIn(t, "bob", "not the password")
		if resp.StatusCode != http.StatusUnauthorized {
			t.Fatalf("attempt %d: %d, want 401", i+1, resp.StatusCode)
		}
	}
	_, resp := s.signIn(t, "bob", "not the password")
	if resp.StatusCode != http.StatusTooManyRequests {
		t.Errorf("sixth failure: %d, want 429", resp.StatusCode)
	}
}

func TestSignInWithoutCSRFIsRefused(t *testing.T) {
	s := sharedSite(t)
	c := s.client(t)
	get(t, c, s.srv.URL+"/signin")
	resp, body := post(t, c, s.srv.URL+"/signin", url.Values{"name": {operator}, "password": {password}})
	if resp.StatusCode != http.StatusForbidden || !strings.Contains(body, "CSRF") {
		t.Errorf("sign-in without csrf: %d, want 403 naming CSRF", resp.StatusCode)
	}
}

func TestEveryPageRenders(t *testing.T) {
	s := sharedSite(t)
	c, _ := s.signIn(t, operator, password)
	r2 := s.runs[1]
	pages := map[string][]string{
		"/models": {"Model performance: heart", `id="champion">v1`, `id="challenger">v4`, "Champion against challenger", "ROC on the hold-out", "/reports/training/" + r2.ID, "Champion history",
			"Each version on <b>its own</b> hold-out", "Hold-out ROC AUC", `id="live"`, `<span class="verdict v-rejected">rejected</span>`, `<span class="verdict v-rollback">rollback</span>`},
		"/drift":             {"Drift analysis: heart", "Drift score", "Latest check", "thal", "adjusted p", "Reference against current", "Recent checks", "drifts when", "data: captures", "file processed.hungarian.data", "typical angina", "chol (mg/dl)"},
		"/drift?range=365d":  {"highest drift score of the day"},
		"/approvals":         {"Pending", "v4", "/approvals?request=" + s.approvalID, "You decide as <b>" + email},
		"/trends":            {"Historical trends: heart", "Predictions per hour", "Latency percentiles", "Distribution of predicted probabilities", "Realised performance"},
		"/trends?range=365d": {"Predictions per day"},
		"/agent":             {"Agent activity: heart", "agent.retrain", "rule retrain-with-approval", "drift.checked", "<details>"},
	}
	pages["/trends"] = append(pages["/trends"], ">"+web.FormatCount(int64(s.captured))+"<")
	for p, wants := range pages {
		resp, body := get(t, c, s.srv.URL+p)
		if resp.StatusCode != http.StatusOK {
			t.Errorf("GET %s: %d\n%.600s", p, resp.StatusCode, body)
			continue
		}
		for _, w := range wants {
			if !strings.Contains(body, w) {
				t.Errorf("GET %s: page lacks %q", p, w)
			}
		}
		if strings.Contains(body, "<script") {
			t.Errorf("GET %s: the page has a script", p)
		}
		if csp := resp.Header.Get("Content-Security-Policy"); !strings.Contains(csp, "default-src 'none'") {
			t.Errorf("GET %s: CSP %q", p, csp)
		}
	}
}

func TestReportLinksRenderOnFirstUse(t *testing.T) {
	s := sharedSite(t)
	c, _ := s.signIn(t, operator, password)
	for _, p := range []string{"/reports/training/" + s.runs[1].ID, "/reports/drift/heart/" + s.driftIDs[0] + "?format=pdf", "/reports/deployment/heart"} {
		resp, _ := get(t, c, s.srv.URL+p)
		loc := resp.Header.Get("Location")
		if resp.StatusCode != http.StatusSeeOther || !strings.HasPrefix(loc, "/view/reports/rendered/") {
			t.Fatalf("GET %s: %d to %q", p, resp.StatusCode, loc)
		}
		resp, body := get(t, c, s.srv.URL+loc)
		ct := resp.Header.Get("Content-Type")
		if resp.StatusCode != http.StatusOK || !(strings.HasPrefix(body, "<!doctype html>") && strings.HasPrefix(ct, "text/html") || strings.HasPrefix(body, "%PDF-") && ct == "application/pdf") {
			t.Errorf("GET %s: %d %s %.40q", loc, resp.StatusCode, ct, body)
		}
	}
	for _, p := range []string{"/view/bundles/sha256/abc.tar", "/view/captures/heart/x.jsonl", "/view/reports/rendered/../../x", "/reports/training/..%2Fx", "/reports/weekly/x"} {
		resp, _ := get(t, c, s.srv.URL+p)
		if resp.StatusCode != http.StatusNotFound {
			t.Errorf("GET %s: %d, want 404", p, resp.StatusCode)
		}
	}
}

// TestApproveFromTheDashboard decides through the dashboard's form: a POST
// without the CSRF token is refused and changes nothing; with it, the same
// approval.Service.Decide runs and champion moves.
func TestApproveFromTheDashboard(t *testing.T) {
	s := newSite(t, true)
	ctx := context.Background()
	c, _ := s.signIn(t, operator, password)
	_, page := get(t, c, s.srv.URL+"/approvals?request="+s.approvalID)
	if !strings.Contains(page, "Approve heart version 4?") || !strings.Contains(page, "Deciding as <b>"+email) {
		t.Fatalf("decision page:\n%.800s", page)
	}
	action := "/approvals?request=" + s.approvalID
	resp, _ := post(t, c, s.srv.URL+action, url.Values{"decision": {"approve"}})
	if resp.StatusCode != http.StatusForbidden {
		t.Errorf("POST without csrf: %d, want 403", resp.StatusCode)
	}
	resp, _ = post(t, c, s.srv.URL+action, url.Values{"decision": {"approve"}, "csrf": {"forged" + csrfOf(t, page)[6:]}})
	if resp.StatusCode != http.StatusForbidden {
		t.Errorf("POST with a forged csrf: %d, want 403", resp.StatusCode)
	}
	if r, _ := s.approvals.Get(ctx, s.approvalID); r.Status != approval.Pending {
		t.Fatalf("after refused posts the request is %s", r.Status)
	}
	resp, body := post(t, c, s.srv.URL+action, url.Values{"decision": {"approve"}, "comment": {"looks right"}, "csrf": {csrfOf(t, page)}})
	if resp.StatusCode != http.StatusOK || !strings.Contains(body, "Thank you") {
		t.Fatalf("approve: %d\n%.600s", resp.StatusCode, body)
	}
	r, _ := s.approvals.Get(ctx, s.approvalID)
	if r.Status != approval.Approved || r.Decision.By != email || !r.CallbackDone {
		t.Errorf("request after approval: %+v", r)
	}
	champ, err := s.p.App.Registry().Alias(ctx, "heart", registry.Champion)
	if err != nil || champ.Version != 4 {
		t.Errorf("champion = %+v, %v; want version 4", champ, err)
	}
	_, models := get(t, c, s.srv.URL+"/models")
	if !strings.Contains(models, `id="champion">v4`) {
		t.Error("the models page does not show v4 as champion")
	}
	// Deciding twice is refused with the first decision shown.
	resp, body = post(t, c, s.srv.URL+action, url.Values{"decision": {"reject"}, "csrf": {csrfOf(t, page)}})
	if resp.StatusCode != http.StatusConflict || !strings.Contains(body, "approved by "+email) {
		t.Errorf("second decision: %d", resp.StatusCode)
	}
}

func TestSessionEndsWhenTheOperatorIsDeleted(t *testing.T) {
	s := newSite(t, true)
	ctx := context.Background()
	if _, err := s.h.Operators().Create(ctx, "carol", "", "another long password"); err != nil {
		t.Fatal(err)
	}
	c, _ := s.signIn(t, "carol", "another long password")
	if resp, _ := get(t, c, s.srv.URL+"/models"); resp.StatusCode != http.StatusOK {
		t.Fatalf("signed in: %d", resp.StatusCode)
	}
	if err := s.h.Operators().Delete(ctx, "carol"); err != nil {
		t.Fatal(err)
	}
	if resp, _ := get(t, c, s.srv.URL+"/models"); resp.StatusCode != http.StatusSeeOther {
		t.Errorf("after delete: %d, want 303 to sign-in", resp.StatusCode)
	}
	// Carol is no approver: her decision page says so and has no form.
	if _, err := s.h.Operators().Create(ctx, "carol", "", "another long password"); err != nil {
		t.Fatal(err)
	}
	c, _ = s.signIn(t, "carol", "another long password")
	_, page := get(t, c, s.srv.URL+"/approvals?request="+s.approvalID)
	if !strings.Contains(page, "not among this request") || strings.Contains(page, `name="decision"`) {
		t.Errorf("non-approver page:\n%.600s", page)
	}
	if err := s.h.Operators().Delete(ctx, "nobody"); !errors.Is(err, web.ErrNoOperator) {
		t.Errorf("delete unknown: %v", err)
	}
}

func mkdirTemp() (string, error) { return os.MkdirTemp("", "steward-web-") }

// proxyGet is a GET proxy event as API Gateway sends it.
func proxyGet(path, host string) events.APIGatewayProxyRequest {
	return events.APIGatewayProxyRequest{HTTPMethod: "GET", Path: path, Headers: map[string]string{"Host": host}}
}

// TestDecisionPageComparesOnTheSameRows checks the decision page as an
// approver reads it: both versions' figures come from the same rows, which
// the page names with their class balance; each version's F1 is the one
// its confusion matrix on those rows gives; the selection metric comes
// first; and a candidate whose bundle was already rejected is flagged.
func TestDecisionPageComparesOnTheSameRows(t *testing.T) {
	s := sharedSite(t)
	c, _ := s.signIn(t, operator, password)
	req, err := s.approvals.Get(context.Background(), s.approvalID)
	if err != nil {
		t.Fatal(err)
	}
	cmp := req.Compared
	if cmp == nil || cmp.Champion == nil {
		t.Fatalf("the request records no comparison with the champion: %+v", req)
	}
	for who, m := range map[string]eval.Confusion{"candidate": cmp.Candidate, "champion": *cmp.Champion} {
		if n := m.TP + m.FP + m.TN + m.FN; n != cmp.Rows {
			t.Errorf("%s's confusion matrix counts %d rows, the comparison %d", who, n, cmp.Rows)
		}
		if p := m.TP + m.FN; p != cmp.Positives {
			t.Errorf("%s's confusion matrix has %d positives, the comparison %d", who, p, cmp.Positives)
		}
	}
	if got, want := req.Candidate["f1"], cmp.Candidate.F1(); math.Abs(got-want) > 1e-12 {
		t.Errorf("candidate F1 %v, its confusion matrix on the compared rows gives %v", got, want)
	}
	if got, want := req.Champion["f1"], cmp.Champion.F1(); math.Abs(got-want) > 1e-12 {
		t.Errorf("champion F1 %v, its confusion matrix on the compared rows gives %v", got, want)
	}
	_, page := get(t, c, s.srv.URL+"/approvals?request="+s.approvalID)
	wants := []string{
		fmt.Sprintf("Both versions scored on the same <b>%d rows</b>", cmp.Rows),
		"dataset " + cmp.Dataset[:12],
		fmt.Sprintf("Class balance: %d positive, %d negative.", cmp.Positives, cmp.Rows-cmp.Positives),
		`<th class="n">candidate v4</th><th class="n">champion v1</th><th class="n">difference</th>`,
		fmt.Sprintf("<tr class=\"sel\"><td>F1 <span class=\"tag\">(selection metric)</span></td>\n<td class=\"n\">%.4f", req.Candidate["f1"]),
		fmt.Sprintf("%.4f", req.Champion["f1"]),
		"Log loss <span class=\"tag\">(lower is better)</span>",
		"95 % CI", "Sensitivity", "Specificity", "actually positive",
		`id="same-as-rejected"`, "rejected on", "as version 3",
		"candidate v4 training report", "training dataset " + cmp.Dataset[:12],
		"lower sensitivity than the champion",
	}
	for _, w := range wants {
		if !strings.Contains(page, w) {
			t.Errorf("decision page lacks %q", w)
		}
	}
	// The rejected v3's own page has nothing identical before it.
	_, page = get(t, c, s.srv.URL+"/approvals?request="+s.rejectedID)
	if strings.Contains(page, `id="same-as-rejected"`) {
		t.Error("the rejected request is flagged as identical to itself")
	}
}
