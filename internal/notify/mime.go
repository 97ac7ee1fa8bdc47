package notify

import (
	"bytes"
	"encoding/base64"
	"fmt"
	"io"
	"mime"
	"mime/multipart"
	"mime/quotedprintable"
	"net/textproto"
	"strings"
	"time"
)

// Render formats m as an RFC 5322 message dated now: text, text and HTML
// as alternatives, and attachments after them in a multipart/mixed body.
func (m Message) Render(now time.Time) ([]byte, error) {
	var b bytes.Buffer
	h := func(k, v string) { fmt.Fprintf(&b, "%s: %s\r\n", k, v) }
	h("From", m.From)
	h("To", strings.Join(m.To, ", "))
	h("Subject", mime.QEncoding.Encode("utf-8", m.Subject))
	h("Date", now.Format(time.RFC1123Z))
	h("MIME-Version", "1.0")
	if m.Kind != "" {
		h("X-Steward-Event", m.Kind)
	}
	ct, body, err := m.body()
	if err != nil {
		return nil, err
	}
	if len(m.Attachments) > 0 {
		var mixed bytes.Buffer
		mw := multipart.NewWriter(&mixed)
		w, err := mw.CreatePart(textproto.MIMEHeader{"Content-Type": {ct.typ}, "Content-Transfer-Encoding": ct.enc})
		if err != nil {
			return nil, fmt.Errorf("notify: render: %w", err)
		}
		w.Write(body)
		for _, a := range m.Attachments {
			typ := a.ContentType
			if typ == "" {
				typ = "application/octet-stream"
			}
			w, err := mw.CreatePart(textproto.MIMEHeader{
				"Content-Type":              {mime.FormatMediaType(typ, map[string]string{"name": a.Name})},
				"Content-Disposition":       {mime.FormatMediaType("attachment", map[string]string{"filename": a.Name})},
				"Content-Transfer-Encoding": {"base64"},
			})
			if err != nil {
				return nil, fmt.Errorf("notify: render: %w", err)
			}
			writeBase64(w, a.Data)
		}
		if err := mw.Close(); err != nil {
			return nil, fmt.Errorf("notify: render: %w", err)
		}
		ct, body = contentType{typ: `multipart/mixed; boundary="` + mw.Boundary() + `"`}, mixed.Bytes()
	}
	h("Content-Type", ct.typ)
	for _, e := range ct.enc {
		h("Content-Transfer-Encoding", e)
	}
	b.WriteString("\r\n")
	b.Write(body)
	return b.Bytes(), nil
}

// contentType is a body's Content-Type and, for a leaf part, its
// transfer encoding.
type contentType struct {
	typ string
	enc []string
}

// body returns the message's text, or text and HTML as alternatives.
func (m Message) body() (contentType, []byte, error) {
	var b bytes.Buffer
	if m.HTML == "" {
		if err := writeQP(&b, m.Text); err != nil {
			return contentType{}, nil, err
		}
		return contentType{typ: `text/plain; charset="utf-8"`, enc: []string{"quoted-printable"}}, b.Bytes(), nil
	}
	mw := multipart.NewWriter(&b)
	for _, part := range []struct{ ct, s string }{{"text/plain", m.Text}, {"text/html", m.HTML}} {
		w, err := mw.CreatePart(textproto.MIMEHeader{
			"Content-Type":              {part.ct + `; charset="utf-8"`},
			"Content-Transfer-Encoding": {"quoted-printable"},
		})
		if err != nil {
			return contentType{}, nil, fmt.Errorf("notify: render: %w", err)
		}
		if err := writeQP(w, part.s); err != nil {
			return contentType{}, nil, err
		}
	}
	if err := mw.Close(); err != nil {
		return contentType{}, nil, fmt.Errorf("notify: render: %w", err)
	}
	return contentType{typ: `multipart/alternative; boundary="` + mw.Boundary() + `"`}, b.Bytes(), nil
}

// writeBase64 writes data in base64 lines of 76 characters.
func writeBase64(w io.Writer, data []byte) {
	enc := base64.StdEncoding.EncodeToString(data)
	for len(enc) > 76 {
		io.WriteString(w, enc[:76]+"\r\n")
		enc = enc[76:]
	}
	io.WriteString(w, enc+"\r\n")
}

func writeQP(w io.Writer, s string) error {
	qp := quotedprintable.NewWriter(w)
	if _, err := qp.Write([]byte(s)); err != nil {
		return fmt.Errorf("notify: render: %w", err)
	}
	if err := qp.Close(); err != nil {
		return fmt.Errorf("notify: render: %w", err)
	}
	return nil
}
