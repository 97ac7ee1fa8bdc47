package asl_test

import (
	"errors"
	"fmt"
	"sort"
	"strings"
	"testing"

	"github.com/stewardml/steward/internal/asl"
)

func TestParseValid(t *testing.T) {
	sm := mustParse(t, `{"Comment":"c","Version":"1.0","TimeoutSeconds":60,"QueryLanguage":"JSONPath","StartAt":"A","States":{
		"A":{"Type":"Task","Resource":"arn:aws:states:::lambda:invoke","Parameters":{"FunctionName":"f","Payload.$":"$"},
			"Retry":[{"ErrorEquals":["Lambda.ServiceException","Lambda.TooManyRequestsException"],"IntervalSeconds":2,"MaxAttempts":6,"BackoffRate":2,"MaxDelaySeconds":30,"JitterStrategy":"FULL"}],
			"Catch":[{"ErrorEquals":["States.ALL"],"ResultPath":"$.error","Next":"F"}],"Next":"P"},
		"P":{"Type":"Parallel","Branches":[{"StartAt":"B1","States":{"B1":{"Type":"Succeed"}}}],"Next":"M"},
		"M":{"Type":"Map","ItemProcessor":{"ProcessorConfig":{"Mode":"INLINE"},"StartAt":"I","States":{"I":{"Type":"Pass","End":true}}},"End":true},
		"F":{"Type":"Fail","Error":"E"}}}`)
	if sm.StartAt != "A" || sm.TimeoutSeconds != 60 || len(sm.States) != 4 {
		t.Errorf("got %+v", sm)
	}
	r := sm.States["A"].Retry[0]
	if r.IntervalSeconds != 2 || r.MaxAttempts != 6 || r.BackoffRate != 2 || r.MaxDelaySeconds != 30 || r.JitterStrategy != "FULL" {
		t.Errorf("retrier %+v", r)
	}
	var names []string
	sm.Walk(func(q string, s *asl.State) { names = append(names, q+":"+s.Type) })
	sort.Strings(names)
	if got := strings.Join(names, " "); got != "A:Task F:Fail M/I:Pass M:Map P/B1:Succeed P:Parallel" {
		t.Errorf("Walk: %s", got)
	}
	defaults := mustParse(t, `{"StartAt":"A","States":{"A":{"Type":"Task","Resource":"r","Retry":[{"ErrorEquals":["E"]}],"End":true}}}`).States["A"].Retry[0]
	if defaults.IntervalSeconds != 1 || defaults.MaxAttempts != 3 || defaults.BackoffRate != 2.0 || defaults.JitterStrategy != "NONE" {
		t.Errorf("retrier defaults %+v, want 1 s, 3 attempts, 2.0, NONE", defaults)
	}
}

