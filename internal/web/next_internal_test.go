package web

import "testing"

func TestSignInReturnsOnlyToSameSitePaths(t *testing.T) {
	for _, tt := range []struct{ next, want string }{
		{"/approvals?request=abc", "/approvals?request=abc"},
		{"/drift", "/drift"},
		{"https://evil.example/", "/models"},
		{"//evil.example", "/models"},
		{"/\\evil.example", "/models"},
		{"/\t/evil.example", "/models"},
		{"/\n/evil.example", "/models"},
		{"/\x7f", "/models"},
		{"/a b", "/models"},
		{"", "/models"},
	} {
		if got := safeNext(tt.next); got != tt.want {
			t.Errorf("safeNext(%q) = %q, want %q", tt.next, got, tt.want)
		}
	}
}
