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
	// WritePrefix limits WriteArtifacts to keys under it.
	WritePrefix string
}

// Has reports whether the function is given the permission named bit.
func (f Function) Has(bit string) bool { return f.Access[bit] }

// Stack is what the twin mirrors of the CDK stack: its functions and the
// environment variable names it sets on them.
type Stack struct {
	Functions map[string]Function
	// Env maps each Env* constant of infra/stack to the variable name.
	Env map[string]string
}

// ReadStack reads the stack's function table (infra/stack/functions.go)
// and environment names (infra/stack/lambda.go) under the repository root.
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

	lambda, err := parser.ParseFile(fset, filepath.Join(dir, "lambda.go"), nil, parser.SkipObjectResolution)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrStack, err)
	}
	for _, d := range lambda.Decls {
		g, ok := d.(*ast.GenDecl)
		if !ok || g.Tok != token.CONST {
			continue
		}
		for _, spec := range g.Specs {
			vs := spec.(*ast.ValueSpec)
			for i, name := range vs.Names {
				if !strings.HasPrefix(name.Name, "Env") || i >= len(vs.Values) {
					continue
				}
				if v, ok := stringLit(vs.Values[i]); ok {
					s.Env[name.Name] = v
				}
			}
		}
	}
	if len(s.Env) == 0 {
		return nil, fmt.Errorf("%w: no Env* constants in %s", ErrStack, filepath.Join(dir, "lambda.go"))
	}
	return s, nil
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
		case "WritePrefix":
			var ok bool
			if f.WritePrefix, ok = stringLit(kv.Value); !ok {
				err = errors.New("WritePrefix: expected a string literal")
			}
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
