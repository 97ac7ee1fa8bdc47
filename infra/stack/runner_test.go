package stack

import (
	"fmt"
	"go/ast"
	goparser "go/parser"
	"go/token"
	"strconv"
)

// runnerSubstitutions reads the placeholder-to-function map the local
// runner uses (the Functions map of the statemachines package) from its
// source: that package lives in the main module, which this module does
// not import.
func runnerSubstitutions(path string) (map[string]string, error) {
	f, err := goparser.ParseFile(token.NewFileSet(), path, nil, 0)
	if err != nil {
		return nil, err
	}
	consts := map[string]string{}
	var lit *ast.CompositeLit
	for _, decl := range f.Decls {
		gen, ok := decl.(*ast.GenDecl)
		if !ok {
			continue
		}
		for _, spec := range gen.Specs {
			vs, ok := spec.(*ast.ValueSpec)
			if !ok {
				continue
			}
			for i, name := range vs.Names {
				if i >= len(vs.Values) {
					continue
				}
				switch v := vs.Values[i].(type) {
				case *ast.BasicLit:
					if s, err := strconv.Unquote(v.Value); err == nil {
						consts[name.Name] = s
					}
				case *ast.CompositeLit:
					if name.Name == "Functions" {
						lit = v
					}
				}
			}
		}
	}
	if lit == nil {
		return nil, fmt.Errorf("%s: no Functions map", path)
	}
	str := func(e ast.Expr) (string, bool) {
		switch e := e.(type) {
		case *ast.BasicLit:
			s, err := strconv.Unquote(e.Value)
			return s, err == nil
		case *ast.Ident:
			s, ok := consts[e.Name]
			return s, ok
		}
		return "", false
	}
	out := map[string]string{}
	for _, el := range lit.Elts {
		kv, ok := el.(*ast.KeyValueExpr)
		if !ok {
			return nil, fmt.Errorf("%s: Functions is not a map literal", path)
		}
		k, ok1 := str(kv.Key)
		v, ok2 := str(kv.Value)
		if !ok1 || !ok2 {
			return nil, fmt.Errorf("%s: cannot read entry %v", path, kv.Key)
		}
		out[k] = v
	}
	return out, nil
}
