package cli

import (
	"github.com/spf13/cobra"

	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"regexp"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/stewardml/steward/internal/app"
	"github.com/stewardml/steward/internal/workflow"
)

// localWorkflow opens the app and its local runner; on AWS the executions
// live in Step Functions.
func localWorkflow(ctx context.Context, e *Env) (*app.App, *app.Workflow, error) {
	a, err := e.App(ctx)
	if err != nil {
		return nil, nil, err
	}
	wf, err := a.Workflow()
	if err != nil {
		a.Close()
		return nil, nil, WithCode(ExitUsage, err)
	}
	if wf.Runner == nil {
		a.Close()
		return nil, nil, usagef("on AWS the executions are in Step Functions: aws stepfunctions list-executions --state-machine-arn %s", a.Runtime.StateMachineARN)
	}
	return a, wf, nil
}

func newExecutionsCmd(e *Env) *cobra.Command {
	c := &cobra.Command{Use: "executions", Short: "list the retraining executions of the local runner", GroupID: "workflow", Args: noArgs,
		Example: "  steward executions\n  steward executions --status RUNNING"}
	fs := c.Flags()
	status := fs.String("status", "", "only executions with this status: RUNNING, SUCCEEDED, FAILED, TIMED_OUT or ABORTED")
	limit := fs.Int("limit", 20, "at most N executions, the newest (0: all)")
	c.RunE = func(cmd *cobra.Command, _ []string) error {
		ctx := cmd.Context()
		st := workflow.Status(strings.ToUpper(*status))
		switch st {
		case "", workflow.StatusRunning, workflow.StatusSucceeded, workflow.StatusFailed, workflow.StatusTimedOut, workflow.StatusAborted:
		default:
			return Usagef("--status %q: expected RUNNING, SUCCEEDED, FAILED, TIMED_OUT or ABORTED", *status)
		}
		if *limit < 0 {
			return Usagef("--limit must not be negative")
		}
		a, wf, err := localWorkflow(ctx, e)
		if err != nil {
			return err
		}
		defer a.Close()
		list, err := wf.Service.Executions.List(ctx, st)
		if err != nil {
			return err
		}
		if *limit > 0 && len(list) > *limit {
			list = list[len(list)-*limit:]
		}
		if e.JSON {
			out := make([]workflow.Started, len(list))
			for i, ex := range list {
				out[i] = workflow.StartedOf(ex)
				out[i].Output = redact(out[i].Output)
			}
			return e.PrintJSON(out)
		}
		if len(list) == 0 {
			fmt.Fprintln(e.Stdout, "no executions; start one with: steward retrain")
			return nil
		}
		tw := tabwriter.NewWriter(e.Stdout, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "NAME\tSTATUS\tSTARTED\tDURATION\tNOW / ERROR")
		for _, ex := range list {
			end := ex.StopTime
			if end.IsZero() {
				end = a.Now()
			}
			note := ex.Error
			for _, w := range ex.Waiting {
				note = "waiting: " + w.State + " (" + w.Kind + ")"
			}
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", ex.Name, ex.Status, ex.StartTime.UTC().Format(time.RFC3339), end.Sub(ex.StartTime).Round(time.Second), note)
		}
		return tw.Flush()
	}
	return c
}

func newExecutionCmd(e *Env) *cobra.Command {
	c := &cobra.Command{Use: "execution NAME|ID", Short: "show one execution and its history, state by state", GroupID: "workflow", Args: exactArgs(1, "NAME|ID"),
		Example: "  steward execution retrain-heart-20261207T101500Z\n  steward execution <id> --all --json"}
	all := c.Flags().Bool("all", false, "every history event, not only states, errors and retries")
	c.RunE = func(cmd *cobra.Command, pos []string) error {
		ctx := cmd.Context()
		a, wf, err := localWorkflow(ctx, e)
		if err != nil {
			return err
		}
		defer a.Close()
		ex, events, err := wf.History(ctx, pos[0])
		if errors.Is(err, workflow.ErrExecutionNotFound) {
			return Failed(fmt.Errorf("no execution %q (steward executions lists them)", pos[0]))
		}
		if err != nil {
			return err
		}
		for i := range events {
			events[i].Input, events[i].Output = redact(events[i].Input), redact(events[i].Output)
		}
		st := workflow.StartedOf(ex)
		st.Output = redact(st.Output)
		if e.JSON {
			return e.PrintJSON(map[string]any{"execution": st, "events": events})
		}
		printStarted(e.Stdout, st, pendingOf(ctx, wf, ex.ID))
		fmt.Fprintln(e.Stdout)
		printHistory(e.Stdout, events, *all)
		return nil
	}
	return c
}

// printHistory prints the history state by state: when each state was
// entered and left, and every failure, retry and timeout in between.
func printHistory(w io.Writer, events []workflow.HistoryEvent, all bool) {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "TIME\tSTATE\tEVENT\tDETAIL")
	entered := map[string]time.Time{}
	for _, ev := range events {
		name := ev.State
		if ev.Thread != "" {
			name = ev.Thread + "/" + ev.State
		}
		typ := string(ev.Type)
		detail := ""
		switch {
		case strings.HasSuffix(typ, "StateEntered"):
			entered[name] = ev.Timestamp
			typ = "entered"
		case strings.HasSuffix(typ, "StateExited"):
			typ = "exited"
			if t, ok := entered[name]; ok {
				detail = "after " + ev.Timestamp.Sub(t).Round(time.Millisecond).String()
			}
		case ev.Error != "":
			detail = ev.Error + ": " + oneLine(causeMessage(ev.Cause), 100)
		case ev.Notable:
			detail = ev.Details
		case !all:
			continue
		default:
			detail = ev.Details
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", ev.Timestamp.UTC().Format("2006-01-02T15:04:05.000Z"), name, typ, detail)
	}
	tw.Flush()
}

// causeMessage unwraps a Lambda error cause ({"errorMessage", "errorType"}).
func causeMessage(cause string) string {
	var le struct {
		ErrorMessage string `json:"errorMessage"`
	}
	if json.Unmarshal([]byte(cause), &le) == nil && le.ErrorMessage != "" {
		return le.ErrorMessage
	}
	return cause
}

// taskToken matches the local runner's task tokens; redact hides them,
// so that tokens never reach a terminal or a log.
var taskToken = regexp.MustCompile(`asl1\.[A-Za-z0-9_-]+\.[0-9a-f]{32}`)

func redact(raw json.RawMessage) json.RawMessage {
	if len(raw) == 0 {
		return raw
	}
	return json.RawMessage(taskToken.ReplaceAll(raw, []byte("[task token]")))
}
