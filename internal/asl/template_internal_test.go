package asl

import (
	"strings"
	"testing"
)

func mustDecode(t *testing.T, s string) any {
	t.Helper()
	v, err := decodeJSON([]byte(s))
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// The specification's Parameters example, with its own context object.
func TestPayloadTemplateSpecExample(t *testing.T) {
	var problems []string
	tpl := compileTemplate(mustDecode(t, `{
		"flagged": true,
		"parts": {"first.$": "$.vals[0]", "last3.$": "$.vals[-3:]"},
		"weekday.$": "$$.DayOfWeek",
		"formattedOutput.$": "States.Format('Today is {}', $$.DayOfWeek)",
		"list": [{"nested.$": "$.flagged"}, "plain", 3]
	}`), "Parameters", func(f, msg string) { problems = append(problems, f+": "+msg) })
	if len(problems) > 0 {
		t.Fatal(problems)
	}
	got, err := tpl.eval(mustDecode(t, `{"flagged": 7, "vals": [0, 10, 20, 30, 40, 50]}`), mustDecode(t, `{"DayOfWeek": "TUESDAY"}`), defaultIntrinsicEnv())
	if err != nil {
		t.Fatal(err)
	}
	want := `{"flagged":true,"formattedOutput":"Today is TUESDAY","list":[{"nested":7},"plain",3],"parts":{"first":0,"last3":[30,40,50]},"weekday":"TUESDAY"}`
	if g := string(mustEncode(got)); g != want {
		t.Errorf("got  %s\nwant %s", g, want)
	}
}

func TestPayloadTemplateProblems(t *testing.T) {
	var problems []string
	compileTemplate(mustDecode(t, `{"a.$": 3, "b.$": "$.x[", "c.$": "States.Nope()", "d": {"e.$": "$.ok", "e": 1}}`), "Parameters",
		func(f, msg string) { problems = append(problems, f+": "+msg) })
	joined := strings.Join(problems, "\n")
	for _, want := range []string{
		"Parameters.a.$: a key ending in .$ needs a path or an intrinsic function as a string, got number",
		"Parameters.b.$: asl: invalid path",
		"Parameters.c.$: asl: invalid intrinsic function",
		`Parameters.d.e.$: duplicates "e"`,
	} {
		if !strings.Contains(joined, want) {
			t.Errorf("problems %q\nlack %q", joined, want)
		}
	}
}

func TestPayloadTemplateFailures(t *testing.T) {
	for _, tc := range []struct{ tpl, name string }{
		{`{"a.$": "$.missing"}`, ErrorParameterPathFailure},
		{`{"a": {"b.$": "$$.Nope"}}`, ErrorParameterPathFailure},
		{`{"a.$": "States.ArrayGetItem($.list, 5)"}`, ErrorIntrinsicFailure},
	} {
		tpl := compileTemplate(mustDecode(t, tc.tpl), "P", func(f, msg string) { t.Fatal(f, msg) })
		_, err := tpl.eval(mustDecode(t, `{"list":[1]}`), map[string]any{}, defaultIntrinsicEnv())
		se, ok := err.(*stateError)
		if !ok || se.Name != tc.name {
			t.Errorf("%s: got %v, want %s", tc.tpl, err, tc.name)
		}
	}
}
