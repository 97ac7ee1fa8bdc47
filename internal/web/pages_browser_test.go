package web_test

import (
	"context"
	"io"
	"net/http"
	"net/url"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/stewardml/steward/internal/approval"
)

// goFormatting are what Go's %v of a map, a nil pointer or a slice of
// structs looks like: none may reach a page.
var goFormatting = []string{"map[", "<nil>", "[{"}

// TestEveryPageHoldsUpInTheBrowser opens every dashboard page, the
// decision page (from the dashboard and from a signed email link) and the
// reports, in a state with pending and decided approvals, a rollback,
// drift checks and feedback: no page shows Go formatting of values, every
// link answers 200 (after the documented redirects of /reports/ and
// /evidence/ links), every form posts to an address that exists, and at
// 390 px no page is wider than the screen. With -update-screenshots it
// writes each page at desktop and phone width to docs/screenshots/.
func TestEveryPageHoldsUpInTheBrowser(t *testing.T) {
	if testing.Short() {
		t.Skip("browser test: skipped with -short")
	}
	s := newSite(t, true)
	ctx, cancel := browser(t)
	defer cancel()
	dir := t.TempDir()
	if *updateScreenshots {
		dir = filepath.Join(repoRoot(t), "docs", "screenshots")
	}
	base := s.srv.URL
	exp := time.Now().Add(24 * time.Hour)
	signed := approval.Link{ID: s.approvalID, Approver: email, Exp: exp.Unix(), Sig: approval.Signer{Key: s.p.App.SigningKey}.Sign(s.approvalID, email, exp)}
	pages := []struct{ name, path, wait string }{
		{"models", "/models", "#champion"},
		{"drift", "/drift", "figure svg"},
		{"", "/drift?range=24h", "figure svg"},
		{"", "/drift?range=365d", "figure svg"},
		{"trends", "/trends", "figure svg"},
		{"", "/trends?range=24h", "figure svg"},
		{"", "/trends?range=365d", "figure svg"},
		{"agent", "/agent", "details"},
		{"runs", "/runs", "input[name=compare]"},
		{"runs-compare", "/runs?compare=" + s.runs[0].ID + "&compare=" + s.runs[1].ID, "tr.differs"},
		{"approvals", "/approvals", "a.button"},
		{"approval", "/approvals?request=" + s.approvalID, "button.approve"},
		{"approval-decided", "/approvals?request=" + s.rejectedID, "#comparison"},
		{"approval-link", strings.TrimPrefix(signed.URL(base), base), "button.approve"},
		{"training-report", "/reports/training/" + s.runs[1].ID, "figure svg"},
		{"", "/reports/training/" + s.runs[3].ID, "figure svg"},
		{"drift-report", "/reports/drift/heart/" + s.driftIDs[len(s.driftIDs)-1], "figure svg"},
		{"deployment-report", "/reports/deployment/heart", "h1"},
	}
	signIn(t, ctx, base)
	c, _ := s.signIn(t, operator, password)
	checked := map[string]bool{}
	for _, width := range []int64{1280, 390} {
		if err := chromedp.Do(ctx, chromedp.EmulateViewport(width, 900)); err != nil {
			t.Fatal(err)
		}
		for _, p := range pages {
			if err := chromedp.Do(ctx, chromedp.Navigate(base+p.path), chromedp.WaitVisible(chromedp.CSS(p.wait))); err != nil {
				t.Fatalf("%s at %d px: %v", p.path, width, err)
			}
			if width == 390 {
				w, err := chromedp.Run(ctx, chromedp.Evaluate[int]("document.documentElement.scrollWidth"))
				if err != nil {
					t.Fatal(err)
				}
				if w > 390 {
					wide, _ := chromedp.Run(ctx, chromedp.Evaluate[string](widest))
					t.Errorf("%s is %d px wide at 390 px; widest elements: %s", p.path, w, wide)
				}
				if p.name != "" {
					shot(t, ctx, p.name+"-phone", dir)
				}
				continue
			}
			html, err := chromedp.Run(ctx, chromedp.OuterHTML(chromedp.CSS("html")))
			if err != nil {
				t.Fatal(err)
			}
			text, _ := chromedp.Run(ctx, chromedp.Text(chromedp.CSS("body")))
			for _, bad := range goFormatting {
				if strings.Contains(text, bad) || strings.Contains(html, bad) {
					t.Errorf("%s shows Go formatting %q", p.path, bad)
				}
			}
			links, err := chromedp.Run(ctx, chromedp.Evaluate[[]string](`[...document.querySelectorAll('a[href]')].map(a => a.href)`))
			if err != nil {
				t.Fatal(err)
			}
			for _, l := range links {
				if !checked[l] {
					checked[l] = true
					checkLink(t, c, base, p.path, l)
				}
			}
			forms, err := chromedp.Run(ctx, chromedp.Evaluate[[][]string](`[...document.querySelectorAll('form')].map(f => [f.method, f.action])`))
			if err != nil {
				t.Fatal(err)
			}
			for _, f := range forms {
				checkForm(t, c, p.path, f[0], f[1])
			}
			if p.name == "agent" {
				if err := chromedp.Do(ctx, chromedp.Click(chromedp.CSS("details summary")), chromedp.WaitVisible(chromedp.CSS("details[open] table"))); err != nil {
					t.Fatal(err)
				}
			}
			if p.name != "" {
				shot(t, ctx, p.name, dir)
			}
		}
	}
	if len(checked) < 40 {
		t.Errorf("only %d distinct links were checked", len(checked))
	}
}

