// Package httpedge is the one shape in which HTTP requests reach Steward's
// handlers, whatever carried them: an API Gateway proxy event on Lambda
// (converted once, in package httpedge/apigw) or a connection of the local
// gateway of `steward serve` (which builds a Request directly, without an
// intermediate proxy event).
//
// The prediction service (serving), the approval decision page (approval)
// and the dashboard (web) are Handlers: they take a *Request and give a
// *Response, and know nothing of the transport. The helpers every one of
// them needs — a case-insensitive header lookup, cookies, an
// application/x-www-form-urlencoded body — are written here once.
//
// A Response keeps its content type apart from its other headers so that
// the prediction path answers without allocating a header map.
package httpedge
