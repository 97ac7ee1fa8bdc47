package smtp

import (
	"bytes"
	"context"
	"errors"
	"mime"
	"mime/multipart"
	"net"
	"net/mail"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stewardml/steward/internal/local/sqlite"
	"github.com/stewardml/steward/internal/notify"
	"github.com/stewardml/steward/internal/notify/notifytest"
)

func TestSendDeliversToAnSMTPServer(t *testing.T) {
	srv := notifytest.StartSMTP(t, notifytest.SMTPOptions{Security: notifytest.None})
	m := &Mailer{Addr: srv.Addr, Security: None}
	msg := notify.Message{From: "Steward <steward@example.com>", To: []string{"ana@example.com", "bo@example.com"},
		Subject: "Escalation: heart approval expired", Text: "Nobody decided.", Kind: notify.Escalated}
	if err := m.Send(context.Background(), msg); err != nil {
		t.Fatal(err)
	}
	msgs := srv.Received()
	if len(msgs) != 1 {
		t.Fatalf("server received %d messages, want 1", len(msgs))
	}
	got := msgs[0]
	if got.From != "steward@example.com" || len(got.To) != 2 {
		t.Errorf("envelope from %q to %v", got.From, got.To)
	}
	parsed, err := mail.ReadMessage(bytes.NewReader(got.Data))
	if err != nil {
		t.Fatal(err)
	}
	if parsed.Header.Get("Subject") != msg.Subject || parsed.Header.Get("X-Steward-Event") != notify.Escalated {
		t.Errorf("headers = %v", parsed.Header)
	}
}

func TestTheMailerPlugsIntoADispatcherAsItsEmailChannel(t *testing.T) {
	srv := notifytest.StartSMTP(t, notifytest.SMTPOptions{Security: notifytest.None})
	d := &notify.Dispatcher{
		Routes:        notify.Routes{"default": {notify.EmailChannel: {"ana@example.com"}}},
		Channels:      []notify.ChannelKind{notify.Email(&Mailer{Addr: srv.Addr, Security: None})},
		From:          "steward@example.com",
		SubjectPrefix: "[heart] ",
	}
	if err := d.Notify(context.Background(), notify.Event{Kind: notify.Promoted, Title: "v3 is champion", Text: "Promoted."}); err != nil {
		t.Fatal(err)
	}
	msgs := srv.Received()
	if len(msgs) != 1 {
		t.Fatalf("server received %d messages, want 1", len(msgs))
	}
	parsed, err := mail.ReadMessage(bytes.NewReader(msgs[0].Data))
	if err != nil {
		t.Fatal(err)
	}
	if got, want := parsed.Header.Get("Subject"), "[heart] v3 is champion"; got != want {
		t.Errorf("subject %q, want %q", got, want)
	}
}

func TestSendProtectsTheSessionAndAuthenticates(t *testing.T) {
	msg := notify.Message{From: "steward@example.com", To: []string{"ana@example.com"}, Subject: "[steward] heart:3 is champion", Text: "Promoted.",
		Attachments: []notify.Attachment{{Name: "deployment-heart-v3.pdf", ContentType: "application/pdf", Data: []byte("%PDF-1.7 report")}}}
	for _, security := range []string{StartTLS, TLS} {
		t.Run(security+" with PLAIN auth delivers over TLS", func(t *testing.T) {
			srv := notifytest.StartSMTP(t, notifytest.SMTPOptions{Security: security, User: "steward", Pass: "s3cret"})
			m := &Mailer{Addr: srv.Addr, Security: security, Username: "steward", Password: "s3cret", TLSConfig: srv.TLS}
			if err := m.Send(context.Background(), msg); err != nil {
				t.Fatal(err)
			}
			msgs := srv.Received()
			if len(msgs) != 1 || !msgs[0].TLS {
				t.Fatalf("server received %d messages (TLS %v), want 1 over TLS", len(msgs), len(msgs) == 1 && msgs[0].TLS)
			}
			if got := srv.Authenticated(); len(got) != 1 || got[0] != "steward" {
				t.Errorf("authenticated %v, want steward", got)
			}
			parsed, err := mail.ReadMessage(bytes.NewReader(msgs[0].Data))
			if err != nil {
				t.Fatal(err)
			}
			_, params, _ := mime.ParseMediaType(parsed.Header.Get("Content-Type"))
			part, err := multipart.NewReader(parsed.Body, params["boundary"]).NextPart()
			if err != nil {
				t.Fatal(err)
			}
			if part.Header.Get("Content-Type") != `text/plain; charset="utf-8"` {
				t.Errorf("first part %q, want the text", part.Header.Get("Content-Type"))
			}
		})
	}
	t.Run("a wrong password is refused and not retried", func(t *testing.T) {
		srv := notifytest.StartSMTP(t, notifytest.SMTPOptions{Security: notifytest.StartTLS, User: "steward", Pass: "s3cret"})
		err := (&Mailer{Addr: srv.Addr, Username: "steward", Password: "wrong", TLSConfig: srv.TLS}).Send(context.Background(), msg)
		if !errors.Is(err, notify.ErrPermanent) {
			t.Errorf("Send = %v, want a permanent failure", err)
		}
	})
	t.Run("a server without STARTTLS is refused before anything is sent", func(t *testing.T) {
		srv := notifytest.StartSMTP(t, notifytest.SMTPOptions{Security: notifytest.None})
		err := (&Mailer{Addr: srv.Addr, TLSConfig: srv.TLS}).Send(context.Background(), msg)
		if !errors.Is(err, notify.ErrPermanent) || !strings.Contains(err.Error(), "does not offer STARTTLS") {
			t.Errorf("Send = %v, want a permanent STARTTLS failure", err)
		}
		if n := len(srv.Received()); n != 0 {
			t.Errorf("server received %d messages in clear text", n)
		}
	})
}

func TestARefusedConnectionIsRetriedAndRecordedAsAFailedDelivery(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close() // nothing listens: every dial is refused
	db, err := sqlite.Open(filepath.Join(t.TempDir(), "s.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	sleeps := 0
	d := &notify.Dispatcher{
		Routes:   notify.Routes{"default": {notify.EmailChannel: {"ana@example.com"}}},
		Channels: []notify.ChannelKind{notify.Email(&Mailer{Addr: addr, Timeout: time.Second})},
		From:     "steward@example.com",
		Records:  db,
		Attempts: 3,
		Sleep:    func(context.Context, time.Duration) error { sleeps++; return nil },
	}
	e := notify.Event{Kind: notify.Promoted, Model: "heart", Version: 3, Title: "heart:3 is champion", Text: "Promoted."}
	err = d.Notify(context.Background(), e)
	if err == nil || !strings.Contains(err.Error(), "connection refused") {
		t.Fatalf("Notify = %v, want the refused connection", err)
	}
	if sleeps != 2 {
		t.Errorf("%d waits between attempts, want 2 (3 attempts)", sleeps)
	}
	failed, err := notify.ListFailed(context.Background(), db, 0)
	if err != nil || len(failed) != 1 {
		t.Fatalf("failed deliveries %d, %v; want 1", len(failed), err)
	}
	if f := failed[0]; f.Channel != "email" || f.Target != "ana@example.com" || f.Event.Title != e.Title || f.Attempts != 3 {
		t.Errorf("failed delivery %+v", f)
	}
}
