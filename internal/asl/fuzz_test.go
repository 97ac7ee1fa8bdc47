package asl_test

import (
	"errors"
	"testing"

	"github.com/stewardml/steward/internal/asl"
)

// FuzzParse feeds arbitrary definitions to Parse: it must never panic, must
// report problems as *ValidationError, and what it accepts must parse again
// from its own normalised form.
func FuzzParse(f *testing.F) {
	f.Add([]byte(`{"StartAt":"A","States":{"A":{"Type":"Pass","End":true}}}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		asl.Placeholders(data)
		sm, err := asl.Parse(data)
		if err != nil {
			var ve *asl.ValidationError
			if !errors.As(err, &ve) || len(ve.Problems) == 0 {
				t.Fatalf("Parse error %v is not a *ValidationError with problems", err)
			}
			return
		}
		sm.Walk(func(string, *asl.State) {})
		if _, err := asl.Parse(sm.Definition()); err != nil {
			t.Fatalf("the normalised definition does not parse: %v", err)
		}
	})
}

// FuzzIntrinsic feeds arbitrary calls to ParseIntrinsic and evaluates what
// parses: neither may panic, and failures must be States.IntrinsicFailure.
func FuzzIntrinsic(f *testing.F) {
	f.Add("States.Format('Hello, {}', $.name)")
	in := decode(f, intrinsicInput)
	f.Fuzz(func(t *testing.T, call string) {
		fn, err := asl.ParseIntrinsic(call)
		if err != nil {
			if !errors.Is(err, asl.ErrInvalidIntrinsic) {
				t.Fatalf("ParseIntrinsic error %v does not wrap ErrInvalidIntrinsic", err)
			}
			return
		}
		if fn.String() != call {
			t.Fatalf("String() = %q, want %q", fn.String(), call)
		}
		if _, err := fn.Eval(in, in); err != nil && !containsIntrinsicFailure(err) {
			t.Fatalf("Eval error %v is not a States.IntrinsicFailure", err)
		}
	})
}

func containsIntrinsicFailure(err error) bool {
	return err != nil && len(err.Error()) >= len(asl.ErrorIntrinsicFailure) && err.Error()[:len(asl.ErrorIntrinsicFailure)] == asl.ErrorIntrinsicFailure
}

// FuzzPath feeds arbitrary paths to ParsePath and applies what parses.
func FuzzPath(f *testing.F) {
	f.Add("$.store.book[?(@.price < 10)].title")
	doc := decode(f, storeDoc)
	f.Fuzz(func(t *testing.T, path string) {
		p, err := asl.ParsePath(path)
		if err != nil {
			if !errors.Is(err, asl.ErrInvalidPath) {
				t.Fatalf("ParsePath error %v does not wrap ErrInvalidPath", err)
			}
			return
		}
		v, err := p.Select(doc, doc)
		if err != nil && !errors.Is(err, asl.ErrPathNotFound) {
			t.Fatalf("Select error %v does not wrap ErrPathNotFound", err)
		}
		if err == nil && !p.Definite() {
			if _, ok := v.([]any); !ok {
				t.Fatalf("an indefinite path gave %T, want an array", v)
			}
		}
	})
}
