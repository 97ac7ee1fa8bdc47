package tasks

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"time"

	"github.com/stewardml/steward/internal/approval"
	"github.com/stewardml/steward/internal/config"
	"github.com/stewardml/steward/internal/lambdaerr"
	"github.com/stewardml/steward/internal/notify"
	"github.com/stewardml/steward/internal/store"
	"github.com/stewardml/steward/internal/workflow"
)

// ApprovalEvent is the RequestApproval task's input. TaskToken is what
// the decision calls back with; it is stored with the request and appears
// nowhere else (not in the links, the emails, the result or the errors).
type ApprovalEvent struct {
	TaskToken   string     `json:"taskToken"`
	ExecutionID string     `json:"executionId"`
	Model       string     `json:"model"`
	Evaluation  Evaluation `json:"evaluation"`
	Trigger     string     `json:"trigger"`
	Reason      string     `json:"reason"`
	RequestedBy string     `json:"requestedBy"`
	// TimeoutSeconds is the task's timeout: the links expire shortly
	// before it, so nobody decides for a task that can no longer resume.
	TimeoutSeconds int `json:"timeoutSeconds"`
}

// ApprovalRequested is the RequestApproval task's result (the task itself
// then waits for the decision).
type ApprovalRequested struct {
	ApprovalID string    `json:"approvalId"`
	Approvers  []string  `json:"approvers"`
	ExpiresAt  time.Time `json:"expiresAt"`
	// Sent lists the approvers whose email went out; Failed the others.
	Sent   []string `json:"sent"`
	Failed []string `json:"failed,omitempty"`
}

// Approvals is the part of the approval service RequestApproval uses;
// *approval.Service implements it.
type Approvals interface {
	Create(ctx context.Context, r approval.Request, token string, ttl time.Duration) (approval.Request, []approval.Link, error)
	Get(ctx context.Context, id string) (approval.Request, error)
}

// RequestApproval serves the RequestApproval task: it stores an approval
// request with the task token and emails every approver a link signed for
// them, then returns at once; the decision page calls the execution back.
type RequestApproval struct {
	Project   *config.Project
	Approvals Approvals
	// Signer re-signs the links of a request an earlier attempt created.
	Signer    approval.Signer
	Mailer    notify.Mailer
	Approvers []string
	// Expiry is used when the event has no TimeoutSeconds.
	Expiry time.Duration
	// BaseURL is where the approval links point (STEWARD_PUBLIC_URL).
	BaseURL string
	From    string
	// SubjectPrefix starts the emails' subjects (notify.subject_prefix).
	SubjectPrefix string
	// Reports, when set, attaches the candidate's training report to the
	// emails and links it in the chat message.
	Reports Enricher
	// Notifier, when set, tells the approval_requested route (a Slack
	// channel) that a decision is asked, linking the decision page.
	Notifier Notifier
}

// Enricher adds to an event the links and attachments of the reports it
// names; *report.Notifier implements it.
type Enricher interface {
	Enrich(ctx context.Context, e notify.Event) notify.Event
}

// RequestApprovalRules name RequestApproval's errors.
var RequestApprovalRules = []lambdaerr.Rule{
	{Name: lambdaerr.InvalidInput, Match: lambdaerr.Is(approval.ErrInvalid)},
	{Name: lambdaerr.NotificationFailed, Match: lambdaerr.Is(ErrNotDelivered)},
}

// Invoke implements lambda.Handler.
func (h *RequestApproval) Invoke(ctx context.Context, payload []byte) ([]byte, error) {
	return invoke(ctx, payload, RequestApprovalRules, h.Handle)
}

// NewApprovalRequest is the approval request the event asks for, before
// it is stored: both versions' metrics on the same rows, the data they
// come from and the evaluation's evidence.
func NewApprovalRequest(ev ApprovalEvent, approvers []string) approval.Request {
	e := ev.Evaluation
	candidate := e.CandidateMetrics
	if e.CandidateCompared != nil {
		candidate = e.CandidateCompared
	}
	return approval.Request{
		ID: ApprovalID(ev.TaskToken), ExecutionID: ev.ExecutionID, Model: ev.Model,
		CandidateVersion: e.CandidateVersion, ChampionVersion: e.ChampionVersion,
		Candidate: candidate, Champion: e.ChampionMetrics, Compared: e.Compared,
		Trigger: ev.Trigger, Reason: strings.TrimPrefix(ev.Reason+" — "+e.Summary, " — "), RequestedBy: ev.RequestedBy,
		Evidence: e.Evidence, Approvers: approvers,
	}
}

// expiryLead is how long before the task's timeout the links expire.
const expiryLead = time.Minute

// ApprovalID is the id of the request of a task token: a digest, so a
// repeated invocation for the same token finds the request it made,
// and the token cannot be recovered from the id in the links.
func ApprovalID(token string) string {
	sum := sha256.Sum256([]byte("steward-approval-id\n" + token))
	return hex.EncodeToString(sum[:16])
}

