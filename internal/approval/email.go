package approval

import (
	"bytes"
	"fmt"
	htmltemplate "html/template"
	texttemplate "text/template"

	"github.com/stewardml/steward/internal/notify"
	"github.com/stewardml/steward/templates"
)

var (
	emailText = texttemplate.Must(texttemplate.ParseFS(templates.FS, "approval_email.txt.tmpl"))
	emailHTML = htmltemplate.Must(htmltemplate.ParseFS(templates.FS, "approval_email.html.tmpl"))
)

// Emails renders one message per approver, each with that approver's own
// signed link under baseURL and its subject behind prefix (see
// notify.Subject). The task token appears nowhere in them.
func Emails(r Request, links []Link, baseURL, from, prefix string) ([]notify.Message, error) {
	msgs := make([]notify.Message, 0, len(links))
	for _, l := range links {
		data := struct {
			Request    Request
			Comparison []Row
			Link       string
			Approver   string
		}{r, r.Comparison(), l.URL(baseURL), l.Approver}
		var txt, html bytes.Buffer
		if err := emailText.Execute(&txt, data); err != nil {
			return nil, fmt.Errorf("approval: render text email: %w", err)
		}
		if err := emailHTML.Execute(&html, data); err != nil {
			return nil, fmt.Errorf("approval: render html email: %w", err)
		}
		msgs = append(msgs, notify.Message{
			From: from, To: []string{l.Approver}, Kind: "approval_requested", Link: data.Link,
			Subject: notify.Subject(prefix, fmt.Sprintf("Approve %s version %d?", r.Model, r.CandidateVersion)),
			Text:    txt.String(), HTML: html.String(),
		})
	}
	return msgs, nil
}
