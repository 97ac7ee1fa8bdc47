package workflows

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"

	"github.com/rhysd/actionlint"
)

// ErrLint wraps failures to run the linter (not problems it finds).
var ErrLint = errors.New("workflows: lint")

// Problem is one actionlint finding.
type Problem struct {
	File    string
	Line    int
	Column  int
	Rule    string // actionlint's rule kind, e.g. "expression"
	Message string
}

func (p Problem) String() string {
	return fmt.Sprintf("%s:%d:%d: %s [%s]", p.File, p.Line, p.Column, p.Message, p.Rule)
}

// Files returns the workflow files (*.yml, *.yaml) of a repository's
// .github/workflows, sorted.
func Files(repoRoot string) ([]string, error) {
	var files []string
	for _, pattern := range []string{"*.yml", "*.yaml"} {
		m, err := filepath.Glob(filepath.Join(repoRoot, ".github", "workflows", pattern))
		if err != nil {
			return nil, fmt.Errorf("%w: %w", ErrLint, err)
		}
		files = append(files, m...)
	}
	sort.Strings(files)
	return files, nil
}

// Lint runs actionlint over one workflow. External checkers (shellcheck,
// pyflakes) stay off so that the result does not depend on what the
// machine has installed.
func Lint(path string, content []byte) ([]Problem, error) {
	l, err := actionlint.NewLinter(io.Discard, &actionlint.LinterOptions{})
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrLint, err)
	}
	errs, err := l.Lint(path, content, nil)
	if err != nil {
		return nil, fmt.Errorf("%w: %s: %w", ErrLint, path, err)
	}
	out := make([]Problem, len(errs))
	for i, e := range errs {
		out[i] = Problem{File: path, Line: e.Line, Column: e.Column, Rule: e.Kind, Message: e.Message}
	}
	return out, nil
}

// LintFile reads and lints one workflow file.
func LintFile(path string) ([]Problem, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrLint, err)
	}
	return Lint(path, b)
}

// readWorkflow reads .github/workflows/name of a repository.
func readWorkflow(repoRoot, name string) ([]byte, error) {
	b, err := os.ReadFile(filepath.Join(repoRoot, ".github", "workflows", name))
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrLint, err)
	}
	return b, nil
}
