package lambdaconcurrency_test

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/stewardml/steward/internal/aws/lambdaconcurrency"
	"github.com/stewardml/steward/internal/aws/lambdaconcurrency/lambdaconcurrencytest"
)

const fn = "steward-prod-predict"

func newScaler(t *testing.T, b lambdaconcurrency.Bounds) (*lambdaconcurrency.Scaler, *lambdaconcurrencytest.Server) {
	t.Helper()
	srv := lambdaconcurrencytest.New(t, fn+":live")
	s, err := lambdaconcurrency.New(srv.Client(), lambdaconcurrencytest.AliasARN(fn, "live"), "heart", b)
	if err != nil {
		t.Fatal(err)
	}
	return s, srv
}

func TestScalerSpeaksLambda(t *testing.T) {
	ctx := context.Background()
	s, srv := newScaler(t, lambdaconcurrency.Bounds{Min: 0, Max: 10})
	if n, err := s.Concurrency(ctx, "heart"); err != nil || n != 0 {
		t.Fatalf("Concurrency of an alias without any = %d, %v; want 0", n, err)
	}
	if err := s.SetConcurrency(ctx, "heart", 4); err != nil {
		t.Fatal(err)
	}
	if got := srv.Provisioned(fn, "live"); got != 4 {
		t.Errorf("provisioned %d, want 4", got)
	}
	if n, err := s.Concurrency(ctx, "heart"); err != nil || n != 4 {
		t.Errorf("Concurrency = %d, %v; want 4", n, err)
	}
	want := []lambdaconcurrencytest.Call{
		{Method: "GET", Function: fn, Qualifier: "live"},
		{Method: "PUT", Function: fn, Qualifier: "live", N: 4},
		{Method: "GET", Function: fn, Qualifier: "live"},
	}
	if got := srv.Calls(); !slices.Equal(got, want) {
		t.Errorf("calls %+v, want %+v", got, want)
	}
}

func TestScalerRefusesWhatIsOutOfBounds(t *testing.T) {
	ctx := context.Background()
	s, srv := newScaler(t, lambdaconcurrency.Bounds{Min: 2, Max: 6})
	for _, n := range []int{0, 1, 7, 100} {
		if err := s.SetConcurrency(ctx, "heart", n); !errors.Is(err, lambdaconcurrency.ErrOutOfBounds) {
			t.Errorf("SetConcurrency(%d) = %v, want ErrOutOfBounds", n, err)
		}
	}
	for _, n := range []int{2, 6} {
		if err := s.SetConcurrency(ctx, "heart", n); err != nil {
			t.Errorf("SetConcurrency(%d) = %v", n, err)
		}
	}
	if got := len(srv.Calls()); got != 2 {
		t.Errorf("%d calls reached Lambda, want only the 2 within bounds", got)
	}
	if err := s.SetConcurrency(ctx, "other", 4); !errors.Is(err, lambdaconcurrency.ErrModel) {
		t.Errorf("another model: %v", err)
	}
	if _, err := s.Concurrency(ctx, "other"); !errors.Is(err, lambdaconcurrency.ErrModel) {
		t.Errorf("another model: %v", err)
	}
}

func TestScalerMapsLambdaErrors(t *testing.T) {
	ctx := context.Background()
	s, srv := newScaler(t, lambdaconcurrency.Bounds{Max: 10})
	srv.FailNext("ResourceConflictException")
	if err := s.SetConcurrency(ctx, "heart", 2); !errors.Is(err, lambdaconcurrency.ErrBusy) {
		t.Errorf("conflict: %v, want ErrBusy", err)
	}
	srv.FailNext("InvalidParameterValueException") // not retried, unlike a 5xx
	if _, err := s.Concurrency(ctx, "heart"); err == nil || errors.Is(err, lambdaconcurrency.ErrBusy) || !strings.HasPrefix(err.Error(), "lambdaconcurrency: get ") {
		t.Errorf("service error: %v", err)
	}
	other, err := lambdaconcurrency.New(srv.Client(), lambdaconcurrencytest.AliasARN(fn, "canary"), "", lambdaconcurrency.Bounds{Max: 10})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := other.Concurrency(ctx, "heart"); !errors.Is(err, lambdaconcurrency.ErrNotFound) {
		t.Errorf("unknown alias: %v, want ErrNotFound", err)
	}
}

func TestNewChecksTheARNAndBounds(t *testing.T) {
	srv := lambdaconcurrencytest.New(t)
	for _, arn := range []string{
		"",
		"steward-prod-predict",
		"arn:aws:lambda:eu-west-1:123456789012:function:steward-prod-predict",
		"arn:aws:states:eu-west-1:123456789012:stateMachine:retrain:x",
	} {
		if _, err := lambdaconcurrency.New(srv.Client(), arn, "heart", lambdaconcurrency.Bounds{Max: 10}); err == nil {
			t.Errorf("%q accepted", arn)
		}
	}
	for _, b := range []lambdaconcurrency.Bounds{{Min: -1, Max: 3}, {Min: 4, Max: 3}, {Min: 0, Max: 0}} {
		if _, err := lambdaconcurrency.New(srv.Client(), lambdaconcurrencytest.AliasARN(fn, "live"), "heart", b); !errors.Is(err, lambdaconcurrency.ErrOutOfBounds) {
			t.Errorf("bounds %+v: %v", b, err)
		}
	}
}
