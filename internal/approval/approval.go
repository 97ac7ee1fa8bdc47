package approval

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/google/uuid"
	"github.com/stewardml/steward/internal/store"
)

// Errors returned by the Service, checked with errors.Is.
var (
	ErrNotFound        = errors.New("approval: no such request")
	ErrAlreadyDecided  = errors.New("approval: already decided")
	ErrExpired         = errors.New("approval: link expired")
	ErrBadSignature    = errors.New("approval: invalid signature")
	ErrOtherKey        = errors.New("approval: link signed by another installation")
	ErrNotApprover     = errors.New("approval: not an approver of this request")
	ErrInvalid         = errors.New("approval: invalid request")
	ErrCallbackPending = errors.New("approval: decision recorded, callback failed")
)

// Status of a request.
type Status string

// The statuses a request goes through.
const (
	Pending  Status = "pending"
	Approved Status = "approved"
	Rejected Status = "rejected"
	Expired  Status = "expired"
)

// Request asks approvers to accept a candidate version as champion.
type Request struct {
	ID               string             `json:"id"`
	ExecutionID      string             `json:"executionId,omitempty"`
	Model            string             `json:"model"`
	CandidateVersion int                `json:"candidateVersion"`
	ChampionVersion  int                `json:"championVersion,omitempty"`
	Candidate        map[string]float64 `json:"candidateMetrics,omitempty"`
	Champion         map[string]float64 `json:"championMetrics,omitempty"`
	Trigger          string             `json:"trigger"`
	Reason           string             `json:"reason,omitempty"`
	RequestedBy      string             `json:"requestedBy,omitempty"`
	Evidence         []string           `json:"evidence,omitempty"`
	// Compared names the rows both versions were scored on; Candidate
	// and Champion are computed on them when it is set.
	Compared     *Compared `json:"compared,omitempty"`
	Approvers    []string  `json:"approvers"`
	CreatedAt    time.Time `json:"createdAt"`
	ExpiresAt    time.Time `json:"expiresAt"`
	Status       Status    `json:"status"`
	Decision     *Decision `json:"decision,omitempty"`
	CallbackDone bool      `json:"callbackDone,omitempty"`
}

// Decision is what an approver chose.
type Decision struct {
	Approved bool      `json:"approved"`
	By       string    `json:"approver"`
	At       time.Time `json:"at"`
	Comment  string    `json:"comment,omitempty"`
}

// Row is one metric of the side-by-side comparison.
type Row struct {
	Metric      string
	Candidate   float64
	Champion    float64
	HasChampion bool
}

// Comparison lists the candidate's metrics next to the champion's, sorted by name.
func (r Request) Comparison() []Row {
	rows := make([]Row, 0, len(r.Candidate))
	for k, v := range r.Candidate {
		c, ok := r.Champion[k]
		rows = append(rows, Row{Metric: k, Candidate: v, Champion: c, HasChampion: ok})
	}
	sort.Slice(rows, func(i, j int) bool { return rows[i].Metric < rows[j].Metric })
	return rows
}

// Callback resumes the execution waiting on a task token. Output is the
// JSON document that becomes the waiting task's result.
type Callback interface {
	SendTaskSuccess(ctx context.Context, token string, output json.RawMessage) error
}

// Recorder writes audit events for approval actions (requested, approved,
// rejected, link refused). It is the audit log seen from this package.
type Recorder interface {
	RecordApproval(ctx context.Context, action string, r Request, actor, detail string) error
}

// Signer makes and checks link signatures: HMAC-SHA256 over the approval id,
// the approver and the expiry.
type Signer struct{ Key []byte }

func (s Signer) mac(id, approver string, exp int64) []byte {
	h := hmac.New(sha256.New, s.Key)
	fmt.Fprintf(h, "steward-approval-v1\n%s\n%s\n%d", id, approver, exp)
	return h.Sum(nil)
}

// Sign returns the signature for a link.
func (s Signer) Sign(id, approver string, exp time.Time) string {
	return base64.RawURLEncoding.EncodeToString(s.mac(id, approver, exp.Unix()))
}

// KeyID names the key without revealing it: the first 8 hex digits of
// the SHA-256 of the key. Links carry it so that a link opened against
// another data directory (another key) is told apart from a changed one,
// which a MAC alone cannot do.
func (s Signer) KeyID() string {
	sum := sha256.Sum256(s.Key)
	return hex.EncodeToString(sum[:4])
}

// Link returns the signed link of approver for request id.
func (s Signer) Link(id, approver string, exp time.Time) Link {
	return Link{ID: id, Approver: approver, Exp: exp.Unix(), KeyID: s.KeyID(), Sig: s.Sign(id, approver, exp)}
}

