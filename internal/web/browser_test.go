package web_test

import (
	"context"
	"flag"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/stewardml/steward/internal/approval"
)

var updateScreenshots = flag.Bool("update-screenshots", false, "write the browser test's screenshots to docs/screenshots/")

// chromium returns the browser to drive: $STEWARD_CHROMIUM, else Debian's
// /usr/bin/chromium. Without one the test is skipped locally and fails on
// CI (CI=true), where .ci/run installs it.
func chromium(t *testing.T) string {
	t.Helper()
	for _, p := range []string{os.Getenv("STEWARD_CHROMIUM"), "/usr/bin/chromium", "/usr/bin/chromium-browser"} {
		if p == "" {
			continue
		}
		if _, err := exec.LookPath(p); err == nil {
			return p
		}
	}
	if os.Getenv("CI") == "true" {
		t.Fatal("chromium not found: the browser tests need Debian's chromium (apt-get install chromium)")
	}
	t.Skip("chromium not found: install Debian's chromium (apt-get install chromium) to run the browser tests")
	return ""
}

func browser(t *testing.T) (context.Context, context.CancelFunc) {
	t.Helper()
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(chromium(t)),
		chromedp.Headless,
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.NoFirstRun,
		chromedp.NoDefaultBrowserCheck,
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("hide-scrollbars", true),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(1280, 900),
	}
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancelCtx := chromedp.NewContext(actx)
	ctx, cancelTimeout := context.WithTimeout(ctx, 90*time.Second)
	return ctx, func() { cancelTimeout(); cancelCtx(); cancelAlloc() }
}

// shot takes a full-page PNG screenshot; with -update-screenshots it goes
// to docs/screenshots/{name}.png, otherwise to a temporary directory.
func shot(t *testing.T, ctx context.Context, name, dir string) {
	t.Helper()
	buf, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
	if err != nil {
		t.Fatalf("screenshot %s: %v", name, err)
	}
	if len(buf) < 1000 {
		t.Errorf("screenshot %s is only %d bytes", name, len(buf))
	}
	if err := os.WriteFile(filepath.Join(dir, name+".png"), buf, 0o644); err != nil {
		t.Fatal(err)
	}
}

