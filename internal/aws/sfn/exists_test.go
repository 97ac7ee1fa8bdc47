package sfn

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sfn"
)

func TestStartUnderATakenNameIsErrExecutionExists(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		w.Header().Set("Content-Type", "application/x-amz-json-1.0")
		w.WriteHeader(400)
		io.WriteString(w, `{"__type":"com.amazonaws.swf.service.v2.model#ExecutionAlreadyExists","message":"Execution Already Exists: 'arn:aws:states:us-east-1:1:execution:retrain:e1'"}`)
	}))
	defer srv.Close()
	c := New(sfn.New(sfn.Options{Region: "us-east-1", BaseEndpoint: aws.String(srv.URL), Credentials: aws.AnonymousCredentials{}}),
		"arn:aws:states:us-east-1:1:stateMachine:retrain")
	_, err := c.StartExecution(context.Background(), "e1", json.RawMessage(`{}`))
	if !errors.Is(err, ErrExecutionExists) {
		t.Fatalf("err %v, want ErrExecutionExists", err)
	}
	arn, err := c.ExecutionARN("e1")
	if err != nil || arn != "arn:aws:states:us-east-1:1:execution:retrain:e1" {
		t.Errorf("ExecutionARN = %q, %v", arn, err)
	}
	if _, err := New(nil, "retrain").ExecutionARN("e1"); err == nil {
		t.Error("ExecutionARN of a machine without an ARN")
	}
}
