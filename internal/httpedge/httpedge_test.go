package httpedge_test

import (
	"strings"
	"testing"

	"github.com/stewardml/steward/internal/httpedge"
)

func TestHeaderLookupIgnoresCaseAndTakesTheLastValue(t *testing.T) {
	h := httpedge.Header{"Content-Type": {"a", "b"}, "x-odd-case": {"c"}}
	for _, tc := range []struct{ name, want string }{
		{"Content-Type", "b"}, {"content-type", "b"}, {"CONTENT-TYPE", "b"},
		{"X-Odd-Case", "c"}, {"missing", ""},
	} {
		if got := h.Get(tc.name); got != tc.want {
			t.Errorf("Get(%q) = %q, want %q", tc.name, got, tc.want)
		}
	}
	if got := httpedge.Header(nil).Get("Host"); got != "" {
		t.Errorf("nil header Get = %q", got)
	}
}

func TestCookiesKeepTheFirstOfAName(t *testing.T) {
	r := &httpedge.Request{Header: httpedge.Header{"Cookie": {"a=1; b=2", "a=3", "bad cookie line;;="}}}
	got := r.Cookies()
	if len(got) != 2 || got["a"] != "1" || got["b"] != "2" {
		t.Errorf("Cookies = %v, want a=1 b=2", got)
	}
}

func TestFormReadsOnlyURLEncodedBodiesWithinTheLimit(t *testing.T) {
	form := httpedge.Header{"Content-Type": {"application/x-www-form-urlencoded; charset=utf-8"}}
	for _, tc := range []struct {
		name   string
		header httpedge.Header
		body   string
		want   string // the value of x, or the start of the error
	}{
		{"a form", form, "x=1&y=2", "1"},
		{"another content type", httpedge.Header{"Content-Type": {"application/json"}}, `{"x":1}`, `content type "application/json"`},
		{"no content type", nil, "x=1", `content type ""`},
		{"too large", form, "x=" + strings.Repeat("a", 20), "body larger than 16 bytes"},
		{"malformed", form, "x=%zz", "invalid URL escape"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			v, err := (&httpedge.Request{Header: tc.header, Body: []byte(tc.body)}).Form(16)
			got := v.Get("x")
			if err != nil {
				got = err.Error()
			}
			if !strings.HasPrefix(got, tc.want) {
				t.Errorf("Form = %q, want %q...", got, tc.want)
			}
		})
	}
}

func TestSetHeaderCanonicalizes(t *testing.T) {
	var r httpedge.Response
	r.SetHeader("allow", "GET")
	if got := r.Header["Allow"]; len(got) != 1 || got[0] != "GET" {
		t.Errorf("Header = %v", r.Header)
	}
}