// TestBrowser drives the dashboard in headless Chromium as an operator
// would: a page without a session lands on the sign-in form; after
// signing in every page renders; a POST whose CSRF token was removed is
// refused; approving the pending request from the Approvals page moves
// champion, which the models page then shows.
func TestBrowser(t *testing.T) {
	if testing.Short() {
		t.Skip("browser test: skipped with -short")
	}
	s := newSite(t, true)
	ctx, cancel := browser(t)
	defer cancel()
	dir := t.TempDir()
	if *updateScreenshots {
		dir = filepath.Join(repoRoot(t), "docs", "screenshots")
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	base := s.srv.URL
	do := func(what string, steps ...chromedp.Action[chromedp.Void]) {
		t.Helper()
		if err := chromedp.Do(ctx, steps...); err != nil {
			t.Fatalf("%s: %v", what, err)
		}
	}
	value := func(what string, a chromedp.Action[string]) string {
		t.Helper()
		v, err := chromedp.Run(ctx, a)
		if err != nil {
			t.Fatalf("%s: %v", what, err)
		}
		return v
	}
	css := func(sel string) chromedp.CSS { return chromedp.CSS(sel) }

	// No session: the models page sends the browser to sign in.
	do("open models without a session", chromedp.Navigate(base+"/models"), chromedp.WaitVisible(css("#password")))
	if loc := value("location", chromedp.Location()); !strings.Contains(loc, "/signin?next=%2Fmodels") {
		t.Errorf("without a session /models went to %s, want the sign-in page", loc)
	}
	shot(t, ctx, "signin", dir)
	do("sign in",
		chromedp.SendKeys(css("#name"), operator),
		chromedp.SendKeys(css("#password"), password),
		chromedp.Submit(css("#password")),
	)
	if os.Getenv("DEBUG_BROWSER") != "" {
		chromedp.Do(ctx, chromedp.Sleep(2*time.Second))
		l, _ := chromedp.Run(ctx, chromedp.Location())
		h, _ := chromedp.Run(ctx, chromedp.OuterHTML(css("body")))
		t.Logf("at %s:\n%.1500s", l, h)
	}
	do("models after sign-in", chromedp.WaitVisible(css("#champion")))
	loc := value("location", chromedp.Location())
	if champ := value("champion", chromedp.Text(css("#champion"))); !strings.HasSuffix(loc, "/models") || champ != "v1" {
		t.Fatalf("after sign-in: at %s with champion %q, want /models and v1", loc, champ)
	}

	pages := []struct{ path, name, wait, want string }{
		{"/drift", "drift", "figure svg", "Latest check"},
		{"/trends", "trends", "figure svg", "Predictions per hour"},
		{"/agent", "agent", "details", "agent.retrain"},
		{"/approvals", "approvals", "a.button", "Pending"},
	}
	for _, p := range pages {
		do("visit "+p.path, chromedp.Navigate(base+p.path), chromedp.WaitVisible(css(p.wait)))
		if body := value("text of "+p.path, chromedp.Text(css("main"))); !strings.Contains(body, p.want) {
			t.Errorf("%s: page text lacks %q", p.path, p.want)
		}
		if p.name == "agent" {
			// Expand the newest decision to show its evidence chain.
			do("expand a decision", chromedp.Click(css("details summary")), chromedp.WaitVisible(css("details[open] table")))
		}
	}

	// The decision page, as the email links show it.
	do("open the pending request", chromedp.Click(css("a.button")), chromedp.WaitVisible(css("button.approve")))
	if h1 := value("title", chromedp.Text(css("h1"))); h1 != "Approve heart version 4?" {
		t.Errorf("decision page title %q", h1)
	}
	// A POST without the CSRF token is refused, and nothing is decided.
	if _, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`document.querySelector('input[name=csrf]').remove(); true`)); err != nil {
		t.Fatal(err)
	}
	do("approve without the csrf token", chromedp.Click(css("button.approve")), chromedp.WaitVisible(css("p.msg")))
	if h1 := value("title", chromedp.Text(css("h1"))); h1 != "Request refused" {
		t.Errorf("POST without the CSRF token: page %q, want Request refused", h1)
	}
	if r, _ := s.approvals.Get(context.Background(), s.approvalID); r.Status != approval.Pending {
		t.Fatalf("the refused POST decided the request: %s", r.Status)
	}
	// Approve for real from the Approvals page.
	do("approve",
		chromedp.Navigate(base+"/approvals"),
		chromedp.Click(css("a.button")),
		chromedp.WaitVisible(css("button.approve")),
		chromedp.SendKeys(css("textarea[name=comment]"), "better recall on the hold-out"),
		chromedp.Click(css("button.approve")),
		chromedp.WaitVisible(css("p.ok")),
	)
	if h1 := value("title", chromedp.Text(css("h1"))); h1 != "Thank you" {
		t.Errorf("after approving: %q", h1)
	}
	do("models again", chromedp.Navigate(base+"/models"), chromedp.WaitVisible(css("#champion")))
	if champ := value("champion", chromedp.Text(css("#champion"))); champ != "v4" {
		t.Errorf("champion after approval: %q, want v4", champ)
	}
	// A report page, as the dashboard links it.
	do("training report", chromedp.Navigate(base+"/reports/training/"+s.runs[1].ID), chromedp.WaitVisible(css("figure svg")))
	if loc := value("location", chromedp.Location()); !strings.Contains(loc, "/view/reports/rendered/training/") {
		t.Errorf("the training report opened at %s", loc)
	}
	// Signing out ends the session.
	do("sign out",
		chromedp.Navigate(base+"/models"),
		chromedp.Click(css(`header form[action$="/signout"] button`)),
		chromedp.WaitVisible(css("#password")),
		chromedp.Navigate(base+"/drift"),
		chromedp.WaitVisible(css("#password")),
	)
}

func repoRoot(t *testing.T) string {
	t.Helper()
	dir, _ := os.Getwd()
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			t.Fatal("no go.mod above the test")
		}
		dir = parent
	}
}
