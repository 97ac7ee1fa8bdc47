// Package lambdaconcurrencytest emulates the part of the AWS Lambda API
// package lambdaconcurrency calls — GetProvisionedConcurrencyConfig and
// PutProvisionedConcurrencyConfig, REST-JSON under
// /2019-09-30/functions/{FunctionName}/provisioned-concurrency — over
// HTTP, so that tests drive the real SDK client.
package lambdaconcurrencytest

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
)

// Region is the region of the emulated functions and of Client.
const Region = "eu-west-1"

// Account is the account id in AliasARN.
const Account = "123456789012"

// Call is one request the server answered.
type Call struct {
	Method    string // GET or PUT
	Function  string // the function name (ARNs are reduced to it)
	Qualifier string
	// N is the concurrency a PUT asked for.
	N int
}

// Server is the emulator. It is safe for concurrent use.
type Server struct {
	// URL is the endpoint (BaseEndpoint of the SDK client).
	URL string

	srv     *httptest.Server
	mu      sync.Mutex
	aliases map[string]bool // "function:qualifier" that exist
	configs map[string]int  // "function:qualifier" -> requested
	calls   []Call
	fail    []string
}

// New starts a server, closed when the test ends, on which the aliases
// ("function:qualifier") exist without provisioned concurrency.
func New(t testing.TB, aliases ...string) *Server {
	t.Helper()
	s := &Server{aliases: map[string]bool{}, configs: map[string]int{}}
	for _, a := range aliases {
		s.aliases[a] = true
	}
	s.srv = httptest.NewServer(http.HandlerFunc(s.serve))
	t.Cleanup(s.srv.Close)
	s.URL = s.srv.URL
	return s
}

// AliasARN returns the ARN of function's alias qualifier.
func AliasARN(function, qualifier string) string {
	return fmt.Sprintf("arn:aws:lambda:%s:%s:function:%s:%s", Region, Account, function, qualifier)
}

// Client returns an SDK client for the server, with static credentials.
func (s *Server) Client() *lambda.Client {
	return lambda.New(lambda.Options{Region: Region, BaseEndpoint: aws.String(s.URL),
		Credentials: credentials.NewStaticCredentialsProvider("AKIDTEST", "test-secret", "")})
}

// Set gives an alias provisioned concurrency.
func (s *Server) Set(function, qualifier string, n int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.configs[function+":"+qualifier] = n
}

// Provisioned returns an alias's requested provisioned concurrency (0 for
// none).
func (s *Server) Provisioned(function, qualifier string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.configs[function+":"+qualifier]
}

// FailNext answers the next request with the Lambda error errType (for
// example "ResourceConflictException", status 409).
func (s *Server) FailNext(errType string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.fail = append(s.fail, errType)
}

// Calls returns the requests answered so far.
func (s *Server) Calls() []Call {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Call(nil), s.calls...)
}

// statuses of the Lambda errors the emulator answers.
var statuses = map[string]int{
	"ResourceConflictException":                     http.StatusConflict,
	"ResourceNotFoundException":                     http.StatusNotFound,
	"ProvisionedConcurrencyConfigNotFoundException": http.StatusNotFound,
	"InvalidParameterValueException":                http.StatusBadRequest,
	"TooManyRequestsException":                      http.StatusTooManyRequests,
	"ServiceException":                              http.StatusInternalServerError,
}

func fail(w http.ResponseWriter, errType, msg string) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("X-Amzn-Errortype", errType)
	st, ok := statuses[errType]
	if !ok {
		st = http.StatusBadRequest
	}
	w.WriteHeader(st)
	b, _ := json.Marshal(map[string]string{"Type": "User", "message": msg})
	w.Write(b)
}

func (s *Server) serve(w http.ResponseWriter, r *http.Request) {
	const prefix, suffix = "/2019-09-30/functions/", "/provisioned-concurrency"
	path := r.URL.Path
	if !strings.HasPrefix(path, prefix) || !strings.HasSuffix(path, suffix) {
		fail(w, "UnknownOperationException", "no route for "+r.Method+" "+path)
		return
	}
	auth := r.Header.Get("Authorization")
	if !strings.HasPrefix(auth, "AWS4-HMAC-SHA256 ") || !strings.Contains(auth, "/"+Region+"/lambda/aws4_request") {
		fail(w, "AccessDeniedException", "the request is not signed for lambda in "+Region)
		return
	}
	function := strings.TrimSuffix(strings.TrimPrefix(path, prefix), suffix)
	if strings.HasPrefix(function, "arn:") {
		parts := strings.Split(function, ":")
		if len(parts) != 7 {
			fail(w, "InvalidParameterValueException", "FunctionName: "+function+" is not a function ARN")
			return
		}
		function = parts[6]
	}
	qualifier := r.URL.Query().Get("Qualifier")
	call := Call{Method: r.Method, Function: function, Qualifier: qualifier}
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.fail) > 0 {
		errType := s.fail[0]
		s.fail = s.fail[1:]
		s.calls = append(s.calls, call)
		fail(w, errType, "emulated "+errType)
		return
	}
	key := function + ":" + qualifier
	if qualifier == "" || !s.aliases[key] {
		fail(w, "ResourceNotFoundException", "Function not found: "+AliasARN(function, qualifier))
		return
	}
	switch r.Method {
	case http.MethodGet:
		s.calls = append(s.calls, call)
		n, ok := s.configs[key]
		if !ok {
			fail(w, "ProvisionedConcurrencyConfigNotFoundException", "No Provisioned Concurrency Config found for this function")
			return
		}
		answer(w, http.StatusOK, n, n, "READY")
	case http.MethodPut:
		var in struct {
			N *int `json:"ProvisionedConcurrentExecutions"`
		}
		b, _ := io.ReadAll(r.Body)
		if err := json.Unmarshal(b, &in); err != nil || in.N == nil {
			fail(w, "InvalidParameterValueException", "ProvisionedConcurrentExecutions is required")
			return
		}
		call.N = *in.N
		s.calls = append(s.calls, call)
		if *in.N < 1 {
			fail(w, "InvalidParameterValueException", "ProvisionedConcurrentExecutions must be at least 1")
			return
		}
		s.configs[key] = *in.N
		answer(w, http.StatusAccepted, *in.N, 0, "IN_PROGRESS")
	default:
		fail(w, "UnknownOperationException", "method "+r.Method)
	}
}

func answer(w http.ResponseWriter, status, requested, allocated int, state string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	b, _ := json.Marshal(map[string]any{
		"RequestedProvisionedConcurrentExecutions": requested,
		"AllocatedProvisionedConcurrentExecutions": allocated,
		"AvailableProvisionedConcurrentExecutions": 1000 - allocated,
		"Status":       state,
		"LastModified": time.Now().UTC().Format("2006-01-02T15:04:05.000+0000"),
	})
	w.Write(b)
}
