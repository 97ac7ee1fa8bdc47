package archtest

import (
	"bufio"
	"bytes"
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"os/exec"
	"path"
	"path/filepath"
	"strings"
	"testing"
)

const module = "github.com/stewardml/steward"

// layer is where a package sits in the import graph.
type layer int

const (
	domain layer = iota
	edge
	adapter
	cli
	app
	mainPkg
	harness
)

func (l layer) String() string {
	return [...]string{"domain", "edge", "adapter", "cli", "app", "main", "harness"}[l]
}

// placement puts a package and its subpackages (paths relative to the
// module) in a layer; the longest matching path wins and a package no
// prefix matches is domain. Packages whose last element ends in "test"
// are harness whatever their prefix.
var placement = []struct {
	prefix string
	layer  layer
}{
	{"cmd/", mainPkg},
	{"functions/", mainPkg},
	{"bench/", mainPkg},
	{"internal/app", app},
	{"internal/cli", cli},
	{"internal/cloudtwin", harness},
	{"internal/aws/", adapter},
	{"internal/local/", adapter},
	{"internal/asl", adapter},
	{"internal/smtp", adapter},
	{"internal/slack", adapter},
	{"internal/lambdaerr", edge},
	{"internal/httpedge/apigw", edge},
	{"internal/agent/agentfn", edge},
	{"internal/monitor/driftfn", edge},
	{"internal/serving/capturefn", edge},
	{"internal/report/reportfn", edge},
	{"internal/web/dashboardfn", edge},
	{"internal/workflow/tasks", edge},
}

// place returns the layer of pkg, a path relative to the module.
func place(pkg string) layer {
	if strings.HasSuffix(path.Base(pkg), "test") {
		return harness
	}
	best, l := -1, domain
	for _, p := range placement {
		pre := strings.TrimSuffix(p.prefix, "/")
		if (pkg == pre || strings.HasPrefix(pkg, pre+"/")) && len(pre) > best {
			best, l = len(pre), p.layer
		}
	}
	return l
}

// allowed says which layers a layer may import (besides itself, which
// every layer may, with the adapter exception in adapterGroup).
var allowed = map[layer][]layer{
	domain:  {},
	edge:    {domain},
	adapter: {domain},
	cli:     {domain, edge, app},
	app:     {domain, edge, adapter},
	mainPkg: {domain, edge, adapter, cli, app, harness},
	harness: {domain, edge, adapter, cli, app, harness},
}

// adapterGroup names the dependency an adapter package stands for:
// internal/aws/s3 and its subpackages are one group, internal/asl another.
// Adapters never import a package of another group.
func adapterGroup(pkg string) string {
	parts := strings.Split(pkg, "/")
	if len(parts) >= 3 && (parts[1] == "aws" || parts[1] == "local") {
		return strings.Join(parts[:3], "/")
	}
	if len(parts) >= 2 {
		return strings.Join(parts[:2], "/")
	}
	return pkg
}

// forbiddenExternal lists the third-party import paths a layer must not
// use. Only adapters (and app, mains and harnesses, which build them) talk
// to AWS; edges may use aws-lambda-go's events and runtime but not the SDK.
var forbiddenExternal = map[layer][]string{
	domain: {"github.com/aws/aws-sdk-go-v2", "github.com/aws/aws-lambda-go", "github.com/aws/smithy-go"},
	edge:   {"github.com/aws/aws-sdk-go-v2", "github.com/aws/smithy-go"},
	cli:    {"github.com/aws/aws-sdk-go-v2", "github.com/aws/smithy-go", "github.com/aws/aws-lambda-go"},
}

// check returns why the import from → to breaks the rules, or "" if it
// does not. Both are full import paths.
func check(from, to string) string {
	if !strings.HasPrefix(from, module+"/") {
		return ""
	}
	f := strings.TrimPrefix(from, module+"/")
	lf := place(f)
	if !strings.HasPrefix(to, module+"/") {
		for _, bad := range forbiddenExternal[lf] {
			if to == bad || strings.HasPrefix(to, bad+"/") {
				return fmt.Sprintf("%s (%s) imports %s: a %s package never imports %s", f, lf, to, lf, bad)
			}
		}
		return ""
	}
	t := strings.TrimPrefix(to, module+"/")
	lt := place(t)
	if lf == adapter && lt == adapter && adapterGroup(f) != adapterGroup(t) {
		return fmt.Sprintf("%s imports %s: adapters never import one another", f, t)
	}
	if lf == lt {
		return ""
	}
	for _, ok := range allowed[lf] {
		if ok == lt {
			return ""
		}
	}
	return fmt.Sprintf("%s (%s) imports %s (%s): a %s package may import only %v", f, lf, t, lt, lf, allowed[lf])
}

