// Package gateway is the local stand-in for API Gateway: an HTTP server on
// the loopback interface that turns each request into an httpedge.Request,
// routes it by path prefix to an httpedge.Handler (the very handler the
// Lambda main runs behind httpedge/apigw), and writes the
// httpedge.Response back. It builds the neutral request directly: a proxy
// event in between would cost two header maps and a body copy per request
// for nothing.
//
// Handlers are mounted by path prefix, so the prediction API, the approval
// links and the dashboard of one `steward serve` process share one port:
//
//	gw := gateway.New(gateway.Config{Keys: checker})
//	gw.Mount("/v1/", predict)                      // API key required
//	gw.Mount("/approvals/", approvals, gateway.Public())
//	gw.Mount("/health", predict, gateway.Public())
//
// Authentication mirrors API Gateway's API keys: a route mounted without
// Public requires an x-api-key header whose key the KeyChecker accepts.
// API Gateway answers a missing, unknown or revoked key the same way,
// 403 with x-amzn-ErrorType: ForbiddenException (it has no 401 for API
// keys; 401 comes only from authorizers), and so does the gateway; the
// message, ForbiddenMessage, names the x-api-key header (the AWS stack
// sets it on API Gateway's INVALID_API_KEY response). Other API Gateway answers are mirrored too: a body over
// 10 MiB is 413, a handler error or a malformed response 502
// {"message": "Internal server error"}. A path no prefix matches is 404
// {"message":"Not Found"}: on AWS the "/{proxy+}" resource sends every path
// to the function, whose router answers 404 the same way.
//
// Nothing large is read before authentication: Serve streams request
// bodies, decides from the headers alone (route, API key, declared
// length against the route's MaxBody) whether a body will be read, and
// answers a refused request after at most one byte of its body, closing
// the connection rather than reading the rest. Bodies larger than what
// is read with the headers count against a budget of concurrent reads
// and bytes (Config.MaxBodyReads, MaxBodyMemory): beyond it, 503 with
// Retry-After. ReadTimeout and IdleTimeout end trickling and idle
// connections.
package gateway
