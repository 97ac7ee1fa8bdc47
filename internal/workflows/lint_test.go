package workflows

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/rhysd/actionlint"
)

func repoRoot(t *testing.T) string {
	t.Helper()
	root, err := filepath.Abs(filepath.Join("..", ".."))
	if err != nil {
		t.Fatal(err)
	}
	return root
}

func TestShippedWorkflowsPassActionlint(t *testing.T) {
	files, err := Files(repoRoot(t))
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, f := range files {
		names = append(names, filepath.Base(f))
	}
	if got, want := strings.Join(names, ","), "ci.yml,deploy.yml"; got != want {
		t.Errorf("workflows = %s, want %s", got, want)
	}
	for _, f := range files {
		problems, err := LintFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, p := range problems {
			t.Errorf("%s", p)
		}
	}
}

func TestLintFindsMistakes(t *testing.T) {
	tests := []struct {
		name, workflow, rule string
	}{
		{"unknown context", `on: push
jobs:
  a:
    runs-on: ubuntu-24.04
    steps:
      - run: echo ${{ secret.TOKEN }}
`, "expression"},
		{"unknown action input", `on: push
jobs:
  a:
    runs-on: ubuntu-24.04
    steps:
      - uses: aws-actions/configure-aws-credentials@v6
        with:
          role-to-asume: arn:aws:iam::123456789012:role/x
          aws-region: us-east-1
`, "action"},
		{"job needing a missing job", `on: push
jobs:
  a:
    runs-on: ubuntu-24.04
    needs: [b]
    steps:
      - run: make test
`, "job-needs"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			problems, err := Lint("bad.yml", []byte(tt.workflow))
			if err != nil {
				t.Fatal(err)
			}
			found := false
			for _, p := range problems {
				found = found || p.Rule == tt.rule
			}
			if !found {
				t.Errorf("problems = %v, want one of rule %q", problems, tt.rule)
			}
		})
	}
}

// parse reads a shipped workflow into actionlint's syntax tree.
func parse(t *testing.T, name string) *actionlint.Workflow {
	t.Helper()
	b, err := readWorkflow(repoRoot(t), name)
	if err != nil {
		t.Fatal(err)
	}
	w, errs := actionlint.Parse(b)
	if len(errs) > 0 {
		t.Fatalf("%s: %v", name, errs)
	}
	return w
}

// pushesTo reports whether the workflow runs on pushes to branch.
func pushesTo(w *actionlint.Workflow, branch string) bool {
	for _, e := range w.On {
		if h, ok := e.(*actionlint.WebhookEvent); ok && h.Hook.Value == "push" && h.Branches != nil {
			for _, b := range h.Branches.Values {
				if b.Value == branch {
					return true
				}
			}
		}
	}
	return false
}

func hasEvent(w *actionlint.Workflow, hook string) bool {
	for _, e := range w.On {
		if h, ok := e.(*actionlint.WebhookEvent); ok && h.Hook.Value == hook {
			return true
		}
	}
	return false
}

// runs returns every run: script of the workflow's jobs, and every action
// a step uses, with the job it belongs to.
func steps(w *actionlint.Workflow) (runs, uses map[string][]string, inputs map[string]map[string]string) {
	runs, uses, inputs = map[string][]string{}, map[string][]string{}, map[string]map[string]string{}
	for id, j := range w.Jobs {
		for _, s := range j.Steps {
			switch e := s.Exec.(type) {
			case *actionlint.ExecRun:
				runs[id] = append(runs[id], e.Run.Value)
			case *actionlint.ExecAction:
				uses[id] = append(uses[id], e.Uses.Value)
				in := map[string]string{}
				for k, v := range e.Inputs {
					in[k] = v.Value.Value
				}
				inputs[e.Uses.Value] = in
			}
		}
	}
	return runs, uses, inputs
}

func TestCILintsTestsAndSynthesizesOnPushesAndPullRequests(t *testing.T) {
	w := parse(t, "ci.yml")
	if !pushesTo(w, "main") || !hasEvent(w, "pull_request") {
		t.Errorf("ci.yml does not run on pushes to main and on pull requests")
	}
	runs, uses, _ := steps(w)
	var all []string
	for _, r := range runs {
		all = append(all, r...)
	}
	script := strings.Join(all, "\n")
	for _, want := range []string{"make lint", "make test-go", "make test-infra", "make synth"} {
		if !strings.Contains(script, want) {
			t.Errorf("ci.yml never runs %q", want)
		}
	}
	for job, actions := range uses {
		a := strings.Join(actions, ",")
		if !strings.Contains(a, "actions/setup-go@") {
			t.Errorf("ci.yml job %s does not set up Go", job)
		}
		if job != "lint" && !strings.Contains(a, "actions/setup-node@") {
			t.Errorf("ci.yml job %s does not set up Node.js", job)
		}
	}
	if p := w.Permissions; p == nil || p.Scopes["contents"] == nil || p.Scopes["contents"].Value.Value != "read" || len(p.Scopes) != 1 {
		t.Errorf("ci.yml permissions are not read-only contents")
	}
}

