package cli

import (
	"github.com/spf13/cobra"

	"context"
	"errors"
	"fmt"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/stewardml/steward/internal/app"
	"github.com/stewardml/steward/internal/approval"
	"github.com/stewardml/steward/internal/workflow"
)

func newApprovalsCmd(e *Env) *cobra.Command {
	c := &cobra.Command{Use: "approvals", Short: "list approval requests, or retry a decision's callback", GroupID: "workflow", Args: noArgs,
		Example: "  steward approvals\n  steward approvals --all --limit 10\n  steward approvals retry <approval id>"}
	all := c.Flags().Bool("all", false, "decided and expired requests too, not only pending ones")
	limit := c.Flags().Int("limit", 50, "at most N requests, newest first (0: all)")
	c.RunE = func(cmd *cobra.Command, _ []string) error { return runApprovals(cmd.Context(), e, nil, *all, *limit) }
	c.AddCommand(&cobra.Command{Use: "retry ID", Short: "send a recorded decision to its workflow again (when resuming it failed)", Args: exactArgs(1, "ID"),
		RunE: func(cmd *cobra.Command, pos []string) error { return runApprovals(cmd.Context(), e, pos, false, 0) }})
	return c
}

// runApprovals lists the requests, or retries one decision's callback
// (retry holds its id).
func runApprovals(ctx context.Context, e *Env, retry []string, all bool, limit int) error {
	if limit < 0 {
		return usagef("--limit must not be negative")
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
	if len(retry) == 1 {
		// A decision whose callback failed (the workflow was unreachable)
		// is sent again.
		r, err := wf.Approvals.Retry(ctx, retry[0])
		if err != nil {
			return approvalErr(err, r)
		}
		return printDecided(ctx, e, wf, r)
	}
	list, err := wf.Approvals.List(ctx, !all, limit)
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
		if all {
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

func newDecideCmd(e *Env, verb string) *cobra.Command {
	c := &cobra.Command{Use: verb + " [ID] --as APPROVER", Short: verb + " a pending request as one of its approvers (by its id, or --model for the model's one pending request)", GroupID: "workflow",
		Args:    rangeArgs(0, 1, "ID"),
		Example: "  steward " + verb + " --model heart --as cardiology-ml@example.com --comment \"looks good\"\n  steward " + verb + " <approval id> --as cardiology-ml@example.com"}
	as := c.Flags().String("as", "", "the approver deciding (one of the request's approvers; required)")
	comment := c.Flags().String("comment", "", "why, for the audit log")
	model := c.Flags().String("model", "", "decide the one pending request of this model, instead of naming its id")
	_ = c.MarkFlagRequired("as")
	c.RunE = func(cmd *cobra.Command, pos []string) error {
		if (len(pos) == 1) == (*model != "") {
			return usagef("name the request by its ID or by --model, one of the two")
		}
		id := ""
		if len(pos) == 1 {
			id = pos[0]
		}
		return decide(cmd.Context(), e, verb, id, *model, *as, *comment)
	}
	return c
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
func decide(ctx context.Context, e *Env, verb, id, model, as, comment string) error {
	if as == "" {
		return usagef("--as must name the approver deciding")
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
	if model != "" {
		if _, err := knownModel(ctx, a.Registry(), model); err != nil {
			return err
		}
		if id, err = pendingOfModel(ctx, wf, model); err != nil {
			return err
		}
	}
	r, err := wf.Approvals.Decide(ctx, id, as, verb == "approve", comment)
	if err != nil {
		return approvalErr(err, r, as)
	}
	return printDecided(ctx, e, wf, r)
}

// pendingOfModel returns the id of model's one pending request.
func pendingOfModel(ctx context.Context, wf *app.Workflow, model string) (string, error) {
	list, err := wf.Approvals.List(ctx, true, 0)
	if err != nil {
		return "", err
	}
	var ids []string
	for _, r := range list {
		if r.Model == model {
			ids = append(ids, r.ID)
		}
	}
	switch len(ids) {
	case 1:
		return ids[0], nil
	case 0:
		return "", Failed(fmt.Errorf("%s has no pending approval request (steward approvals --all lists every request)", model))
	}
	return "", usagef("%s has %d pending requests (%s): name one by its id", model, len(ids), strings.Join(ids, ", "))
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

// printDecided reports a decision and where its execution went.
func printDecided(ctx context.Context, e *Env, wf *app.Workflow, r approval.Request) error {
	var st *workflow.Started
	if wf.Local() && r.ExecutionID != "" {
		if ex, err := wf.Service.Executions.Describe(ctx, r.ExecutionID); err == nil {
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
