package smtp

import (
	"bytes"
	"context"
	"io"
	"net"
	"net/mail"
	"sync"
	"testing"

	gosmtp "github.com/emersion/go-smtp"
	"github.com/stewardml/steward/internal/notify"
)

// recorder is a real SMTP server that keeps what it receives.
type recorder struct {
	mu   sync.Mutex
	msgs []received
}

type received struct {
	from string
	to   []string
	data []byte
}

func (r *recorder) NewSession(c *gosmtp.Conn) (gosmtp.Session, error) { return &session{r: r}, nil }

type session struct {
	r   *recorder
	cur received
}

func (s *session) AuthMechanisms() []string { return nil }
func (s *session) Mail(from string, opts *gosmtp.MailOptions) error {
	s.cur.from = from
	return nil
}
func (s *session) Rcpt(to string, opts *gosmtp.RcptOptions) error {
	s.cur.to = append(s.cur.to, to)
	return nil
}
func (s *session) Data(r io.Reader) error {
	b, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	s.cur.data = b
	s.r.mu.Lock()
	s.r.msgs = append(s.r.msgs, s.cur)
	s.r.mu.Unlock()
	s.cur = received{}
	return nil
}
func (s *session) Reset()        {}
func (s *session) Logout() error { return nil }

// startServer runs an SMTP server that records what it receives and
// returns the recorder and the server's address.
func startServer(t *testing.T) (*recorder, string) {
	t.Helper()
	rec := &recorder{}
	srv := gosmtp.NewServer(rec)
	srv.Domain = "localhost"
	srv.AllowInsecureAuth = true
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Close() })
	return rec, ln.Addr().String()
}

func TestSendDeliversToAnSMTPServer(t *testing.T) {
	rec, addr := startServer(t)
	m := &Mailer{Addr: addr}
	msg := notify.Message{From: "Steward <steward@example.com>", To: []string{"ana@example.com", "bo@example.com"},
		Subject: "Escalation: heart approval expired", Text: "Nobody decided.", Kind: notify.Escalated}
	if err := m.Send(context.Background(), msg); err != nil {
		t.Fatal(err)
	}
	rec.mu.Lock()
	defer rec.mu.Unlock()
	if len(rec.msgs) != 1 {
		t.Fatalf("server received %d messages, want 1", len(rec.msgs))
	}
	got := rec.msgs[0]
	if got.from != "steward@example.com" || len(got.to) != 2 {
		t.Errorf("envelope from %q to %v", got.from, got.to)
	}
	parsed, err := mail.ReadMessage(bytes.NewReader(got.data))
	if err != nil {
		t.Fatal(err)
	}
	if parsed.Header.Get("Subject") != msg.Subject || parsed.Header.Get("X-Steward-Event") != notify.Escalated {
		t.Errorf("headers = %v", parsed.Header)
	}
}

func TestTheMailerPlugsIntoADispatcherAsItsEmailChannel(t *testing.T) {
	rec, addr := startServer(t)
	d := &notify.Dispatcher{
		Routes:        notify.Routes{"default": {notify.EmailChannel: {"ana@example.com"}}},
		Channels:      []notify.ChannelKind{notify.Email(&Mailer{Addr: addr})},
		From:          "steward@example.com",
		SubjectPrefix: "[heart] ",
	}
	if err := d.Notify(context.Background(), notify.Event{Kind: notify.Promoted, Title: "v3 is champion", Text: "Promoted."}); err != nil {
		t.Fatal(err)
	}
	rec.mu.Lock()
	defer rec.mu.Unlock()
	if len(rec.msgs) != 1 {
		t.Fatalf("server received %d messages, want 1", len(rec.msgs))
	}
	parsed, err := mail.ReadMessage(bytes.NewReader(rec.msgs[0].data))
	if err != nil {
		t.Fatal(err)
	}
	if got, want := parsed.Header.Get("Subject"), "[heart] v3 is champion"; got != want {
		t.Errorf("subject %q, want %q", got, want)
	}
}
