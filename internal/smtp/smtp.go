// Package smtp is the notify.Mailer for an SMTP relay (locally, instead of
// the outbox, when notify.email.smtp is set): STARTTLS required by default,
// implicit TLS, or clear text to the local host; PLAIN auth when a user is
// configured, only over a protected session.
package smtp

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"net/smtp"
	"net/textproto"
	"time"

	"github.com/stewardml/steward/internal/notify"
)

// Security modes of a Mailer.
const (
	// StartTLS upgrades the session before anything is sent, and fails
	// when the server does not offer it (the default).
	StartTLS = "starttls"
	// TLS speaks TLS from the first byte (port 465).
	TLS = "tls"
	// None sends in clear text; for a relay on the local host.
	None = "none"
)

// Mailer sends each message in one SMTP session. It is safe for
// concurrent use.
type Mailer struct {
	Addr     string // host:port
	Security string // StartTLS (default), TLS or None
	Username string
	Password string
	// TLSConfig verifies the server; default: the system roots and the
	// host of Addr.
	TLSConfig *tls.Config
	Timeout   time.Duration
	Now       func() time.Time
}

var _ notify.Mailer = (*Mailer)(nil)

// Send delivers msg to every recipient. A message that fails Validate
// returns notify.ErrInvalid; a server that refuses the sender, a recipient
// or the credentials, or that cannot protect the session as configured,
// returns notify.ErrPermanent; connection and transient server errors are
// returned as they are, for the dispatcher to retry.
func (m *Mailer) Send(ctx context.Context, msg notify.Message) error {
	if err := msg.Validate(); err != nil {
		return err
	}
	now := time.Now
	if m.Now != nil {
		now = m.Now
	}
	raw, err := msg.Render(now())
	if err != nil {
		return err
	}
	c, err := m.dial(ctx)
	if err != nil {
		return err
	}
	defer c.Close()
	if m.Username != "" {
		host, _, _ := net.SplitHostPort(m.Addr)
		if err := c.Auth(smtp.PlainAuth("", m.Username, m.Password, host)); err != nil {
			return fmt.Errorf("smtp: auth as %s: %w", m.Username, classify(err))
		}
	}
	from, _ := parseAddr(msg.From)
	if err := c.Mail(from); err != nil {
		return fmt.Errorf("smtp: MAIL FROM: %w", classify(err))
	}
	for _, to := range msg.To {
		addr, _ := parseAddr(to)
		if err := c.Rcpt(addr); err != nil {
			return fmt.Errorf("smtp: RCPT TO %s: %w", addr, classify(err))
		}
	}
	w, err := c.Data()
	if err != nil {
		return fmt.Errorf("smtp: DATA: %w", classify(err))
	}
	if _, err := w.Write(raw); err != nil {
		return fmt.Errorf("smtp: write: %w", err)
	}
	if err := w.Close(); err != nil {
		return fmt.Errorf("smtp: end of data: %w", classify(err))
	}
	return c.Quit()
}

// dial opens a session protected as m.Security says.
func (m *Mailer) dial(ctx context.Context) (*smtp.Client, error) {
	timeout := m.Timeout
	if timeout == 0 {
		timeout = 15 * time.Second
	}
	host, _, err := net.SplitHostPort(m.Addr)
	if err != nil {
		return nil, fmt.Errorf("smtp: address %q: %w: %v", m.Addr, notify.ErrPermanent, err)
	}
	cfg := m.TLSConfig
	if cfg == nil {
		cfg = &tls.Config{ServerName: host}
	}
	d := net.Dialer{Timeout: timeout}
	conn, err := d.DialContext(ctx, "tcp", m.Addr)
	if err != nil {
		return nil, fmt.Errorf("smtp: dial %s: %w", m.Addr, err)
	}
	conn.SetDeadline(time.Now().Add(timeout))
	security := m.Security
	if security == "" {
		security = StartTLS
	}
	if security == TLS {
		tc := tls.Client(conn, cfg)
		if err := tc.HandshakeContext(ctx); err != nil {
			conn.Close()
			return nil, fmt.Errorf("smtp: tls handshake with %s: %w", m.Addr, err)
		}
		conn = tc
	}
	c, err := smtp.NewClient(conn, host)
	if err != nil {
		conn.Close()
		return nil, fmt.Errorf("smtp: %w", err)
	}
	if security == StartTLS {
		if ok, _ := c.Extension("STARTTLS"); !ok {
			c.Close()
			return nil, fmt.Errorf("smtp: %s does not offer STARTTLS: %w (set notify.email.smtp.security)", m.Addr, notify.ErrPermanent)
		}
		if err := c.StartTLS(cfg); err != nil {
			c.Close()
			return nil, fmt.Errorf("smtp: starttls: %w", err)
		}
	}
	return c, nil
}

// classify marks 5xx replies permanent; 4xx replies and anything else
// may be retried.
func classify(err error) error {
	var te *textproto.Error
	if errors.As(err, &te) && te.Code >= 500 {
		return fmt.Errorf("%w: %v", notify.ErrPermanent, err)
	}
	return err
}
