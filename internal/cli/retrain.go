package cli

import (
	"github.com/spf13/cobra"

	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/stewardml/steward/internal/app"
	"github.com/stewardml/steward/internal/approval"
	"github.com/stewardml/steward/internal/dataset"
	"github.com/stewardml/steward/internal/workflow"
	"github.com/stewardml/steward/internal/workflow/tasks"
)

func newRetrainCmd(e *Env) *cobra.Command {
	c := &cobra.Command{Use: "retrain", Short: "start the retraining workflow: validate, train, compare, ask, promote", GroupID: "workflow", Args: noArgs,
		Example: "  steward retrain --model heart --require-approval --reason \"Cleveland data\"\n  steward retrain --data new.csv --wait"}
	fs := c.Flags()
	model := fs.String("model", "", "model to retrain (default: the project's model)")
	data := fs.String("data", "", "training data file (default: the project's data source)")
	require := fs.Bool("require-approval", false, "ask the approvers before a better candidate is promoted")
	wait := fs.Bool("wait", false, "follow the execution to its end (an approval may take days)")
	reason := fs.String("reason", "", "why retrain, for the audit log and the approvers")
	as := fs.String("as", "cli", "who asks for the retraining, for the audit log")
	timeout := fs.Duration("approval-timeout", 0, "how long the approvers have (default: the project's approval.expiry)")
	c.RunE = func(cmd *cobra.Command, _ []string) error {
		ctx := cmd.Context()
		if *timeout < 0 || (*timeout > 0 && *timeout < time.Minute) {
			return Usagef("--approval-timeout %s: expected at least 1m", *timeout)
		}
		a, err := e.AppCreating(ctx)
		if err != nil {
			return err
		}
		defer a.Close()
		p := a.Project
		if p == nil {
			return Usagef("no project configuration at %s", e.ConfigPath)
		}
		if *model != "" && *model != p.Model.Name {
			return Failed(fmt.Errorf("no model named %q in %s (it describes %q)", *model, e.ConfigPath, p.Model.Name))
		}
		path := p.DataPath()
		if *data != "" {
			path = *data
		}
		raw, err := os.ReadFile(path)
		if err != nil {
			return WithCode(ExitUsage, fmt.Errorf("--data: %w", err))
		}
		ref, err := dataset.Store(ctx, a.Artifacts, raw)
		if err != nil {
			return err
		}
		wf, err := a.Workflow()
		if err != nil {
			return WithCode(ExitUsage, err)
		}
		st, err := wf.Start(ctx, workflow.RetrainInput{
			Model: p.Model.Name, Dataset: workflow.RefOf(ref), Trigger: workflow.TriggerManual,
			Reason: *reason, RequestedBy: *as, RequireApproval: *require,
			ApprovalTimeoutSeconds: int(*timeout / time.Second),
		})
		if errors.Is(err, workflow.ErrInvalidEvent) || errors.Is(err, workflow.ErrUnknownModel) {
			return WithCode(ExitUsage, err)
		}
		if err != nil {
			return err
		}
		if *wait && st.Status == string(workflow.StatusRunning) && wf.Local() {
			if !e.JSON {
				printStarted(e.Stderr, st, pendingOf(ctx, wf, st.ExecutionID))
				fmt.Fprintln(e.Stderr, "retrain: waiting for the execution to end (Ctrl-C stops waiting, not the execution)")
			}
			if err := wf.Await(ctx, st.ExecutionID); err != nil {
				return err
			}
			ex, err := wf.Service.Executions.Describe(ctx, st.ExecutionID)
			if err != nil {
				return err
			}
			st = workflow.StartedOf(ex)
		}
		if e.JSON {
			if err := e.PrintJSON(st); err != nil {
				return err
			}
		} else {
			printStarted(e.Stdout, st, pendingOf(ctx, wf, st.ExecutionID))
		}
		return outcomeErr(st)
	}
	return c
}

// pendingOf returns the pending approval requests of an execution.
func pendingOf(ctx context.Context, wf *app.Workflow, executionID string) []approval.Request {
	list, err := wf.Approvals.List(ctx, true, 0)
	if err != nil {
		return nil
	}
	var out []approval.Request
	for _, r := range list {
		if r.ExecutionID == executionID {
			out = append(out, r)
		}
	}
	return out
}

// printStarted says where an execution stands and what comes next.
func printStarted(w io.Writer, st workflow.Started, pending []approval.Request) {
	fmt.Fprintf(w, "execution %s\n  id: %s\n  status: %s\n", st.Name, st.ExecutionID, st.Status)
	for _, wt := range st.Waiting {
		line := fmt.Sprintf("  waiting: %s (%s)", wt.State, wt.Kind)
		if !wt.Until.IsZero() {
			line += " until " + wt.Until.UTC().Format(time.RFC3339)
		}
		fmt.Fprintln(w, line)
	}
	for _, r := range pending {
		fmt.Fprintf(w, "  approval %s: %s:%d against champion %s, asked of %s\n", r.ID, r.Model, r.CandidateVersion, vstr(r.ChampionVersion), strings.Join(r.Approvers, ", "))
		fmt.Fprintf(w, "    decide: open the emailed link, or steward approve %s --as %s\n", r.ID, r.Approvers[0])
	}
	if st.Status == string(workflow.StatusFailed) || st.Error != "" {
		fmt.Fprintf(w, "  error: %s: %s\n", st.Error, oneLine(st.Cause, 200))
	}
	if len(st.Output) > 0 {
		var out struct {
			Evaluation *struct {
				Result *tasks.Evaluation `json:"result"`
			} `json:"evaluation"`
			Promotion *struct {
				Result *tasks.Promotion `json:"result"`
			} `json:"promotion"`
			Approval *tasks.Decision `json:"approval"`
		}
		if json.Unmarshal(st.Output, &out) == nil {
			if out.Evaluation != nil && out.Evaluation.Result != nil {
				fmt.Fprintf(w, "  evaluation: %s\n", out.Evaluation.Result.Summary)
			}
			if d := out.Approval; d != nil {
				verb := "rejected"
				if d.Approved {
					verb = "approved"
				}
				fmt.Fprintf(w, "  decision: %s by %s at %s\n", verb, d.Approver, d.DecidedAt.UTC().Format(time.RFC3339))
			}
			if out.Promotion != nil && out.Promotion.Result != nil {
				pr := out.Promotion.Result
				fmt.Fprintf(w, "  promoted: %s champion %s -> v%d\n", pr.Model, vstr(pr.From), pr.To)
			}
		}
	}
	if st.Status == string(workflow.StatusRunning) && len(st.Waiting) == 0 {
		fmt.Fprintln(w, "  (another process is running it)")
	}
	fmt.Fprintf(w, "  history: steward execution %s\n", st.Name)
}

// outcomeErr makes a failed execution exit 1.
func outcomeErr(st workflow.Started) error {
	switch workflow.Status(st.Status) {
	case workflow.StatusFailed, workflow.StatusTimedOut, workflow.StatusAborted:
		return Failed(fmt.Errorf("execution %s %s: %s", st.Name, strings.ToLower(st.Status), st.Error))
	}
	return nil
}
