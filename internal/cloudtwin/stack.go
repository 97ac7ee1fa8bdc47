package cloudtwin

import (
	"errors"
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"time"
)

// ErrStack reports a stack definition the twin could not read.
var ErrStack = errors.New("cloudtwin: reading the stack's definition")

// Function is one Lambda of the stack, as infra/stack/functions.go
// declares it.
type Function struct {
	Name     string
	MemoryMB int
	Timeout  time.Duration
	// Access holds the names of the stack's permission bits the function
	// is given (ReadArtifacts, WriteRecords, SendEmail, ...).
	Access map[string]bool
	// WritePrefixes are the key prefixes WriteArtifacts and PutArtifacts
	// may put under.
	WritePrefixes []string
}

// Has reports whether the function is given the permission named bit.
func (f Function) Has(bit string) bool { return f.Access[bit] }

// MayPut reports whether the function may put key (relative to the
// bucket): WriteArtifacts or PutArtifacts, under one of its prefixes.
func (f Function) MayPut(key string) bool {
	if !f.Has("WriteArtifacts") && !f.Has("PutArtifacts") {
		return false
	}
	for _, p := range f.WritePrefixes {
		if strings.HasPrefix(key, p) {
			return true
		}
	}
	return false
}

// MayRead reports whether the function may read artifacts.
func (f Function) MayRead() bool { return f.Has("ReadArtifacts") || f.Has("WriteArtifacts") }

// Stack is what the twin mirrors of the CDK stack: its functions, the
// environment variable names it sets on them and its other string
// constants (the configuration key, the capture filter pattern).
type Stack struct {
	Functions map[string]Function
	// Env maps each Env* constant of infra/stack to the variable name.
	Env map[string]string
	// Consts holds every string constant of infra/stack by name, its
	// value evaluated ("artifact:" + ConfigKey included).
	Consts map[string]string
}

// Const returns the stack's string constant name, or an error wrapping
// ErrStack when it has none.
func (s *Stack) Const(name string) (string, error) {
	v, ok := s.Consts[name]
	if !ok {
		return "", fmt.Errorf("%w: infra/stack declares no string constant %s", ErrStack, name)
	}
	return v, nil
}

// ReadStack reads the stack's function table (infra/stack/functions.go)
// and string constants (the Env* names among them) under the repository
// root.
// The CDK app is its own Go module, too heavy to link into tests, so the
// twin reads its source: the stack stays the one place that says what
// each function may do and how it is configured.
func ReadStack(root string) (*Stack, error) {
	dir := filepath.Join(root, "infra", "stack")
	fset := token.NewFileSet()
	fns, err := parser.ParseFile(fset, filepath.Join(dir, "functions.go"), nil, parser.SkipObjectResolution)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrStack, err)
	}
	s := &Stack{Functions: map[string]Function{}, Env: map[string]string{}}
	table := findVar(fns, "Functions")
	if table == nil {
		return nil, fmt.Errorf("%w: %s has no `var Functions = []Function{...}`", ErrStack, fset.Position(fns.Pos()).Filename)
	}
	for _, elt := range table.Elts {
		lit, ok := elt.(*ast.CompositeLit)
		if !ok {
			return nil, fmt.Errorf("%w: %s: expected a Function literal", ErrStack, fset.Position(elt.Pos()))
		}
		f, err := function(lit)
		if err != nil {
			return nil, fmt.Errorf("%w: %s: %w", ErrStack, fset.Position(lit.Pos()), err)
		}
		s.Functions[f.Name] = f
	}
	if len(s.Functions) == 0 {
		return nil, fmt.Errorf("%w: the Functions table is empty", ErrStack)
	}

	consts, err := readConsts(fset, dir)
	if err != nil {
		return nil, err
	}
	s.Consts = consts
	for name, v := range consts {
		if strings.HasPrefix(name, "Env") {
			s.Env[name] = v
		}
	}
	if len(s.Env) == 0 {
		return nil, fmt.Errorf("%w: no Env* constants in %s", ErrStack, dir)
	}
	return s, nil
}

// readConsts evaluates the string constants of the package's non-test
// files: literals, other constants and + between them.
func readConsts(fset *token.FileSet, dir string) (map[string]string, error) {
	paths, err := filepath.Glob(filepath.Join(dir, "*.go"))
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrStack, err)
	}
	exprs := map[string]ast.Expr{}
	for _, path := range paths {
		if strings.HasSuffix(path, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, path, nil, parser.SkipObjectResolution)
		if err != nil {
			return nil, fmt.Errorf("%w: %w", ErrStack, err)
		}
		for _, d := range f.Decls {
			g, ok := d.(*ast.GenDecl)
			if !ok || g.Tok != token.CONST {
				continue
			}
			for _, spec := range g.Specs {
				vs := spec.(*ast.ValueSpec)
				for i, name := range vs.Names {
					if i < len(vs.Values) {
						exprs[name.Name] = vs.Values[i]
					}
				}
			}
		}
	}
	out := map[string]string{}
	var eval func(e ast.Expr, depth int) (string, bool)
	eval = func(e ast.Expr, depth int) (string, bool) {
		if depth > 16 {
			return "", false
		}
		switch x := e.(type) {
		case *ast.BasicLit:
			return stringLit(x)
		case *ast.Ident:
			if v, ok := exprs[x.Name]; ok {
				return eval(v, depth+1)
			}
		case *ast.ParenExpr:
			return eval(x.X, depth+1)
		case *ast.BinaryExpr:
			if x.Op != token.ADD {
				return "", false
			}
			a, ok1 := eval(x.X, depth+1)
			b, ok2 := eval(x.Y, depth+1)
			return a + b, ok1 && ok2
		}
		return "", false
	}
	for name, e := range exprs {
		if v, ok := eval(e, 0); ok {
			out[name] = v
		}
	}
	return out, nil
}

