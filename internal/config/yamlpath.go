package config

import (
	"errors"
	"fmt"
	"reflect"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"
)

// FieldError is one problem in a configuration file, at a YAML path such
// as data.columns[4].kind. Line is 0 when unknown; Path is empty for
// problems of the whole file (syntax).
type FieldError struct {
	File string
	Line int
	Path string
	Msg  string
}

// Error renders `config: steward.yaml:41: data.columns[4].kind: expected ...`.
func (e *FieldError) Error() string {
	var b strings.Builder
	b.WriteString("config: ")
	if e.File != "" {
		b.WriteString(e.File)
		if e.Line > 0 {
			fmt.Fprintf(&b, ":%d", e.Line)
		}
		b.WriteString(": ")
	}
	if e.Path != "" {
		b.WriteString(e.Path)
		b.WriteString(": ")
	}
	b.WriteString(e.Msg)
	return b.String()
}

// Unwrap makes errors.Is(err, ErrInvalid) true.
func (e *FieldError) Unwrap() error { return ErrInvalid }

// maxErrors bounds how many problems one load reports.
const maxErrors = 10

func joinErrs(errs []error) error {
	if len(errs) == 1 {
		return errs[0]
	}
	if len(errs) > maxErrors {
		errs = append(errs[:maxErrors:maxErrors], fmt.Errorf("%w: and %d more problems", ErrInvalid, len(errs)-maxErrors))
	}
	return errors.Join(errs...)
}

var lineRE = regexp.MustCompile(`^(?:yaml: )?line (\d+): (.*)$`)

func syntaxError(file string, err error) error {
	msg := err.Error()
	if m := lineRE.FindStringSubmatch(msg); m != nil {
		n, _ := strconv.Atoi(m[1])
		return &FieldError{File: file, Line: n, Msg: "invalid YAML: " + m[2]}
	}
	return &FieldError{File: file, Msg: "invalid YAML: " + strings.TrimPrefix(msg, "yaml: ")}
}

// entry is one key or sequence item of the document.
type entry struct {
	path  string
	value string // scalar value, if any
}

// index maps YAML paths to lines and lines to paths.
type index struct {
	lines  map[string]int
	byLine map[int][]entry
}

func newIndex(root *yaml.Node) *index {
	x := &index{lines: map[string]int{}, byLine: map[int][]entry{}}
	x.walk(root, "")
	return x
}

func (x *index) add(path string, line int, value *yaml.Node) {
	x.lines[path] = line
	e := entry{path: path}
	if value != nil && value.Kind == yaml.ScalarNode {
		e.value = value.Value
	}
	x.byLine[line] = append(x.byLine[line], e)
	if value != nil && value.Kind == yaml.ScalarNode && value.Line != line {
		x.byLine[value.Line] = append(x.byLine[value.Line], e)
	}
}

func (x *index) walk(n *yaml.Node, path string) {
	switch n.Kind {
	case yaml.DocumentNode:
		for _, c := range n.Content {
			x.walk(c, path)
		}
	case yaml.MappingNode:
		for i := 0; i+1 < len(n.Content); i += 2 {
			k, v := n.Content[i], n.Content[i+1]
			p := joinPath(path, k.Value)
			x.add(p, k.Line, v)
			x.walk(v, p)
		}
	case yaml.SequenceNode:
		for i, c := range n.Content {
			p := fmt.Sprintf("%s[%d]", path, i)
			x.add(p, c.Line, c)
			x.walk(c, p)
		}
	}
}

func joinPath(parent, key string) string {
	if parent == "" {
		return key
	}
	return parent + "." + key
}

// line returns the line of path, or of its nearest ancestor present in the
// file (a missing field is reported where its parent is).
func (x *index) line(path string) int {
	for path != "" {
		if n, ok := x.lines[path]; ok {
			return n
		}
		i := strings.LastIndexAny(path, ".[")
		if i < 0 {
			break
		}
		path = path[:i]
	}
	return 0
}

var (
	unmarshalRE = regexp.MustCompile("^cannot unmarshal !!(\\w+)(?: `(.*)`)? into (.+)$")
	valueCut    = strings.NewReplacer("...", "")
)

// typeError turns one of the decoder's "line N: cannot unmarshal ..."
// messages into a FieldError with the YAML path of the value.
func (x *index) typeError(file, msg string) error {
	m := lineRE.FindStringSubmatch(msg)
	if m == nil {
		return &FieldError{File: file, Msg: msg}
	}
	line, _ := strconv.Atoi(m[1])
	rest := m[2]
	fe := &FieldError{File: file, Line: line, Msg: rest}
	value := ""
	if u := unmarshalRE.FindStringSubmatch(rest); u != nil {
		value = u[2]
		got := u[1]
		if value != "" {
			got = fmt.Sprintf("%q", value)
		} else if got == "seq" {
			got = "a list"
		} else if got == "map" {
			got = "a mapping"
		}
		fe.Msg = fmt.Sprintf("expected %s, got %s", friendlyType(u[3]), got)
	}
	cands := x.byLine[line]
	switch {
	case len(cands) == 1:
		fe.Path = cands[0].path
	case len(cands) > 1:
		fe.Path = cands[0].path // a list or mapping: the key that holds it
		if value != "" {
			fe.Path = cands[len(cands)-1].path
		}
		prefix := valueCut.Replace(value)
		for _, c := range cands {
			if value != "" && strings.HasPrefix(c.value, prefix) {
				fe.Path = c.path
				break
			}
		}
	}
	return fe
}