// Each invalid definition must be rejected with a problem that names the
// state and the field.
func TestParseProblems(t *testing.T) {
	for _, tc := range []struct {
		name, def string
		want      []string
	}{
		{"not JSON", `{`, []string{"not valid JSON"}},
		{"not an object", `[]`, []string{"must be a JSON object, got array"}},
		{"missing StartAt and States", `{}`, []string{"StartAt: required", "States: required"}},
		{"StartAt names nothing", `{"StartAt":"X","States":{"A":{"Type":"Succeed"}}}`, []string{`StartAt: names no state in this States object: "X"`}},
		{"unknown top-level field", `{"StartAt":"A","Foo":1,"States":{"A":{"Type":"Succeed"}}}`, []string{"Foo: unknown field"}},
		{"JSONata", `{"QueryLanguage":"JSONata","StartAt":"A","States":{"A":{"Type":"Succeed"}}}`, []string{`QueryLanguage: only "JSONPath" is supported`}},
		{"bad Version", `{"Version":"2.0","StartAt":"A","States":{"A":{"Type":"Succeed"}}}`, []string{`Version: must be "1.0"`}},
		{"unknown type", `{"StartAt":"A","States":{"A":{"Type":"Lambda"}}}`, []string{`state "A": Type: unknown state type "Lambda"`}},
		{"missing type", `{"StartAt":"A","States":{"A":{}}}`, []string{`state "A": Type: required`}},
		{"neither Next nor End", `{"StartAt":"A","States":{"A":{"Type":"Pass"}}}`, []string{`state "A": Next: required (or "End": true)`}},
		{"both Next and End", `{"StartAt":"A","States":{"A":{"Type":"Pass","Next":"A","End":true}}}`, []string{`state "A": Next: a state has either Next or "End": true, not both`}},
		{"End false", `{"StartAt":"A","States":{"A":{"Type":"Pass","End":false}}}`, []string{`state "A": End: must be true`}},
		{"Next to nowhere", `{"StartAt":"A","States":{"A":{"Type":"Pass","Next":"B"}}}`, []string{`state "A": Next: names no state in the same States object: "B"`}},
		{"field not allowed for type", `{"StartAt":"A","States":{"A":{"Type":"Succeed","ResultPath":"$.x"}}}`, []string{`state "A": ResultPath: not allowed in a Succeed state`}},
		{"Fail with InputPath", `{"StartAt":"A","States":{"A":{"Type":"Fail","InputPath":"$"}}}`, []string{`state "A": InputPath: not allowed in a Fail state`}},
		{"unsupported Assign", `{"StartAt":"A","States":{"A":{"Type":"Pass","Assign":{},"End":true}}}`, []string{`state "A": Assign: variables (Assign) are not supported`}},
		{"Task without Resource", `{"StartAt":"A","States":{"A":{"Type":"Task","End":true}}}`, []string{`state "A": Resource: required`}},
		{"Task timeouts", `{"StartAt":"A","States":{"A":{"Type":"Task","Resource":"r","TimeoutSeconds":10,"HeartbeatSeconds":10,"End":true}}}`, []string{`state "A": HeartbeatSeconds: must be smaller than TimeoutSeconds (10), got 10`}},
		{"Task timeout and path", `{"StartAt":"A","States":{"A":{"Type":"Task","Resource":"r","TimeoutSeconds":10,"TimeoutSecondsPath":"$.t","End":true}}}`, []string{`state "A": TimeoutSeconds: use TimeoutSeconds or TimeoutSecondsPath, not both`}},
		{"Task timeout zero", `{"StartAt":"A","States":{"A":{"Type":"Task","Resource":"r","TimeoutSeconds":0,"End":true}}}`, []string{`state "A": TimeoutSeconds: must be an integer from 1`}},
		{"bad paths", `{"StartAt":"A","States":{"A":{"Type":"Pass","InputPath":"x","ResultPath":"$.a[*]","OutputPath":3,"End":true}}}`,
			[]string{`state "A": InputPath: invalid path "x"`, `state "A": ResultPath: invalid path "$.a[*]": a reference path allows only`, `state "A": OutputPath: must be a path string or null, got number`}},
		{"ResultPath into the context", `{"StartAt":"A","States":{"A":{"Type":"Pass","ResultPath":"$$.x","End":true}}}`, []string{`state "A": ResultPath: cannot write into the context object`}},
		{"bad Parameters", `{"StartAt":"A","States":{"A":{"Type":"Pass","Parameters":{"a":{"b.$":"States.Nope()"}},"End":true}}}`, []string{`state "A": Parameters.a.b.$: asl: invalid intrinsic function "States.Nope()": unknown function`}},
		{"ResultSelector not an object", `{"StartAt":"A","States":{"A":{"Type":"Task","Resource":"r","ResultSelector":"x","End":true}}}`, []string{`state "A": ResultSelector: must be an object`}},
		{"retrier problems", `{"StartAt":"A","States":{"A":{"Type":"Task","Resource":"r","End":true,"Retry":[
			{"ErrorEquals":[],"IntervalSeconds":0,"MaxAttempts":-1,"BackoffRate":0.5,"MaxDelaySeconds":0,"JitterStrategy":"HALF","Foo":1}]}}}`,
			[]string{`Retry[0].ErrorEquals: required`, `Retry[0].IntervalSeconds: must be an integer from 1`, `Retry[0].MaxAttempts: must be an integer from 0`,
				`Retry[0].BackoffRate: must be a number >= 1.0, got 0.5`, `Retry[0].MaxDelaySeconds: must be an integer from 1`, `Retry[0].JitterStrategy: must be "FULL" or "NONE"`, `Retry[0].Foo: unknown field`}},
		{"States.ALL not alone, not last", `{"StartAt":"A","States":{"A":{"Type":"Task","Resource":"r","End":true,"Retry":[
			{"ErrorEquals":["States.ALL","E"]},{"ErrorEquals":["E"]}]}}}`, []string{`Retry[0].ErrorEquals: States.ALL must appear alone`, `Retry[0].ErrorEquals: States.ALL must be in the last element`}},
		{"reserved error name", `{"StartAt":"A","States":{"A":{"Type":"Task","Resource":"r","End":true,"Retry":[{"ErrorEquals":["States.Nope"]}]}}}`, []string{`Retry[0].ErrorEquals[0]: unknown predefined error "States.Nope"`}},
		{"catcher problems", `{"StartAt":"A","States":{"A":{"Type":"Task","Resource":"r","End":true,"Catch":[{"ErrorEquals":["E"]},{"ErrorEquals":["E"],"Next":"Z","ResultPath":"$.a[0:1]"}]}}}`,
			[]string{`state "A": Catch[0].Next: required`, `state "A": Catch[1].ResultPath: invalid path`, `state "A": Catch[1].Next: names no state in the same States object: "Z"`}},
		{"Wait needs one field", `{"StartAt":"A","States":{"A":{"Type":"Wait","Seconds":1,"SecondsPath":"$.s","End":true}}}`, []string{`state "A": Seconds: a Wait state needs exactly one of Seconds, SecondsPath, Timestamp, TimestampPath (found 2)`}},
		{"Wait bad timestamp", `{"StartAt":"A","States":{"A":{"Type":"Wait","Timestamp":"2026-03-14t01:59:00z","End":true}}}`, []string{`state "A": Timestamp: must be an RFC 3339 timestamp`}},
		{"Wait negative", `{"StartAt":"A","States":{"A":{"Type":"Wait","Seconds":-1,"End":true}}}`, []string{`state "A": Seconds: must be an integer from 0`}},
		{"Choice problems", `{"StartAt":"C","States":{"C":{"Type":"Choice","Choices":[
			{"Variable":"$.a","StringEquals":1,"Next":"D"},
			{"Variable":"$.a","NumericEquals":1,"NumericLessThan":2,"Next":"D"},
			{"Variable":"$.a","StringEquals":"x"},
			{"And":[{"Variable":"$.a","IsNull":true,"Next":"D"}],"Next":"D"},
			{"Not":{"Variable":"$.a","BadOp":1},"Next":"D"},
			{"Variable":"$.a","TimestampEquals":"yesterday","Next":"D"},
			{"Variable":"$.a","StringMatchesPath":"$.b","Next":"D"},
			{"Variable":"a","IsNull":true,"Next":"D"}],"Default":"Nope"},"D":{"Type":"Succeed"}}}`,
			[]string{`Choices[0].StringEquals: must be a string, got 1`, `Choices[1]: a choice rule needs exactly one of And, Or, Not or a comparison operator, found 2`,
				`Choices[2].Next: required in a top-level choice rule`, `Choices[3].And[0].Next: only top-level choice rules have Next`,
				`Choices[4].Not.BadOp: unknown field in a choice rule`, `Choices[5].TimestampEquals: must be an RFC 3339 timestamp string`,
				`Choices[6].StringMatchesPath: unknown field in a choice rule`, `Choices[7].Variable: invalid path "a"`, `state "C": Default: names no state in the same States object: "Nope"`}},
		{"Choice without Choices", `{"StartAt":"C","States":{"C":{"Type":"Choice","Choices":[]}}}`, []string{`state "C": Choices: required: a non-empty array`}},
		{"Choice with End", `{"StartAt":"C","States":{"C":{"Type":"Choice","End":true,"Choices":[{"Variable":"$","IsNull":true,"Next":"C"}]}}}`, []string{`state "C": End: not allowed in a Choice state`}},
		{"Parallel problems", `{"StartAt":"P","States":{"P":{"Type":"Parallel","Branches":[{"StartAt":"X","States":{"X":{"Type":"Pass","Next":"Out"}}},3],"Next":"Out"},"Out":{"Type":"Succeed"}}}`,
			[]string{`state "P/X": Next: names no state in the same States object: "Out"`, `state "P": Branches[1]: must be an object`}},
		{"Parallel no branches", `{"StartAt":"P","States":{"P":{"Type":"Parallel","Branches":[],"End":true}}}`, []string{`state "P": Branches: required`}},
		{"Map problems", `{"StartAt":"M","States":{"M":{"Type":"Map","ItemProcessor":{"ProcessorConfig":{"Mode":"DISTRIBUTED"},"StartAt":"I","States":{"I":{"Type":"Pass","End":true}}},"Iterator":{"StartAt":"J","States":{"J":{"Type":"Pass","End":true}}},"ItemsPath":"$.a[*]","MaxConcurrency":-1,"ItemReader":{},"End":true}}}`,
			[]string{`state "M": Iterator: use Iterator or ItemProcessor, not both`, `state "M": ItemsPath: invalid path`, `state "M": MaxConcurrency: must be a non-negative integer`, `state "M": ItemReader: distributed Map (ItemReader) is not supported`}},
		{"Map without iterator", `{"StartAt":"M","States":{"M":{"Type":"Map","End":true}}}`, []string{`state "M": ItemProcessor: required`}},
		{"Map distributed", `{"StartAt":"M","States":{"M":{"Type":"Map","ItemProcessor":{"ProcessorConfig":{"Mode":"DISTRIBUTED"},"StartAt":"I","States":{"I":{"Type":"Pass","End":true}}},"End":true}}}`,
			[]string{`state "M": ItemProcessor.ProcessorConfig.Mode: only INLINE is supported, got "DISTRIBUTED"`}},
		{"duplicate names across branches", `{"StartAt":"P","States":{"P":{"Type":"Parallel","Branches":[{"StartAt":"P","States":{"P":{"Type":"Succeed"}}}],"End":true}}}`,
			[]string{`state "P/P": state name already used by "P"`}},
		{"long name", `{"StartAt":"` + strings.Repeat("x", 81) + `","States":{"` + strings.Repeat("x", 81) + `":{"Type":"Succeed"}}}`, []string{`state names must have 1 to 80 characters`}},
		{"unreachable", `{"StartAt":"A","States":{"A":{"Type":"Succeed"},"B":{"Type":"Succeed"}}}`, []string{`state "B": unreachable from StartAt "A"`}},
		{"Fail with both", `{"StartAt":"F","States":{"F":{"Type":"Fail","Error":"E","ErrorPath":"$.e","CausePath":"States.Nope()"}}}`,
			[]string{`state "F": Error: use Error or ErrorPath, not both`, `state "F": CausePath: invalid intrinsic function`}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := asl.Parse([]byte(tc.def))
			if !errors.Is(err, asl.ErrInvalidDefinition) {
				t.Fatalf("got %v, want ErrInvalidDefinition", err)
			}
			var ve *asl.ValidationError
			if !errors.As(err, &ve) {
				t.Fatalf("got %T, want *ValidationError", err)
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error lacks %q:\n%v", w, err)
				}
			}
		})
	}
}

