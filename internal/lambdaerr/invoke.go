package lambdaerr

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
)

// Func is a Lambda handler over the raw payload; it implements
// aws-lambda-go's lambda.Handler, so lambda.Start and
// lambda.NewHandler(f).Invoke take it as it is.
type Func func(ctx context.Context, payload []byte) ([]byte, error)

// Invoke calls f.
func (f Func) Invoke(ctx context.Context, payload []byte) ([]byte, error) { return f(ctx, payload) }

// Handler returns the Lambda JSON path of handle, the one every Steward
// function takes: the payload is decoded into E, handle runs, its error is
// renamed by rules (Map: an unmatched error becomes InternalError, one
// already named keeps its name) and its result is encoded as JSON.
//
// An E of json.RawMessage or []byte receives the payload as it arrived, so
// that a handler can answer even a payload that is not JSON with a named
// error. Any other E is decoded strictly: unknown fields and trailing data
// are InvalidInput. pkg prefixes the messages of the decoding and encoding
// errors ("workflow: decode event: ...").
func Handler[E, R any](pkg string, handle func(context.Context, E) (R, error), rules ...Rule) Func {
	return func(ctx context.Context, payload []byte) ([]byte, error) {
		var ev E
		switch p := any(&ev).(type) {
		case *json.RawMessage:
			*p = payload
		case *[]byte:
			*p = payload
		default:
			dec := json.NewDecoder(bytes.NewReader(payload))
			dec.DisallowUnknownFields()
			if err := dec.Decode(&ev); err != nil {
				return nil, New(InvalidInput, fmt.Sprintf("%s: decode event: %v", pkg, err))
			}
			if dec.More() {
				return nil, New(InvalidInput, pkg+": decode event: more than one JSON value")
			}
		}
		out, err := handle(ctx, ev)
		if err != nil {
			return nil, Map(err, rules...)
		}
		b, err := json.Marshal(out)
		if err != nil {
			return nil, New(Internal, fmt.Sprintf("%s: encode result: %v", pkg, err))
		}
		return b, nil
	}
}