// Handle stores the request and sends the emails. It fails with
// NotificationFailed only when no email could be sent; a partial failure
// is reported in the result.
func (h *RequestApproval) Handle(ctx context.Context, ev ApprovalEvent) (ApprovalRequested, error) {
	switch {
	case ev.Model != h.Project.Model.Name:
		return ApprovalRequested{}, fmt.Errorf("%w: %q (this deployment manages %q)", ErrUnknownModel, ev.Model, h.Project.Model.Name)
	case ev.TaskToken == "":
		return ApprovalRequested{}, invalid("taskToken is required")
	case ev.ExecutionID == "":
		return ApprovalRequested{}, invalid("executionId is required")
	case ev.Evaluation.CandidateVersion <= 0:
		return ApprovalRequested{}, invalid("evaluation.candidateVersion must be a registered version, got %d", ev.Evaluation.CandidateVersion)
	case ev.TimeoutSeconds < 0 || ev.TimeoutSeconds > workflow.MaxApprovalTimeout:
		return ApprovalRequested{}, invalid("timeoutSeconds %d, want 0 (the configured expiry) to %d", ev.TimeoutSeconds, workflow.MaxApprovalTimeout)
	case len(h.Approvers) == 0:
		return ApprovalRequested{}, invalid("no approvers are configured (approval.approvers)")
	case len(h.Signer.Key) == 0:
		return ApprovalRequested{}, invalid("no key to sign approval links (STEWARD_APPROVAL_SECRET on AWS)")
	case h.BaseURL == "":
		return ApprovalRequested{}, invalid("no base URL for approval links (STEWARD_PUBLIC_URL or approval.public_url)")
	}
	ttl := h.Expiry
	if ev.TimeoutSeconds > 0 {
		ttl = time.Duration(ev.TimeoutSeconds) * time.Second
		if ttl > 2*expiryLead {
			ttl -= expiryLead
		}
	}
	req := NewApprovalRequest(ev, h.Approvers)
	r, links, err := h.Approvals.Create(ctx, req, ev.TaskToken, ttl)
	if errors.Is(err, store.ErrConflict) {
		// An earlier attempt with this token created it: send its links
		// again rather than leave the approvers without them.
		r, err = h.Approvals.Get(ctx, req.ID)
		if err == nil && r.Status != approval.Pending {
			return ApprovalRequested{ApprovalID: r.ID, Approvers: r.Approvers, ExpiresAt: r.ExpiresAt}, nil
		}
		links = nil
		for _, a := range r.Approvers {
			links = append(links, h.Signer.Link(r.ID, a, r.ExpiresAt))
		}
	}
	if err != nil {
		return ApprovalRequested{}, fmt.Errorf("tasks: approval request: %w", err)
	}
	msgs, err := approval.Emails(r, links, h.BaseURL, h.From, h.SubjectPrefix)
	if err != nil {
		return ApprovalRequested{}, err
	}
	told := h.event(r, ev.Evaluation)
	if h.Reports != nil {
		told = h.Reports.Enrich(ctx, told)
		for i := range msgs {
			msgs[i].Attachments = told.Attachments
		}
	}
	out := ApprovalRequested{ApprovalID: r.ID, Approvers: r.Approvers, ExpiresAt: r.ExpiresAt, Sent: []string{}}
	var errs []error
	for _, m := range msgs {
		if err := h.Mailer.Send(ctx, m); err != nil {
			out.Failed = append(out.Failed, m.To...)
			errs = append(errs, err)
			continue
		}
		out.Sent = append(out.Sent, m.To...)
	}
	if len(out.Sent) == 0 {
		return ApprovalRequested{}, fmt.Errorf("%w: to %s: %w", ErrNotDelivered, strings.Join(out.Failed, ", "), errors.Join(errs...))
	}
	if h.Notifier != nil {
		// The chat message is a notice: its failures are recorded by the
		// dispatcher and do not fail the request the emails carried.
		_ = h.Notifier.Notify(ctx, told)
	}
	return out, nil
}

// event is the approval_requested notice of r: the comparison as its
// figures and the dashboard's page of the request as its link, which
// shows the request and decides nothing (deciding is a signed-in POST).
func (h *RequestApproval) event(r approval.Request, e Evaluation) notify.Event {
	n := notify.Event{Kind: notify.ApprovalRequested, Model: r.Model, Version: r.CandidateVersion, Subject: r.ID,
		Title: fmt.Sprintf("Approve %s version %d?", r.Model, r.CandidateVersion),
		Text: fmt.Sprintf("Version %d of %s %s and waits for a decision by %s (until %s).\n\n%s",
			r.CandidateVersion, r.Model, beats(r.ChampionVersion), strings.Join(r.Approvers, ", "),
			r.ExpiresAt.UTC().Format("2006-01-02 15:04 MST"), r.Reason),
		Fields: map[string]string{},
	}
	for _, row := range r.Comparison() {
		v := fmt.Sprintf("%.4f", row.Candidate)
		if row.HasChampion {
			v += fmt.Sprintf(" (champion %.4f)", row.Champion)
		}
		n.Fields[row.Metric] = v
	}
	if e.Run != "" {
		n.Reports = []notify.Report{{Kind: notify.TrainingReport, ID: e.Run}}
	}
	if h.BaseURL != "" {
		n.Links = []notify.Link{{Label: "Decision page", URL: strings.TrimRight(h.BaseURL, "/") + "/approvals?request=" + url.QueryEscape(r.ID)}}
	}
	return n
}

// beats says what a candidate proposed for promotion beat.
func beats(champion int) string {
	if champion == 0 {
		return "would be the first champion"
	}
	return fmt.Sprintf("beats champion v%d", champion)
}
