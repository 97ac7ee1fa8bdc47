package capturefn

import (
	"bytes"
	"compress/gzip"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/aws/aws-lambda-go/events"
)

// Bounds of a subscription payload. CloudWatch Logs delivers at most
// 1 MB of log data a batch; the bounds leave room and stop a gzip bomb
// long before it fills the function's memory.
const (
	// MaxEncodedBytes bounds the base64 text of awslogs.data.
	MaxEncodedBytes = 8 << 20
	// MaxDecodedBytes bounds the JSON the gzip stream expands to.
	MaxDecodedBytes = 32 << 20
)

// Message types of a subscription payload.
const (
	DataMessage    = "DATA_MESSAGE"
	ControlMessage = "CONTROL_MESSAGE" // sent once to check the destination
)

// ErrPayload reports an awslogs payload that cannot be read.
var ErrPayload = errors.New("capturefn: invalid awslogs payload")

// Decode reads the awslogs.data of a CloudWatch Logs subscription event:
// base64 (standard alphabet, padded) of a gzip stream of the JSON of
// events.CloudwatchLogsData. A data message must name its log group and
// stream and give each event an id. Every error wraps ErrPayload and
// says which layer or field is wrong.
func Decode(data string) (events.CloudwatchLogsData, error) {
	var out events.CloudwatchLogsData
	if data == "" {
		return out, fmt.Errorf("%w: awslogs.data is empty: expected base64 of gzipped JSON", ErrPayload)
	}
	if len(data) > MaxEncodedBytes {
		return out, fmt.Errorf("%w: awslogs.data is %d bytes, more than %d", ErrPayload, len(data), MaxEncodedBytes)
	}
	zipped, err := base64.StdEncoding.DecodeString(data)
	if err != nil {
		return out, fmt.Errorf("%w: awslogs.data: base64: %v", ErrPayload, err)
	}
	zr, err := gzip.NewReader(bytes.NewReader(zipped))
	if err != nil {
		return out, fmt.Errorf("%w: awslogs.data: gzip: %v", ErrPayload, err)
	}
	raw, err := io.ReadAll(io.LimitReader(zr, MaxDecodedBytes+1))
	if err != nil {
		return out, fmt.Errorf("%w: awslogs.data: gzip: %v", ErrPayload, err)
	}
	if len(raw) > MaxDecodedBytes {
		return out, fmt.Errorf("%w: awslogs.data expands to more than %d bytes", ErrPayload, MaxDecodedBytes)
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	if err := dec.Decode(&out); err != nil {
		return events.CloudwatchLogsData{}, fmt.Errorf("%w: awslogs.data: JSON: %v", ErrPayload, strings.TrimPrefix(err.Error(), "json: "))
	}
	if _, err := dec.Token(); err != io.EOF {
		return events.CloudwatchLogsData{}, fmt.Errorf("%w: awslogs.data: JSON: more than one value", ErrPayload)
	}
	switch out.MessageType {
	case ControlMessage:
		return out, nil
	case DataMessage:
	default:
		return events.CloudwatchLogsData{}, fmt.Errorf("%w: messageType %q: expected %s or %s", ErrPayload, out.MessageType, DataMessage, ControlMessage)
	}
	if out.LogGroup == "" || out.LogStream == "" {
		return events.CloudwatchLogsData{}, fmt.Errorf("%w: logGroup %q, logStream %q: expected both", ErrPayload, out.LogGroup, out.LogStream)
	}
	for i, e := range out.LogEvents {
		if e.ID == "" {
			return events.CloudwatchLogsData{}, fmt.Errorf("%w: logEvents[%d]: no id", ErrPayload, i)
		}
	}
	return out, nil
}

// Encode is Decode's inverse: the awslogs.data CloudWatch Logs would send
// for d. Tests and the cloud twin use it to make subscription events.
func Encode(d events.CloudwatchLogsData) (string, error) {
	raw, err := json.Marshal(d)
	if err != nil {
		return "", fmt.Errorf("capturefn: encode: %w", err)
	}
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	if _, err := zw.Write(raw); err != nil {
		return "", fmt.Errorf("capturefn: encode: %w", err)
	}
	if err := zw.Close(); err != nil {
		return "", fmt.Errorf("capturefn: encode: %w", err)
	}
	return base64.StdEncoding.EncodeToString(buf.Bytes()), nil
}
