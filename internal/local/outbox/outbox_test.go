package outbox

import (
	"bytes"
	"context"
	"errors"
	"io"
	"mime"
	"mime/multipart"
	"net/mail"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/stewardml/steward/internal/notify"
)

func TestSendWritesAParseableMessage(t *testing.T) {
	var console bytes.Buffer
	o, err := New(t.TempDir(), &console)
	if err != nil {
		t.Fatal(err)
	}
	o.Now = func() time.Time { return time.Date(2026, 11, 25, 10, 0, 0, 0, time.UTC) }
	m := notify.Message{
		From: "steward@example.com", To: []string{"ana@example.com"},
		Subject: "Approve heart v2?", Text: "Open https://x/approvals/1 — ünïcode", HTML: "<p>Open <a href=\"https://x/approvals/1\">it</a></p>",
		Kind: "approval_requested", Link: "https://x/approvals/1",
	}
	if err := o.Send(context.Background(), m); err != nil {
		t.Fatal(err)
	}
	paths, err := o.Messages()
	if err != nil || len(paths) != 1 {
		t.Fatalf("Messages() = %v, %v; want one file", paths, err)
	}
	raw, _ := os.ReadFile(paths[0])
	msg, err := mail.ReadMessage(bytes.NewReader(raw))
	if err != nil {
		t.Fatal(err)
	}
	if got := msg.Header.Get("Subject"); got != m.Subject {
		t.Errorf("Subject = %q, want %q", got, m.Subject)
	}
	_, params, err := mime.ParseMediaType(msg.Header.Get("Content-Type"))
	if err != nil {
		t.Fatal(err)
	}
	mr := multipart.NewReader(msg.Body, params["boundary"])
	var texts []string
	for {
		p, err := mr.NextPart()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(p) // multipart decodes quoted-printable
		texts = append(texts, string(b))
	}
	if len(texts) != 2 || texts[0] != m.Text || texts[1] != m.HTML {
		t.Errorf("parts = %q, want text and html bodies intact", texts)
	}
	if !strings.Contains(console.String(), m.Link) {
		t.Errorf("console line %q lacks the link", console.String())
	}
}

func TestSendRejectsInvalidMessages(t *testing.T) {
	o, _ := New(t.TempDir(), nil)
	bad := []notify.Message{
		{From: "a@example.com", Subject: "s", Text: "t"},
		{From: "a@example.com", To: []string{"not an address"}, Subject: "s", Text: "t"},
		{From: "a@example.com", To: []string{"b@example.com"}, Subject: "two\nlines", Text: "t"},
	}
	for _, m := range bad {
		if err := o.Send(context.Background(), m); !errors.Is(err, notify.ErrInvalid) {
			t.Errorf("Send(%+v) = %v, want ErrInvalid", m, err)
		}
	}
	if paths, _ := o.Messages(); len(paths) != 0 {
		t.Errorf("invalid messages left files: %v", paths)
	}
}
