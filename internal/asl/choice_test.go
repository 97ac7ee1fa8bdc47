package asl_test

import (
	"fmt"
	"testing"

	"github.com/stewardml/steward/internal/asl"
)

// choose runs a one-rule Choice state and reports which branch it took:
// "yes", "no" (Default) or the execution's error.
func choose(t *testing.T, rule, input string) string {
	t.Helper()
	e := newEnv(t, nil)
	ex := e.start(fmt.Sprintf(`{"StartAt":"C","States":{
		"C":{"Type":"Choice","Choices":[%s],"Default":"No"},
		"Yes":{"Type":"Pass","Result":"yes","End":true},
		"No":{"Type":"Pass","Result":"no","End":true}}}`, rule), input)
	if ex.Status != asl.StatusSucceeded {
		return ex.Error
	}
	return string(ex.Output[1 : len(ex.Output)-1])
}

func TestChoiceOperators(t *testing.T) {
	const input = `{"s":"beta","n":10,"f":2.5,"b":true,"ts":"2026-03-14T01:59:00Z","nul":null,
		"other":{"s":"alpha","n":10.0,"b":true,"ts":"2026-03-14T02:00:00+01:00","later":"2026-03-15T00:00:00Z"},
		"file":"log-2026.txt","star":"a*b","bs":"a\\b","uni":"é"}`
	for _, tc := range []struct {
		rule string
		want string
	}{
		{`"Variable":"$.s","StringEquals":"beta"`, "yes"},
		{`"Variable":"$.s","StringEquals":"Beta"`, "no"},
		{`"Variable":"$.s","StringLessThan":"gamma"`, "yes"},
		{`"Variable":"$.s","StringGreaterThan":"alpha"`, "yes"},
		{`"Variable":"$.s","StringLessThanEquals":"beta"`, "yes"},
		{`"Variable":"$.s","StringGreaterThanEquals":"betb"`, "no"},
		{`"Variable":"$.uni","StringGreaterThan":"z"`, "yes"},
		{`"Variable":"$.s","StringEqualsPath":"$.other.s"`, "no"},
		{`"Variable":"$.s","StringGreaterThanPath":"$.other.s"`, "yes"},
		{`"Variable":"$.n","NumericEquals":10`, "yes"},
		{`"Variable":"$.n","NumericEquals":10.0`, "yes"},
		{`"Variable":"$.n","NumericEqualsPath":"$.other.n"`, "yes"},
		{`"Variable":"$.f","NumericLessThan":2.51`, "yes"},
		{`"Variable":"$.f","NumericGreaterThan":2.5`, "no"},
		{`"Variable":"$.f","NumericGreaterThanEquals":2.5`, "yes"},
		{`"Variable":"$.f","NumericLessThanEquals":2.4`, "no"},
		{`"Variable":"$.n","NumericLessThanPath":"$.f"`, "no"},
		{`"Variable":"$.s","NumericEquals":10`, "no"},
		{`"Variable":"$.b","BooleanEquals":true`, "yes"},
		{`"Variable":"$.b","BooleanEqualsPath":"$.other.b"`, "yes"},
		{`"Variable":"$.s","BooleanEquals":true`, "no"},
		{`"Variable":"$.ts","TimestampEquals":"2026-03-14T01:59:00Z"`, "yes"},
		{`"Variable":"$.ts","TimestampGreaterThanPath":"$.other.ts"`, "yes"}, // +01:00 offset: 01:00Z
		{`"Variable":"$.ts","TimestampGreaterThan":"2026-03-14T01:58:59.999Z"`, "yes"},
		{`"Variable":"$.ts","TimestampLessThanEquals":"2026-03-14T01:59:00Z"`, "yes"},
		{`"Variable":"$.ts","TimestampGreaterThanEqualsPath":"$.other.later"`, "no"},
		{`"Variable":"$.s","TimestampEquals":"2026-03-14T01:59:00Z"`, "no"},
		{`"Variable":"$.file","StringMatches":"log-*.txt"`, "yes"},
		{`"Variable":"$.file","StringMatches":"*.log"`, "no"},
		{`"Variable":"$.file","StringMatches":"*"`, "yes"},
		{`"Variable":"$.file","StringMatches":"log-*-*.txt"`, "no"},
		{`"Variable":"$.file","StringMatches":"l*2*6*"`, "yes"},
		{`"Variable":"$.star","StringMatches":"a\\*b"`, "yes"},
		{`"Variable":"$.file","StringMatches":"log\\*"`, "no"},
		{`"Variable":"$.bs","StringMatches":"a\\\\b"`, "yes"},
		{`"Variable":"$.nul","IsNull":true`, "yes"},
		{`"Variable":"$.s","IsNull":true`, "no"},
		{`"Variable":"$.s","IsPresent":true`, "yes"},
		{`"Variable":"$.missing","IsPresent":false`, "yes"},
		{`"Variable":"$.missing","IsPresent":true`, "no"},
		{`"Variable":"$.f","IsNumeric":true`, "yes"},
		{`"Variable":"$.s","IsNumeric":false`, "yes"},
		{`"Variable":"$.s","IsString":true`, "yes"},
		{`"Variable":"$.b","IsBoolean":true`, "yes"},
		{`"Variable":"$.ts","IsTimestamp":true`, "yes"},
		{`"Variable":"$.s","IsTimestamp":true`, "no"},
		{`"Variable":"$.missing","StringEquals":"x"`, asl.ErrorRuntime},
		{`"Variable":"$.s","StringEqualsPath":"$.missing"`, asl.ErrorRuntime},
		{`"And":[{"Variable":"$.n","NumericGreaterThan":5},{"Variable":"$.b","BooleanEquals":true}]`, "yes"},
		{`"And":[{"Variable":"$.n","NumericGreaterThan":5},{"Variable":"$.b","BooleanEquals":false}]`, "no"},
		{`"Or":[{"Variable":"$.n","NumericGreaterThan":50},{"Variable":"$.s","StringEquals":"beta"}]`, "yes"},
		{`"Or":[{"Variable":"$.s","StringEquals":"beta"},{"Variable":"$.missing","StringEquals":"x"}]`, "yes"},
		{`"Not":{"Variable":"$.s","StringEquals":"beta"}`, "no"},
		{`"Not":{"And":[{"Variable":"$.missing","IsPresent":true},{"Variable":"$.missing","StringEquals":"x"}]}`, "yes"},
	} {
		t.Run(tc.rule, func(t *testing.T) {
			if got := choose(t, "{"+tc.rule+`,"Next":"Yes"}`, input); got != tc.want {
				t.Errorf("got %s, want %s", got, tc.want)
			}
		})
	}
}