// plausibleID reports whether id could name a request: 1 to 64
// printable ASCII characters.
func plausibleID(id string) bool {
	if id == "" || len(id) > 64 {
		return false
	}
	for i := 0; i < len(id); i++ {
		if id[i] < 0x21 || id[i] > 0x7e {
			return false
		}
	}
	return true
}

// Verify checks sig in constant time. Only the canonical spelling of a
// signature is accepted: unpadded URL-safe base64 that encodes back to
// itself.
func (s Signer) Verify(id, approver string, exp int64, sig string) bool {
	got, err := base64.RawURLEncoding.Strict().DecodeString(sig)
	if err != nil || len(s.Key) == 0 || base64.RawURLEncoding.EncodeToString(got) != sig {
		return false
	}
	return hmac.Equal(got, s.mac(id, approver, exp))
}

// Link is a signed approval link's parts.
type Link struct {
	ID       string
	Approver string
	Exp      int64
	// KeyID is the signer's Signer.KeyID; empty in links issued before
	// links carried it.
	KeyID string
	Sig   string
}

// URL renders the link under base (for example https://api.example.com/prod).
func (l Link) URL(base string) string {
	q := url.Values{"approver": {l.Approver}, "exp": {strconv.FormatInt(l.Exp, 10)}, "sig": {l.Sig}}
	if l.KeyID != "" {
		q.Set("kid", l.KeyID)
	}
	return strings.TrimRight(base, "/") + "/approvals/" + url.PathEscape(l.ID) + "?" + q.Encode()
}

// Service stores requests and decisions.
type Service struct {
	Records  store.RecordStore
	Signer   Signer
	Callback Callback
	Recorder Recorder // optional
	Now      func() time.Time

	refused refusals
}

// Refused is how many link checks this service has refused since it
// started (a metric: refusals are audited at most once per link id and
// minute).
func (s *Service) Refused() int64 { return s.refused.total.Load() }

// Audit volume of refused links: anyone can open a link, so a refusal is
// audited once per link id and minute, for at most maxRefusalIDs ids a
// minute; the rest are counted, and the count of a minute is audited in
// one summary when the next minute's first refusal comes.
const maxRefusalIDs = 100

// refusals decides which refused links are audited.
type refusals struct {
	total  atomic.Int64
	mu     sync.Mutex
	minute int64
	seen   map[string]int // refusals per link id in minute
	count  int            // refusals in minute
}

// note counts a refusal of link id at now and reports whether to audit
// it, and the summary of the previous minute to audit first, if any.
func (f *refusals) note(id string, now time.Time) (audit bool, summary string) {
	f.total.Add(1)
	f.mu.Lock()
	defer f.mu.Unlock()
	m := now.Unix() / 60
	if m != f.minute {
		if f.count > len(f.seen) {
			summary = fmt.Sprintf("%d refused link checks for %d link ids in the minute from %s; each id's first was audited",
				f.count, len(f.seen), time.Unix(f.minute*60, 0).UTC().Format(time.RFC3339))
		}
		f.minute, f.seen, f.count = m, map[string]int{}, 0
	}
	f.count++
	if _, ok := f.seen[id]; ok || len(f.seen) >= maxRefusalIDs {
		if ok {
			f.seen[id]++
		}
		return false, summary
	}
	f.seen[id] = 1
	return true, summary
}

// refuse audits a refused link check, within the refusals' limits.
func (s *Service) refuse(ctx context.Context, r Request, approver, why string) {
	audit, summary := s.refused.note(r.ID, s.Now())
	if summary != "" {
		s.record(ctx, "approval.links_refused", Request{}, "approval-links", summary)
	}
	if audit {
		s.record(ctx, "approval.link_refused", r, approver, why)
	}
}

const (
	pkIndex = "APPROVALS"
	skReq   = "REQUEST"
	skToken = "TOKEN"
)

func pk(id string) string { return "APPROVAL#" + id }

