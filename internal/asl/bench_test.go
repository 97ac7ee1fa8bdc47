package asl_test

import (
	"context"
	"encoding/json"
	"testing"

	"github.com/stewardml/steward/internal/asl"
)

// BenchmarkExecution runs a small machine end to end over the memory store:
// every step is a load, an advance and a versioned save.
func BenchmarkExecution(b *testing.B) {
	sm := mustParse(b, `{"StartAt":"P","States":{
		"P":{"Type":"Pass","Parameters":{"n.$":"$.n","label.$":"States.Format('run {}', $.n)"},"ResultPath":"$.p","Next":"T"},
		"T":{"Type":"Task","Resource":"arn:test:echo","ResultPath":"$.t","Next":"C"},
		"C":{"Type":"Choice","Choices":[{"Variable":"$.n","NumericGreaterThan":0,"Next":"M"}],"Default":"M"},
		"M":{"Type":"Map","ItemsPath":"$.items","Iterator":{"StartAt":"E","States":{"E":{"Type":"Task","Resource":"arn:test:echo","End":true}}},"ResultPath":"$.m","End":true}}}`)
	r, err := asl.NewRunner(asl.Config{Store: asl.NewMemStore(), Resources: map[string]asl.Invoker{"arn:test:echo": echo()}})
	if err != nil {
		b.Fatal(err)
	}
	input := json.RawMessage(`{"n":1,"items":[1,2,3,4]}`)
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		ex, err := r.Start(ctx, asl.StartInput{StateMachine: sm, StateMachineName: "bench", Input: input})
		if err != nil || ex.Status != asl.StatusSucceeded {
			b.Fatalf("%v %s %s %s", err, ex.Status, ex.Error, ex.Cause)
		}
	}
}

func BenchmarkPathSelect(b *testing.B) {
	doc := decode(b, storeDoc)
	p, err := asl.ParsePath("$.store.book[?(@.price < 10)].title")
	if err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		if _, err := p.Select(doc, nil); err != nil {
			b.Fatal(err)
		}
	}
}
