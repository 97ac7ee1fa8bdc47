package report

import (
	"context"
	"fmt"
	"net/url"
	"strings"

	"github.com/stewardml/steward/internal/notify"
)

// Notifier delivers events through Next with their reports, so the
// reports reach people: each report an event names is linked (a dashboard
// address, behind the dashboard's sign-in), and the first one, unless it
// is a drift report, goes with the email as a PDF when it fits in
// MaxAttachment (else the email says so and links it). Each event also
// links the dashboard page it belongs to.
//
// A report that cannot be loaded is left out; the event is delivered all
// the same. Notifier is safe for concurrent use when Next is.
type Notifier struct {
	Next interface {
		Notify(ctx context.Context, e notify.Event) error
	}
	Reports *Service
	// Dashboard is the dashboard's base URL (STEWARD_PUBLIC_URL, or the
	// local serving address); without one nothing is linked.
	Dashboard string
	// MaxAttachment caps the PDF attached; default notify.MaxAttachmentBytes.
	MaxAttachment int
}

// Notify adds e's links and attachment, then hands it to Next.
func (n *Notifier) Notify(ctx context.Context, e notify.Event) error {
	return n.Next.Notify(ctx, n.Enrich(ctx, e))
}

// dashboardPage is the page each event kind belongs to.
var dashboardPage = map[string]struct{ label, path string }{
	notify.ApprovalRequested: {"Approvals", "/approvals"},
	notify.Promoted:          {"Model on the dashboard", "/models"},
	notify.Rejected:          {"Model on the dashboard", "/models"},
	notify.RolledBack:        {"Model on the dashboard", "/models"},
	notify.Escalated:         {"Approvals", "/approvals"},
	notify.DriftDetected:     {"Drift on the dashboard", "/drift"},
	notify.AgentAction:       {"Agent on the dashboard", "/agent"},
	notify.Failure:           {"Agent on the dashboard", "/agent"},
}

// Enrich returns e with the links of its reports and its dashboard page
// appended to e.Links, and its first report's PDF in e.Attachments.
func (n *Notifier) Enrich(ctx context.Context, e notify.Event) notify.Event {
	e.Links = append([]notify.Link(nil), e.Links...)
	e.Attachments = append([]notify.Attachment(nil), e.Attachments...)
	base := strings.TrimRight(n.Dashboard, "/")
	limit := n.MaxAttachment
	if limit <= 0 {
		limit = notify.MaxAttachmentBytes
	}
	for i, r := range e.Reports {
		ref, v, err := n.load(ctx, r)
		if err != nil {
			continue
		}
		label := strings.ToUpper(string(ref.Kind[:1])) + string(ref.Kind[1:]) + " report"
		if base != "" {
			e.Links = append(e.Links, notify.Link{Label: label, URL: base + "/reports/" + string(ref.Kind) + "/" + escapeID(ref.String())})
		}
		if i > 0 || ref.Kind == KindDrift {
			continue
		}
		pdf, err := Bytes(v, PDF, n.Reports.opts())
		if err != nil {
			continue
		}
		name := fmt.Sprintf("%s-report-%s.pdf", ref.Kind, strings.NewReplacer("/", "-", ":", "-").Replace(ref.String()))
		if len(pdf) > limit {
			e.Text += fmt.Sprintf("\n\nThe %s (%d KiB) is too large to attach; open it from the link below.", strings.ToLower(label), len(pdf)>>10)
			continue
		}
		e.Attachments = append(e.Attachments, notify.Attachment{Name: name, ContentType: PDF.ContentType(), Data: pdf})
	}
	if p, ok := dashboardPage[e.Kind]; ok && base != "" {
		e.Links = append(e.Links, notify.Link{Label: p.label, URL: base + p.path})
	}
	return e
}

// load reads the report r names, resolving a deployment report of the
// latest move to its seq so the link keeps meaning this move.
func (n *Notifier) load(ctx context.Context, r notify.Report) (Ref, any, error) {
	kind, err := ParseKind(r.Kind)
	if err != nil {
		return Ref{}, nil, err
	}
	ref, err := ParseRef(kind, r.ID)
	if err != nil {
		return Ref{}, nil, err
	}
	v, err := n.Reports.Loader.Load(ctx, ref)
	if err != nil {
		return Ref{}, nil, err
	}
	if d, ok := v.(*Deployment); ok {
		ref.ID = fmt.Sprint(d.Seq)
	}
	return ref, v, nil
}

// escapeID escapes a report id for a path, keeping the drift id's "/".
func escapeID(id string) string {
	parts := strings.Split(id, "/")
	for i, p := range parts {
		parts[i] = url.PathEscape(p)
	}
	return strings.Join(parts, "/")
}
