package smtp

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"errors"
	"io"
	"math/big"
	"mime"
	"mime/multipart"
	"net"
	"net/mail"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-sasl"
	gosmtp "github.com/emersion/go-smtp"

	"github.com/stewardml/steward/internal/local/sqlite"
	"github.com/stewardml/steward/internal/notify"
)

// recorder is a real SMTP server that keeps what it receives and, when
// it has a user, asks for PLAIN auth before it accepts mail.
type recorder struct {
	mu    sync.Mutex
	msgs  []received
	user  string
	pass  string
	authd []string
}

type received struct {
	from string
	to   []string
	data []byte
	tls  bool
}

func (r *recorder) NewSession(c *gosmtp.Conn) (gosmtp.Session, error) {
	_, tls := c.TLSConnectionState()
	return &session{r: r, tls: tls}, nil
}

type session struct {
	r     *recorder
	tls   bool
	authd bool
	cur   received
}

func (s *session) AuthMechanisms() []string {
	if s.r.user == "" {
		return nil
	}
	return []string{sasl.Plain}
}

func (s *session) Auth(mech string) (sasl.Server, error) {
	return sasl.NewPlainServer(func(_, user, pass string) error {
		if user != s.r.user || pass != s.r.pass {
			return &gosmtp.SMTPError{Code: 535, EnhancedCode: gosmtp.EnhancedCode{5, 7, 8}, Message: "invalid credentials"}
		}
		s.authd = true
		s.r.mu.Lock()
		s.r.authd = append(s.r.authd, user)
		s.r.mu.Unlock()
		return nil
	}), nil
}

func (s *session) Mail(from string, opts *gosmtp.MailOptions) error {
	if s.r.user != "" && !s.authd {
		return gosmtp.ErrAuthRequired
	}
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
	s.cur.data, s.cur.tls = b, s.tls
	s.r.mu.Lock()
	s.r.msgs = append(s.r.msgs, s.cur)
	s.r.mu.Unlock()
	s.cur = received{}
	return nil
}
func (s *session) Reset()        {}
func (s *session) Logout() error { return nil }

func (r *recorder) received() []received {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]received(nil), r.msgs...)
}

// server is how a test SMTP server listens.
type server struct {
	security string // StartTLS offers STARTTLS, TLS speaks TLS at once, None neither
	user     string
	pass     string
}

// startServer runs an SMTP server that records what it receives and
// returns the recorder, the server's address and a TLS client
// configuration that trusts its certificate.
func startServer(t *testing.T, cfg server) (*recorder, string, *tls.Config) {
	t.Helper()
	rec := &recorder{user: cfg.user, pass: cfg.pass}
	srv := gosmtp.NewServer(rec)
	srv.Domain = "localhost"
	srv.AllowInsecureAuth = cfg.security == None
	cert, pool := selfSigned(t)
	var ln net.Listener
	var err error
	switch cfg.security {
	case TLS:
		ln, err = tls.Listen("tcp", "127.0.0.1:0", &tls.Config{Certificates: []tls.Certificate{cert}})
	case StartTLS:
		srv.TLSConfig = &tls.Config{Certificates: []tls.Certificate{cert}}
		fallthrough
	default:
		ln, err = net.Listen("tcp", "127.0.0.1:0")
	}
	if err != nil {
		t.Fatal(err)
	}
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Close() })
	return rec, ln.Addr().String(), &tls.Config{RootCAs: pool, ServerName: "127.0.0.1"}
}

// selfSigned makes a certificate for 127.0.0.1 and a pool that trusts it.
func selfSigned(t *testing.T) (tls.Certificate, *x509.CertPool) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "127.0.0.1"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IPAddresses: []net.IP{net.IPv4(127, 0, 0, 1)}, KeyUsage: x509.KeyUsageDigitalSignature,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}, IsCA: true, BasicConstraintsValid: true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	c, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AddCert(c)
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}, pool
}

func TestSendDeliversToAnSMTPServer(t *testing.T) {
	rec, addr, _ := startServer(t, server{security: None})
	m := &Mailer{Addr: addr, Security: None}
	msg := notify.Message{From: "Steward <steward@example.com>", To: []string{"ana@example.com", "bo@example.com"},
		Subject: "Escalation: heart approval expired", Text: "Nobody decided.", Kind: notify.Escalated}
	if err := m.Send(context.Background(), msg); err != nil {
		t.Fatal(err)
	}
	msgs := rec.received()
	if len(msgs) != 1 {
		t.Fatalf("server received %d messages, want 1", len(msgs))
	}
	got := msgs[0]
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
	rec, addr, _ := startServer(t, server{security: None})
	d := &notify.Dispatcher{
		Routes:        notify.Routes{"default": {notify.EmailChannel: {"ana@example.com"}}},
		Channels:      []notify.ChannelKind{notify.Email(&Mailer{Addr: addr, Security: None})},
		From:          "steward@example.com",
		SubjectPrefix: "[heart] ",
	}
	if err := d.Notify(context.Background(), notify.Event{Kind: notify.Promoted, Title: "v3 is champion", Text: "Promoted."}); err != nil {
		t.Fatal(err)
	}
	msgs := rec.received()
	if len(msgs) != 1 {
		t.Fatalf("server received %d messages, want 1", len(msgs))
	}
	parsed, err := mail.ReadMessage(bytes.NewReader(msgs[0].data))
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
			rec, addr, tc := startServer(t, server{security: security, user: "steward", pass: "s3cret"})
			m := &Mailer{Addr: addr, Security: security, Username: "steward", Password: "s3cret", TLSConfig: tc}
			if err := m.Send(context.Background(), msg); err != nil {
				t.Fatal(err)
			}
			msgs := rec.received()
			if len(msgs) != 1 || !msgs[0].tls {
				t.Fatalf("server received %d messages (TLS %v), want 1 over TLS", len(msgs), len(msgs) == 1 && msgs[0].tls)
			}
			if rec.authd[0] != "steward" {
				t.Errorf("authenticated %v, want steward", rec.authd)
			}
			parsed, err := mail.ReadMessage(bytes.NewReader(msgs[0].data))
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
		_, addr, tc := startServer(t, server{security: StartTLS, user: "steward", pass: "s3cret"})
		err := (&Mailer{Addr: addr, Username: "steward", Password: "wrong", TLSConfig: tc}).Send(context.Background(), msg)
		if !errors.Is(err, notify.ErrPermanent) {
			t.Errorf("Send = %v, want a permanent failure", err)
		}
	})
	t.Run("a server without STARTTLS is refused before anything is sent", func(t *testing.T) {
		rec, addr, tc := startServer(t, server{security: None})
		err := (&Mailer{Addr: addr, TLSConfig: tc}).Send(context.Background(), msg)
		if !errors.Is(err, notify.ErrPermanent) || !strings.Contains(err.Error(), "does not offer STARTTLS") {
			t.Errorf("Send = %v, want a permanent STARTTLS failure", err)
		}
		if n := len(rec.received()); n != 0 {
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
