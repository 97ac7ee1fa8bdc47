package sfn

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sfn"
)

// endpoint answers the Step Functions JSON 1.0 protocol for the calls used.
func endpoint(t *testing.T, seen *[]string) *httptest.Server {
	return httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		target := r.Header.Get("X-Amz-Target")
		b, _ := io.ReadAll(r.Body)
		*seen = append(*seen, target+" "+string(b))
		w.Header().Set("Content-Type", "application/x-amz-json-1.0")
		switch target {
		case "AWSStepFunctions.StartExecution":
			io.WriteString(w, `{"executionArn":"arn:aws:states:us-east-1:1:execution:retrain:e1","startDate":1.7e9}`)
		case "AWSStepFunctions.SendTaskSuccess":
			var in map[string]string
			json.Unmarshal(b, &in)
			if in["taskToken"] == "stale" {
				w.WriteHeader(400)
				io.WriteString(w, `{"__type":"com.amazonaws.swf.service.v2.model#TaskTimedOut","message":"Task Timed Out"}`)
				return
			}
			io.WriteString(w, `{}`)
		default:
			w.WriteHeader(400)
			io.WriteString(w, `{"__type":"UnknownOperationException"}`)
		}
	}))
}

func TestClientSpeaksStepFunctions(t *testing.T) {
	var seen []string
	srv := endpoint(t, &seen)
	defer srv.Close()
	c := New(sfn.New(sfn.Options{Region: "us-east-1", BaseEndpoint: aws.String(srv.URL), Credentials: aws.AnonymousCredentials{}}),
		"arn:aws:states:us-east-1:1:stateMachine:retrain")
	arn, err := c.StartExecution(context.Background(), "e1", json.RawMessage(`{"model":"heart"}`))
	if err != nil || !strings.HasSuffix(arn, ":e1") {
		t.Fatalf("StartExecution = %q, %v", arn, err)
	}
	if err := c.SendTaskSuccess(context.Background(), "tok", json.RawMessage(`{"approved":true}`)); err != nil {
		t.Fatal(err)
	}
	err = c.SendTaskSuccess(context.Background(), "stale", json.RawMessage(`{}`))
	if !errors.Is(err, ErrTaskGone) || strings.Contains(err.Error(), "stale") {
		t.Errorf("stale token error = %v, want ErrTaskGone without the token", err)
	}
	if !strings.Contains(seen[0], `"stateMachineArn":"arn:aws:states:us-east-1:1:stateMachine:retrain"`) {
		t.Errorf("StartExecution body = %s", seen[0])
	}
}
