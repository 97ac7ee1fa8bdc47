package asl

import (
	"fmt"
	"sort"
	"strings"
)

// Placeholders returns the distinct ${Name} placeholders of a definition,
// sorted. A name is made of letters, digits and the characters _ . : -
// (CloudFormation's ${AWS::Partition} and ${Fn.Arn} forms included).
func Placeholders(definition []byte) []string {
	seen := map[string]bool{}
	scanPlaceholders(definition, func(name string, _ bool) string {
		seen[name] = true
		return ""
	})
	return sortedKeys(seen)
}

// Substitute replaces every ${Name} placeholder of a definition with its
// value from values, the way a CloudFormation DefinitionSubstitutions map
// does. Inside a JSON string the value is escaped as a string's content;
// elsewhere it is inserted as it is (so "TimeoutSeconds": ${Timeout} works
// with a numeric value). Placeholders without a value are all listed in one
// error wrapping ErrMissingPlaceholder; nothing is substituted then.
func Substitute(definition []byte, values map[string]string) ([]byte, error) {
	var missing []string
	out := scanPlaceholders(definition, func(name string, inString bool) string {
		v, ok := values[name]
		if !ok {
			missing = append(missing, name)
			return ""
		}
		if inString {
			return escapeJSONStringContent(v)
		}
		return v
	})
	if len(missing) > 0 {
		sort.Strings(missing)
		missing = compactStrings(missing)
		return nil, fmt.Errorf("%w: %s", ErrMissingPlaceholder, "${"+strings.Join(missing, "}, ${")+"}")
	}
	return out, nil
}

// scanPlaceholders walks the definition text, tracking whether it is inside
// a JSON string, and replaces each placeholder with repl's result.
func scanPlaceholders(def []byte, repl func(name string, inString bool) string) []byte {
	out := make([]byte, 0, len(def))
	inString := false
	for i := 0; i < len(def); i++ {
		c := def[i]
		if inString && c == '\\' && i+1 < len(def) {
			out = append(out, c, def[i+1])
			i++
			continue
		}
		if c == '"' {
			inString = !inString
			out = append(out, c)
			continue
		}
		if c == '$' && i+1 < len(def) && def[i+1] == '{' {
			end := i + 2
			for end < len(def) && isPlaceholderByte(def[end]) {
				end++
			}
			if end < len(def) && def[end] == '}' && end > i+2 {
				out = append(out, repl(string(def[i+2:end]), inString)...)
				i = end
				continue
			}
		}
		out = append(out, c)
	}
	return out
}

func isPlaceholderByte(c byte) bool {
	return isIdentByte(c) || c == '.' || c == ':' || c == '-'
}

// escapeJSONStringContent escapes s for use between the quotes of a JSON string.
func escapeJSONStringContent(s string) string {
	b := mustEncode(s)
	return string(b[1 : len(b)-1])
}

func compactStrings(s []string) []string {
	out := s[:0]
	for i, v := range s {
		if i == 0 || v != s[i-1] {
			out = append(out, v)
		}
	}
	return out
}