// Deploy runs only after CI passed on the same commit, in the order CI →
// staging → smoke → diff → production, the production job waiting for the
// environment's reviewers, and every job on OIDC credentials.
func TestDeployFollowsCIThroughStagingSmokeAndADiffToApprovedProduction(t *testing.T) {
	w := parse(t, "deploy.yml")
	if pushesTo(w, "main") || hasEvent(w, "push") || hasEvent(w, "pull_request") || hasEvent(w, "pull_request_target") || hasEvent(w, "workflow_dispatch") {
		t.Errorf("deploy.yml runs on an event other than CI's completion")
	}
	var run *actionlint.WebhookEvent
	for _, e := range w.On {
		if h, ok := e.(*actionlint.WebhookEvent); ok && h.Hook.Value == "workflow_run" {
			run = h
		}
	}
	if run == nil || len(run.Workflows) != 1 || run.Workflows[0].Value != "CI" || run.Branches == nil ||
		len(run.Branches.Values) != 1 || run.Branches.Values[0].Value != "main" || len(run.Types) != 1 || run.Types[0].Value != "completed" {
		t.Fatalf("deploy.yml is not triggered by CI completing on main")
	}
	p := w.Permissions
	if p == nil || p.Scopes["id-token"] == nil || p.Scopes["id-token"].Value.Value != "write" {
		t.Errorf("deploy.yml cannot request an OIDC token (permissions id-token: write)")
	}

	order := []string{"staging", "smoke", "diff", "production"}
	if len(w.Jobs) != len(order) {
		t.Errorf("deploy.yml has %d jobs, want %v", len(w.Jobs), order)
	}
	for i, id := range order {
		j := w.Jobs[id]
		if j == nil {
			t.Fatalf("deploy.yml has no job %s", id)
		}
		var needs []string
		for _, n := range j.Needs {
			needs = append(needs, n.Value)
		}
		want := ""
		if i > 0 {
			want = order[i-1]
		}
		if strings.Join(needs, ",") != want {
			t.Errorf("job %s needs %v, want %q", id, needs, want)
		}
	}
	gate := w.Jobs["staging"].If
	if gate == nil || !strings.Contains(gate.Value, "github.event.workflow_run.conclusion == 'success'") ||
		!strings.Contains(gate.Value, "github.event.workflow_run.event == 'push'") {
		t.Errorf("staging does not require CI's success on a push: if = %v", gate)
	}
	env := func(id string) string {
		if e := w.Jobs[id].Environment; e != nil && e.Name != nil {
			return e.Name.Value
		}
		return ""
	}
	if env("production") != "production" || env("staging") != "staging" || env("smoke") != "staging" {
		t.Errorf("environments: staging %q, smoke %q, production %q", env("staging"), env("smoke"), env("production"))
	}

	runs, _, _ := steps(w)
	script := func(id string) string { return strings.Join(runs[id], "\n") }
	for id, want := range map[string][]string{
		"staging":    {"infra/deploy/context.sh staging", "make deploy"},
		"smoke":      {"infra/deploy/smoke.sh staging"},
		"diff":       {"infra/deploy/context.sh prod", "cdk diff", "GITHUB_STEP_SUMMARY"},
		"production": {"infra/deploy/context.sh prod", "make deploy"},
	} {
		for _, s := range want {
			if !strings.Contains(script(id), s) {
				t.Errorf("job %s never runs %q", id, s)
			}
		}
	}
	if strings.Contains(script("diff"), "make deploy") || strings.Contains(script("smoke"), "make deploy") {
		t.Errorf("a job before production's approval deploys production")
	}

	for id, j := range w.Jobs {
		var creds map[string]string
		checkout := false
		for _, st := range j.Steps {
			a, ok := st.Exec.(*actionlint.ExecAction)
			if !ok {
				continue
			}
			in := map[string]string{}
			for k, v := range a.Inputs {
				in[k] = v.Value.Value
			}
			switch {
			case strings.HasPrefix(a.Uses.Value, "aws-actions/configure-aws-credentials@"):
				creds = in
			case strings.HasPrefix(a.Uses.Value, "actions/checkout@"):
				checkout = in["ref"] == "${{ env.COMMIT }}"
			}
		}
		if !checkout {
			t.Errorf("job %s does not check out the commit CI tested", id)
		}
		if creds == nil {
			t.Errorf("job %s does not use aws-actions/configure-aws-credentials", id)
			continue
		}
		if got := creds["role-to-assume"]; got != "${{ vars.AWS_DEPLOY_ROLE_ARN }}" {
			t.Errorf("job %s role-to-assume = %q, want it from the AWS_DEPLOY_ROLE_ARN variable", id, got)
		}
		for _, key := range []string{"aws-access-key-id", "aws-secret-access-key"} {
			if _, ok := creds[key]; ok {
				t.Errorf("job %s passes %s: long-lived keys instead of OIDC", id, key)
			}
		}
	}
	if e := w.Env; e == nil || e.Vars["commit"] == nil || e.Vars["commit"].Value.Value != "${{ github.event.workflow_run.head_sha }}" {
		t.Errorf("deploy.yml's COMMIT is not the commit CI ran on")
	}
}

var pinned = regexp.MustCompile(`^[\w.-]+/[\w./-]+@[0-9a-f]{40}$`)

// Every action of every workflow is pinned by a full commit SHA, with
// the release tag it was taken from in a comment on the same line.
func TestEveryActionIsPinnedByCommitSHA(t *testing.T) {
	files, err := Files(repoRoot(t))
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		lines := strings.Split(string(b), "\n")
		w := parse(t, filepath.Base(f))
		_, uses, _ := steps(w)
		n := 0
		for _, actions := range uses {
			for _, a := range actions {
				n++
				if !pinned.MatchString(a) {
					t.Errorf("%s: %s is not pinned by commit SHA", filepath.Base(f), a)
					continue
				}
				for _, l := range lines {
					if strings.Contains(l, a) && !regexp.MustCompile(`@[0-9a-f]{40} # v\d+(\.\d+)*$`).MatchString(strings.TrimSpace(l)) {
						t.Errorf("%s: %q does not name the release tag of its SHA", filepath.Base(f), strings.TrimSpace(l))
					}
				}
			}
		}
		if n == 0 {
			t.Errorf("%s uses no action", filepath.Base(f))
		}
	}
}
