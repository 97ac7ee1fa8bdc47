// Package slack posts Steward notifications to Slack incoming webhooks as
// Block Kit messages, with link unfurling off so a preview bot never opens
// an approval link.
package slack

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"sort"
	"strings"
	"time"

	"github.com/stewardml/steward/internal/notify"
)

// Poster posts to incoming webhooks.
type Poster struct {
	Client *http.Client
}

var _ notify.Poster = (*Poster)(nil)

// New returns a Poster with a 10 s timeout.
func New() *Poster { return &Poster{Client: &http.Client{Timeout: 10 * time.Second}} }

// Payload is the webhook body: Block Kit blocks plus fallback text.
type Payload struct {
	Text        string  `json:"text"`
	Blocks      []Block `json:"blocks"`
	UnfurlLinks bool    `json:"unfurl_links"`
	UnfurlMedia bool    `json:"unfurl_media"`
}

// Block is one Block Kit layout block.
type Block struct {
	Type   string  `json:"type"`
	Text   *Text   `json:"text,omitempty"`
	Fields []Text  `json:"fields,omitempty"`
	Elems  []Elem  `json:"elements,omitempty"`
	Accs   *Button `json:"accessory,omitempty"`
}

// Text is a Block Kit text object.
type Text struct {
	Type string `json:"type"`
	Text string `json:"text"`
}

// Elem is an element of a context block (a text) or of an actions block
// (a link button).
type Elem struct {
	Type string `json:"type"`
	Text any    `json:"text"`
	URL  string `json:"url,omitempty"`
}

// Button is a link button. A link button only opens its URL in the
// reader's browser, a GET that shows a page: no Steward page acts on a
// GET, so neither a click nor a link preview decides anything.
type Button struct {
	Type string `json:"type"`
	Text Text   `json:"text"`
	URL  string `json:"url"`
}

// Build returns the payload for e: a header, what happened, the model,
// version and key figures, and link buttons to e's pages.
func Build(e notify.Event) Payload {
	p := Payload{Text: e.Title}
	p.Blocks = append(p.Blocks, Block{Type: "header", Text: &Text{Type: "plain_text", Text: truncate(e.Title, 150)}})
	sec := Block{Type: "section", Text: &Text{Type: "mrkdwn", Text: truncate(escape(e.Text), 3000)}}
	if e.Link != "" {
		sec.Accs = &Button{Type: "button", Text: Text{Type: "plain_text", Text: "Open"}, URL: e.Link}
	}
	p.Blocks = append(p.Blocks, sec)
	fields := map[string]string{}
	for k, v := range e.Fields {
		fields[k] = v
	}
	if e.Model != "" {
		fields["model"] = e.Model
	}
	if e.Version > 0 {
		fields["version"] = fmt.Sprintf("v%d", e.Version)
	}
	if len(fields) > 0 {
		keys := make([]string, 0, len(fields))
		for k := range fields {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		f := Block{Type: "section"}
		for i, k := range keys {
			if i == 10 { // Block Kit allows 10 fields per section
				break
			}
			f.Fields = append(f.Fields, Text{Type: "mrkdwn", Text: "*" + escape(k) + "*\n" + escape(fields[k])})
		}
		p.Blocks = append(p.Blocks, f)
	}
	if len(e.Links) > 0 {
		a := Block{Type: "actions"}
		for i, l := range e.Links {
			if i == 25 { // Block Kit allows 25 elements per actions block
				break
			}
			a.Elems = append(a.Elems, Elem{Type: "button", Text: Text{Type: "plain_text", Text: truncate(l.Label, 75)}, URL: l.URL})
		}
		p.Blocks = append(p.Blocks, a)
	}
	ctx := "Steward · " + e.Kind
	if e.Model != "" {
		ctx += " · model " + e.Model
	}
	p.Blocks = append(p.Blocks, Block{Type: "context", Elems: []Elem{{Type: "mrkdwn", Text: escape(ctx)}}})
	return p
}

// Post sends e to webhook. A 4xx answer is permanent (notify.ErrPermanent);
// a 5xx or transport error may be retried.
func (p *Poster) Post(ctx context.Context, webhook string, e notify.Event) error {
	body, err := json.Marshal(Build(e))
	if err != nil {
		return fmt.Errorf("slack: %w", err)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, webhook, bytes.NewReader(body))
	if err != nil {
		return fmt.Errorf("slack: %w: %v", notify.ErrPermanent, err)
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := p.Client.Do(req)
	if err != nil {
		return fmt.Errorf("slack: post: %w", err)
	}
	defer resp.Body.Close()
	msg, _ := io.ReadAll(io.LimitReader(resp.Body, 512))
	switch {
	case resp.StatusCode >= 200 && resp.StatusCode < 300:
		return nil
	case resp.StatusCode >= 400 && resp.StatusCode < 500 && resp.StatusCode != http.StatusTooManyRequests:
		return fmt.Errorf("slack: %w: %s: %s", notify.ErrPermanent, resp.Status, strings.TrimSpace(string(msg)))
	default:
		return fmt.Errorf("slack: %s: %s", resp.Status, strings.TrimSpace(string(msg)))
	}
}

func escape(s string) string {
	return strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;").Replace(s)
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n-1] + "…"
}
