// Package smtp is the notify.Mailer for a plain SMTP relay (optional
// locally, instead of the outbox): STARTTLS when the server offers it, PLAIN
// auth when a user is configured.
package smtp

import (
	"context"
	"crypto/tls"
	"fmt"
	"net"
	"net/smtp"
	"time"

	"github.com/stewardml/steward/internal/notify"
)

// Mailer sends each message in one SMTP session.
type Mailer struct {
	Addr     string // host:port
	Username string
	Password string
	Timeout  time.Duration
	Now      func() time.Time
}

var _ notify.Mailer = (*Mailer)(nil)

// Send delivers m to every recipient.
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
	timeout := m.Timeout
	if timeout == 0 {
		timeout = 15 * time.Second
	}
	d := net.Dialer{Timeout: timeout}
	conn, err := d.DialContext(ctx, "tcp", m.Addr)
	if err != nil {
		return fmt.Errorf("smtp: dial %s: %w", m.Addr, err)
	}
	conn.SetDeadline(time.Now().Add(timeout))
	host, _, _ := net.SplitHostPort(m.Addr)
	c, err := smtp.NewClient(conn, host)
	if err != nil {
		conn.Close()
		return fmt.Errorf("smtp: %w", err)
	}
	defer c.Close()
	if ok, _ := c.Extension("STARTTLS"); ok {
		if err := c.StartTLS(&tls.Config{ServerName: host}); err != nil {
			return fmt.Errorf("smtp: starttls: %w", err)
		}
	}
	if m.Username != "" {
		if err := c.Auth(smtp.PlainAuth("", m.Username, m.Password, host)); err != nil {
			return fmt.Errorf("smtp: auth: %w", err)
		}
	}
	from, _ := parseAddr(msg.From)
	if err := c.Mail(from); err != nil {
		return fmt.Errorf("smtp: MAIL FROM: %w", err)
	}
	for _, to := range msg.To {
		addr, _ := parseAddr(to)
		if err := c.Rcpt(addr); err != nil {
			return fmt.Errorf("smtp: RCPT TO %s: %w", addr, err)
		}
	}
	w, err := c.Data()
	if err != nil {
		return fmt.Errorf("smtp: DATA: %w", err)
	}
	if _, err := w.Write(raw); err != nil {
		return fmt.Errorf("smtp: write: %w", err)
	}
	if err := w.Close(); err != nil {
		return fmt.Errorf("smtp: end of data: %w", err)
	}
	return c.Quit()
}
