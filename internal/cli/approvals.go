package cli

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/stewardml/steward/internal/approval"
	"github.com/stewardml/steward/internal/workflow"
)

func runApprovals(ctx context.Context, e *Env, args []string) error {
	fs := e.NewFlags("approvals")
	all := fs.Bool("all", false, "decided and expired requests too, not only pending ones")
	limit := fs.Int("limit", 50, "at most N requests, newest first (0: all)")
	pos, err := Parse(fs, args)
	if err != nil {
		return err
	}
	if *limit < 0 {
		return Usagef("--limit must not be negative")
	}
	if len(pos) > 0 && pos[0] != "retry" || len(pos) == 1 || len(pos) > 2 {
		return Usagef("usage: steward approvals [--all] [--limit N] | steward approvals retry ID")
	}
	a, err := e.App(ctx)
	if err != nil {
		return err
	}
	defer a.Close()
	wf, err := a.Workflow()
	if err != nil {
		return WithCode(ExitUsage, err)
	}
	if len(pos) == 2 {
		// A decision whose callback failed (the workflow was unreachable)
		// is sent again.
		r, err := wf.Approvals.Retry(ctx, pos[1])
		if err != nil {
			return approvalErr(err, r)
		}
		return printDecided(ctx, e, wf.Runner, r)
	}
	list, err := wf.Approvals.List(ctx, !*all, *limit)
	if err != nil {
		return err
	}
	if e.JSON {
		if list == nil {
			list = []approval.Request{}
		}
		return e.PrintJSON(list)
	}
	if len(list) == 0 {
		if *all {
			fmt.Fprintln(e.Stdout, "no approval requests")
		} else {
			fmt.Fprintln(e.Stdout, "no pending approval requests (--all lists decided ones)")
		}
		return nil
	}
	tw := tabwriter.NewWriter(e.Stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tMODEL\tCANDIDATE\tCHAMPION\tSTATUS\tEXPIRES\tAPPROVERS / DECISION")
	for _, r := range list {
		who := strings.Join(r.Approvers, ", ")
		if d := r.Decision; d != nil {
			who = fmt.Sprintf("%s at %s", d.By, d.At.UTC().Format(time.RFC3339))
			if d.Comment != "" {
				who += ": " + oneLine(d.Comment, 40)
			}
		}
		fmt.Fprintf(tw, "%s\t%s\tv%d\t%s\t%s\t%s\t%s\n", r.ID, r.Model, r.CandidateVersion, vstr(r.ChampionVersion), r.Status, r.ExpiresAt.UTC().Format(time.RFC3339), who)
	}
	return tw.Flush()
}

func runApprove(ctx context.Context, e *Env, args []string) error {
	return decide(ctx, e, "approve", args)
}

func runReject(ctx context.Context, e *Env, args []string) error {
	return decide(ctx, e, "reject", args)
}

// decidedLine says who decided what and when.
func decidedLine(r approval.Request) string {
	d := r.Decision
	if d == nil {
		return string(r.Status)
	}
	verb := "rejected"
	if d.Approved {
		verb = "approved"
	}
	return fmt.Sprintf("%s by %s at %s", verb, d.By, d.At.UTC().Format(time.RFC3339))
}

// decide records a decision from the terminal, as the link's page does:
// the first decision wins, and the waiting execution is called back.
func decide(ctx context.Context, e *Env, verb string, args []string) error {
	fs := e.NewFlags(verb)
	as := fs.String("as", "", "the approver deciding (one of the request's approvers)")
	comment := fs.String("comment", "", "why, for the audit log")
	pos, err := Parse(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 1 || *as == "" {
		return Usagef("usage: steward %s ID --as APPROVER [--comment TEXT]", verb)
	}
	a, err := e.App(ctx)
	if err != nil {
		return err
	}
	defer a.Close()
	wf, err := a.Workflow()
	if err != nil {
		return WithCode(ExitUsage, err)
	}
	r, err := wf.Approvals.Decide(ctx, pos[0], *as, verb == "approve", *comment)
	if err != nil {
		return approvalErr(err, r, *as)
	}
	return printDecided(ctx, e, wf.Runner, r)
}

// approvalErr turns the approval service's errors into exit codes and
// messages that say what happened.
func approvalErr(err error, r approval.Request, as ...string) error {
	switch {
	case errors.Is(err, approval.ErrNotFound):
		return Failed(fmt.Errorf("%w (steward approvals lists the requests)", err))
	case errors.Is(err, approval.ErrAlreadyDecided):
		return Failed(fmt.Errorf("approval %s was already decided: %s", r.ID, decidedLine(r)))
	case errors.Is(err, approval.ErrNotApprover) && len(as) > 0:
		return Failed(fmt.Errorf("%s is not an approver of %s (approvers: %s)", as[0], r.ID, strings.Join(r.Approvers, ", ")))
	case errors.Is(err, approval.ErrExpired):
		return Failed(fmt.Errorf("approval %s expired at %s; nothing was promoted", r.ID, r.ExpiresAt.UTC().Format(time.RFC3339)))
	case errors.Is(err, approval.ErrInvalid):
		return WithCode(ExitUsage, err)
	case errors.Is(err, approval.ErrCallbackPending):
		return Failed(fmt.Errorf("%s is recorded, but the workflow could not be resumed (%v); send it again with: steward approvals retry %s", decidedLine(r), err, r.ID))
	}
	return err
}

// execRunner is what printDecided needs of the local runner.
type execRunner interface {
	Describe(ctx context.Context, idOrName string) (workflow.Execution, error)
}

// printDecided reports a decision and where its execution went.
func printDecided(ctx context.Context, e *Env, runner execRunner, r approval.Request) error {
	var st *workflow.Started
	if runner != nil && r.ExecutionID != "" {
		if ex, err := runner.Describe(ctx, r.ExecutionID); err == nil {
			s := workflow.StartedOf(ex)
			s.Output = redact(s.Output)
			st = &s
		}
	}
	if e.JSON {
		return e.PrintJSON(map[string]any{"approval": r, "execution": st})
	}
	fmt.Fprintf(e.Stdout, "approval %s: %s\n", r.ID, decidedLine(r))
	if st != nil {
		printStarted(e.Stdout, *st, nil)
		return outcomeErr(*st)
	}
	if r.ExecutionID != "" {
		fmt.Fprintf(e.Stdout, "execution %s resumed\n", r.ExecutionID)
	}
	return nil
}
