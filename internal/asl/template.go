package asl

import (
	"errors"
	"fmt"
	"strings"
)

// payloadTemplate is a compiled Payload Template (Parameters, ResultSelector,
// ItemSelector): a JSON value in which every object key ending in ".$" takes
// its value from a path on the input, a path on the context object ("$$")
// or an intrinsic function, at any depth, arrays included.
type payloadTemplate struct {
	literal any                // for scalars and values without any ".$" key
	fields  []templateField    // for objects
	items   []*payloadTemplate // for arrays
	kind    byte               // 'l' literal, 'o' object, 'a' array
}

type templateField struct {
	key   string
	path  *Path
	fn    *Intrinsic
	value *payloadTemplate
}

// compileTemplate compiles v, reporting problems with the field name prefix
// (for example "Parameters.Payload.model.$").
func compileTemplate(v any, field string, report func(field, msg string)) *payloadTemplate {
	switch t := v.(type) {
	case map[string]any:
		tpl := &payloadTemplate{kind: 'o'}
		seen := map[string]string{}
		for _, k := range sortedKeys(t) {
			sub := field + "." + k
			name := k
			if strings.HasSuffix(k, ".$") {
				name = strings.TrimSuffix(k, ".$")
			}
			if prev, dup := seen[name]; dup {
				report(sub, fmt.Sprintf("duplicates %q: both would write field %q", prev, name))
				continue
			}
			seen[name] = k
			if name == k {
				tpl.fields = append(tpl.fields, templateField{key: k, value: compileTemplate(t[k], sub, report)})
				continue
			}
			s, ok := t[k].(string)
			if !ok {
				report(sub, fmt.Sprintf("a key ending in .$ needs a path or an intrinsic function as a string, got %s", typeName(t[k])))
				continue
			}
			f := templateField{key: name}
			if strings.HasPrefix(s, "$") {
				p, err := ParsePath(s)
				if err != nil {
					report(sub, err.Error())
					continue
				}
				f.path = p
			} else {
				fn, err := ParseIntrinsic(s)
				if err != nil {
					report(sub, err.Error())
					continue
				}
				f.fn = fn
			}
			tpl.fields = append(tpl.fields, f)
		}
		return tpl
	case []any:
		tpl := &payloadTemplate{kind: 'a'}
		for i, e := range t {
			tpl.items = append(tpl.items, compileTemplate(e, fmt.Sprintf("%s[%d]", field, i), report))
		}
		return tpl
	}
	return &payloadTemplate{kind: 'l', literal: v}
}

// eval builds the payload from input and the context object. Path failures
// are States.ParameterPathFailure, intrinsic failures States.IntrinsicFailure.
func (t *payloadTemplate) eval(input, ctx any, env intrinsicEnv) (any, error) {
	switch t.kind {
	case 'o':
		out := make(map[string]any, len(t.fields))
		for _, f := range t.fields {
			switch {
			case f.path != nil:
				v, err := f.path.Select(input, ctx)
				if err != nil {
					return nil, &stateError{Name: ErrorParameterPathFailure, Cause: fmt.Sprintf("the value of field %q: %v", f.key+".$", trimPrefix(err))}
				}
				out[f.key] = deepCopy(v)
			case f.fn != nil:
				v, err := f.fn.eval(input, ctx, env)
				if err != nil {
					var se *stateError
					if errors.As(err, &se) {
						return nil, se
					}
					return nil, &stateError{Name: ErrorIntrinsicFailure, Cause: err.Error()}
				}
				out[f.key] = v
			default:
				v, err := f.value.eval(input, ctx, env)
				if err != nil {
					return nil, err
				}
				out[f.key] = v
			}
		}
		return out, nil
	case 'a':
		out := make([]any, len(t.items))
		for i, it := range t.items {
			v, err := it.eval(input, ctx, env)
			if err != nil {
				return nil, err
			}
			out[i] = v
		}
		return out, nil
	}
	return deepCopy(t.literal), nil
}

// trimPrefix drops the "asl: " package prefix from an error that becomes a
// Cause seen by state machine authors.
func trimPrefix(err error) string {
	return strings.TrimPrefix(err.Error(), "asl: ")
}