func friendlyType(t string) string {
	switch {
	case strings.HasPrefix(t, "int"), strings.HasPrefix(t, "uint"):
		return "an integer"
	case strings.HasPrefix(t, "float"):
		return "a number"
	case t == "bool":
		return "true or false"
	case t == "string", t == "dataset.Kind":
		return "a string"
	case strings.HasPrefix(t, "[]"):
		return "a list"
	case strings.HasPrefix(t, "map["), strings.HasPrefix(t, "config."), strings.HasPrefix(t, "dataset."), strings.HasPrefix(t, "train."):
		return "a mapping"
	case t == "time.Duration":
		return "a duration such as 24h"
	}
	return t
}

var (
	projectType   = reflect.TypeOf(Project{})
	unmarshalerTy = reflect.TypeOf((*yaml.Unmarshaler)(nil)).Elem()
)

// checkKeys reports every mapping key that the target type does not have,
// with its path and the keys allowed there.
func checkKeys(n *yaml.Node, t reflect.Type, path, file string, errs *[]error) {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if n.Kind == yaml.DocumentNode {
		for _, c := range n.Content {
			checkKeys(c, t, path, file, errs)
		}
		return
	}
	if reflect.PointerTo(t).Implements(unmarshalerTy) {
		return
	}
	switch t.Kind() {
	case reflect.Struct:
		if n.Kind != yaml.MappingNode {
			return // the decoder reports the type mismatch
		}
		fields := yamlFields(t)
		for i := 0; i+1 < len(n.Content); i += 2 {
			k, v := n.Content[i], n.Content[i+1]
			ft, ok := fields[k.Value]
			if !ok {
				names := make([]string, 0, len(fields))
				for name := range fields {
					names = append(names, name)
				}
				sort.Strings(names)
				*errs = append(*errs, &FieldError{File: file, Line: k.Line, Path: joinPath(path, k.Value),
					Msg: fmt.Sprintf("unknown field (known here: %s)", strings.Join(names, ", "))})
				continue
			}
			checkKeys(v, ft, joinPath(path, k.Value), file, errs)
		}
	case reflect.Slice, reflect.Array:
		if n.Kind == yaml.SequenceNode {
			for i, c := range n.Content {
				checkKeys(c, t.Elem(), fmt.Sprintf("%s[%d]", path, i), file, errs)
			}
		}
	case reflect.Map:
		if n.Kind == yaml.MappingNode {
			for i := 0; i+1 < len(n.Content); i += 2 {
				checkKeys(n.Content[i+1], t.Elem(), joinPath(path, n.Content[i].Value), file, errs)
			}
		}
	}
}

// yamlFields returns the YAML keys of struct type t and their types,
// following inline fields.
func yamlFields(t reflect.Type) map[string]reflect.Type {
	out := map[string]reflect.Type{}
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		if !f.IsExported() {
			continue
		}
		tag := f.Tag.Get("yaml")
		if tag == "-" {
			continue
		}
		name, opts, _ := strings.Cut(tag, ",")
		if strings.Contains(opts, "inline") {
			ft := f.Type
			for ft.Kind() == reflect.Pointer {
				ft = ft.Elem()
			}
			if ft.Kind() == reflect.Struct {
				for k, v := range yamlFields(ft) {
					out[k] = v
				}
			}
			continue
		}
		if name == "" {
			name = strings.ToLower(f.Name)
		}
		out[name] = f.Type
	}
	return out
}

// validator collects semantic errors at YAML paths.
type validator struct {
	file string
	idx  *index
	errs []error
}

func (v *validator) add(path, format string, args ...any) {
	v.errs = append(v.errs, &FieldError{File: v.file, Line: v.idx.line(path), Path: path, Msg: fmt.Sprintf(format, args...)})
}

// Duration is a time.Duration written as in Go ("90m", "24h") or in days
// and weeks ("7d", "2w").
type Duration time.Duration

// D returns d as a time.Duration.
func (d Duration) D() time.Duration { return time.Duration(d) }

// String formats d in the largest whole unit among w, d, h, or as Go does.
func (d Duration) String() string {
	td := time.Duration(d)
	const day = 24 * time.Hour
	switch {
	case td != 0 && td%(7*day) == 0:
		return fmt.Sprintf("%dw", td/(7*day))
	case td != 0 && td%day == 0:
		return fmt.Sprintf("%dd", td/day)
	}
	return td.String()
}

// ParseDuration reads "7d", "2w" or anything time.ParseDuration reads.
func ParseDuration(s string) (Duration, error) {
	s = strings.TrimSpace(s)
	for suffix, unit := range map[string]time.Duration{"d": 24 * time.Hour, "w": 7 * 24 * time.Hour} {
		if num, ok := strings.CutSuffix(s, suffix); ok {
			n, err := strconv.ParseFloat(num, 64)
			if err != nil || n < 0 || n > 1e5 {
				return 0, fmt.Errorf("expected a duration such as 90m, 24h or 7d, got %q", s)
			}
			return Duration(n * float64(unit)), nil
		}
	}
	d, err := time.ParseDuration(s)
	if err != nil {
		return 0, fmt.Errorf("expected a duration such as 90m, 24h or 7d, got %q", s)
	}
	return Duration(d), nil
}

// UnmarshalYAML implements yaml.Unmarshaler.
func (d *Duration) UnmarshalYAML(n *yaml.Node) error {
	if n.Kind != yaml.ScalarNode {
		return &yaml.TypeError{Errors: []string{fmt.Sprintf("line %d: cannot unmarshal !!%s into time.Duration", n.Line, strings.TrimPrefix(n.ShortTag(), "!!"))}}
	}
	v, err := ParseDuration(n.Value)
	if err != nil {
		return &yaml.TypeError{Errors: []string{fmt.Sprintf("line %d: %v", n.Line, err)}}
	}
	*d = v
	return nil
}

// MarshalYAML implements yaml.Marshaler.
func (d Duration) MarshalYAML() (any, error) { return d.String(), nil }
