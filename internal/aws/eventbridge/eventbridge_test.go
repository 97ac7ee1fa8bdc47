package eventbridge

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge"
	"github.com/stewardml/steward/internal/bus"
)

func TestPublishSpeaksEventBridge(t *testing.T) {
	var got map[string]any
	fail := false
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("X-Amz-Target") != "AWSEvents.PutEvents" {
			w.WriteHeader(400)
			return
		}
		b, _ := io.ReadAll(r.Body)
		json.Unmarshal(b, &got)
		w.Header().Set("Content-Type", "application/x-amz-json-1.1")
		if fail {
			io.WriteString(w, `{"FailedEntryCount":1,"Entries":[{"ErrorCode":"InternalFailure","ErrorMessage":"try later"}]}`)
			return
		}
		io.WriteString(w, `{"FailedEntryCount":0,"Entries":[{"EventId":"e-1"}]}`)
	}))
	defer srv.Close()
	p := New(eventbridge.New(eventbridge.Options{Region: "us-east-1", BaseEndpoint: aws.String(srv.URL), Credentials: aws.AnonymousCredentials{}}), "steward-dev")
	e, _ := bus.New(bus.DriftChecked, time.Date(2026, 11, 25, 0, 0, 0, 0, time.UTC), map[string]any{"model": "heart", "score": 0.62})
	if err := p.Publish(context.Background(), e); err != nil {
		t.Fatal(err)
	}
	entry := got["Entries"].([]any)[0].(map[string]any)
	if entry["EventBusName"] != "steward-dev" || entry["DetailType"] != "DriftChecked" || !strings.Contains(entry["Detail"].(string), `"score":0.62`) {
		t.Errorf("entry = %v", entry)
	}
	fail = true
	if err := p.Publish(context.Background(), e); err == nil || !strings.Contains(err.Error(), "InternalFailure") {
		t.Errorf("failed entry error = %v", err)
	}
}
