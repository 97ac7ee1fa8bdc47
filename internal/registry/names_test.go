package registry

import (
	"math/rand/v2"
	"regexp"
	"strings"
	"testing"
)

// The naming rules, as regular expressions: the oracle for nameOK.
var (
	modelNameRE = regexp.MustCompile(`^[a-z0-9][a-z0-9._-]{0,63}$`)
	aliasNameRE = regexp.MustCompile(`^[a-z][a-z0-9_-]{0,39}$`)
)

func TestNamesFollowTheirRules(t *testing.T) {
	for _, tc := range []struct {
		name         string
		model, alias bool
	}{
		{"heart", true, true},
		{"champion", true, true},
		{"heart-2.v1", true, false},
		{"2heart", true, false},
		{"a", true, true},
		{"", false, false},
		{"Heart", false, false},
		{".heart", false, false},
		{"-x", false, false},
		{"a/b", false, false},
		{"héart", false, false},
		{"x_y-z", true, true},
		{string(make([]byte, 3)), false, false},
		{strings.Repeat("a", 40), true, true},
		{strings.Repeat("a", 41), true, false},
		{strings.Repeat("a", 64), true, false},
		{strings.Repeat("a", 65), false, false},
	} {
		if got := ValidateModelName(tc.name) == nil; got != tc.model {
			t.Errorf("ValidateModelName(%q) ok = %v, want %v", tc.name, got, tc.model)
		}
		if got := ValidateAliasName(tc.name) == nil; got != tc.alias {
			t.Errorf("ValidateAliasName(%q) ok = %v, want %v", tc.name, got, tc.alias)
		}
	}
	// Random names over an alphabet with every class, at the length limits.
	const alphabet = "abz09._-A/ é"
	r := rand.New(rand.NewPCG(1, 2))
	for range 100000 {
		b := make([]byte, r.IntN(70))
		for i := range b {
			b[i] = alphabet[r.IntN(len(alphabet))]
		}
		s := string(b)
		if got, want := ValidateModelName(s) == nil, modelNameRE.MatchString(s); got != want {
			t.Fatalf("ValidateModelName(%q) ok = %v, the rule says %v", s, got, want)
		}
		if got, want := ValidateAliasName(s) == nil, aliasNameRE.MatchString(s); got != want {
			t.Fatalf("ValidateAliasName(%q) ok = %v, the rule says %v", s, got, want)
		}
	}
}