// EnvNames returns the environment variable names the stack declares, sorted.
func (s *Stack) EnvNames() []string {
	var out []string
	for _, v := range s.Env {
		out = append(out, v)
	}
	sort.Strings(out)
	return out
}

func findVar(f *ast.File, name string) *ast.CompositeLit {
	for _, d := range f.Decls {
		g, ok := d.(*ast.GenDecl)
		if !ok || g.Tok != token.VAR {
			continue
		}
		for _, spec := range g.Specs {
			vs := spec.(*ast.ValueSpec)
			for i, n := range vs.Names {
				if n.Name == name && i < len(vs.Values) {
					if lit, ok := vs.Values[i].(*ast.CompositeLit); ok {
						return lit
					}
				}
			}
		}
	}
	return nil
}

func function(lit *ast.CompositeLit) (Function, error) {
	f := Function{Access: map[string]bool{}}
	for _, e := range lit.Elts {
		kv, ok := e.(*ast.KeyValueExpr)
		if !ok {
			return f, errors.New("expected keyed fields")
		}
		key, _ := kv.Key.(*ast.Ident)
		if key == nil {
			return f, errors.New("expected a field name")
		}
		var err error
		switch key.Name {
		case "Name":
			var ok bool
			if f.Name, ok = stringLit(kv.Value); !ok {
				err = errors.New("Name: expected a string literal")
			}
		case "WritePrefixes":
			f.WritePrefixes, err = stringList(kv.Value)
		case "MemoryMB":
			f.MemoryMB, err = intLit(kv.Value)
		case "Timeout":
			f.Timeout, err = duration(kv.Value)
		case "Access":
			err = bits(kv.Value, f.Access)
		}
		if err != nil {
			return f, fmt.Errorf("%s: %w", key.Name, err)
		}
	}
	if f.Name == "" {
		return f, errors.New("a function without a Name")
	}
	return f, nil
}

func stringLit(e ast.Expr) (string, bool) {
	b, ok := e.(*ast.BasicLit)
	if !ok || b.Kind != token.STRING {
		return "", false
	}
	s, err := strconv.Unquote(b.Value)
	return s, err == nil
}

// stringList reads []string{"a", "b"}.
func stringList(e ast.Expr) ([]string, error) {
	lit, ok := e.(*ast.CompositeLit)
	if !ok {
		return nil, errors.New("expected []string{...}")
	}
	var out []string
	for _, el := range lit.Elts {
		v, ok := stringLit(el)
		if !ok {
			return nil, errors.New("expected string literals")
		}
		out = append(out, v)
	}
	return out, nil
}

func intLit(e ast.Expr) (int, error) {
	b, ok := e.(*ast.BasicLit)
	if !ok || b.Kind != token.INT {
		return 0, errors.New("expected an integer literal")
	}
	return strconv.Atoi(b.Value)
}

// duration evaluates N * time.Unit.
func duration(e ast.Expr) (time.Duration, error) {
	bin, ok := e.(*ast.BinaryExpr)
	if !ok || bin.Op != token.MUL {
		return 0, errors.New("expected N * time.Unit")
	}
	n, err := intLit(bin.X)
	if err != nil {
		return 0, err
	}
	sel, ok := bin.Y.(*ast.SelectorExpr)
	if !ok {
		return 0, errors.New("expected N * time.Unit")
	}
	units := map[string]time.Duration{"Millisecond": time.Millisecond, "Second": time.Second, "Minute": time.Minute, "Hour": time.Hour}
	u, ok := units[sel.Sel.Name]
	if !ok {
		return 0, fmt.Errorf("unknown unit time.%s", sel.Sel.Name)
	}
	return time.Duration(n) * u, nil
}

// bits collects the names of A | B | C.
func bits(e ast.Expr, into map[string]bool) error {
	switch x := e.(type) {
	case *ast.Ident:
		into[x.Name] = true
		return nil
	case *ast.ParenExpr:
		return bits(x.X, into)
	case *ast.BinaryExpr:
		if x.Op != token.OR {
			return fmt.Errorf("expected permissions joined by |, found %s", x.Op)
		}
		if err := bits(x.X, into); err != nil {
			return err
		}
		return bits(x.Y, into)
	}
	return errors.New("expected permission names joined by |")
}
