package cloudtwin

import (
	"context"
	"encoding/json"
	"fmt"
	"regexp"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/stewardml/steward/internal/serving/capturefn"
)

// Subscription is a CloudWatch Logs subscription filter of the stack: the
// log lines of Source that Pattern matches go to Destination.
type Subscription struct {
	Source, Destination string
	// Pattern is the filter pattern, as the stack writes it.
	Pattern string
}

// CaptureSubscription is the stack's subscription of the capture function
// to the predict function's log group (infra/stack/capture.go), its
// pattern read from the stack's CaptureFilterPattern.
func (tw *Twin) CaptureSubscription() (Subscription, error) {
	p, err := tw.D.Stack.Const("CaptureFilterPattern")
	if err != nil {
		return Subscription{}, err
	}
	return Subscription{Source: "predict", Destination: "capture", Pattern: p}, nil
}

// jsonEquals is the one form of filter pattern the twin evaluates:
// { $.field = "value" }, field possibly dotted.
var jsonEquals = regexp.MustCompile(`^\{\s*\$\.([A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)*)\s*=\s*"([^"*]*)"\s*\}$`)

// Matcher returns whether a log line matches the pattern, as CloudWatch
// Logs evaluates a JSON equality pattern: the line is a JSON object whose
// field is that string. Other patterns are an error wrapping ErrStack,
// so that a stack that changes its pattern fails here rather than
// delivering something else than AWS would.
func (s Subscription) Matcher() (func(line string) bool, error) {
	m := jsonEquals.FindStringSubmatch(s.Pattern)
	if m == nil {
		return nil, fmt.Errorf("%w: filter pattern %q: the twin evaluates { $.field = \"value\" } only", ErrStack, s.Pattern)
	}
	path, want := strings.Split(m[1], "."), m[2]
	return func(line string) bool {
		var v any
		if json.Unmarshal([]byte(line), &v) != nil {
			return false
		}
		for _, k := range path {
			obj, ok := v.(map[string]any)
			if !ok {
				return false
			}
			v = obj[k]
		}
		got, ok := v.(string)
		return ok && got == want
	}, nil
}

// Delivery is one batch a subscription delivered.
type Delivery struct {
	Data   events.CloudwatchLogsData
	Event  events.CloudwatchLogsEvent
	Result Result
}

// logOffsets remembers, per subscription, how much of the source's log
// was delivered.
type logOffsets struct {
	mu   sync.Mutex
	seen map[string]int
	next int64
}

// Deliver plays the subscription once: the lines Source logged since the
// last delivery that match Pattern become one batch, one log event per
// line (as Lambda logs a custom runtime's stdout), sent to Destination as
// CloudWatch Logs sends it (gzipped JSON in base64 under awslogs.data).
// With no matching line nothing is invoked and the Delivery is empty.
func (tw *Twin) Deliver(ctx context.Context, sub Subscription) (Delivery, error) {
	match, err := sub.Matcher()
	if err != nil {
		return Delivery{}, err
	}
	src, ok := tw.Gateway.Functions[sub.Source]
	dst, ok2 := tw.Gateway.Functions[sub.Destination]
	if !ok || !ok2 {
		return Delivery{}, fmt.Errorf("cloudtwin: subscription %s -> %s: start both functions first", sub.Source, sub.Destination)
	}
	tw.offsets.mu.Lock()
	if tw.offsets.seen == nil {
		tw.offsets.seen = map[string]int{}
	}
	key := sub.Source + "->" + sub.Destination
	text, end := src.LogsSince(tw.offsets.seen[key])
	tw.offsets.seen[key] = end
	d := events.CloudwatchLogsData{
		Owner:               tw.D.Account,
		LogGroup:            "/aws/lambda/" + tw.D.FunctionName(sub.Source),
		LogStream:           time.Now().UTC().Format("2006/01/02") + "/[$LATEST]cloudtwin",
		SubscriptionFilters: []string{tw.D.Prefix() + "-captures"},
		MessageType:         capturefn.DataMessage,
	}
	ms := time.Now().UnixMilli()
	for _, line := range strings.Split(text, "\n") {
		if line = strings.TrimSpace(line); line == "" || !match(line) {
			continue
		}
		tw.offsets.next++
		// CloudWatch Logs' event ids are 56 decimal digits.
		d.LogEvents = append(d.LogEvents, events.CloudwatchLogsLogEvent{ID: fmt.Sprintf("%020d%036d", ms, tw.offsets.next), Timestamp: ms, Message: line})
	}
	tw.offsets.mu.Unlock()
	if len(d.LogEvents) == 0 {
		return Delivery{}, nil
	}
	data, err := capturefn.Encode(d)
	if err != nil {
		return Delivery{}, err
	}
	ev := events.CloudwatchLogsEvent{AWSLogs: events.CloudwatchLogsRawData{Data: data}}
	res, err := dst.Invoke(ctx, ev)
	if err != nil {
		return Delivery{}, err
	}
	return Delivery{Data: d, Event: ev, Result: res}, nil
}