// The specification's Choice state example.
func TestChoiceSpecExample(t *testing.T) {
	const def = `{"StartAt":"ChoiceStateX","States":{
		"ChoiceStateX":{"Type":"Choice","Choices":[
			{"Not":{"Variable":"$.type","StringEquals":"Private"},"Next":"Public"},
			{"Variable":"$.value","NumericEquals":0,"Next":"ValueIsZero"},
			{"And":[{"Variable":"$.value","NumericGreaterThanEquals":20},{"Variable":"$.value","NumericLessThan":30}],"Next":"ValueInTwenties"}],
			"Default":"DefaultState"},
		"Public":{"Type":"Pass","Result":"Public","End":true},
		"ValueIsZero":{"Type":"Pass","Result":"ValueIsZero","End":true},
		"ValueInTwenties":{"Type":"Pass","Result":"ValueInTwenties","End":true},
		"DefaultState":{"Type":"Pass","Result":"DefaultState","End":true}}}`
	for _, tc := range []struct{ input, want string }{
		{`{"type":"Public"}`, `"Public"`},
		{`{"type":"Private","value":0}`, `"ValueIsZero"`},
		{`{"type":"Private","value":22}`, `"ValueInTwenties"`},
		{`{"type":"Private","value":30}`, `"DefaultState"`},
	} {
		e := newEnv(t, nil)
		ex := e.start(def, tc.input)
		if ex.Status != asl.StatusSucceeded {
			t.Fatalf("%s: %s %s", tc.input, ex.Status, ex.Error)
		}
		jsonEq(t, ex.Output, tc.want)
	}
}

func TestChoiceNoMatchWithoutDefault(t *testing.T) {
	e := newEnv(t, nil)
	ex := e.start(`{"StartAt":"C","States":{"C":{"Type":"Choice","Choices":[{"Variable":"$.a","NumericEquals":1,"Next":"D"}]},"D":{"Type":"Succeed"}}}`, `{"a":2}`)
	if ex.Status != asl.StatusFailed || ex.Error != asl.ErrorNoChoiceMatched {
		t.Errorf("got %s %s, want FAILED States.NoChoiceMatched", ex.Status, ex.Error)
	}
}

func TestChoiceInputAndOutputPath(t *testing.T) {
	e := newEnv(t, nil)
	ex := e.start(`{"StartAt":"C","States":{"C":{"Type":"Choice","InputPath":"$.x","OutputPath":"$.y",
		"Choices":[{"Variable":"$.flag","BooleanEquals":true,"Next":"D"}]},"D":{"Type":"Succeed"}}}`, `{"x":{"flag":true,"y":[7]}}`)
	if ex.Status != asl.StatusSucceeded {
		t.Fatal(ex.Status, ex.Error)
	}
	jsonEq(t, ex.Output, `[7]`)
}
