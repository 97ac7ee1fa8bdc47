package statemachines

import (
	"encoding/json"
	"strings"
	"testing"
)

func TestEveryPlaceholderHasAFunction(t *testing.T) {
	def, err := Definition(Retrain)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range Placeholders(def) {
		if _, ok := Functions[p]; !ok {
			t.Errorf("placeholder %s has no function in Functions", p)
		}
	}
	values := map[string]string{}
	for p, fn := range Functions {
		values[p] = "arn:aws:lambda:us-east-1:123456789012:function:" + fn
	}
	out, err := Substitute(def, values)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(out, "${") {
		t.Error("substituted definition still has a placeholder")
	}
}

func TestSubstituteNamesMissingValues(t *testing.T) {
	_, err := Substitute(`{"a":"${One}","b":"${Two}"}`, map[string]string{"One": "x"})
	if err == nil || !strings.Contains(err.Error(), "Two") {
		t.Errorf("Substitute error = %v, want one naming Two", err)
	}
}

// TestEveryLambdaTaskRetriesServiceErrors walks every state, nested ones
// included, and checks that each Lambda task retries Lambda's transient errors.
func TestEveryLambdaTaskRetriesServiceErrors(t *testing.T) {
	def, _ := Definition(Retrain)
	var sm map[string]any
	if err := json.Unmarshal([]byte(def), &sm); err != nil {
		t.Fatal(err)
	}
	var walk func(states map[string]any)
	n := 0
	walk = func(states map[string]any) {
		for name, v := range states {
			s := v.(map[string]any)
			if proc, ok := s["ItemProcessor"].(map[string]any); ok {
				walk(proc["States"].(map[string]any))
			}
			res, _ := s["Resource"].(string)
			if !strings.HasPrefix(res, "arn:aws:states:::lambda:invoke") {
				continue
			}
			n++
			retries, _ := s["Retry"].([]any)
			found := false
			for _, r := range retries {
				for _, e := range r.(map[string]any)["ErrorEquals"].([]any) {
					if e == "Lambda.ServiceException" {
						found = true
					}
				}
			}
			if !found {
				t.Errorf("state %s does not retry Lambda.ServiceException", name)
			}
		}
	}
	walk(sm["States"].(map[string]any))
	if n < 6 {
		t.Errorf("found %d Lambda tasks, want at least 6", n)
	}
}

// TestOneRetryLevelPerTask fails on a Map or Parallel state that retries
// while a state inside it retries too: the attempts would multiply (a task
// retried 3 times inside a Map retried 3 times runs 16 times per item).
func TestOneRetryLevelPerTask(t *testing.T) {
	def, _ := Definition(Retrain)
	var sm map[string]any
	if err := json.Unmarshal([]byte(def), &sm); err != nil {
		t.Fatal(err)
	}
	var retries func(states map[string]any) []string
	retries = func(states map[string]any) []string {
		var out []string
		for name, v := range states {
			s := v.(map[string]any)
			if r, _ := s["Retry"].([]any); len(r) > 0 {
				out = append(out, name)
			}
			if proc, ok := s["ItemProcessor"].(map[string]any); ok {
				inner := retries(proc["States"].(map[string]any))
				if r, _ := s["Retry"].([]any); len(r) > 0 && len(inner) > 0 {
					t.Errorf("Map %s retries around %v, which retry themselves", name, inner)
				}
				out = append(out, inner...)
			}
		}
		return out
	}
	retries(sm["States"].(map[string]any))
}