// Create stores a new pending request with the task token to call back and
// returns it with its id and one signed link per approver.
func (s *Service) Create(ctx context.Context, r Request, token string, ttl time.Duration) (Request, []Link, error) {
	if r.Model == "" || r.CandidateVersion <= 0 {
		return Request{}, nil, fmt.Errorf("%w: model and candidate version are required", ErrInvalid)
	}
	if len(r.Approvers) == 0 {
		return Request{}, nil, fmt.Errorf("%w: no approvers configured", ErrInvalid)
	}
	if token == "" {
		return Request{}, nil, fmt.Errorf("%w: empty task token", ErrInvalid)
	}
	if ttl <= 0 {
		return Request{}, nil, fmt.Errorf("%w: expiry must be positive", ErrInvalid)
	}
	now := s.Now().UTC().Truncate(time.Second)
	if r.ID == "" {
		id, err := uuid.NewV7()
		if err != nil {
			return Request{}, nil, fmt.Errorf("approval: %w", err)
		}
		r.ID = id.String()
	}
	r.CreatedAt, r.ExpiresAt, r.Status, r.Decision = now, now.Add(ttl), Pending, nil
	body, err := json.Marshal(r)
	if err != nil {
		return Request{}, nil, fmt.Errorf("approval: %w", err)
	}
	tok, _ := json.Marshal(token)
	keep := r.ExpiresAt.Add(90 * 24 * time.Hour)
	err = s.Records.Write(ctx,
		store.Write{Record: store.Record{PK: pk(r.ID), SK: skReq, Body: body, Version: 1}, Cond: store.Cond{Kind: store.CondAbsent}},
		store.Write{Record: store.Record{PK: pk(r.ID), SK: skToken, Body: tok, Version: 1, ExpiresAt: keep}, Cond: store.Cond{Kind: store.CondAbsent}},
		store.Write{Record: store.Record{PK: pkIndex, SK: indexSK(r), Body: body, Version: 1}},
	)
	if err != nil {
		return Request{}, nil, fmt.Errorf("approval: create %s: %w", r.ID, err)
	}
	links := make([]Link, len(r.Approvers))
	for i, a := range r.Approvers {
		links[i] = s.Signer.Link(r.ID, a, r.ExpiresAt)
	}
	s.record(ctx, "approval.requested", r, r.RequestedBy, strings.Join(r.Approvers, ", "))
	return r, links, nil
}

func indexSK(r Request) string { return r.CreatedAt.UTC().Format(time.RFC3339) + "#" + r.ID }

// Get returns a request.
func (s *Service) Get(ctx context.Context, id string) (Request, error) {
	r, _, err := s.get(ctx, id)
	return r, err
}

func (s *Service) get(ctx context.Context, id string) (Request, int64, error) {
	if !plausibleID(id) {
		// A client's mistake, never the store's: no request has such an id.
		return Request{}, 0, fmt.Errorf("%w: %q", ErrNotFound, id)
	}
	rec, err := s.Records.Get(ctx, pk(id), skReq)
	if errors.Is(err, store.ErrNotFound) {
		return Request{}, 0, fmt.Errorf("%w: %s", ErrNotFound, id)
	}
	if err != nil {
		return Request{}, 0, fmt.Errorf("approval: get %s: %w", id, err)
	}
	var r Request
	if err := json.Unmarshal(rec.Body, &r); err != nil {
		return Request{}, 0, fmt.Errorf("approval: decode %s: %w", id, err)
	}
	return r, rec.Version, nil
}

// List returns requests newest first; with pendingOnly, only pending ones.
func (s *Service) List(ctx context.Context, pendingOnly bool, limit int) ([]Request, error) {
	recs, err := s.Records.Query(ctx, pkIndex, store.Query{Descending: true})
	if err != nil {
		return nil, fmt.Errorf("approval: list: %w", err)
	}
	var out []Request
	for _, rec := range recs {
		var r Request
		if err := json.Unmarshal(rec.Body, &r); err != nil {
			return nil, fmt.Errorf("approval: decode index %s: %w", rec.SK, err)
		}
		if pendingOnly && r.Status != Pending {
			continue
		}
		out = append(out, r)
		if limit > 0 && len(out) == limit {
			break
		}
	}
	return out, nil
}

// CheckLink verifies a link's signature, its approver and its expiry. A
// tampered or forged link is ErrBadSignature, one whose key id names
// another key (another installation or data directory) ErrOtherKey; an
// expired one ErrExpired.
func (s *Service) CheckLink(ctx context.Context, l Link) (Request, error) {
	if l.KeyID != "" && l.KeyID != s.Signer.KeyID() && !s.Signer.Verify(l.ID, l.Approver, l.Exp, l.Sig) {
		s.refuse(ctx, Request{ID: l.ID}, l.Approver, "signed with another key")
		return Request{}, ErrOtherKey
	}
	if !s.Signer.Verify(l.ID, l.Approver, l.Exp, l.Sig) {
		s.refuse(ctx, Request{ID: l.ID}, l.Approver, "invalid signature")
		return Request{}, ErrBadSignature
	}
	r, err := s.Get(ctx, l.ID)
	if err != nil {
		return Request{}, err
	}
	if !contains(r.Approvers, l.Approver) {
		s.refuse(ctx, r, l.Approver, "not an approver")
		return r, ErrNotApprover
	}
	if !s.Now().Before(time.Unix(l.Exp, 0)) {
		s.refuse(ctx, r, l.Approver, "link expired")
		return r, ErrExpired
	}
	return r, nil
}