func TestSubstitute(t *testing.T) {
	def := []byte(`{"StartAt":"A","TimeoutSeconds":${Timeout},"States":{"A":{"Type":"Task","Resource":"arn:${AWS::Partition}:states:::lambda:invoke",
		"Parameters":{"FunctionName":"${TrainFunctionArn}","Payload":{"note":"say \"${Quote}\" $NotOne ${not closed","path.$":"$.x"}},"End":true}}}`)
	if got := fmt.Sprint(asl.Placeholders(def)); got != "[AWS::Partition Quote Timeout TrainFunctionArn]" {
		t.Errorf("Placeholders: %s", got)
	}
	_, err := asl.Substitute(def, map[string]string{"Timeout": "60"})
	if !errors.Is(err, asl.ErrMissingPlaceholder) || !strings.Contains(err.Error(), "${AWS::Partition}, ${Quote}, ${TrainFunctionArn}") {
		t.Errorf("missing placeholders: got %v", err)
	}
	out, err := asl.Substitute(def, map[string]string{
		"Timeout": "60", "AWS::Partition": "aws", "TrainFunctionArn": "arn:aws:lambda:eu-west-1:1:function:train",
		"Quote": `a "quoted" \ value`,
	})
	must(t, err)
	sm := mustParse(t, string(out))
	if sm.TimeoutSeconds != 60 || sm.States["A"].Resource != "arn:aws:states:::lambda:invoke" {
		t.Errorf("substituted machine %+v", sm)
	}
	if !strings.Contains(string(out), `"note":"say \"a \"quoted\" \\ value\" $NotOne ${not closed"`) {
		t.Errorf("string value not escaped as JSON string content: %s", out)
	}
}
