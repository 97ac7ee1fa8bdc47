package ses

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sesv2"
	"github.com/stewardml/steward/internal/notify"
)

// TestSendSpeaksTheSESv2Protocol points the real SDK client at a local HTTP
// endpoint that records the REST-JSON request SES v2 would receive.
func TestSendSpeaksTheSESv2Protocol(t *testing.T) {
	var mu sync.Mutex
	var got struct {
		path string
		body map[string]any
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		mu.Lock()
		got.path = r.URL.Path
		json.Unmarshal(b, &got.body)
		mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		io.WriteString(w, `{"MessageId":"m-1"}`)
	}))
	defer srv.Close()
	client := sesv2.New(sesv2.Options{
		Region: "us-east-1", BaseEndpoint: aws.String(srv.URL),
		Credentials: aws.AnonymousCredentials{},
	})
	m := New(client)
	err := m.Send(context.Background(), notify.Message{
		From: "steward@example.com", To: []string{"ana@example.com"}, Subject: "Approve?",
		Text: "plain", HTML: "<p>html</p>", Kind: "approval_requested",
		Attachments: []notify.Attachment{{Name: "training-report-r1.pdf", ContentType: "application/pdf", Data: []byte("%PDF-1.7")}},
	})
	if err != nil {
		t.Fatal(err)
	}
	if got.path != "/v2/email/outbound-emails" {
		t.Errorf("path = %q, want /v2/email/outbound-emails", got.path)
	}
	simple := got.body["Content"].(map[string]any)["Simple"].(map[string]any)
	if simple["Subject"].(map[string]any)["Data"] != "Approve?" {
		t.Errorf("subject not sent: %v", simple)
	}
	if body := simple["Body"].(map[string]any); body["Html"] == nil || body["Text"] == nil {
		t.Errorf("body parts missing: %v", body)
	}
	if a, _ := simple["Attachments"].([]any); len(a) != 1 || a[0].(map[string]any)["FileName"] != "training-report-r1.pdf" || a[0].(map[string]any)["RawContent"] != "JVBERi0xLjc=" {
		t.Errorf("attachments %v, want the report", simple["Attachments"])
	}
	if err := m.Send(context.Background(), notify.Message{From: "x@example.com", Subject: "s", Text: "t"}); err == nil {
		t.Error("Send without recipients succeeded")
	}
}