// widest lists the elements wider than the viewport, for a failure
// message.
const widest = `[...document.querySelectorAll('body *')].filter(e => e.getBoundingClientRect().right > innerWidth + 1 && !e.closest('table,.scroll')).slice(0, 6).map(e => e.tagName + '.' + e.className + ' ' + Math.round(e.getBoundingClientRect().right) + 'px').join('; ')`

// signIn signs the browser in through the form.
func signIn(t *testing.T, ctx context.Context, base string) {
	t.Helper()
	if err := chromedp.Do(ctx,
		chromedp.Navigate(base+"/signin"),
		chromedp.WaitVisible(chromedp.CSS("#password")),
		chromedp.SendKeys(chromedp.CSS("#name"), operator),
		chromedp.SendKeys(chromedp.CSS("#password"), password),
		chromedp.Submit(chromedp.CSS("#password")),
		chromedp.WaitVisible(chromedp.CSS("#champion")),
	); err != nil {
		t.Fatalf("sign in: %v", err)
	}
}

// checkLink fetches a link of page with the signed-in client, following
// at most three redirects on this site, and wants 200 at the end.
func checkLink(t *testing.T, c *http.Client, base, page, link string) {
	t.Helper()
	if strings.HasPrefix(link, "mailto:") {
		return
	}
	if !strings.HasPrefix(link, base+"/") {
		t.Errorf("%s links off the site: %s", page, link)
		return
	}
	u := link
	for hop := 0; ; hop++ {
		resp, err := c.Get(u)
		if err != nil {
			t.Errorf("%s: link %s: %v", page, link, err)
			return
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if resp.StatusCode == http.StatusSeeOther && hop < 3 {
			loc, err := resp.Request.URL.Parse(resp.Header.Get("Location"))
			if err != nil || !strings.HasPrefix(loc.String(), base+"/") || strings.HasPrefix(loc.Path, "/signin") {
				t.Errorf("%s: link %s redirects to %s", page, link, resp.Header.Get("Location"))
				return
			}
			u = loc.String()
			continue
		}
		if resp.StatusCode != http.StatusOK {
			t.Errorf("%s: link %s answers %d", page, link, resp.StatusCode)
		}
		return
	}
}

// checkForm checks that a form's target exists: a GET form answers 200; a
// POST without its fields is refused for what it lacks (403 for the CSRF
// token, 400 for a decision), never 404 or 405.
func checkForm(t *testing.T, c *http.Client, page, method, action string) {
	t.Helper()
	var resp *http.Response
	var err error
	if strings.EqualFold(method, "get") {
		resp, err = c.Get(action)
	} else {
		resp, err = c.PostForm(action, url.Values{})
	}
	if err != nil {
		t.Errorf("%s: form %s %s: %v", page, method, action, err)
		return
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	switch {
	case strings.EqualFold(method, "get") && resp.StatusCode != http.StatusOK,
		resp.StatusCode == http.StatusNotFound, resp.StatusCode == http.StatusMethodNotAllowed, resp.StatusCode >= 500:
		t.Errorf("%s: form %s %s answers %d", page, method, action, resp.StatusCode)
	}
}
