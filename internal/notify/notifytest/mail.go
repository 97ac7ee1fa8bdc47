package notifytest

import (
	"bytes"
	"encoding/base64"
	"fmt"
	"io"
	"mime"
	"mime/multipart"
	"mime/quotedprintable"
	"net/mail"
	"strings"

	"github.com/stewardml/steward/internal/notify"
)

// Mail is one received email.
type Mail struct {
	Header      mail.Header
	Subject     string // decoded
	Text, HTML  string
	Attachments []notify.Attachment
}

// ParseMail reads a raw RFC 5322 message: nested multipart bodies are
// walked, transfer encodings undone, and parts that are attachments kept
// with their file names.
func ParseMail(raw []byte) (Mail, error) {
	m, err := mail.ReadMessage(bytes.NewReader(raw))
	if err != nil {
		return Mail{}, fmt.Errorf("notifytest: %w", err)
	}
	subject, err := new(mime.WordDecoder).DecodeHeader(m.Header.Get("Subject"))
	if err != nil {
		return Mail{}, fmt.Errorf("notifytest: subject: %w", err)
	}
	out := Mail{Header: m.Header, Subject: subject}
	err = out.walk(m.Header.Get("Content-Type"), m.Header.Get("Content-Disposition"), m.Header.Get("Content-Transfer-Encoding"), m.Body)
	return out, err
}

func (m *Mail) walk(ctype, disp, enc string, body io.Reader) error {
	mt, params, err := mime.ParseMediaType(ctype)
	if err != nil {
		return fmt.Errorf("notifytest: content type %q: %w", ctype, err)
	}
	if strings.HasPrefix(mt, "multipart/") {
		mr := multipart.NewReader(body, params["boundary"])
		for {
			p, err := mr.NextRawPart()
			if err == io.EOF {
				return nil
			}
			if err != nil {
				return fmt.Errorf("notifytest: %w", err)
			}
			if err := m.walk(p.Header.Get("Content-Type"), p.Header.Get("Content-Disposition"), p.Header.Get("Content-Transfer-Encoding"), p); err != nil {
				return err
			}
		}
	}
	switch strings.ToLower(enc) {
	case "quoted-printable":
		body = quotedprintable.NewReader(body)
	case "base64":
		body = base64.NewDecoder(base64.StdEncoding, newlineDropper{body})
	}
	b, err := io.ReadAll(body)
	if err != nil {
		return fmt.Errorf("notifytest: %w", err)
	}
	if d, dp, _ := mime.ParseMediaType(disp); d == "attachment" {
		m.Attachments = append(m.Attachments, notify.Attachment{Name: dp["filename"], ContentType: mt, Data: b})
		return nil
	}
	switch mt {
	case "text/html":
		m.HTML = string(b)
	default:
		m.Text = string(b)
	}
	return nil
}

// newlineDropper drops the line breaks of a base64 body.
type newlineDropper struct{ r io.Reader }

func (d newlineDropper) Read(p []byte) (int, error) {
	n, err := d.r.Read(p)
	j := 0
	for _, c := range p[:n] {
		if c != '\r' && c != '\n' {
			p[j] = c
			j++
		}
	}
	return j, err
}

// Summary writes m as golden files keep it: the headers a reader sees,
// the attachments' names and types, and the text.
func (m Mail) Summary() string {
	var b strings.Builder
	for _, h := range []string{"From", "To", "X-Steward-Event"} {
		fmt.Fprintf(&b, "%s: %s\n", h, m.Header.Get(h))
	}
	fmt.Fprintf(&b, "Subject: %s\n", m.Subject)
	for _, a := range m.Attachments {
		fmt.Fprintf(&b, "Attachment: %s (%s)\n", a.Name, a.ContentType)
	}
	b.WriteString("\n")
	b.WriteString(strings.ReplaceAll(m.Text, "\r\n", "\n"))
	return b.String()
}
