// Package approval owns human approval of model changes: requests stored
// with their Step Functions task token, links signed with HMAC that carry an
// approval id, the approver and an expiry (never the token), single-use
// decisions recorded by compare-and-set, and the decision page behind API
// Gateway (or the local gateway).
//
// A GET on a link only shows the page, because mail scanners open links
// before people do. A POST records the first decision and only then calls
// back the waiting execution; later POSTs see who decided first.
//
// Records (single-table layout of internal/store):
//
//	APPROVAL#<id>  REQUEST                 the Request (status, decision)
//	APPROVAL#<id>  TOKEN                   the task token, read only to call back
//	APPROVALS      <created RFC3339>#<id>  an index entry per request for listings
package approval