// Decide records the first decision on request id by compare-and-set and
// then calls back the waiting execution with {approved, approver, comment}.
// A later decision returns the stored request and ErrAlreadyDecided, and
// sends nothing. If the callback fails the decision stays recorded and
// ErrCallbackPending is returned; Retry calls back again.
func (s *Service) Decide(ctx context.Context, id, approver string, approved bool, comment string) (Request, error) {
	if len(comment) > 2000 {
		return Request{}, fmt.Errorf("%w: comment longer than 2000 characters", ErrInvalid)
	}
	r, ver, err := s.get(ctx, id)
	if err != nil {
		return Request{}, err
	}
	if r.Status != Pending {
		return r, ErrAlreadyDecided
	}
	if !contains(r.Approvers, approver) {
		return r, ErrNotApprover
	}
	now := s.Now().UTC()
	if !now.Before(r.ExpiresAt) {
		return r, ErrExpired
	}
	r.Decision = &Decision{Approved: approved, By: approver, At: now, Comment: comment}
	r.Status = Rejected
	if approved {
		r.Status = Approved
	}
	if err := s.put(ctx, r, ver); errors.Is(err, store.ErrConflict) {
		won, _, gerr := s.get(ctx, id)
		if gerr != nil {
			return Request{}, gerr
		}
		return won, ErrAlreadyDecided
	} else if err != nil {
		return Request{}, err
	}
	action := "approval.rejected"
	if approved {
		action = "approval.approved"
	}
	s.record(ctx, action, r, approver, comment)
	return s.callback(ctx, r, ver+1)
}

// Retry calls back again for a decided request whose callback failed.
func (s *Service) Retry(ctx context.Context, id string) (Request, error) {
	r, ver, err := s.get(ctx, id)
	if err != nil {
		return Request{}, err
	}
	if r.Decision == nil || r.CallbackDone {
		return r, nil
	}
	return s.callback(ctx, r, ver)
}

func (s *Service) callback(ctx context.Context, r Request, ver int64) (Request, error) {
	rec, err := s.Records.Get(ctx, pk(r.ID), skToken)
	if err != nil {
		return r, fmt.Errorf("%w: token: %v", ErrCallbackPending, err)
	}
	var token string
	if err := json.Unmarshal(rec.Body, &token); err != nil {
		return r, fmt.Errorf("%w: token: %v", ErrCallbackPending, err)
	}
	out, _ := json.Marshal(map[string]any{
		"approved": r.Decision.Approved, "approver": r.Decision.By, "comment": r.Decision.Comment,
		"approvalId": r.ID, "decidedAt": r.Decision.At,
	})
	if err := s.Callback.SendTaskSuccess(ctx, token, out); err != nil {
		return r, fmt.Errorf("%w: %v", ErrCallbackPending, err)
	}
	r.CallbackDone = true
	if err := s.put(ctx, r, ver); err != nil {
		return r, fmt.Errorf("approval: mark callback done: %w", err)
	}
	return r, nil
}

// MarkExpired records that nobody decided in time (the state machine's
// timeout path calls it). A decided request is left as it is.
func (s *Service) MarkExpired(ctx context.Context, id string) (Request, error) {
	r, ver, err := s.get(ctx, id)
	if err != nil {
		return Request{}, err
	}
	if r.Status != Pending {
		return r, nil
	}
	r.Status = Expired
	if err := s.put(ctx, r, ver); err != nil {
		return Request{}, err
	}
	s.record(ctx, "approval.expired", r, "steward", "no decision before "+r.ExpiresAt.Format(time.RFC3339))
	return r, nil
}

func (s *Service) put(ctx context.Context, r Request, ver int64) error {
	body, err := json.Marshal(r)
	if err != nil {
		return fmt.Errorf("approval: %w", err)
	}
	err = s.Records.Write(ctx,
		store.Write{Record: store.Record{PK: pk(r.ID), SK: skReq, Body: body, Version: ver + 1}, Cond: store.Cond{Kind: store.CondVersion, Version: ver}},
		store.Write{Record: store.Record{PK: pkIndex, SK: indexSK(r), Body: body, Version: ver + 1}},
	)
	if err != nil {
		return fmt.Errorf("approval: update %s: %w", r.ID, err)
	}
	return nil
}

func (s *Service) record(ctx context.Context, action string, r Request, actor, detail string) {
	if s.Recorder != nil {
		// The audit trail must not hide a decision that already happened,
		// so a failed audit write is reported by the recorder, not here.
		_ = s.Recorder.RecordApproval(ctx, action, r, actor, detail)
	}
}

func contains(xs []string, x string) bool {
	for _, v := range xs {
		if v == x {
			return true
		}
	}
	return false
}
