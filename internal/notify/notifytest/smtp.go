package notifytest

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"io"
	"math/big"
	"net"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-sasl"
	gosmtp "github.com/emersion/go-smtp"
)

// SMTP security modes a test server offers.
const (
	StartTLS = "starttls" // offers STARTTLS
	TLS      = "tls"      // speaks TLS from the first byte
	None     = "none"     // clear text only
)

// SMTPOptions say how a test SMTP server listens.
type SMTPOptions struct {
	Security   string // StartTLS, TLS or None (the default)
	User, Pass string // when set, PLAIN auth is required before MAIL
}

// SMTPServer is a real SMTP server (github.com/emersion/go-smtp) that
// keeps every message it accepts.
type SMTPServer struct {
	// Addr is host:port to dial.
	Addr string
	// TLS trusts the server's certificate, for the client.
	TLS *tls.Config

	opts  SMTPOptions
	mu    sync.Mutex
	msgs  []Received
	authd []string
}

// Received is one accepted message with its envelope.
type Received struct {
	From string
	To   []string
	Data []byte
	// TLS says whether the session was encrypted.
	TLS bool
}

// StartSMTP starts a server that is closed when the test ends.
func StartSMTP(t testing.TB, opts SMTPOptions) *SMTPServer {
	t.Helper()
	s := &SMTPServer{opts: opts}
	srv := gosmtp.NewServer(backend{s})
	srv.Domain = "localhost"
	srv.AllowInsecureAuth = opts.Security == None || opts.Security == ""
	cert, pool := selfSigned(t)
	var ln net.Listener
	var err error
	switch opts.Security {
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
	s.Addr = ln.Addr().String()
	s.TLS = &tls.Config{RootCAs: pool, ServerName: "127.0.0.1"}
	return s
}

// Received returns the messages accepted so far.
func (s *SMTPServer) Received() []Received {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Received(nil), s.msgs...)
}

// Authenticated returns the users that authenticated, one per session.
func (s *SMTPServer) Authenticated() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.authd...)
}

type backend struct{ s *SMTPServer }

func (b backend) NewSession(c *gosmtp.Conn) (gosmtp.Session, error) {
	_, tls := c.TLSConnectionState()
	return &session{s: b.s, tls: tls}, nil
}

type session struct {
	s     *SMTPServer
	tls   bool
	authd bool
	cur   Received
}

func (x *session) AuthMechanisms() []string {
	if x.s.opts.User == "" {
		return nil
	}
	return []string{sasl.Plain}
}

func (x *session) Auth(string) (sasl.Server, error) {
	return sasl.NewPlainServer(func(_, user, pass string) error {
		if user != x.s.opts.User || pass != x.s.opts.Pass {
			return &gosmtp.SMTPError{Code: 535, EnhancedCode: gosmtp.EnhancedCode{5, 7, 8}, Message: "invalid credentials"}
		}
		x.authd = true
		x.s.mu.Lock()
		x.s.authd = append(x.s.authd, user)
		x.s.mu.Unlock()
		return nil
	}), nil
}

func (x *session) Mail(from string, _ *gosmtp.MailOptions) error {
	if x.s.opts.User != "" && !x.authd {
		return gosmtp.ErrAuthRequired
	}
	x.cur.From = from
	return nil
}

func (x *session) Rcpt(to string, _ *gosmtp.RcptOptions) error {
	x.cur.To = append(x.cur.To, to)
	return nil
}

func (x *session) Data(r io.Reader) error {
	b, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	x.cur.Data, x.cur.TLS = b, x.tls
	x.s.mu.Lock()
	x.s.msgs = append(x.s.msgs, x.cur)
	x.s.mu.Unlock()
	x.cur = Received{}
	return nil
}

func (x *session) Reset()        { x.cur = Received{} }
func (x *session) Logout() error { return nil }

// selfSigned makes a certificate for 127.0.0.1 and a pool that trusts it.
func selfSigned(t testing.TB) (tls.Certificate, *x509.CertPool) {
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
