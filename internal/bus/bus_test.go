package bus

import (
	"context"
	"errors"
	"testing"
	"time"
)

func TestLocalDeliversBySubscription(t *testing.T) {
	var l Local
	var got []string
	l.Subscribe(DriftChecked, func(ctx context.Context, e Event) error { got = append(got, "agent:"+e.DetailType); return nil })
	l.Subscribe("*", func(ctx context.Context, e Event) error {
		got = append(got, "log:"+e.DetailType)
		return errors.New("disk full")
	})
	e, _ := New(DriftChecked, time.Now(), map[string]int{"x": 1})
	err := l.Publish(context.Background(), e)
	if err == nil {
		t.Error("a failing handler's error was dropped")
	}
	if len(got) != 2 || got[0] != "agent:DriftChecked" || got[1] != "log:DriftChecked" {
		t.Errorf("deliveries = %v", got)
	}
	other, _ := New(ValidationFailed, time.Now(), nil)
	got = nil
	l.Publish(context.Background(), other)
	if len(got) != 1 {
		t.Errorf("ValidationFailed reached %v, want only the * handler", got)
	}
	if err := l.Publish(context.Background(), Event{}); err == nil {
		t.Error("an empty event was accepted")
	}
}
