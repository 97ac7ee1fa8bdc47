package asl_test

import (
	"testing"

	"github.com/stewardml/steward/internal/asl"
)

func TestSmoke(t *testing.T) {
	e := newEnv(t, map[string]asl.Invoker{"arn:test:echo": echo()})
	ex := e.start(`{"StartAt":"A","States":{
		"A":{"Type":"Pass","Result":{"x":1},"ResultPath":"$.a","Next":"B"},
		"B":{"Type":"Task","Resource":"arn:test:echo","Parameters":{"v.$":"$.a.x","n":"k"},"ResultPath":"$.b","Next":"C"},
		"C":{"Type":"Succeed"}}}`, `{"in":true}`)
	if ex.Status != asl.StatusSucceeded {
		t.Fatalf("status %s %s %s", ex.Status, ex.Error, ex.Cause)
	}
	jsonEq(t, ex.Output, `{"in":true,"a":{"x":1},"b":{"v":1,"n":"k"}}`)
	for _, ev := range e.history(ex.ID) {
		t.Logf("%d %s %s %s %s", ev.ID, ev.Type, ev.State, ev.Input, ev.Output)
	}
}
