package tasks_test

import (
	"os"
	"strings"
	"testing"

	"github.com/stewardml/steward/internal/config"
)

// The approval settings the workflow reads are validated where they are
// written, each error naming its field.
func TestApprovalSettings(t *testing.T) {
	b := writeProject(t, t.TempDir())
	p, err := config.Load(b)
	if err != nil {
		t.Fatal(err)
	}
	if p.Approval.Margin != 0.01 || strings.Join(p.Escalation(), ",") != "oncall@example.com" || p.Approval.Expiry.D().Hours() != 72 {
		t.Errorf("approval %+v, escalation %v", p.Approval, p.Escalation())
	}
	for _, tc := range []struct{ section, want string }{
		{"approval:\n  margin: -0.1\n", "approval.margin: expected a number in [0, 1)"},
		{"approval:\n  margin: 1.5\n", "approval.margin: expected a number in [0, 1)"},
		{"approval:\n  escalate_to: [not-an-address]\n", `approval.escalate_to[0]: expected an e-mail address`},
		{"approval:\n  public_url: ftp://example.com\n", "approval.public_url: expected an absolute http or https URL"},
		{"approval:\n  public_url: /approvals\n", "approval.public_url: expected an absolute http or https URL"},
	} {
		dir := t.TempDir()
		path := writeProject(t, dir)
		raw, _ := readFile(path)
		s := replaceSection(t, raw, "approval:", tc.section)
		_, err := config.Parse([]byte(s), "steward.yaml")
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%q: error %v, want %q", tc.section, err, tc.want)
		}
	}
	// Without escalate_to, escalations go to notify.to.
	raw, _ := readFile(b)
	p, err = config.Parse([]byte(replaceSection(t, raw, "approval:", "approval:\n  approvers: [ana@example.com]\n")), "steward.yaml")
	if err != nil || strings.Join(p.Escalation(), ",") != "ml-platform@example.com" {
		t.Errorf("escalation without escalate_to: %v, %v", p.Escalation(), err)
	}
}

func readFile(path string) (string, error) {
	b, err := os.ReadFile(path)
	return string(b), err
}
