package cloudtwin

import (
	"errors"
	"fmt"
	"net/http"
	"sort"
	"strings"
	"sync"
)

// ErrDenied reports a call the caller's role may not make.
var ErrDenied = errors.New("cloudtwin: access denied")

// Call is one request an endpoint received, after authorization.
type Call struct {
	// Principal is the function name, or "operator".
	Principal string
	Action    string // e.g. s3:PutObject, dynamodb:Query
	Resource  string // e.g. arn:aws:s3:::bucket/key
	Allowed   bool
}

// IAM stands for the roles the stack gives each function: it tells
// callers apart by their access key id and allows what the function's
// Access bits grant in infra/stack/lambda.go (construct grants and named
// statements), on the resources they name. It records every call.
//
// It is safe for concurrent use.
type IAM struct {
	d     *Deployment
	byKey map[string]string // access key id -> function name
	mu    sync.Mutex
	calls []Call
}

// NewIAM returns the roles of d's functions.
func NewIAM(d *Deployment) *IAM {
	i := &IAM{d: d, byKey: map[string]string{}}
	for name := range d.Stack.Functions {
		i.byKey[CredentialsFor(name).AccessKeyID] = name
	}
	return i
}

// Calls returns the calls so far, in order.
func (i *IAM) Calls() []Call {
	i.mu.Lock()
	defer i.mu.Unlock()
	return append([]Call(nil), i.calls...)
}

// Denied returns the calls that were refused.
func (i *IAM) Denied() []Call {
	var out []Call
	for _, c := range i.Calls() {
		if !c.Allowed {
			out = append(out, c)
		}
	}
	return out
}

// CallsBy returns the allowed calls of principal whose action is action
// (any action when empty).
func (i *IAM) CallsBy(principal, action string) []Call {
	var out []Call
	for _, c := range i.Calls() {
		if c.Allowed && c.Principal == principal && (action == "" || c.Action == action) {
			out = append(out, c)
		}
	}
	return out
}

// Authorize checks a SigV4-signed request for service against one
// action on each resource: the credential scope must name the
// deployment's region and the service, and the signer's role must allow
// it. It returns the principal, or an error wrapping ErrDenied.
func (i *IAM) Authorize(r *http.Request, service, action string, resources ...string) (string, error) {
	keyID, region, svc, ok := credentialScope(r)
	if !ok {
		return "", fmt.Errorf("%w: %s: the request is not signed with SigV4", ErrDenied, action)
	}
	if region != i.d.Region || svc != service {
		return "", fmt.Errorf("%w: %s: signed for %s in %s, expected %s in %s", ErrDenied, action, svc, region, service, i.d.Region)
	}
	principal := "operator"
	if keyID != OperatorKeyID {
		name, ok := i.byKey[keyID]
		if !ok {
			return "", fmt.Errorf("%w: %s: unknown access key %s", ErrDenied, action, keyID)
		}
		principal = name
	}
	if len(resources) == 0 {
		resources = []string{"*"}
	}
	var denied []string
	i.mu.Lock()
	for _, res := range resources {
		ok := principal == "operator" || i.allows(i.d.Stack.Functions[principal], action, res)
		i.calls = append(i.calls, Call{Principal: principal, Action: action, Resource: res, Allowed: ok})
		if !ok {
			denied = append(denied, res)
		}
	}
	i.mu.Unlock()
	if len(denied) > 0 {
		return principal, fmt.Errorf("%w: User: arn:aws:sts::%s:assumed-role/%s/%s is not authorized to perform: %s on resource: %s",
			ErrDenied, i.d.Account, i.d.FunctionName(principal)+"-role", i.d.FunctionName(principal), action, strings.Join(denied, ", "))
	}
	return principal, nil
}

// allows is the policy of fn's role, by Access bit (infra/stack/lambda.go).
func (i *IAM) allows(fn Function, action, res string) bool {
	d := i.d
	bucket := "arn:aws:s3:::" + d.Bucket
	table := "arn:aws:dynamodb:" + d.Region + ":" + d.Account + ":table/" + d.Table
	svc, op, _ := strings.Cut(action, ":")
	switch svc {
	case "s3":
		switch op {
		case "GetObject":
			return fn.MayRead() && strings.HasPrefix(res, bucket+"/")
		case "ListBucket":
			return fn.MayRead() && res == bucket
		case "PutObject":
			key, ok := strings.CutPrefix(res, bucket+"/")
			return ok && fn.MayPut(key)
		}
		return false // no delete, no bucket administration
	case "dynamodb":
		if res != table {
			return false
		}
		switch op {
		case "GetItem", "BatchGetItem", "Query", "Scan", "ConditionCheckItem", "DescribeTable", "GetRecords", "GetShardIterator":
			return fn.Has("ReadRecords") || fn.Has("WriteRecords")
		case "PutItem", "UpdateItem", "DeleteItem", "BatchWriteItem":
			return fn.Has("WriteRecords")
		}
		return false
	case "secretsmanager":
		if op != "GetSecretValue" && op != "DescribeSecret" {
			return false
		}
		return fn.Has("ReadSigningKey") && res == d.SigningKeyARN() || fn.Has("SendEmail") && res == d.SlackSecretARN()
	case "ses":
		return op == "SendEmail" && fn.Has("SendEmail") &&
			res == "arn:aws:ses:"+d.Region+":"+d.Account+":identity/"+d.SenderIdentity
	case "states":
		switch op {
		case "SendTaskSuccess", "SendTaskFailure", "SendTaskHeartbeat":
			return fn.Has("AnswerTasks") && res == d.StateMachineARN()
		case "StartExecution":
			return fn.Has("StartRetrain") && res == d.StateMachineARN()
		}
		return false
	case "events":
		return op == "PutEvents" && fn.Has("PublishEvents") &&
			res == "arn:aws:events:"+d.Region+":"+d.Account+":event-bus/"+d.EventBus()
	}
	return false
}

// credentialScope reads the key id, region and service a SigV4 request
// was signed for, from its Authorization header or a presigned URL.
func credentialScope(r *http.Request) (keyID, region, service string, ok bool) {
	cred := ""
	if auth := r.Header.Get("Authorization"); strings.HasPrefix(auth, "AWS4-HMAC-SHA256 ") {
		for _, part := range strings.Split(strings.TrimPrefix(auth, "AWS4-HMAC-SHA256 "), ",") {
			if v, found := strings.CutPrefix(strings.TrimSpace(part), "Credential="); found {
				cred = v
			}
		}
	} else {
		cred = r.URL.Query().Get("X-Amz-Credential")
	}
	f := strings.Split(cred, "/")
	if len(f) != 5 || f[4] != "aws4_request" {
		return "", "", "", false
	}
	return f[0], f[2], f[3], true
}

// Describe lists calls one per line, sorted, for test failures.
func Describe(calls []Call) string {
	lines := make([]string, len(calls))
	for i, c := range calls {
		lines[i] = fmt.Sprintf("%s: %s on %s", c.Principal, c.Action, c.Resource)
	}
	sort.Strings(lines)
	return strings.Join(lines, "\n")
}