func TestCheckRules(t *testing.T) {
	m := func(p string) string { return module + "/" + p }
	for _, tc := range []struct {
		name, from, to string
		refused        bool
	}{
		{"domain imports domain", m("internal/registry"), m("internal/store"), false},
		{"domain imports an AWS adapter", m("internal/registry"), m("internal/aws/s3"), true},
		{"domain imports a local adapter", m("internal/config"), m("internal/local/scheduler"), true},
		{"domain imports the local ASL runner", m("internal/workflow"), m("internal/asl"), true},
		{"domain imports the AWS SDK", m("internal/monitor"), "github.com/aws/aws-sdk-go-v2/service/s3", true},
		{"domain imports Lambda events", m("internal/approval"), "github.com/aws/aws-lambda-go/events", true},
		{"domain imports the composition root", m("internal/report"), m("internal/app"), true},
		{"domain imports an edge", m("internal/workflow"), m("internal/workflow/tasks"), true},
		{"domain imports a test harness", m("internal/serving"), m("internal/store/storetest"), true},
		{"domain imports the standard library", m("internal/drift"), "math", false},
		{"adapter imports domain", m("internal/aws/s3"), m("internal/store"), false},
		{"adapter imports another adapter", m("internal/smtp"), m("internal/local/outbox"), true},
		{"adapter imports its own subpackage", m("internal/aws/lambdaconcurrency"), m("internal/aws/lambdaconcurrency/inner"), false},
		{"adapter imports the AWS SDK", m("internal/aws/s3"), "github.com/aws/aws-sdk-go-v2/service/s3", false},
		{"cli imports an adapter", m("internal/cli"), m("internal/local/gateway"), true},
		{"cli imports the runner", m("internal/cli"), m("internal/asl"), true},
		{"cli imports app", m("internal/cli"), m("internal/app"), false},
		{"cli imports the AWS SDK", m("internal/cli"), "github.com/aws/aws-sdk-go-v2/aws", true},
		{"edge imports Lambda events", m("internal/httpedge/apigw"), "github.com/aws/aws-lambda-go/events", false},
		{"edge imports the AWS SDK", m("internal/report/reportfn"), "github.com/aws/aws-sdk-go-v2/config", true},
		{"edge imports app", m("internal/web/dashboardfn"), m("internal/app"), true},
		{"edge imports an adapter", m("internal/report/reportfn"), m("internal/aws/s3"), true},
		{"app imports adapters", m("internal/app"), m("internal/aws/dynamodb"), false},
		{"app imports cli", m("internal/app"), m("internal/cli"), true},
		{"main imports app", m("functions/predict"), m("internal/app"), false},
		{"harness imports anything", m("internal/cloudtwin"), m("internal/local/gateway"), false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			why := check(tc.from, tc.to)
			if got := why != ""; got != tc.refused {
				t.Errorf("check(%s, %s) = %q, want refused=%v", tc.from, tc.to, why, tc.refused)
			}
		})
	}
}

// TestImportGraphFollowsTheRules checks every import of every package of
// the module (non-test files; tests may reach for any adapter they run a
// contract suite on) against the rules.
func TestImportGraphFollowsTheRules(t *testing.T) {
	cmd := exec.Command("go", "list", "-f", "{{.ImportPath}} {{join .Imports \" \"}}", module+"/...")
	cmd.Dir = ".."
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("go list: %v\n%s", err, stderr.String())
	}
	pkgs := 0
	sc := bufio.NewScanner(bytes.NewReader(out))
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		fields := strings.Fields(sc.Text())
		if len(fields) == 0 {
			continue
		}
		pkgs++
		for _, imp := range fields[1:] {
			if why := check(fields[0], imp); why != "" {
				t.Error(why)
			}
		}
	}
	if pkgs < 50 {
		t.Fatalf("go list found %d packages; the module has many more", pkgs)
	}
}

// longFunctionsKept are the functions allowed over maxFunctionLines: hot
// loops kept whole on purpose (ARCHITECTURE.md names them), as
// "path:function".
var longFunctionsKept = map[string]bool{
	"internal/ml/gbdt/train.go:growTree": true,
}

// maxFunctionLines bounds a non-test function, declaration to closing brace.
const maxFunctionLines = 150

// TestNoLongFunctions keeps every non-test function of the module at most
// maxFunctionLines long, but the hot loops named in longFunctionsKept.
func TestNoLongFunctions(t *testing.T) {
	fset := token.NewFileSet()
	err := filepath.WalkDir("../..", func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			if n := d.Name(); p != "../.." && (n == "node_modules" || n == "cdk.out" || n == "testdata" || strings.HasPrefix(n, ".")) {
				return filepath.SkipDir
			}
			return nil
		}
		if !strings.HasSuffix(p, ".go") || strings.HasSuffix(p, "_test.go") {
			return nil
		}
		f, err := parser.ParseFile(fset, p, nil, 0)
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel("../..", p)
		for _, decl := range f.Decls {
			fd, ok := decl.(*ast.FuncDecl)
			if !ok || fd.Body == nil {
				continue
			}
			n := fset.Position(fd.End()).Line - fset.Position(fd.Pos()).Line + 1
			if n > maxFunctionLines && !longFunctionsKept[filepath.ToSlash(rel)+":"+fd.Name.Name] {
				t.Errorf("%s: %s is %d lines, over %d: split it, or name it a hot loop in ARCHITECTURE.md and here", rel, fd.Name.Name, n, maxFunctionLines)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}
