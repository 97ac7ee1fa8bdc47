package workflows

import (
	"path/filepath"
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

func TestDeployAssumesARoleWithOIDCAfterApproval(t *testing.T) {
	w := parse(t, "deploy.yml")
	if !pushesTo(w, "main") {
		t.Errorf("deploy.yml does not run on pushes to main")
	}
	if hasEvent(w, "pull_request") || hasEvent(w, "pull_request_target") {
		t.Errorf("deploy.yml runs on pull requests")
	}
	p := w.Permissions
	if p == nil || p.Scopes["id-token"] == nil || p.Scopes["id-token"].Value.Value != "write" {
		t.Errorf("deploy.yml cannot request an OIDC token (permissions id-token: write)")
	}
	runs, _, inputs := steps(w)
	if len(w.Jobs) != 1 {
		t.Fatalf("deploy.yml has %d jobs, want 1", len(w.Jobs))
	}
	for id, j := range w.Jobs {
		if j.Environment == nil || j.Environment.Name == nil || j.Environment.Name.Value != "production" {
			t.Errorf("job %s does not run in the production environment (its required reviewers are the manual approval)", id)
		}
		if !strings.Contains(strings.Join(runs[id], "\n"), "make deploy") {
			t.Errorf("job %s does not run make deploy", id)
		}
	}
	var creds map[string]string
	for uses, in := range inputs {
		if strings.HasPrefix(uses, "aws-actions/configure-aws-credentials@") {
			creds = in
		}
	}
	if creds == nil {
		t.Fatal("deploy.yml does not use aws-actions/configure-aws-credentials")
	}
	if got := creds["role-to-assume"]; got != "${{ vars.AWS_DEPLOY_ROLE_ARN }}" {
		t.Errorf("role-to-assume = %q, want it from the AWS_DEPLOY_ROLE_ARN variable", got)
	}
	for _, key := range []string{"aws-access-key-id", "aws-secret-access-key"} {
		if _, ok := creds[key]; ok {
			t.Errorf("deploy.yml passes %s: long-lived keys instead of OIDC", key)
		}
	}
}
