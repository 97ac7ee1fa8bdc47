package serving

import (
	"encoding/json"
	"fmt"
	"strconv"
	"unicode/utf8"
)

// Problem is one thing wrong with a request: where (instance index and
// field) and what was expected instead of what was found.
type Problem struct {
	// Instance is the index in "instances", or -1 when the problem is not
	// tied to one instance.
	Instance int
	// Field is the feature, body field or query parameter concerned, or
	// "body" for the request as a whole.
	Field string
	// Expected says what would have been accepted.
	Expected string
	// Got says what was found; it echoes client input, so detail levels
	// below DetailFull drop it.
	Got string
}

// Error formats the problem on one line.
func (p Problem) Error() string {
	s := ""
	if p.Instance >= 0 {
		s = fmt.Sprintf("instance %d: ", p.Instance)
	}
	s += p.Field + ": expected " + p.Expected
	if p.Got != "" {
		s += ", got " + p.Got
	}
	return s
}

// Detail is how much of the problems an error body shows.
type Detail int

// Detail levels, from most to least.
const (
	// DetailFull lists every problem with the offending value.
	DetailFull Detail = iota
	// DetailNoValues lists every problem but never echoes client input.
	DetailNoValues
	// DetailSummary gives the message and the number of problems only.
	DetailSummary
)

// ParseDetail parses "full", "no-values" or "summary".
func ParseDetail(s string) (Detail, error) {
	switch s {
	case "full", "":
		return DetailFull, nil
	case "no-values":
		return DetailNoValues, nil
	case "summary":
		return DetailSummary, nil
	}
	return 0, fmt.Errorf("serving: detail %q: want full, no-values or summary", s)
}

// String returns the name ParseDetail accepts.
func (d Detail) String() string {
	switch d {
	case DetailNoValues:
		return "no-values"
	case DetailSummary:
		return "summary"
	}
	return "full"
}

// Error codes of error bodies, stable for clients.
const (
	CodeMalformedJSON    = "MalformedJSON"
	CodeUnsupportedMedia = "UnsupportedMediaType"
	CodeTooLarge         = "PayloadTooLarge"
	CodeInvalidInput     = "InvalidInput"
	CodeInvalidQuery     = "InvalidQuery"
	CodeNotFound         = "NotFound"
	CodeMethodNotAllowed = "MethodNotAllowed"
	CodeUnavailable      = "ServiceUnavailable"
	CodeInternal         = "InternalError"
)

// RequestError is a request that cannot be served, with its HTTP status
// and every problem found (up to the configured maximum; Total counts all).
type RequestError struct {
	Status   int
	Code     string
	Message  string
	Problems []Problem
	Total    int // problems found, including those beyond len(Problems)
}

// Error implements error with the message and the first problem.
func (e *RequestError) Error() string {
	if len(e.Problems) > 0 {
		return "serving: " + e.Message + ": " + e.Problems[0].Error()
	}
	return "serving: " + e.Message
}

type problemJSON struct {
	Instance *int   `json:"instance,omitempty"`
	Field    string `json:"field"`
	Expected string `json:"expected"`
	Got      string `json:"got,omitempty"`
}

type errorJSON struct {
	Code      string        `json:"code"`
	Message   string        `json:"message"`
	RequestID string        `json:"requestId,omitempty"`
	Count     int           `json:"count,omitempty"`
	Truncated bool          `json:"truncated,omitempty"`
	Problems  []problemJSON `json:"problems,omitempty"`
}

// Body renders the JSON error body at the given detail level:
//
//	{"error": {"code": "InvalidInput", "message": "...", "requestId": "...", "count": 2,
//	  "problems": [{"instance": 0, "field": "age", "expected": "number in [0, 120]", "got": "string \"old\""}]}}
func (e *RequestError) Body(d Detail, requestID string) []byte {
	ej := errorJSON{Code: e.Code, Message: e.Message, RequestID: requestID}
	total := max(e.Total, len(e.Problems))
	if total > 0 {
		ej.Count = total
	}
	if d != DetailSummary {
		ej.Truncated = total > len(e.Problems)
		ej.Problems = make([]problemJSON, len(e.Problems))
		for i, p := range e.Problems {
			pj := problemJSON{Field: p.Field, Expected: p.Expected}
			if p.Instance >= 0 {
				pj.Instance = &e.Problems[i].Instance
			}
			if d == DetailFull {
				pj.Got = p.Got
			}
			ej.Problems[i] = pj
		}
	}
	b, err := json.Marshal(struct {
		Error errorJSON `json:"error"`
	}{ej})
	if err != nil { // cannot happen: every field is a string or an int
		return []byte(`{"error":{"code":"InternalError","message":"error body could not be encoded"}}`)
	}
	return b
}

// problems collects Problems up to a limit and counts the rest.
type problems struct {
	list  []Problem
	total int
	limit int
}

// add counts one problem and lists it while under the limit. A field name
// longer than maxFieldName (a client's unknown key) is shortened.
func (p *problems) add(instance int, field, expected, got string) {
	p.total++
	if len(p.list) < p.limit {
		p.list = append(p.list, Problem{Instance: instance, Field: shorten(field, maxFieldName), Expected: expected, Got: got})
	}
}

// maxFieldName bounds the field names echoed in problems.
const maxFieldName = 64

// shorten cuts s to at most max bytes at a character boundary, marking a
// cut with an ellipsis.
func shorten(s string, max int) string {
	if len(s) <= max {
		return s
	}
	cut := max
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + "…"
}

// describe renders client input for Problem.Got: short, printable, quoted.
func describe(kind string, raw []byte) string {
	const max = 40
	if kind == "string" {
		return "string " + strconv.Quote(shorten(string(raw), max))
	}
	if len(raw) > max {
		return kind + " " + string(raw[:max]) + "…"
	}
	if len(raw) == 0 {
		return kind
	}
	return kind + " " + string(raw)
}
